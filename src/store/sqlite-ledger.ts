// The SQLite Ledger adapter (better-sqlite3 12), the embedded default.
//
// Tables are append-only: triggers abort any UPDATE or DELETE. Appends are group-committed
// (group-commit.ts): those that arrive while a batch is being written wait, and the next batch writes all
// of them in one `BEGIN IMMEDIATE` transaction — consecutive indices, a signature each, one pass over the
// tree, one signed checkpoint for the batch's final size, one durable commit (WAL, synchronous=FULL). A
// crash leaves the whole batch or nothing; an append resolves only after its batch has committed.
//
// The write side (sealing, the transaction, the retry when another process appended meanwhile) is in
// sqlite-append.ts. It runs on this connection, on the caller's thread, or — with `appendWorker`, which
// `signet serve` sets — in a worker thread on a connection of its own (sqlite-append-worker.ts): signing
// and the COMMIT's fsync then no longer stop the thread that answers requests. Batches are then handed
// to the worker without waiting for the one before (a pipelined group commit), and the worker merges
// those that queue up while it commits. Reads always run here, on this connection (WAL: a read never
// waits for the writer and sees every committed batch).
//
// Conditional appends (`appendIf`, for the gate) travel with their batch; the write side reads the
// latest index of each kind with the last entry it seals after, and the transaction's check that the
// last entry is unchanged covers both (sqlite-append.ts, seal-batch.ts).
//
// The tree keeps every perfect subtree hash (`nodes`), so an append stores O(1) amortised nodes and a
// proof reads O(log n) of them: the tree is never rebuilt. Statements are prepared once, when the ledger
// is opened.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { InputError, reviveSignetError, StoreError, type TransferredError } from '../errors.js';
import type { EntryDraft, SealedEntry } from '../ledger/entry.js';
import {
  consistencyProofPlan,
  inclusionProofPlan,
  rootPlan,
  type NodeId,
  type Plan,
} from '../ledger/merkle.js';
import type { Digest } from '../signing/digest.js';
import { createGroupCommit, DEFAULT_MAX_BATCH, type GroupCommit, type Outcome } from './group-commit.js';
import type { AppendCondition, Ledger, StoredCheckpoint, StoredEntry } from './ledger.js';
import type { ObjectStore } from './object-store.js';
import type { AppendItem } from './seal-batch.js';
import { fetchNodes, SqliteAppender, storeError, type LogIdentity } from './sqlite-append.js';
import type { AppendReply, AppendRequest, AppendWorkerData } from './sqlite-append-worker.js';

export type { LogIdentity } from './sqlite-append.js';

