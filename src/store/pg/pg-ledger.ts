// The PostgreSQL Ledger adapter: one tree for many writers.
//
// Appends are group-committed (../group-commit.ts, `createOpenAheadCommit`): the transaction takes the
// ledger's transaction advisory lock and reads the last entry; only then is its batch chosen — every
// append queued by then — sealed (consecutive indices after the last entry, log time never before it, a
// signature each), and its entries (each with its envelope), the tree nodes they complete (one pass,
// batch-tree.ts) and ONE signed checkpoint for the batch's final size stored, and committed. Two round
// trips: BEGIN, the lock and the read in one simple query; then one call of `signet_append_batch`
// (migrations.ts), whose insert triggers check every row as they would from separate statements,
// followed by COMMIT in the same simple query. The next transaction is opened while one commits, so it
// waits for the lock inside the database and takes it the moment the COMMIT releases it, without a
// round trip through this process. The envelopes are written again as objects only when `objects` is
// given (one more statement); the home leaves it out and serves them from the entry rows
// (../ledger-envelopes.ts). The lock is held until COMMIT has made the rows visible, so the next writer —
// in this process, another process or another server — reads the entries just committed: appends are
// serialised by the database, one batch after another, and no two can be sealed with the same index (no
// fork) or skip one (no gap). Should a writer ever skip the lock, the insert trigger (index must be the
// next one) and the primary key still refuse the row (migrations.ts). An append resolves only after its
// batch's COMMIT returns, with `synchronous_commit = on`: acknowledged means durable. A crash before
// COMMIT leaves nothing, the envelope objects included when they live in the same database. When the
// connection breaks after the COMMIT was sent, the ledger reads under the lock whether the batch is in
// the log before answering (`committed`): a committed append is acknowledged, not reported as failed and
// then written again by a retry.
//
// A conditional append (`appendIf`, for the gate) is checked in the same transaction, under the lock:
// the first round trip also reads the latest index of each entry kind, and sealBatch refuses the draft
// (APPEND_CONDITION_FAILED, no index taken) when an entry of a kind outside its condition is at or after
// its `since` — including one sealed before it in the same batch.
//
// A draft that cannot be sealed fails alone, before anything is written; a failure of the transaction
// itself (the database, the lock timeout, an object store) fails every append of its batch, since none of
// them was written. They are not retried one by one: such failures are not any one entry's doing, and a
// retry of each would multiply the wait (up to `lockTimeoutMs` each) when the database is the problem.
//
// Reads are the SQLite adapter's: the same node layout (every perfect subtree hash), the same plans from
// src/ledger/merkle.ts, so roots, proofs and checkpoints are byte for byte the same for the same entries
// appended in the same batches.
import { DatabaseError, escapeLiteral } from 'pg';

import { InputError, messageOf, StoreError } from '../../errors.js';
import { signCheckpoint } from '../../ledger/checkpoint.js';
import type { EntryDraft, SealedEntry } from '../../ledger/entry.js';
import {
  consistencyProofPlan,
  inclusionProofPlan,
  rootPlan,
  type NodeId,
  type Plan,
} from '../../ledger/merkle.js';
import type { Digest } from '../../signing/digest.js';
import { batchAppendPlan } from '../batch-tree.js';
import { createOpenAheadCommit, DEFAULT_MAX_BATCH, type GroupCommit, type Outcome } from '../group-commit.js';
import type { AppendCondition, Ledger, StoredCheckpoint, StoredEntry } from '../ledger.js';
import type { ObjectStore } from '../object-store.js';
import {
  isKeyRotated,
  KeyAnnouncementCache,
  sealBatch,
  type AppendItem,
  type LastEntry,
} from '../seal-batch.js';
import type { LogIdentity } from '../sqlite-ledger.js';
import { isPgObjectStore } from './pg-object-store.js';
import {
  inTransaction,
  LEDGER_APPEND_LOCK,
  pgStoreError,
  rollbackAndRelease,
  SIGNET_LOCK_CLASS,
  toBytes,
  toCount,
  type BeginResult,
  type PgClient,
  type PgPool,
  type PgQueryable,
} from './sql.js';

