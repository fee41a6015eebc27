// `signet_append_batch` (migrations.ts), the one call that writes a batch's rows: every insert trigger
// still checks every row (each of its three statements sees the rows of the ones before, which one
// statement of CTEs would not), a refused row leaves nothing of the call, and it runs with the caller's
// privileges (SECURITY INVOKER), so a role that may not INSERT into the ledger tables cannot append
// through it. `signet_append_tail`, what an append reads under the lock, gives the last entry and exactly
// the frontier of the tree after it. And the ledger's batch costs the two round trips pg-ledger.ts says it
// does.
import { createHash, randomBytes } from 'node:crypto';

import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { asSuperuser, postgresFixture } from '../../../test/helpers/postgres.js';
import { createGenesisDraft } from '../../ledger/genesis.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import { openPgLedger } from './pg-ledger.js';
import type { PgPool } from './sql.js';

const postgres = postgresFixture();
afterEach(() => postgres.cleanup());

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** Arbitrary bytes as an entry at `idx`: the database checks the id and leaf hash, not the DSSE. */
function entry(idx: number) {
  const envelope = Buffer.from(`envelope ${idx}`);
  return {
    idx,
    id: `sha256:${sha256(envelope).toString('hex')}`,
    time: '2026-11-29T00:00:00.000Z',
    envelope,
    leaf: sha256(Buffer.of(0x00), envelope),
  };
}

type Entry = ReturnType<typeof entry>;
interface Node {
  level: number;
  idx: number;
  hash: Buffer;
}

function call(client: pg.Client, entries: Entry[], nodes: Node[], size: number) {
  return client.query(
    'SELECT signet_append_batch($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bytea[], ' +
      '$6::bytea[], $7::smallint[], $8::bigint[], $9::bytea[], $10::bigint, $11::bytea)',
    [
      entries.map((e) => e.idx),
      entries.map((e) => e.id),
      entries.map(() => 'test-note'),
      entries.map((e) => e.time),
      entries.map((e) => e.envelope),
      entries.map((e) => e.leaf),
      nodes.map((n) => n.level),
      nodes.map((n) => n.idx),
      nodes.map((n) => n.hash),
      size,
      Buffer.from(`checkpoint ${size}`),
    ],
  );
}

async function counts(client: pg.Client): Promise<number[]> {
  const { rows } = await client.query<{ e: string; n: string; c: string }>(
    `SELECT (SELECT count(*) FROM ledger_entries) AS e, (SELECT count(*) FROM ledger_nodes) AS n,
            (SELECT count(*) FROM ledger_checkpoints) AS c`,
  );
  return [Number(rows[0]!.e), Number(rows[0]!.n), Number(rows[0]!.c)];
}

const ORIGIN = 'test.example/append-batch';
const open = () =>
  postgres.open(
    { log: { origin: ORIGIN, signer: createSigner(generateKeyPair().privatePem) } },
    { roles: true },
  );

