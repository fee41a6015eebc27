// Schema migrations: versioned, each one transaction, applied once even when several servers start at
// once, and a schema newer than the code (or not ours) refused.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { asSuperuser, createTestDatabase, type TestDatabase } from '../../../test/helpers/postgres.js';
import { signCheckpoint } from '../../ledger/checkpoint.js';
import { createGenesisDraft } from '../../ledger/genesis.js';
import { LogVerifier } from '../../ledger/log-verifier.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import { batchAppendPlan } from '../batch-tree.js';
import { sealBatch } from '../seal-batch.js';
import { migrate, migrateDatabase, MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
import { openPgLedger } from './pg-ledger.js';
import { openPostgresStores } from './pool.js';

const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const db of databases.splice(0)) await db.drop();
});

async function fresh(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}

async function withPool<T>(url: string, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

const recorded = (url: string) =>
  asSuperuser(url, async (client) =>
    (
      await client.query<{ version: number; name: string; applied_at: Date }>(
        'SELECT version, name, applied_at FROM signet_schema_migrations ORDER BY version',
      )
    ).rows.map((row) => ({ ...row, applied_at: row.applied_at.toISOString() })),
  );

const log = () => ({ origin: 'test.example/migrations', signer: createSigner(generateKeyPair().privatePem) });

const note = (i: number) => ({
  subject: [{ name: `note-${i}`, digest: { sha256: 'ab'.repeat(32) } }],
  predicateType: 'urn:signet:test-note:v1',
  predicate: { i },
});

describe('postgres migrations', () => {
  it('applies every migration once, in order; applying them again is a no-op', async () => {
    const db = await fresh();
    const first = await withPool(db.url, (pool) => migrateDatabase(pool));
    expect(first).toEqual({ from: 0, to: SCHEMA_VERSION, applied: MIGRATIONS.map((m) => m.version) });
    const rows = await recorded(db.url);
    expect(rows.map(({ version, name }) => ({ version, name }))).toEqual(
      MIGRATIONS.map(({ version, name }) => ({ version, name })),
    );
    const again = await withPool(db.url, (pool) => migrateDatabase(pool));
    expect(again).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    expect(await recorded(db.url)).toEqual(rows);
  });

  it('several servers starting at once: one applies the migrations, the others wait and find nothing to do', async () => {
    const db = await fresh();
    const reports = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const stores = await openPostgresStores(db.url, { log: log(), pool: { max: 2 } });
        await stores.close();
        return stores.migration!;
      }),
    );
    expect(reports.filter((r) => r.applied.length > 0)).toHaveLength(1);
    expect(reports.filter((r) => r.applied.length === 0)).toHaveLength(3);
    expect((await recorded(db.url)).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('refuses a database whose schema is newer than this code, without writing to it', async () => {
    const db = await fresh();
    await withPool(db.url, (pool) => migrateDatabase(pool));
    await asSuperuser(db.url, (client) =>
      client.query("INSERT INTO signet_schema_migrations (version, name) VALUES ($1, 'from the future')", [
        SCHEMA_VERSION + 1,
      ]),
    );
    const refusal = {
      code: 'STORE_FAILURE',
      details: { databaseVersion: SCHEMA_VERSION + 1, codeVersion: SCHEMA_VERSION },
    };
    await expect(withPool(db.url, (pool) => migrateDatabase(pool))).rejects.toMatchObject(refusal);
    await expect(openPostgresStores(db.url, { log: log() })).rejects.toMatchObject(refusal);
    await expect(openPostgresStores(db.url, { log: log() })).rejects.toThrow(/newer than this Signet knows/);
    await expect(openPostgresStores(db.url, { log: log(), migrate: false })).rejects.toMatchObject({
      code: 'STORE_FAILURE',
    });
  });

  it('refuses a database that records a different migration under a version it knows', async () => {
    const db = await fresh();
    const other: Migration[] = [
      { version: 1, name: 'someone-else', sql: 'CREATE TABLE someone_else (x int)' },
    ];
    await withPool(db.url, (pool) => migrateDatabase(pool, { migrations: other }));
    await expect(withPool(db.url, (pool) => migrateDatabase(pool))).rejects.toMatchObject({
      code: 'STORE_FAILURE',
    });
  });

  it('a migration that fails leaves none of itself and the version where it was', async () => {
    const db = await fresh();
    await withPool(db.url, (pool) => migrateDatabase(pool));
    const broken: Migration = {
      version: SCHEMA_VERSION + 1,
      name: 'broken',
      sql: 'CREATE TABLE half_done (x int); SELECT 1 / 0;',
    };
    await expect(
      withPool(db.url, (pool) => migrateDatabase(pool, { migrations: [...MIGRATIONS, broken] })),
    ).rejects.toMatchObject({ code: 'STORE_FAILURE' });
    expect((await recorded(db.url)).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(
      await asSuperuser(
        db.url,
        async (c) => (await c.query("SELECT to_regclass('half_done') AS t")).rows[0].t,
      ),
    ).toBe(null);
  });

  it('upgrades a version-5 database holding a log: the application role appends on from where it was', async () => {
    const db = await fresh();
    const appRole = `signet_test_upgrade_${db.name.slice(-12)}`;
    await asSuperuser(db.url, (c) => c.query(`CREATE ROLE ${appRole} LOGIN`));
    try {
      const before = MIGRATIONS.filter((m) => m.version <= 5);
      await withPool(db.url, (pool) => migrateDatabase(pool, { migrations: before, appRole }));
      // A log written as version 5 wrote it: the batch's entries, nodes and checkpoint, one INSERT each.
      const keys = generateKeyPair();
      const log = { origin: 'test.example/migrations', signer: createSigner(keys.privatePem) };
      const drafts = [
        createGenesisDraft({ origin: log.origin, logPublicKey: keys.publicKey }),
        ...[1, 2, 3, 4].map((i) => note(i)),
      ];
      const { entries } = sealBatch(
        drafts.map((draft) => ({ draft })),
        undefined,
        log,
        Date.now,
      );
      const { nodes, root } = batchAppendPlan(
        0,
        entries.map((e) => e.leafHash),
      ).assemble([]);
      await asSuperuser(db.url, async (c) => {
        await c.query('BEGIN');
        for (const e of entries) {
          await c.query(
            'INSERT INTO ledger_entries (idx, id, kind, time, envelope, leaf_hash) VALUES ($1, $2, $3, $4, $5, $6)',
            [e.index, e.id, e.kind, e.time, Buffer.from(e.envelope), Buffer.from(e.leafHash)],
          );
        }
        for (const n of nodes) {
          await c.query('INSERT INTO ledger_nodes (level, idx, hash) VALUES ($1, $2, $3)', [
            n.node.level,
            n.node.index,
            Buffer.from(n.hash),
          ]);
        }
        const checkpoint = signCheckpoint(
          { origin: log.origin, size: 5, rootHash: root },
          log.origin,
          log.signer,
        );
        await c.query('INSERT INTO ledger_checkpoints (size, note) VALUES (5, $1)', [
          Buffer.from(checkpoint),
        ]);
        await c.query('COMMIT');
      });
      // Migrated as `signet db migrate` does, without naming the application role.
      expect(await withPool(db.url, (pool) => migrateDatabase(pool))).toEqual({
        from: 5,
        to: SCHEMA_VERSION,
        applied: MIGRATIONS.filter((m) => m.version > 5).map((m) => m.version),
      });
      const appUrl = new URL(db.url);
      appUrl.username = appRole;
      await withPool(appUrl.toString(), async (pool) => {
        const ledger = openPgLedger({ pool, log, maxBatch: 4 });
        const sealed = await Promise.all([5, 6, 7, 8, 9, 10].map((i) => ledger.append(note(i))));
        expect(sealed.map((e) => e.index)).toEqual([5, 6, 7, 8, 9, 10]);
        const verifier = new LogVerifier({ origin: log.origin, logPublicKey: keys.publicKey });
        for await (const stored of ledger.entries()) verifier.add(stored.envelope, stored.id);
        expect(verifier.checkCheckpoint((await ledger.checkpoint()).note).size).toBe(11);
        await ledger.close();
      });
    } finally {
      await db.drop();
      databases.splice(databases.indexOf(db), 1);
      await asSuperuser(db.url.replace(/\/[^/]*$/, '/postgres'), (c) => c.query(`DROP ROLE ${appRole}`));
    }
  });

  it('with migrations turned off, refuses to start on a database that is not migrated', async () => {
    const db = await fresh();
    await expect(openPostgresStores(db.url, { log: log(), migrate: false })).rejects.toMatchObject({
      code: 'STORE_FAILURE',
      details: { databaseVersion: 0 },
    });
  });

  it('the migration lock is released when a migration fails, so the next start can proceed', async () => {
    const db = await fresh();
    const broken: Migration = { version: 1, name: 'broken', sql: 'SELECT 1 / 0' };
    await expect(
      withPool(db.url, (pool) => migrateDatabase(pool, { migrations: [broken] })),
    ).rejects.toThrow();
    await asSuperuser(db.url, async (client) => {
      const report = await migrate(client);
      expect(report.applied).toEqual(MIGRATIONS.map((m) => m.version));
    });
  });
});