export interface PgLedgerOptions {
  /** A pool on a migrated database (migrations.ts); the caller ends it after `close`. */
  readonly pool: PgPool;
  readonly log: LogIdentity;
  /**
   * Where each envelope is also stored as an object. A PostgreSQL object store on the same database
   * stores it in the append's own transaction; any other store is written inside the transaction, before
   * COMMIT, so a crash leaves at most an unreferenced object, never an entry without its envelope object.
   * Absent: the envelope is kept in the entry's row only, and whoever serves objects reads it from there
   * (the home: `withLedgerEnvelopes`), as with the SQLite ledger.
   */
  readonly objects?: ObjectStore;
  /** Milliseconds since the epoch; injected for tests. The log never takes a client's time. */
  readonly clock?: () => number;
  /** How long an append waits for the ledger lock before failing with STORE_FAILURE; 60 s by default. */
  readonly lockTimeoutMs?: number;
  /** At most this many appends share one transaction and one checkpoint; DEFAULT_MAX_BATCH (256) by default. */
  readonly maxBatch?: number;
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
 * const ledger = openPgLedger({ pool, log: { origin, signer } });
 * const sealed = await ledger.append(draft); // committed and durable when this resolves
 * ```
 */
export function openPgLedger(options: PgLedgerOptions): Ledger {
  return new PgLedger(options);
}

class PgLedger implements Ledger {
  private readonly pool: PgPool;
  private readonly clock: () => number;
  private readonly announcements = new KeyAnnouncementCache();
  private readonly lockTimeoutMs: number;
  /** Appends in this process queue here and go in batches, so that they hold one connection, not the pool. */
  private readonly group: GroupCommit<AppendItem, SealedEntry>;
  /**
   * Starts an append's transaction and reads what the batch is sealed against, in one round trip (a simple
   * query of several statements, without parameters): durable on COMMIT whatever the server's default,
   * never waiting forever for the ledger lock, holding that lock, then the tail (`TAIL_QUERY`) and the
   * latest index of each kind (`KINDS_QUERY`, for conditional appends) read under it. Only integers are
   * interpolated.
   */
  private readonly begin: string;

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
    this.begin =
      'BEGIN; ' +
      `SELECT set_config('synchronous_commit', 'on', true), set_config('lock_timeout', '${this.lockTimeoutMs}ms', true); ` +
      `SELECT pg_advisory_xact_lock(${SIGNET_LOCK_CLASS}, ${LEDGER_APPEND_LOCK}); ` +
      `${TAIL_QUERY}; ${KINDS_QUERY}`;
    this.group = createOpenAheadCommit(
      { open: () => this.openAppend(), commit: (session, items) => this.commitAppend(session, items) },
      options.maxBatch ?? DEFAULT_MAX_BATCH,
    );
  }

  append(draft: EntryDraft): Promise<SealedEntry> {
    return this.group.submit({ draft });
  }

  appendIf(draft: EntryDraft, condition: AppendCondition): Promise<SealedEntry> {
    return this.group.submit({ draft, condition });
  }

  /**
   * The first round trip of a batch's transaction: BEGIN, the lock and the tail (`this.begin`). Opened
   * before the batch is chosen (createOpenAheadCommit): it waits for the lock in the database while the
   * batch before commits, and the batch is what queued up by the time the lock is held.
   */
  private async openAppend(): Promise<AppendSession> {
    let client: PgClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw pgStoreError('append failed', error);
    }
    try {
      // node-postgres answers a simple query of several statements with one result per statement.
      const begun = (await client.query<Record<string, unknown>>(this.begin)) as BeginResult;
      const results = Array.isArray(begun) ? begun : [begun];
      const tail = results[results.length - 2];
      const kinds = results[results.length - 1];
      if (tail === undefined || kinds === undefined) {
        throw new StoreError('STORE_FAILURE', 'the ledger tail query returned no result');
      }
      return {
        client,
        tail: toTail(tail.rows as unknown as TailRow[]),
        lastIndexByKind: toLastIndexByKind(kinds.rows as unknown as KindRow[]),
      };
    } catch (error) {
      await rollbackAndRelease(client);
      throw pgStoreError('append failed', error);
    }
  }

  /**
   * The second round trip: the batch sealed against the tail, then its entries, nodes and checkpoint (one
   * call of `signet_append_batch`, migrations.ts) and COMMIT, sent together as one simple query (with
   * `objects`, the envelope objects go first, in a round trip of their own). Should the call fail, the
   * database skips the COMMIT after it, and the transaction is rolled back.
   */
  private async commitAppend(
    { client, tail, lastIndexByKind }: AppendSession,
    appends: readonly AppendItem[],
  ): Promise<readonly Outcome<SealedEntry>[]> {
    const { origin, signer } = this.options.log;
    const { objects } = this.options;
    /** Set just before the query that ends in COMMIT is sent: the entries it writes. */
    let commitSent: readonly SealedEntry[] | undefined;
    let outcomes: readonly Outcome<SealedEntry>[] = [];
    try {
      const { last, frontier, rotation } = tail;
      // Read under the append lock: no instance can rotate the key between this read and COMMIT.
      const announcement =
        rotation === undefined
          ? undefined
          : (this.announcements.known(rotation) ??
            this.announcements.remember(rotation, await readEnvelope(client, rotation)));
      const batch = sealBatch(appends, last, this.options.log, this.clock, announcement, lastIndexByKind);
      const { start, entries } = batch;
      outcomes = batch.outcomes;
      if (entries.length === 0) {
        await client.query('ROLLBACK');
        client.release();
        return batch.outcomes;
      }
      if (objects !== undefined) await storeEnvelopes(client, objects, entries);
      const plan = batchAppendPlan(
        start,
        entries.map((e) => e.leafHash),
      );
      const { nodes, root } = plan.assemble(frontierHashes(plan.nodes, frontier));
      const size = start + entries.length;
      const note = signCheckpoint({ origin, size, rootHash: root }, origin, signer);
      const text = `${appendBatchCall(entries, nodes, size, note)}; COMMIT`;
      commitSent = entries;
      await client.query(text);
      client.release();
      return batch.outcomes;
    } catch (error) {
      await rollbackAndRelease(client);
      if (error instanceof InputError || isKeyRotated(error)) throw error;
      // The COMMIT went out and no definite answer came back: the database may have carried it out.
      if (commitSent !== undefined && mayHaveCommitted(error)) {
        if (await this.committed(commitSent, error)) return outcomes;
      }
      throw pgStoreError('append failed', error);
    }
  }

  /**
   * Whether `entries`, whose COMMIT was sent but whose answer was lost (the connection broke), are in the
   * log: read on another connection under the ledger lock, which the transaction that sent the COMMIT
   * held until it ended, so the answer is final — committed, or rolled back by the database when the
   * connection went. Without this, an append that was committed would be reported as failed, and a retry
   * would write it twice. When even this read fails, the error says that the outcome is unknown.
   */
  private async committed(entries: readonly SealedEntry[], lost: unknown): Promise<boolean> {
    const ids = entries.map((e) => e.id);
    let found: number;
    try {
      found = await inTransaction(
        this.pool,
        async (client) => {
          const { rows } = await client.query<{ n: string }>(
            'SELECT count(*) AS n FROM ledger_entries WHERE id = ANY($1::text[])',
            [ids],
          );
          return toCount(rows[0]?.n, 'the count of the batch entries');
        },
        `BEGIN; SELECT set_config('lock_timeout', '${this.lockTimeoutMs}ms', true); ` +
          `SELECT pg_advisory_xact_lock(${SIGNET_LOCK_CLASS}, ${LEDGER_APPEND_LOCK})`,
      );
    } catch (error) {
      throw new StoreError(
        'STORE_FAILURE',
        `append outcome unknown: the connection was lost after the batch's COMMIT was sent ` +
          `(${messageOf(lost)}), and reading whether it was committed failed too ` +
          `(${messageOf(error)}): entries ${entries[0]!.index}–${entries[entries.length - 1]!.index} ` +
          `(first ${ids[0]}) may or may not be in the log; look them up ('signet log entry <id>') ` +
          'before appending them again',
        { cause: lost, details: { outcome: 'unknown', ids } },
      );
    }
    if (found === 0) return false;
    if (found === ids.length) return true;
    throw new StoreError(
      'STORE_FAILURE',
      `after a lost COMMIT reply, ${found} of the batch's ${ids.length} entries are in the log: a ` +
        'transaction is all or nothing, so the database is not behaving as one; run `signet verify`',
      { details: { ids, found } },
    );
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
      for (const row of rows) yield toStoredEntry(row);
      // A short page is the end of the range as of this query: no second round trip to find it empty.
      if (rows.length < PAGE) return;
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
    await this.group.drained();
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

