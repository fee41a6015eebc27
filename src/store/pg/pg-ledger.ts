// The PostgreSQL Ledger adapter: one tree for many writers.
//
// An append is one transaction: it takes the ledger's transaction advisory lock, reads the last entry,
// seals the next one (index = last + 1, log time never before the last), stores its envelope object, the
// entry, the tree nodes it completes and the signed checkpoint, and commits. The lock is held until COMMIT
// has made the rows visible, so the next writer — in this process, another process or another server —
// reads the entry just committed: appends are serialised by the database, one after another, and no two
// can be sealed with the same index (no fork) or skip one (no gap). Should a writer ever skip the lock,
// the insert trigger (index must be the next one) and the primary key still refuse the row
// (migrations.ts). The append resolves only after COMMIT returns, with `synchronous_commit = on`:
// acknowledged means durable. A crash before COMMIT leaves nothing, the envelope object included when it
// lives in the same database.
//
// Reads are the SQLite adapter's: the same node layout (every perfect subtree hash), the same plans from
// src/ledger/merkle.ts, so roots, proofs and checkpoints are byte for byte the same for the same entries.
import { InputError, StoreError } from '../../errors.js';
import { signCheckpoint } from '../../ledger/checkpoint.js';
import { formatLogTime, sealEntry, type EntryDraft, type SealedEntry } from '../../ledger/entry.js';
import {
  appendPlan,
  consistencyProofPlan,
  inclusionProofPlan,
  rootPlan,
  type NodeId,
  type Plan,
} from '../../ledger/merkle.js';
import type { Digest } from '../../signing/digest.js';
import type { Ledger, StoredCheckpoint, StoredEntry } from '../ledger.js';
import type { ObjectStore } from '../object-store.js';
import type { LogIdentity } from '../sqlite-ledger.js';
import { isPgObjectStore } from './pg-object-store.js';
import {
  inTransaction,
  LEDGER_APPEND_LOCK,
  pgStoreError,
  SIGNET_LOCK_CLASS,
  toBytes,
  toCount,
  type PgPool,
  type PgQueryable,
} from './sql.js';

export interface PgLedgerOptions {
  /** A pool on a migrated database (migrations.ts); the caller ends it after `close`. */
  readonly pool: PgPool;
  readonly log: LogIdentity;
  /**
   * Where each envelope is also stored. A PostgreSQL object store on the same database stores it in the
   * append's own transaction; any other store is written inside the transaction, before COMMIT, so a
   * crash leaves at most an unreferenced object, never an entry without its envelope object.
   */
  readonly objects: ObjectStore;
  /** Milliseconds since the epoch; injected for tests. The log never takes a client's time. */
  readonly clock?: () => number;
  /** How long an append waits for the ledger lock before failing with STORE_FAILURE; 60 s by default. */
  readonly lockTimeoutMs?: number;
}

interface EntryRow {
  idx: string;
  id: string;
  kind: string;
  time: string;
  envelope: Buffer;
}

const ENTRY_COLUMNS = 'idx, id, kind, time, envelope';
const PAGE = 1000;

/**
 * A Ledger on PostgreSQL.
 *
 * @example
 * ```ts
 * const ledger = openPgLedger({ pool, log: { origin, signer }, objects });
 * const sealed = await ledger.append(draft); // committed and durable when this resolves
 * ```
 */
export function openPgLedger(options: PgLedgerOptions): Ledger {
  return new PgLedger(options);
}

