// The PostgreSQL ledger: byte for byte the SQLite ledger's answers; many writer processes serialised
// into one tree (no fork, no gap, no duplicate index); an acknowledged append survives its writer
// being killed; and group commit: one transaction and one checkpoint per batch up to the cap, and a
// failed batch that writes nothing.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { distModule, PROJECT_ROOT, runNodeScript } from '../../../test/helpers/dist.js';
import { postgresFixture } from '../../../test/helpers/postgres.js';
import { createGenesisDraft } from '../../ledger/genesis.js';
import { LogVerifier } from '../../ledger/log-verifier.js';
import type { EntryDraft } from '../../ledger/entry.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import type { Ledger } from '../ledger.js';
import { createMemoryObjectStore } from '../memory-object-store.js';
import { openSqliteLedger } from '../sqlite-ledger.js';
import { openPgLedger } from './pg-ledger.js';
import { LEDGER_APPEND_LOCK, SIGNET_LOCK_CLASS, type PgPool } from './sql.js';

const ORIGIN = 'test.example/pg-ledger';
const postgres = postgresFixture();
let dir: string | undefined;

afterEach(async () => {
  await postgres.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function note(i: number, writer = 'main'): EntryDraft {
  return {
    subject: [{ name: `${writer}-${i}`, digest: { sha256: 'ef'.repeat(32) } }],
    predicateType: i % 5 === 0 ? 'urn:signet:role-grant:v1' : 'urn:signet:test-note:v1',
    predicate: { writer, i },
  };
}

/** Every entry and the latest checkpoint checked as `signet verify` checks them. */
async function verifyLog(ledger: Ledger, publicKey: Uint8Array): Promise<Set<string>> {
  const verifier = new LogVerifier({ origin: ORIGIN, logPublicKey: publicKey });
  const ids = new Set<string>();
  for await (const stored of ledger.entries()) {
    const entry = verifier.add(stored.envelope, stored.id);
    expect(stored.index).toBe(entry.index);
    ids.add(entry.id);
  }
  const checkpoint = verifier.checkCheckpoint((await ledger.checkpoint()).note);
  expect(checkpoint.size).toBe(verifier.size);
  return ids;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

async function checkpointSizes(pool: PgPool): Promise<number[]> {
  const result = await pool.query<{ size: string }>('SELECT size FROM ledger_checkpoints ORDER BY size');
  return result.rows.map((r) => Number(r.size));
}

type Fault = 'after' | 'before';

/**
 * `pool`, whose connections break once around the query that carries the batch's COMMIT: 'after' it ran
 * (the database committed; the answer is lost), or 'before' it was sent (the database rolls back when it
 * sees the connection close). Either way the append gets what the driver gives for a lost connection.
 * With `refuseConnections`, every connection asked for after that fails.
 */
function breakingPool(pool: PgPool, fault: Fault): PgPool & { refuseConnections: boolean; broken: boolean } {
  const wrapper = {
    refuseConnections: false,
    broken: false,
    query: (text: string, values?: unknown[]) => pool.query(text, values),
    connect: async () => {
      if (wrapper.refuseConnections && wrapper.broken) {
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      }
      const client = await pool.connect();
      let dead = false;
      const lost = () => new Error('Connection terminated unexpectedly');
      return {
        query: async (text: string, values?: unknown[]) => {
          if (dead) throw lost();
          if (!wrapper.broken && text.includes('signet_append_batch(')) {
            wrapper.broken = true;
            if (fault === 'after') await client.query(text, values);
            dead = true;
            client.release(lost()); // closes the connection: the database ends what was open on it
            throw lost();
          }
          return client.query(text, values);
        },
        release: (error?: Error | boolean) => {
          if (!dead) client.release(error);
        },
      };
    },
    end: () => pool.end(),
  };
  return wrapper as PgPool & { refuseConnections: boolean; broken: boolean };
}

/** A log with its genesis entry, and a ledger on it whose connection breaks at `fault`. */
async function openBreaking(fault: Fault) {
  const keys = generateKeyPair();
  const log = { origin: ORIGIN, signer: createSigner(keys.privatePem) };
  const stores = await postgres.open({ log });
  await stores.ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
  const pool = breakingPool(stores.pool, fault);
  return { keys, stores, pool, ledger: openPgLedger({ pool, log }) };
}

describe('postgres ledger: a connection lost around COMMIT', () => {
  it('answer lost after the database committed: the appends resolve with their entries, written once', async () => {
    const { keys, pool, ledger } = await openBreaking('after');
    const sealed = await Promise.all([1, 2, 3].map((i) => ledger.append(note(i))));
    expect(pool.broken).toBe(true);
    expect(sealed.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(await ledger.size()).toBe(4);
    const ids = await verifyLog(ledger, keys.publicKey);
    for (const entry of sealed) expect(ids.has(entry.id)).toBe(true);
    // The log goes on from there.
    expect((await ledger.append(note(4))).index).toBe(4);
    await ledger.close();
  });

  it('connection lost before the COMMIT reached the database: the appends fail and nothing was written', async () => {
    const { keys, pool, ledger } = await openBreaking('before');
    const settled = await Promise.allSettled([1, 2].map((i) => ledger.append(note(i))));
    expect(pool.broken).toBe(true);
    for (const result of settled) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: 'STORE_FAILURE',
        message: expect.stringContaining('Connection terminated unexpectedly'),
      });
    }
    expect(await ledger.size()).toBe(1);
    expect((await ledger.append(note(3))).index).toBe(1);
    await verifyLog(ledger, keys.publicKey);
    await ledger.close();
  });

  it('when the check cannot be made either, the error says the outcome is unknown and names the entries', async () => {
    const { stores, pool, ledger } = await openBreaking('after');
    // The connection the check asks for is refused.
    pool.refuseConnections = true;
    const error = await ledger.append(note(1)).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({
      code: 'STORE_FAILURE',
      message: expect.stringMatching(
        /outcome unknown.*ECONNREFUSED.*entries 1–1.*may or may not be in the log/s,
      ),
      details: { outcome: 'unknown', ids: [expect.stringMatching(/^sha256:/)] },
    });
    // It was in fact committed: exactly once.
    expect(await stores.ledger.size()).toBe(2);
    await ledger.close();
  });
});

describe('postgres ledger', () => {
  it('gives byte-identical entries, roots, proofs and checkpoints to the SQLite ledger (same clock, same key)', async () => {
    const keys = generateKeyPair();
    const start = Date.parse('2026-05-01T08:00:00.000Z');
    const clock = (): (() => number) => {
      let tick = 0;
      return () => start + 997 * tick++;
    };
    dir = await mkdtemp(path.join(tmpdir(), 'signet-pg-vs-sqlite-'));
    const sqlite = openSqliteLedger({
      file: path.join(dir, 'ledger.sqlite'),
      log: { origin: ORIGIN, signer: createSigner(keys.privatePem) },
      objects: createMemoryObjectStore(),
      clock: clock(),
    });
    const pg = (
      await postgres.open({ log: { origin: ORIGIN, signer: createSigner(keys.privatePem) }, clock: clock() })
    ).ledger;
    const count = 33;
    for (let i = 0; i < count; i++) {
      const draft = i === 0 ? createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }) : note(i);
      const [a, b] = [await sqlite.append(draft), await pg.append(draft)];
      expect({ ...b, envelope: hex(b.envelope), leafHash: hex(b.leafHash) }).toEqual({
        ...a,
        envelope: hex(a.envelope),
        leafHash: hex(a.leafHash),
      });
      const [ca, cb] = [await sqlite.checkpoint(), await pg.checkpoint()];
      expect(cb.size).toBe(ca.size);
      expect(Buffer.from(cb.note).toString()).toBe(Buffer.from(ca.note).toString());
    }
    for (let size = 0; size <= count; size++) {
      expect(hex(await pg.root(size))).toBe(hex(await sqlite.root(size)));
      expect((await pg.proveConsistency(size, count)).map(hex)).toEqual(
        (await sqlite.proveConsistency(size, count)).map(hex),
      );
      for (let index = 0; index < size; index += 4) {
        expect((await pg.proveInclusion(index, size)).map(hex)).toEqual(
          (await sqlite.proveInclusion(index, size)).map(hex),
        );
      }
    }
    const kinds = async (ledger: Ledger) => {
      const out = [];
      for await (const e of ledger.entriesOfKinds(['role-grant'], 3)) out.push([e.index, e.id, e.time]);
      return out;
    };
    expect(await kinds(pg)).toEqual(await kinds(sqlite));
    await verifyLog(pg, keys.publicKey);
    await sqlite.close();
  });

  it('appends from 4 processes × 100 are serialised into one tree: no fork, no gap, no duplicate index', async () => {
    const keys = generateKeyPair();
    const signer = createSigner(keys.privatePem);
    // As in production: the writers connect as the application role.
    const stores = await postgres.open({ log: { origin: ORIGIN, signer } }, { roles: true });
    await stores.ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    const writer = (name: string, count: number): string => `
      import { openPostgresStores } from ${JSON.stringify(distModule('store/pg/pool.js'))};
      import { createSigner } from ${JSON.stringify(distModule('signing/keys.js'))};
      const stores = await openPostgresStores(${JSON.stringify(stores.db.appUrl)}, {
        log: { origin: ${JSON.stringify(ORIGIN)}, signer: createSigner(${JSON.stringify(keys.privatePem)}) },
        pool: { max: 2 },
      });
      const acknowledged = [];
      for (let i = 0; i < ${count}; i++) {
        const entry = await stores.ledger.append({
          subject: [{ name: '${name}-' + i, digest: { sha256: '${'ef'.repeat(32)}' } }],
          predicateType: 'urn:signet:test-note:v1',
          predicate: { writer: '${name}', i },
        });
        acknowledged.push([entry.id, entry.index]);
      }
      await stores.close();
      process.stdout.write(JSON.stringify(acknowledged));
    `;
    const runs = await Promise.all(['a', 'b', 'c', 'd'].map((name) => runNodeScript(writer(name, 100))));
    const acknowledged = runs.flatMap((run) => {
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as [string, number][];
    });
    expect(acknowledged).toHaveLength(400);
    // Every acknowledged append got its own index, 1..400 (0 is genesis): none twice, none skipped.
    expect(acknowledged.map(([, index]) => index).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 400 }, (_, i) => i + 1),
    );
    expect(await stores.ledger.size()).toBe(401);
    const ids = await verifyLog(stores.ledger, keys.publicKey);
    for (const [id, index] of acknowledged) {
      expect(ids.has(id)).toBe(true);
      expect((await stores.ledger.read(index)).id).toBe(id);
    }
  });

  it('an append acknowledged before its writer is killed (SIGKILL) is kept, and the log goes on', async () => {
    const keys = generateKeyPair();
    const stores = await postgres.open({ log: { origin: ORIGIN, signer: createSigner(keys.privatePem) } });
    await stores.ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    const script = `
      import { openPostgresStores } from ${JSON.stringify(distModule('store/pg/pool.js'))};
      import { createSigner } from ${JSON.stringify(distModule('signing/keys.js'))};
      const stores = await openPostgresStores(${JSON.stringify(stores.db.url)}, {
        log: { origin: ${JSON.stringify(ORIGIN)}, signer: createSigner(${JSON.stringify(keys.privatePem)}) },
        pool: { max: 2 },
      });
      for (let i = 0; ; i++) {
        const entry = await stores.ledger.append({
          subject: [{ name: 'k-' + i, digest: { sha256: '${'ef'.repeat(32)}' } }],
          predicateType: 'urn:signet:test-note:v1',
          predicate: { i },
        });
        process.stdout.write(entry.id + '\\n');
      }
    `;
    const acknowledged = await new Promise<string[]>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Killed mid-flight, with appends in progress, after 40 acknowledgements.
        if (out.split('\n').length > 40) child.kill('SIGKILL');
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (_code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`the writer ended without being killed: ${err}`));
        // Only complete lines were acknowledged.
        else resolve(out.split('\n').filter((line) => /^sha256:[0-9a-f]{64}$/.test(line)));
      });
    });
    expect(acknowledged.length).toBeGreaterThanOrEqual(40);
    const ids = await verifyLog(stores.ledger, keys.publicKey);
    for (const id of acknowledged) expect(ids.has(id)).toBe(true);
    // The killed writer's lock died with its connection: the next append goes through.
    const next = await stores.ledger.append(note(1));
    expect(next.index).toBe(ids.size);
    await verifyLog(stores.ledger, keys.publicKey);
  });

  it('appendIf: checked under the lock against every writer, the entries of its own batch included; a refusal takes no index', async () => {
    const keys = generateKeyPair();
    const log = { origin: ORIGIN, signer: createSigner(keys.privatePem) };
    const stores = await postgres.open({ log });
    // Two writers on one database, as two servers.
    const a = openPgLedger({ pool: stores.pool, log });
    const b = openPgLedger({ pool: stores.pool, log });
    await a.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    const notes = new Set(['test-note']);
    const appendIf = a.appendIf!.bind(a);
    expect((await b.append(note(1, 'b'))).kind).toBe('test-note');
    expect((await appendIf(note(2), { since: 1, kinds: notes })).index).toBe(2);
    // Another writer appends a kind the condition excludes (note 5 is a role-grant) at index 3.
    expect((await b.append(note(5, 'b'))).index).toBe(3);
    await expect(appendIf(note(3), { since: 3, kinds: notes })).rejects.toMatchObject({
      code: 'APPEND_CONDITION_FAILED',
      details: { since: 3, index: 3, kind: 'role-grant' },
    });
    await expect(appendIf(note(3), { since: 1, kinds: notes })).rejects.toMatchObject({
      code: 'APPEND_CONDITION_FAILED',
    });
    // Entries before `since` do not count; the refusals took no index.
    expect((await appendIf(note(4), { since: 4, kinds: notes })).index).toBe(4);
    // One batch: an excluded entry sealed before a conditional draft refuses it; the drafts whose
    // condition allows it, or that come before it, are appended.
    const settled = await Promise.allSettled([
      appendIf(note(6), { since: 5, kinds: notes }),
      a.append(note(10)),
      appendIf(note(7), { since: 5, kinds: notes }),
      appendIf(note(8), { since: 5, kinds: new Set(['test-note', 'role-grant']) }),
    ]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value.index : undefined))).toEqual([
      5,
      6,
      undefined,
      7,
    ]);
    // One transaction: one checkpoint, at size 8.
    expect((await checkpointSizes(stores.pool)).filter((size) => size > 5)).toEqual([8]);
    await verifyLog(a, keys.publicKey);
  });

  it('group commit: concurrent appends share a transaction and one checkpoint per batch, up to the cap', async () => {
    const keys = generateKeyPair();
    const log = { origin: ORIGIN, signer: createSigner(keys.privatePem) };
    const stores = await postgres.open({ log });
    const ledger = openPgLedger({ pool: stores.pool, log, objects: stores.objects, maxBatch: 10 });
    await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    const sealed = await Promise.all(Array.from({ length: 25 }, (_, i) => ledger.append(note(i))));
    expect(sealed.map((e) => e.index)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await checkpointSizes(stores.pool)).toEqual([1, 11, 21, 26]);
    for (const entry of sealed) {
      // Each envelope was stored in the batch's transaction, in the database's objects.
      expect(hex(await stores.objects.get(entry.id))).toBe(hex(entry.envelope));
    }
    await verifyLog(ledger, keys.publicKey);
    await ledger.close();
  });

  it('group commit: a batch that fails in the database rejects every append in it and writes nothing', async () => {
    const keys = generateKeyPair();
    const log = { origin: ORIGIN, signer: createSigner(keys.privatePem) };
    const stores = await postgres.open({ log });
    await stores.ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    // Another session holds the ledger lock: this ledger's batch waits for it and times out.
    const holder = await stores.pool.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [SIGNET_LOCK_CLASS, LEDGER_APPEND_LOCK]);
    const ledger = openPgLedger({ pool: stores.pool, log, objects: stores.objects, lockTimeoutMs: 200 });
    const settled = await Promise.allSettled([1, 2, 3].map((i) => ledger.append(note(i))));
    await holder.query('ROLLBACK');
    holder.release();
    for (const result of settled) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_FAILURE' });
    }
    expect(await ledger.size()).toBe(1);
    expect(await checkpointSizes(stores.pool)).toEqual([1]);
    // The lock released, the next batch goes through from where the log is.
    expect((await ledger.append(note(4))).index).toBe(1);
    await verifyLog(ledger, keys.publicKey);
  });
});