interface Tail {
  readonly last: LastEntry | undefined;
  /** The frontier nodes' hashes by level. */
  readonly frontier: ReadonlyMap<number, Buffer>;
  /** The index of the latest `log-key` entry. */
  readonly rotation: number | undefined;
}

interface TailRow {
  idx: string;
  time: string;
  rotation: string | null;
  level: number | null;
  hash: Buffer | null;
}

/**
 * The last entry, the frontier of the tree after it (the nodes a batch appends onto, batch-tree.ts) and
 * the index of the latest `log-key` entry: `signet_append_tail` (migrations.ts, version 7), whose first
 * row is the last entry and each further row a frontier node. Without parameters (it ends `this.begin`).
 */
const TAIL_QUERY = 'SELECT idx, time, level, hash, rotation FROM signet_append_tail()';

function toTail(rows: readonly TailRow[]): Tail {
  const first = rows[0];
  if (!first) return { last: undefined, frontier: new Map(), rotation: undefined };
  const frontier = new Map<number, Buffer>();
  for (const row of rows) if (row.level !== null && row.hash !== null) frontier.set(row.level, row.hash);
  return {
    last: { index: toCount(first.idx, 'the last entry index'), time: first.time },
    frontier,
    rotation: first.rotation === null ? undefined : toCount(first.rotation, 'the latest log-key index'),
  };
}

