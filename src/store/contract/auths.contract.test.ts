// The AuthStore contract over every adapter: SQLite (the embedded default) and PostgreSQL. Two stores
// "on one database" are two adapters on one SQLite file, or two pools on one PostgreSQL database.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { postgresFixture } from '../../../test/helpers/postgres.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import type { AuthStore } from '../auth.js';
import { openPostgresStores, type PostgresStores, type PostgresStoresOptions } from '../pg/pool.js';
import { openSqliteAuth } from '../sqlite-auth.js';
import { describeAuthContract } from './auth-contract.js';

const dirs: string[] = [];
const sqliteStores: { close(): void }[] = [];
async function openSqliteFile(count: number): Promise<AuthStore[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'signet-auth-contract-'));
  dirs.push(dir);
  return Array.from({ length: count }, () => {
    const auth = openSqliteAuth(path.join(dir, 'ledger.sqlite'));
    sqliteStores.push(auth);
    return auth;
  });
}
describeAuthContract('sqlite', {
  async open() {
    const [auth] = await openSqliteFile(1);
    return auth!;
  },
  async openTwo() {
    const [a, b] = await openSqliteFile(2);
    return [a!, b!];
  },
  async cleanup() {
    for (const store of sqliteStores.splice(0)) store.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  },
});

const postgres = postgresFixture();
const secondPools: PostgresStores[] = [];
const options = (): PostgresStoresOptions => ({
  log: { origin: 'contract.example/auth', signer: createSigner(generateKeyPair().privatePem) },
});
describeAuthContract('postgres', {
  async open() {
    return (await postgres.open(options())).auth;
  },
  async openTwo() {
    const first = await postgres.open(options());
    // A second server: its own pool on the same (already migrated) database.
    const second = await openPostgresStores(first.db.url, { ...options(), migrate: false, pool: { max: 4 } });
    secondPools.push(second);
    return [first.auth, second.auth];
  },
  async cleanup() {
    for (const stores of secondPools.splice(0)) await stores.close();
    await postgres.cleanup();
  },
});