describe('signet_append_batch', () => {
  it('writes a batch whose nodes check against the entries of the same call; refuses a broken one whole', async () => {
    const { db } = await open();
    await asSuperuser(db.migratorUrl, async (client) => {
      const [e0, e1, e2, e3] = [0, 1, 2, 3].map(entry) as [Entry, Entry, Entry, Entry];
      const leaves = (...es: Entry[]) => es.map((e) => ({ level: 0, idx: e.idx, hash: e.leaf }));
      // The level-0 nodes check against leaf hashes written by the call's first statement.
      await call(
        client,
        [e0, e1],
        [...leaves(e0, e1), { level: 1, idx: 0, hash: sha256(Buffer.of(1), e0.leaf, e1.leaf) }],
        2,
      );
      expect(await counts(client)).toEqual([2, 3, 1]);
      const n11 = { level: 1, idx: 1, hash: sha256(Buffer.of(1), e2.leaf, e3.leaf) };
      const refusals: [string, () => Promise<unknown>][] = [
        ['a gap', () => call(client, [entry(3)], [], 4)],
        [
          'a node that is not the hash of its children',
          () => call(client, [e2], [{ level: 0, idx: 2, hash: e3.leaf }], 3),
        ],
        ['a node before its children', () => call(client, [e2, e3], [n11, ...leaves(e2, e3)], 4)],
        ['a checkpoint of another size', () => call(client, [e2, e3], [...leaves(e2, e3), n11], 3)],
      ];
      for (const [what, refused] of refusals) {
        await expect(refused(), what).rejects.toMatchObject({ code: 'SG002' });
        // One statement: nothing of a refused call stays, not even the rows before the refused one.
        expect(await counts(client), what).toEqual([2, 3, 1]);
      }
    });
  });

  it('runs with the caller privileges: a role without INSERT on the ledger tables is denied', async () => {
    const { db } = await open();
    const reader = `signet_test_reader_${randomBytes(6).toString('hex')}`;
    await asSuperuser(db.url, async (client) => {
      await client.query(`CREATE ROLE ${reader} LOGIN`);
      await client.query(`GRANT CONNECT ON DATABASE ${db.name} TO ${reader}`);
      await client.query(`GRANT USAGE ON SCHEMA public TO ${reader}`);
      await client.query(`GRANT SELECT ON ledger_entries, ledger_nodes, ledger_checkpoints TO ${reader}`);
    });
    try {
      const url = new URL(db.url);
      url.username = reader;
      await asSuperuser(url.toString(), async (client) => {
        const e0 = entry(0);
        await expect(call(client, [e0], [{ level: 0, idx: 0, hash: e0.leaf }], 1)).rejects.toMatchObject({
          code: '42501',
        });
      });
      // The application role, which may INSERT, may call it.
      await asSuperuser(db.appUrl, async (client) => {
        const e0 = entry(0);
        await call(client, [e0], [{ level: 0, idx: 0, hash: e0.leaf }], 1);
        expect(await counts(client)).toEqual([1, 1, 1]);
      });
    } finally {
      await asSuperuser(db.url, async (client) => {
        await client.query(`DROP OWNED BY ${reader}`);
        await client.query(`DROP ROLE ${reader}`);
      });
    }
  });

  it('signet_append_tail: no row for an empty ledger; then the last entry and the frontier after it', async () => {
    const stores = await open();
    const keys = generateKeyPair();
    const log = { origin: ORIGIN, signer: createSigner(keys.privatePem) };
    const ledger = openPgLedger({ pool: stores.pool, log });
    type TailRow = {
      idx: string;
      time: string;
      level: number | null;
      hash: Buffer | null;
      rotation: string | null;
    };
    const tail = async () =>
      (await stores.pool.query<TailRow>('SELECT idx, time, level, hash, rotation FROM signet_append_tail()'))
        .rows;
    expect(await tail()).toEqual([]);
    let last = await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    for (let size = 1; size <= 13; size++) {
      if (size > 1) {
        last = await ledger.append({
          subject: [{ name: `note-${size}`, digest: { sha256: 'ab'.repeat(32) } }],
          predicateType: 'urn:signet:test-note:v1',
          predicate: { size },
        });
      }
      const rows = await tail();
      // First row: the last entry, no node.
      expect(rows[0]).toMatchObject({
        idx: String(size - 1),
        time: last.time,
        level: null,
        hash: null,
        rotation: null,
      });
      // Then the node at level l, index (size >> l) - 1, for each bit l set in the size, lowest first.
      const want = [];
      for (let level = 0; size >> level > 0; level++) {
        if (((size >> level) & 1) === 1) want.push({ level, idx: (size >> level) - 1 });
      }
      const nodes = rows.slice(1);
      expect(
        nodes.map((r) => r.level),
        `size ${size}`,
      ).toEqual(want.map((n) => n.level));
      for (const [i, { level, idx }] of want.entries()) {
        const stored = await stores.pool.query<{ hash: Buffer }>(
          'SELECT hash FROM ledger_nodes WHERE level = $1 AND idx = $2',
          [level, idx],
        );
        expect(nodes[i]!.hash!.equals(stored.rows[0]!.hash), `size ${size}, level ${level}`).toBe(true);
        expect(nodes[i]!.idx).toBe(String(size - 1));
      }
    }
    await ledger.close();
  });

  it('the ledger appends a batch in two round trips: BEGIN with the lock and the tail; the rows with COMMIT', async () => {
    const stores = await open();
    const keys = generateKeyPair();
    const log = { origin: ORIGIN, signer: createSigner(keys.privatePem) };
    const sent: string[] = [];
    const counting: PgPool = {
      query: (text, values) => stores.pool.query(text, values),
      connect: async () => {
        const client = await stores.pool.connect();
        return {
          query: (text, values) => {
            sent.push(text);
            return client.query(text, values);
          },
          release: (error) => client.release(error),
        };
      },
      end: () => stores.pool.end(),
    };
    const ledger = openPgLedger({ pool: counting, log });
    await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    expect(sent).toHaveLength(2);
    sent.length = 0;
    const notes = [1, 2, 3, 4, 5].map((i) => ({
      subject: [{ name: `note-${i}`, digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: 'urn:signet:test-note:v1',
      predicate: { i },
    }));
    expect((await Promise.all(notes.map((n) => ledger.append(n)))).map((e) => e.index)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(
      /^BEGIN; .*pg_advisory_xact_lock.*FROM signet_append_tail\(\); .*FROM signet_append_kinds\(\)$/s,
    );
    expect(sent[1]).toMatch(/^SELECT signet_append_batch\(.*\); COMMIT$/s);
    const { rows } = await stores.pool.query<{ size: string }>(
      'SELECT size FROM ledger_checkpoints ORDER BY size',
    );
    expect(rows.map((r) => Number(r.size))).toEqual([1, 6]);
    await ledger.close();
  });
});