interface AppendSession {
  /** The connection whose transaction holds the ledger lock. */
  readonly client: PgClient;
  readonly tail: Tail;
  /** The index of the latest entry of each kind (`KINDS_QUERY`), for conditional appends. */
  readonly lastIndexByKind: ReadonlyMap<string, number>;
}

interface KindRow {
  kind: string;
  last_idx: string;
}

/** `signet_append_kinds` (migrations.ts, version 8): the latest index of each kind, read under the lock. */
const KINDS_QUERY = 'SELECT kind, last_idx FROM signet_append_kinds()';

function toLastIndexByKind(rows: readonly KindRow[]): Map<string, number> {
  return new Map(rows.map((row) => [row.kind, toCount(row.last_idx, `the last ${row.kind} entry index`)]));
}

/**
 * `SELECT signet_append_batch(…)` with every argument written as a literal, so that COMMIT can follow it
 * in the same simple query (node-postgres sends a query with parameters on its own, and waits for its
 * answer before the next). Integers are checked to be safe integers, texts go through `escapeLiteral`,
 * bytes are hex digits given to `decode`: nothing the entries hold can change the statement.
 */
function appendBatchCall(
  entries: readonly SealedEntry[],
  nodes: readonly { readonly node: NodeId; readonly hash: Uint8Array }[],
  size: number,
  note: Uint8Array,
): string {
  return (
    'SELECT signet_append_batch(' +
    [
      integers(
        entries.map((e) => e.index),
        'bigint',
      ),
      texts(entries.map((e) => e.id)),
      texts(entries.map((e) => e.kind)),
      texts(entries.map((e) => e.time)),
      byteas(entries.map((e) => e.envelope)),
      byteas(entries.map((e) => e.leafHash)),
      integers(
        nodes.map((n) => n.node.level),
        'smallint',
      ),
      integers(
        nodes.map((n) => n.node.index),
        'bigint',
      ),
      byteas(nodes.map((n) => n.hash)),
      integer(size),
      bytea(note),
    ].join(', ') +
    ')'
  );
}

