// Append-only in the database itself (DESIGN invariants 1 and 2): the application role may not UPDATE,
// DELETE or TRUNCATE ledger rows or objects (permission denied), the owner and a superuser are stopped by
// the triggers, and a row that would break the tree is refused on INSERT whoever writes it. The
// application role still does everything the stores need.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { asSuperuser, postgresFixture } from '../../../test/helpers/postgres.js';
import { createGenesisDraft } from '../../ledger/genesis.js';
import { digestOfBytes, type Digest } from '../../signing/digest.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import { migrate, MIGRATIONS } from './migrations.js';
import { openPostgresStores, type PostgresStores } from './pool.js';
import type { TestDatabase } from '../../../test/helpers/postgres.js';

const ORIGIN = 'test.example/append-only';
const LEDGER_TABLES = ['ledger_entries', 'ledger_nodes', 'ledger_checkpoints', 'objects'];
const postgres = postgresFixture();
let stores: PostgresStores & { db: TestDatabase };

beforeAll(async () => {
  const keys = generateKeyPair();
  stores = await postgres.open(
    { log: { origin: ORIGIN, signer: createSigner(keys.privatePem) } },
    { roles: true },
  );
  await stores.ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
  for (let i = 0; i < 3; i++) {
    await stores.ledger.append({
      subject: [{ name: `n${i}`, digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: 'urn:signet:test-note:v1',
      predicate: { i },
    });
  }
});
afterAll(() => postgres.cleanup());

async function as<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function changes(table: string): string[] {
  const column = table === 'ledger_checkpoints' ? 'note' : table === 'objects' ? 'bytes' : 'hash';
  const target = table === 'ledger_entries' ? 'envelope' : column;
  return [
    `UPDATE ${table} SET ${target} = ${target} || '\\x00'::bytea`,
    `DELETE FROM ${table}`,
    `TRUNCATE ${table}`,
  ];
}

describe('postgres append-only', () => {
  it('the application role is denied UPDATE, DELETE and TRUNCATE on the ledger tables and objects', async () => {
    await as(stores.db.appUrl, async (client) => {
      for (const table of LEDGER_TABLES) {
        for (const sql of changes(table)) {
          await expect(client.query(sql), sql).rejects.toMatchObject({ code: '42501' });
        }
      }
      // Nor may it change the schema (or drop the triggers).
      await expect(client.query('ALTER TABLE ledger_entries DISABLE TRIGGER USER')).rejects.toMatchObject({
        code: '42501',
      });
      await expect(client.query('CREATE TABLE mine (x int)')).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('the owner (the migrator) and a superuser are stopped by the triggers, with a clear message', async () => {
    for (const url of [stores.db.migratorUrl, stores.db.url]) {
      await as(url, async (client) => {
        for (const table of LEDGER_TABLES) {
          for (const sql of changes(table)) {
            const refused = client.query(sql);
            await expect(refused, sql).rejects.toMatchObject({ code: 'SG001' });
            await expect(refused).rejects.toThrow(/refused: the table is (append-only|write-once)/);
          }
        }
      });
    }
    expect(await stores.ledger.size()).toBe(4);
  });

  it('refuses, whoever inserts it, a row that would fork, skip, or misstate the tree', async () => {
    const last = await stores.ledger.read(3);
    const envelope = Buffer.from(last.envelope);
    const leaf = (await stores.ledger.proveInclusion(0, 2))[0]!;
    await as(stores.db.migratorUrl, async (client) => {
      const insert = (idx: number, bytes: Buffer, time = last.time) =>
        client.query(
          `INSERT INTO ledger_entries (idx, id, kind, time, envelope, leaf_hash)
           VALUES ($1, $2, 'test-note', $3, $4, sha256(decode('00', 'hex') || $4::bytea))`,
          [idx, digestOfBytes(bytes), time, bytes],
        );
      const other = Buffer.concat([envelope, Buffer.from(' ')]);
      // A second entry 3 (a fork) is refused by the index trigger before the key; a gap likewise.
      await expect(insert(3, other)).rejects.toMatchObject({ code: 'SG002' });
      await expect(insert(5, other)).rejects.toMatchObject({ code: 'SG002' });
      // Time going backwards.
      await expect(insert(4, other, '2000-01-01T00:00:00.000Z')).rejects.toMatchObject({ code: 'SG002' });
      // An id that is not the hash of the envelope.
      await expect(
        client.query(
          `INSERT INTO ledger_entries (idx, id, kind, time, envelope, leaf_hash)
           VALUES (4, $1, 'test-note', $2, $3, sha256(decode('00', 'hex') || $3::bytea))`,
          [digestOfBytes(envelope), last.time, other],
        ),
      ).rejects.toMatchObject({ code: '23514' });
      // A tree node that is not the hash of its children, and a checkpoint of a size the ledger is not.
      await expect(
        client.query('INSERT INTO ledger_nodes (level, idx, hash) VALUES (2, 1, $1)', [Buffer.from(leaf)]),
      ).rejects.toMatchObject({ code: 'SG002' });
      await expect(
        client.query("INSERT INTO ledger_checkpoints (size, note) VALUES (7, 'forged')"),
      ).rejects.toMatchObject({ code: 'SG002' });
      // An object whose digest is not the hash of its bytes.
      await expect(
        client.query("INSERT INTO objects (digest, size, bytes) VALUES ($1, 1, '\\x01'::bytea)", [
          digestOfBytes(Buffer.from([2])),
        ]),
      ).rejects.toMatchObject({ code: '23514' });
    });
    expect(await stores.ledger.size()).toBe(4);
  });

  it('the application role can do all the stores need: append, objects, drafts, auth, monitor counts', async () => {
    const { ledger, objects, drafts, auth, monitorCounts } = stores;
    expect(
      (
        await ledger.append({
          subject: [{ name: 'app', digest: { sha256: 'cd'.repeat(32) } }],
          predicateType: 'urn:signet:test-note:v1',
          predicate: {},
        })
      ).index,
    ).toBe(4);
    const { digest } = await objects.put(new TextEncoder().encode('an object'));
    expect(await objects.has(digest)).toBe(true);

    const d = (s: string): Digest => digestOfBytes(new TextEncoder().encode(s));
    await drafts.putRegistration({ kind: 'model', digest: d('m'), name: 'm', registration: d('r') });
    await drafts.putRegistration({ kind: 'model', digest: d('m'), name: 'm2', registration: d('r2') });
    await drafts.createDraft({
      id: 'draft-1',
      status: 'open',
      inputs: d('i'),
      view: d('v'),
      requester: 'alice',
      model: 'm',
      context: 'c',
      route: 'low',
      tier: 'low',
      requestSignature: d('s'),
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    await expect(drafts.createDraft({ ...(await drafts.getDraft('draft-1'))! })).rejects.toMatchObject({
      code: 'DRAFT_EXISTS',
    });
    await drafts.putApproval({ draft: 'draft-1', identity: 'bob', view: d('v'), approval: { ok: true } });
    await drafts.putApproval({ draft: 'draft-1', identity: 'bob', view: d('v'), approval: { ok: false } });
    expect(await drafts.closeDraft('draft-1', 'sealed', d('e'))).toBe(true);

    await auth.createToken({
      id: 'tok-1',
      identity: 'ci',
      name: 'ci',
      tokenHash: 'h1',
      createdBy: 'admin',
      createdAt: '2026-01-01T00:00:00Z',
    });
    expect(await auth.revokeToken('tok-1', '2026-01-02T00:00:00Z')).toBe(true);
    expect(await auth.revokeToken('tok-1', '2026-01-03T00:00:00Z')).toBe(false);
    await auth.createInvite({
      id: 'inv-1',
      tokenHash: 'ih',
      identity: 'carol',
      createdBy: 'admin',
      createdAt: '2026-01-01T00:00:00Z',
      expiresAt: '2026-01-02T00:00:00Z',
    });
    // Two servers racing to use one invite: exactly one gets it.
    const raced = await Promise.all([
      auth.consumeInvite('inv-1', '2026-01-01T01:00:00Z'),
      auth.consumeInvite('inv-1', '2026-01-01T01:00:00Z'),
    ]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    await auth.createChallenge({
      id: 'ch-1',
      purpose: 'login',
      challenge: 'abc',
      createdAt: '2026-01-01T00:00:00Z',
      expiresAt: '2026-01-01T00:05:00Z',
    });
    expect(await auth.consumeChallenge('ch-1', 'enrol', '2026-01-01T00:01:00Z')).toBeUndefined();
    expect(await auth.consumeChallenge('ch-1', 'login', '2026-01-01T00:01:00Z')).toMatchObject({
      purpose: 'login',
      usedAt: '2026-01-01T00:01:00Z',
    });
    await auth.createSession({
      idHash: 's1',
      identity: 'carol',
      createdAt: '2026-01-01T00:00:00Z',
      expiresAt: '2026-01-01T01:00:00Z',
    });
    expect(await auth.purgeExpired('2026-01-03T00:00:00Z')).toBe(3);

    const key = { model: 'm', context: 'c', reference: d('ref') };
    const hour = '2026-03-01T10:00:00Z';
    await Promise.all([
      monitorCounts.add(key, [{ window: hour, feature: 'x', counts: [1, 2, 3] }]),
      monitorCounts.add(key, [{ window: hour, feature: 'x', counts: [10, 20, 30] }]),
    ]);
    expect(await monitorCounts.get(key)).toEqual([{ window: hour, feature: 'x', counts: [11, 22, 33] }]);
    await expect(monitorCounts.add(key, [{ window: hour, feature: 'x', counts: [1] }])).rejects.toMatchObject(
      { code: 'INVALID_ARGUMENT' },
    );
    expect(await monitorCounts.windows(key)).toEqual([hour]);
  });

  it('a server can migrate as the migrator and then run as the application role', async () => {
    const opened = await openPostgresStores(stores.db.appUrl, {
      log: { origin: ORIGIN, signer: createSigner(generateKeyPair().privatePem) },
      migratorUrl: stores.db.migratorUrl,
      appRole: stores.db.appRole,
      pool: { max: 2 },
    });
    try {
      expect(opened.migration).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length, applied: [] });
      expect(await opened.ledger.size()).toBeGreaterThanOrEqual(4);
    } finally {
      await opened.close();
    }
  });

  it('the application role cannot apply a pending migration, and says to run it as the migrator', async () => {
    const extra = { version: MIGRATIONS.length + 1, name: 'extra', sql: 'CREATE TABLE extra (x int)' };
    await as(stores.db.appUrl, async (client) => {
      await expect(migrate(client, { migrations: [...MIGRATIONS, extra] })).rejects.toThrow(/the migrator/);
    });
    await asSuperuser(stores.db.url, async (client) => {
      const rows = await client.query('SELECT max(version) AS v FROM signet_schema_migrations');
      expect(rows.rows[0].v).toBe(MIGRATIONS.length);
    });
  });
});
