// The Ledger contract over every adapter: SQLite (the embedded default) and PostgreSQL, the latter with
// envelopes in another store, in its own database's objects table, and in the ledger's rows only.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll } from 'vitest';

import { postgresFixture } from '../../../test/helpers/postgres.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import { openPgLedger } from '../pg/pg-ledger.js';
import type { PostgresStores } from '../pg/pool.js';
import { withLedgerEnvelopes } from '../ledger-envelopes.js';
import { openSqliteLedger } from '../sqlite-ledger.js';
import { buildWorker } from '../../../test/helpers/worker-build.js';
import { describeLedgerContract } from './ledger-contract.js';

const dirs: string[] = [];
describeLedgerContract('sqlite', {
  async open(options) {
    const dir = await mkdtemp(path.join(tmpdir(), 'signet-ledger-contract-'));
    dirs.push(dir);
    return openSqliteLedger({ file: path.join(dir, 'ledger.sqlite'), log: options, ...options });
  },
  async cleanup() {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  },
});

// The embedded home's set-up: envelopes in the ledger's rows only, served as objects by the view.
describeLedgerContract('sqlite, envelopes in the ledger only', {
  async open(options) {
    const dir = await mkdtemp(path.join(tmpdir(), 'signet-ledger-contract-'));
    dirs.push(dir);
    const { objects: _unused, ...rest } = options;
    void _unused;
    return openSqliteLedger({ file: path.join(dir, 'ledger.sqlite'), log: rest, ...rest });
  },
  envelopeObjects: (ledger, objects) => withLedgerEnvelopes(objects, ledger),
  async cleanup() {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  },
});

// The server's set-up (`signet serve`): appends sealed and committed by a worker thread on a connection of
// its own, transpiled from the sources. A test that injects a clock runs on this thread: a clock cannot
// cross threads.
const appendWorker = buildWorker('store/sqlite-append-worker.ts');
afterAll(() => appendWorker.remove());
describeLedgerContract('sqlite, append worker', {
  async open(options) {
    const dir = await mkdtemp(path.join(tmpdir(), 'signet-ledger-contract-'));
    dirs.push(dir);
    const { objects: _unused, clock, privatePem, ...log } = options;
    void _unused;
    return openSqliteLedger({
      file: path.join(dir, 'ledger.sqlite'),
      log,
      ...(clock ? { clock } : { appendWorker: { privateKeyPem: privatePem, url: appendWorker.url } }),
    });
  },
  envelopeObjects: (ledger, objects) => withLedgerEnvelopes(objects, ledger),
  async cleanup() {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  },
});

const postgres = postgresFixture();
describeLedgerContract('postgres', {
  async open(options) {
    const stores = await postgres.open({ log: options });
    return openPgLedger({ pool: stores.pool, log: options, ...options });
  },
  cleanup: () => postgres.cleanup(),
});

// Envelopes in the objects table, written in the append's own transaction: the store `objects` gives is
// a PostgreSQL object store, and `open` opens the ledger on the same database.
const samePool = postgresFixture();
let current: PostgresStores | undefined;
describeLedgerContract('postgres, envelopes in the database', {
  async objects() {
    current = await samePool.open({
      log: { origin: 'contract.example/ledger', signer: createSigner(generateKeyPair().privatePem) },
    });
    return current.objects;
  },
  async open(options) {
    if (!current) throw new Error('objects() opens the database first');
    return openPgLedger({ pool: current.pool, log: options, ...options });
  },
  async cleanup() {
    current = undefined;
    await samePool.cleanup();
  },
});

// The PostgreSQL home's set-up: envelopes in the ledger's rows only, served as objects by the view over
// the database's object store.
const rowsOnly = postgresFixture();
let rowsOnlyStores: PostgresStores | undefined;
describeLedgerContract('postgres, envelopes in the ledger only', {
  async objects() {
    rowsOnlyStores = await rowsOnly.open({
      log: { origin: 'contract.example/ledger', signer: createSigner(generateKeyPair().privatePem) },
    });
    return rowsOnlyStores.objects;
  },
  async open(options) {
    if (!rowsOnlyStores) throw new Error('objects() opens the database first');
    const { objects: _unused, ...rest } = options;
    void _unused;
    return openPgLedger({ pool: rowsOnlyStores.pool, log: rest, ...rest });
  },
  envelopeObjects: (ledger, objects) => withLedgerEnvelopes(objects, ledger),
  async cleanup() {
    rowsOnlyStores = undefined;
    await rowsOnly.cleanup();
  },
});