export interface SqliteLedgerOptions {
  readonly file: string;
  readonly log: LogIdentity;
  /**
   * Where each entry's envelope is also stored as an object, before the COMMIT that references it.
   * Absent: the envelope is kept in the entry's row only, written in the same transaction, and whoever
   * serves objects reads it from there (the embedded home: `withLedgerEnvelopes`). Either way the
   * envelope is readable as an object under the entry id once the append resolves.
   */
  readonly objects?: ObjectStore;
  /** Milliseconds since the epoch; injected for tests. The log never takes a client's time. */
  readonly clock?: () => number;
  readonly busyTimeoutMs?: number;
  /**
   * 'full' (the default) makes every append durable before it returns. 'fast' sets `synchronous = OFF`:
   * a crash or power loss can lose or corrupt recent appends. It exists for bulk benchmark loads only
   * (bench/ledger.mjs builds a 1,000,000-entry tree with it); never use it for a real log.
   */
  readonly durability?: 'full' | 'fast';
  /** At most this many appends share one transaction and one checkpoint; DEFAULT_MAX_BATCH (256) by default. */
  readonly maxBatch?: number;
  /**
   * Append in a worker thread, on a connection of its own: sealing (a signature per entry, one per
   * checkpoint) and the durable COMMIT leave the calling thread (`signet serve` sets it). The worker
   * signs, so it is given the log key's PEM, which must be `log.signer`'s key. Not with `objects`,
   * `clock` or `durability: 'fast'`, which cannot cross threads. When the worker's script is not beside
   * this module (run from the TypeScript sources), appends run on the calling thread.
   */
  readonly appendWorker?: { readonly privateKeyPem: string; readonly url?: URL };
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
  idx INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  time TEXT NOT NULL,
  envelope BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_kind ON entries (kind, idx);
CREATE TABLE IF NOT EXISTS nodes (
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
  BEGIN SELECT RAISE(ABORT, 'signet ledger is append-only: UPDATE of entries refused'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
  BEGIN SELECT RAISE(ABORT, 'signet ledger is append-only: DELETE of entries refused'); END;
CREATE TRIGGER IF NOT EXISTS nodes_no_update BEFORE UPDATE ON nodes
  BEGIN SELECT RAISE(ABORT, 'signet ledger is append-only: UPDATE of nodes refused'); END;
CREATE TRIGGER IF NOT EXISTS nodes_no_delete BEFORE DELETE ON nodes
  BEGIN SELECT RAISE(ABORT, 'signet ledger is append-only: DELETE of nodes refused'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'signet ledger is append-only: UPDATE of checkpoints refused'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'signet ledger is append-only: DELETE of checkpoints refused'); END;
`;

interface EntryRow {
  idx: number;
  id: string;
  kind: string;
  time: string;
  envelope: Buffer;
}

export function openSqliteLedger(options: SqliteLedgerOptions): Ledger {
  return new SqliteLedger(options);
}

/** What appends a batch: the in-thread appender or the worker. */
interface BatchAppender {
  appendBatch(items: readonly AppendItem[]): Promise<readonly Outcome<SealedEntry>[]>;
  close(): Promise<void>;
}

class SqliteLedger implements Ledger {
  private readonly db: Database.Database;
  private readonly group: GroupCommit<AppendItem, SealedEntry>;
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** `entriesOfKinds` statements by number of kinds. */
  private readonly byKinds = new Map<number, Database.Statement>();
  private readonly appender: BatchAppender;

  constructor(options: SqliteLedgerOptions) {
    const { appendWorker } = options;
    if (
      appendWorker !== undefined &&
      (options.objects !== undefined || options.clock !== undefined || options.durability === 'fast')
    ) {
      throw new InputError(
        'INVALID_ARGUMENT',
        'appendWorker cannot be combined with objects, clock or durability: fast',
      );
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? 60_000;
    try {
      this.db = new Database(options.file, { fileMustExist: false });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(options.durability === 'fast' ? 'synchronous = OFF' : 'synchronous = FULL');
      this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      this.db.exec(SCHEMA);
      this.db
        .prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)`)
        .run(String(SCHEMA_VERSION));
      this.statements = prepareStatements(this.db);
    } catch (error) {
      throw storeError(`could not open the ledger database ${options.file}`, error);
    }
    const workerUrl = appendWorker?.url ?? new URL('./sqlite-append-worker.js', import.meta.url);
    const inWorker = appendWorker !== undefined && existsSync(fileURLToPath(workerUrl));
    if (inWorker) {
      this.appender = new WorkerAppender(workerUrl, {
        file: options.file,
        origin: options.log.origin,
        privateKeyPem: appendWorker.privateKeyPem,
        keyId: options.log.signer.keyId,
        busyTimeoutMs,
        maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      });
    } else {
      const appender = new SqliteAppender(this.db, options.log, options.clock ?? Date.now, options.objects);
      this.appender = { appendBatch: (items) => appender.appendBatch(items), close: async () => {} };
    }
    // The worker keeps its own queue and merges what arrives while it commits: hand it each batch at
    // once. In this thread, one batch at a time.
    this.group = createGroupCommit(
      (items) => this.appender.appendBatch(items),
      options.maxBatch ?? DEFAULT_MAX_BATCH,
      { pipeline: inWorker },
    );
  }

  append(draft: EntryDraft): Promise<SealedEntry> {
    return this.group.submit({ draft });
  }

  appendIf(draft: EntryDraft, condition: AppendCondition): Promise<SealedEntry> {
    return this.group.submit({ draft, condition });
  }

  private lastEntry(): { index: number; time: string } | undefined {
    const row = this.statements.last.get() as { idx: number; time: string } | undefined;
    return row ? { index: row.idx, time: row.time } : undefined;
  }

  async size(): Promise<number> {
    return this.sizeNow();
  }

  private sizeNow(): number {
    // The largest index plus one, read from the primary key: O(log n). COUNT(*) would scan the table
    // (55 ms at 1,000,000 entries), and indices are gap-free by construction (verify checks it).
    const last = this.lastEntry();
    return last ? last.index + 1 : 0;
  }

  async read(index: number): Promise<StoredEntry> {
    this.assertIndex(index, this.sizeNow());
    const row = this.statements.read.get(index) as EntryRow | undefined;
    if (!row) throw new StoreError('STORE_FAILURE', `entry ${index} is missing from the ledger database`);
    return toStoredEntry(row);
  }

  async find(id: Digest): Promise<StoredEntry | undefined> {
    const row = this.statements.find.get(id) as EntryRow | undefined;
    return row ? toStoredEntry(row) : undefined;
  }

  async *entries(from = 0, to?: number): AsyncIterable<StoredEntry> {
    const end = to ?? this.sizeNow();
    for (let start = from; start < end;) {
      const rows = this.statements.range.all(start, end, PAGE) as EntryRow[];
      for (const row of rows) yield toStoredEntry(row);
      // A short page is the end of the range as of this read.
      if (rows.length < PAGE) return;
      start = rows[rows.length - 1]!.idx + 1;
    }
  }

  async *entriesOfKinds(kinds: readonly string[], from = 0): AsyncIterable<StoredEntry> {
    if (kinds.length === 0) return;
    let stmt = this.byKinds.get(kinds.length);
    if (!stmt) {
      const marks = kinds.map(() => '?').join(', ');
      stmt = this.db.prepare(
        `SELECT * FROM entries WHERE kind IN (${marks}) AND idx >= ? ORDER BY idx LIMIT ${PAGE}`,
      );
      this.byKinds.set(kinds.length, stmt);
    }
    for (let start = from; ;) {
      const rows = stmt.all(...kinds, start) as EntryRow[];
      for (const row of rows) yield toStoredEntry(row);
      if (rows.length < PAGE) return;
      start = rows[rows.length - 1]!.idx + 1;
    }
  }

  async checkpoint(): Promise<StoredCheckpoint> {
    const row = this.statements.checkpoint.get() as { size: number; note: Buffer } | undefined;
    if (!row) throw new InputError('NOT_FOUND', 'the ledger is empty: it has no checkpoint yet');
    return { size: row.size, note: new Uint8Array(row.note) };
  }

  async root(size: number): Promise<Uint8Array> {
    this.assertSize(size, this.sizeNow());
    return this.runPlan(rootPlan(size));
  }

  async proveInclusion(index: number, size: number): Promise<Uint8Array[]> {
    this.assertSize(size, this.sizeNow());
    this.assertIndex(index, size);
    return this.runPlan(inclusionProofPlan(index, size));
  }

  async proveConsistency(oldSize: number, newSize: number): Promise<Uint8Array[]> {
    this.assertSize(newSize, this.sizeNow());
    this.assertSize(oldSize, newSize);
    return this.runPlan(consistencyProofPlan(oldSize, newSize));
  }

  async close(): Promise<void> {
    await this.group.drained();
    await this.appender.close();
    this.db.close();
  }

  private runPlan<T>(plan: Plan<T>): T {
    return plan.assemble(this.fetchNodes(plan.nodes));
  }

  private fetchNodes(ids: readonly NodeId[]): Uint8Array[] {
    return fetchNodes(this.statements.node, ids);
  }

  private assertIndex(index: number, size: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new InputError('OUT_OF_RANGE', `entry index ${index} is outside a tree of size ${size}`);
    }
  }

  private assertSize(size: number, max: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > max) {
      throw new InputError('OUT_OF_RANGE', `tree size ${size} is outside 0..${max}`);
    }
  }
}