class PgLedger implements Ledger {
  private readonly pool: PgPool;
  private readonly clock: () => number;
  private readonly lockTimeoutMs: number;
  /** Appends in this process queue here, so that they hold one connection, not the whole pool. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: PgLedgerOptions) {
    this.pool = options.pool;
    this.clock = options.clock ?? Date.now;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
    if (!Number.isSafeInteger(this.lockTimeoutMs) || this.lockTimeoutMs <= 0) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `lockTimeoutMs must be a positive integer, got ${this.lockTimeoutMs}`,
      );
    }
  }

  append(draft: EntryDraft): Promise<SealedEntry> {
    const run = this.tail.then(() => this.appendNow(draft));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(draft: EntryDraft): Promise<SealedEntry> {
    const { origin, signer } = this.options.log;
    const { objects } = this.options;
    try {
      return await inTransaction(this.pool, async (client) => {
        // Durable on COMMIT whatever the server's default, and never wait forever for the lock.
        await client.query(
          "SELECT set_config('synchronous_commit', 'on', true), set_config('lock_timeout', $1, true)",
          [`${this.lockTimeoutMs}ms`],
        );
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [SIGNET_LOCK_CLASS, LEDGER_APPEND_LOCK]);
        const last = (
          await client.query<{ idx: string; time: string }>(
            'SELECT idx, time FROM ledger_entries ORDER BY idx DESC LIMIT 1',
          )
        ).rows[0];
        const index = last ? toCount(last.idx, 'the last entry index') + 1 : 0;
        // Times never go backwards: a clock that stepped back (or a server whose clock is behind another's)
        // is held at the previous entry's time.
        const now = this.clock();
        const time = formatLogTime(last ? Math.max(now, Date.parse(last.time)) : now);
        const sealed = sealEntry(draft, { origin, index, time }, signer);
        if (isPgObjectStore(objects)) await objects.putInTransaction(client, sealed.envelope);
        else await objects.put(sealed.envelope);
        await client.query(
          'INSERT INTO ledger_entries (idx, id, kind, time, envelope, leaf_hash) VALUES ($1, $2, $3, $4, $5, $6)',
          [index, sealed.id, sealed.kind, time, Buffer.from(sealed.envelope), Buffer.from(sealed.leafHash)],
        );
        const plan = appendPlan(index, sealed.leafHash);
        const nodes = plan.assemble(await fetchNodes(client, plan.nodes));
        // Bottom-up in one statement: the node trigger checks each against its children, inserted just before.
        await client.query(
          `INSERT INTO ledger_nodes (level, idx, hash)
             SELECT level, idx, hash
               FROM unnest($1::smallint[], $2::bigint[], $3::bytea[]) WITH ORDINALITY AS n(level, idx, hash, i)
              ORDER BY i`,
          [
            nodes.map((n) => n.node.level),
            nodes.map((n) => n.node.index),
            nodes.map((n) => Buffer.from(n.hash)),
          ],
        );
        const size = index + 1;
        const rootHash = await runPlan(client, rootPlan(size));
        const note = signCheckpoint({ origin, size, rootHash }, origin, signer);
        await client.query('INSERT INTO ledger_checkpoints (size, note) VALUES ($1, $2)', [
          size,
          Buffer.from(note),
        ]);
        return sealed;
      });
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw pgStoreError('append failed', error);
    }
  }

  async size(): Promise<number> {
    return this.sizeNow();
  }

  private async sizeNow(): Promise<number> {
    // The largest index plus one, from the primary key; indices are gap-free (the insert trigger checks it).
    const row = (
      await this.query<{ size: string }>('SELECT coalesce(max(idx) + 1, 0) AS size FROM ledger_entries')
    )[0];
    return toCount(row?.size, 'the ledger size');
  }

  async read(index: number): Promise<StoredEntry> {
    assertIndex(index, await this.sizeNow());
    const row = (
      await this.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE idx = $1`, [index])
    )[0];
    if (!row) throw new StoreError('STORE_FAILURE', `entry ${index} is missing from the ledger database`);
    return toStoredEntry(row);
  }

  async find(id: Digest): Promise<StoredEntry | undefined> {
    const row = (
      await this.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE id = $1`, [id])
    )[0];
    return row ? toStoredEntry(row) : undefined;
  }

  async *entries(from = 0, to?: number): AsyncIterable<StoredEntry> {
    const end = to ?? (await this.sizeNow());
    for (let start = from; start < end;) {
      const rows = await this.query<EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3`,
        [start, end, PAGE],
      );
      if (rows.length === 0) return;
      for (const row of rows) yield toStoredEntry(row);
      start = toCount(rows[rows.length - 1]!.idx, 'an entry index') + 1;
    }
  }

  async *entriesOfKinds(kinds: readonly string[], from = 0): AsyncIterable<StoredEntry> {
    if (kinds.length === 0) return;
    for (let start = from; ;) {
      const rows = await this.query<EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE kind = ANY($1::text[]) AND idx >= $2 ORDER BY idx LIMIT $3`,
        [[...kinds], start, PAGE],
      );
      for (const row of rows) yield toStoredEntry(row);
      if (rows.length < PAGE) return;
      start = toCount(rows[rows.length - 1]!.idx, 'an entry index') + 1;
    }
  }

  async checkpoint(): Promise<StoredCheckpoint> {
    const row = (
      await this.query<{ size: string; note: Buffer }>(
        'SELECT size, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1',
      )
    )[0];
    if (!row) throw new InputError('NOT_FOUND', 'the ledger is empty: it has no checkpoint yet');
    return { size: toCount(row.size, 'a checkpoint size'), note: new Uint8Array(row.note) };
  }

  async root(size: number): Promise<Uint8Array> {
    assertSize(size, await this.sizeNow());
    return this.readPlan(rootPlan(size));
  }

  async proveInclusion(index: number, size: number): Promise<Uint8Array[]> {
    assertSize(size, await this.sizeNow());
    assertIndex(index, size);
    return this.readPlan(inclusionProofPlan(index, size));
  }

  async proveConsistency(oldSize: number, newSize: number): Promise<Uint8Array[]> {
    assertSize(newSize, await this.sizeNow());
    assertSize(oldSize, newSize);
    return this.readPlan(consistencyProofPlan(oldSize, newSize));
  }

  async close(): Promise<void> {
    // The pool belongs to the caller (openPostgresStores ends it): only let queued appends finish.
    await this.tail;
  }

  private async readPlan<T>(plan: Plan<T>): Promise<T> {
    try {
      return await runPlan(this.pool, plan);
    } catch (error) {
      throw pgStoreError('could not read the tree', error);
    }
  }

  private async query<R extends object>(text: string, values?: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R & Record<string, unknown>>(text, values)).rows;
    } catch (error) {
      throw pgStoreError('could not read the ledger', error);
    }
  }
}

async function runPlan<T>(client: PgQueryable, plan: Plan<T>): Promise<T> {
  return plan.assemble(await fetchNodes(client, plan.nodes));
}

/** The hashes of `ids`, in the same order, in one query. */
async function fetchNodes(client: PgQueryable, ids: readonly NodeId[]): Promise<Uint8Array[]> {
  if (ids.length === 0) return [];
  const result = await client.query<{ level: number; idx: string; hash: Buffer }>(
    `SELECT n.level, n.idx, n.hash FROM ledger_nodes n
       JOIN unnest($1::smallint[], $2::bigint[]) AS want(level, idx) ON n.level = want.level AND n.idx = want.idx`,
    [ids.map((id) => id.level), ids.map((id) => id.index)],
  );
  const found = new Map(result.rows.map((row) => [`${row.level}/${row.idx}`, row.hash]));
  return ids.map(({ level, index }) => {
    const hash = found.get(`${level}/${index}`);
    if (!hash) {
      throw new StoreError(
        'STORE_FAILURE',
        `tree node (level ${level}, index ${index}) is missing from the ledger`,
      );
    }
    return toBytes(hash);
  });
}

function toStoredEntry(row: EntryRow): StoredEntry {
  return {
    index: toCount(row.idx, 'an entry index'),
    id: row.id as Digest,
    kind: row.kind,
    time: row.time,
    envelope: toBytes(row.envelope),
  };
}

function assertIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new InputError('OUT_OF_RANGE', `entry index ${index} is outside a tree of size ${size}`);
  }
}

function assertSize(size: number, max: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > max) {
    throw new InputError('OUT_OF_RANGE', `tree size ${size} is outside 0..${max}`);
  }
}
