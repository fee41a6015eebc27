// Schema migrations: versioned, each one transaction, applied once even when several servers start at
// once, and a schema newer than the code (or not ours) refused.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { asSuperuser, createTestDatabase, type TestDatabase } from '../../../test/helpers/postgres.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import { migrate, migrateDatabase, MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
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