const PAGE = 1000;

/** Every statement the ledger runs more than once, prepared when it is opened. */
function prepareStatements(db: Database.Database) {
  return {
    last: db.prepare('SELECT idx, time FROM entries ORDER BY idx DESC LIMIT 1'),
    read: db.prepare('SELECT * FROM entries WHERE idx = ?'),
    find: db.prepare('SELECT * FROM entries WHERE id = ?'),
    range: db.prepare('SELECT * FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?'),
    checkpoint: db.prepare('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1'),
    node: db.prepare('SELECT hash FROM nodes WHERE level = ? AND idx = ?'),
  };
}

function toStoredEntry(row: EntryRow): StoredEntry {
  return {
    index: row.idx,
    id: row.id as Digest,
    kind: row.kind,
    time: row.time,
    envelope: new Uint8Array(row.envelope),
  };
}

interface PendingBatch {
  resolve(outcomes: readonly Outcome<SealedEntry>[]): void;
  reject(error: unknown): void;
}

/**
 * Appends through sqlite-append-worker.ts. The worker is started when the ledger opens (a server pays its
 * start-up before the first request, not during it) and again after it stopped; it is referenced only
 * while a batch is in flight, so that an idle ledger never keeps the process alive. Several batches may
 * be in flight (the group commit is pipelined). A worker that dies fails every batch in flight with
 * STORE_FAILURE: each may or may not have committed, as with a lost reply to a COMMIT, and
 * `signet verify` still holds either way.
 */
