// The Drafts contract over every adapter: SQLite (the embedded default) and PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { postgresFixture } from '../../../test/helpers/postgres.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import { openSqliteDrafts } from '../sqlite-drafts.js';
import { describeDraftsContract } from './drafts-contract.js';

const opened: { dir: string; close(): void }[] = [];
describeDraftsContract('sqlite', {
  async open() {
    const dir = await mkdtemp(path.join(tmpdir(), 'signet-drafts-contract-'));
    const drafts = openSqliteDrafts(path.join(dir, 'ledger.sqlite'));
    opened.push({ dir, close: () => drafts.close() });
    return drafts;
  },
  async cleanup() {
    for (const { dir, close } of opened.splice(0)) {
      close();
      await rm(dir, { recursive: true, force: true });
    }
  },
});

const postgres = postgresFixture();
describeDraftsContract('postgres', {
  async open() {
    const stores = await postgres.open({
      log: { origin: 'contract.example/drafts', signer: createSigner(generateKeyPair().privatePem) },
    });
    return stores.drafts;
  },
  cleanup: () => postgres.cleanup(),
});