function integer(n: number): string {
  if (!Number.isSafeInteger(n)) throw new StoreError('STORE_FAILURE', `not a safe integer: ${n}`);
  return String(n);
}

function integers(values: readonly number[], type: 'bigint' | 'smallint'): string {
  return `ARRAY[${values.map(integer).join(',')}]::${type}[]`;
}

function texts(values: readonly string[]): string {
  return `ARRAY[${values.map((v) => escapeLiteral(v)).join(',')}]::text[]`;
}

function bytea(bytes: Uint8Array): string {
  return `decode('${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}', 'hex')`;
}

function byteas(values: readonly Uint8Array[]): string {
  return `ARRAY[${values.map(bytea).join(',')}]::bytea[]`;
}

async function readEnvelope(client: PgQueryable, index: number): Promise<Uint8Array> {
  const result = await client.query<{ envelope: Buffer }>(
    'SELECT envelope FROM ledger_entries WHERE idx = $1',
    [index],
  );
  const row = result.rows[0];
  if (!row) throw new StoreError('STORE_FAILURE', `entry ${index} is missing from the ledger`);
  return toBytes(row.envelope);
}

/** The frontier hashes a batch plan asks for, from the tail; a missing one is a broken tree. */
function frontierHashes(ids: readonly NodeId[], frontier: ReadonlyMap<number, Buffer>): Uint8Array[] {
  return ids.map(({ level, index }) => {
    const hash = frontier.get(level);
    if (!hash) {
      throw new StoreError(
        'STORE_FAILURE',
        `tree node (level ${level}, index ${index}) is missing from the ledger`,
      );
    }
    return toBytes(hash);
  });
}

/**
 * Stores the batch's envelopes as objects before their entries, in the append's transaction when the
 * objects live in this database. There, all in one statement: the row a PgObjectStore put writes (its
 * table's CHECKs refuse bytes that are not under their digest). A row already present (not expected: an
 * envelope names its own index) goes through the store's put, which checks the stored bytes are intact;
 * an envelope over the store's size limit goes through it too, to the large-object store.
 */
async function storeEnvelopes(
  client: PgQueryable,
  objects: ObjectStore,
  entries: readonly SealedEntry[],
): Promise<void> {
  if (!isPgObjectStore(objects)) {
    await Promise.all(entries.map((e) => objects.put(e.envelope)));
    return;
  }
  if (entries.every((e) => e.envelope.length <= objects.maxObjectBytes)) {
    const inserted = await client.query(
      `INSERT INTO objects (digest, size, bytes)
         SELECT digest, size, bytes FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS o(digest, size, bytes)
       ON CONFLICT (digest) DO NOTHING`,
      [
        entries.map((e) => e.id),
        entries.map((e) => e.envelope.length),
        entries.map((e) => Buffer.from(e.envelope)),
      ],
    );
    if (inserted.rowCount === entries.length) return;
  }
  // One query at a time: node-postgres runs one per connection.
  for (const e of entries) await objects.putInTransaction(client, e.envelope);
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

/**
 * False when the database answered the batch's query with an error of its own (a trigger, a constraint,
 * a lock timeout): the transaction failed and nothing was committed. True for anything else — the
 * connection closed or reset, the server shutting down (SQLSTATE 57P0x), a connection exception (08xxx):
 * the COMMIT may have been carried out before the answer was lost.
 */
function mayHaveCommitted(error: unknown): boolean {
  if (!(error instanceof DatabaseError)) return true;
  const state = error.code ?? '';
  return state.startsWith('08') || state.startsWith('57P');
}