class WorkerAppender implements BatchAppender {
  private started: Promise<Worker> | undefined;
  private readonly pending = new Map<number, PendingBatch>();
  private seq = 0;

  constructor(
    private readonly url: URL,
    private readonly data: AppendWorkerData,
  ) {
    this.start().catch(() => {
      // Reported by the first append, which starts it again.
    });
  }

  private start(): Promise<Worker> {
    if (this.started !== undefined) return this.started;
    const started = new Promise<Worker>((resolve, reject) => {
      const worker = newWorker(this.url, this.data);
      let ready = false;
      worker.on('message', (reply: AppendReply) => {
        if (reply.kind === 'ready') {
          ready = true;
          if (this.pending.size === 0) worker.unref();
          resolve(worker);
        } else if (reply.kind === 'failed') {
          reject(workerError('the ledger could not start its append worker', reply.error));
        } else {
          const batch = this.pending.get(reply.seq);
          if (batch === undefined) return;
          this.pending.delete(reply.seq);
          if (this.pending.size === 0) worker.unref();
          if (reply.kind === 'error') batch.reject(workerError('append failed', reply.error));
          else
            batch.resolve(
              reply.outcomes.map((o) =>
                o.ok ? o : { ok: false, error: workerError('append failed', o.error) },
              ),
            );
        }
      });
      const stopped = (why: string): void => {
        if (this.started === started) this.started = undefined;
        const error = new StoreError('STORE_FAILURE', `the ledger's append worker stopped: ${why}`);
        if (!ready) reject(error);
        for (const batch of this.pending.values()) batch.reject(error);
        this.pending.clear();
      };
      worker.on('error', (error) => stopped(error.message));
      worker.on('exit', (code) => stopped(`exit code ${code}`));
    });
    this.started = started;
    return started;
  }

  async appendBatch(items: readonly AppendItem[]): Promise<readonly Outcome<SealedEntry>[]> {
    const worker = await this.start();
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      worker.ref();
      // Structured-cloned: a condition's Set of kinds crosses as a Set.
      worker.postMessage({ kind: 'append', seq, items } satisfies AppendRequest);
    });
  }

  async close(): Promise<void> {
    const worker = await this.started?.catch(() => undefined);
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage({ kind: 'close' } satisfies AppendRequest);
    await exited;
  }
}

/**
 * A worker with this process's Node options (`--cpu-prof`, `--enable-source-maps`, …), or with none when
 * a worker refuses one of them: process-wide options such as `--max-semi-space-size` (which still apply to
 * the whole process). `--input-type`, which `node --input-type=module -e` passes on, is always left out.
 */
function newWorker(url: URL, data: AppendWorkerData): Worker {
  // Refused only once the worker starts, so never passed on.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
  try {
    return new Worker(url, { workerData: data, execArgv });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    return new Worker(url, { workerData: data, execArgv: [] });
  }
}

/** The SignetError the worker sent, as it was; anything else as a STORE_FAILURE that says where. */
function workerError(what: string, error: TransferredError): Error {
  return reviveSignetError(error) ?? new StoreError('STORE_FAILURE', `${what}: ${error.message}`);
}
