// The ObjectStore contract over every adapter: memory, filesystem, PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll } from 'vitest';

import { postgresFixture } from '../../../test/helpers/postgres.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import { createFsObjectStore } from '../fs-object-store.js';
import { createMemoryObjectStore } from '../memory-object-store.js';
import type { ObjectStore } from '../object-store.js';
import { describeObjectStoreContract } from './object-store-contract.js';

describeObjectStoreContract('memory', { open: async () => createMemoryObjectStore() });

const dirs: string[] = [];
describeObjectStoreContract('filesystem', {
  async open() {
    const dir = await mkdtemp(path.join(tmpdir(), 'signet-objects-contract-'));
    dirs.push(dir);
    return createFsObjectStore(dir);
  },
  async cleanup() {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  },
});

// One database for the file: the contract does not assume an empty store.
const postgres = postgresFixture();
let shared: Promise<ObjectStore> | undefined;
describeObjectStoreContract('postgres', {
  open() {
    shared ??= postgres
      .open({
        log: { origin: 'contract.example/objects', signer: createSigner(generateKeyPair().privatePem) },
      })
      .then((stores) => stores.objects);
    return shared;
  },
});
afterAll(() => postgres.cleanup());
