// The SQLite Ledger adapter (better-sqlite3 12), the embedded default.
//
// Tables are append-only: triggers abort any UPDATE or DELETE. Appends are group-committed
// (group-commit.ts): those that arrive while a batch is being written wait, and the next batch writes all
// of them in one `BEGIN IMMEDIATE` transaction — consecutive indices, a signature each, one pass over the
// tree, one signed checkpoint for the batch's final size, one durable commit (WAL, synchronous=FULL). A
// crash leaves the whole batch or nothing; an append resolves only after its batch has committed.
//
// The write transaction never waits on the event loop. A batch is sealed against the last committed
// entry and its envelope objects are stored first (a crash then leaves at most unreferenced objects,
// never an entry whose envelope object is missing); then, synchronously, BEGIN IMMEDIATE takes SQLite's
// write lock, checks that the last entry is still the one sealed against, inserts and commits. Were the
// transaction to await the object store instead, another connection of this process writing the same
// file (auth, drafts) would block the thread in its busy handler while the lock holder could never run:
// a deadlock until the busy timeout. When another process appended in between, the batch is sealed again
// against its entries (the objects already stored stay, unreferenced and harmless); after a few such
// retries the batch holds the lock from the read to the commit, so that it cannot starve.
//
// The tree keeps every perfect subtree hash (`nodes`), so an append stores O(1) amortised nodes and a
// proof reads O(log n) of them: the tree is never rebuilt. Statements are prepared once, when the ledger
// is opened.
import Database from 'better-sqlite3';

import { InputError, StoreError } from '../errors.js';
import { LOG_KEY_KIND } from '../ledger/log-keys.js';
import { signCheckpoint } from '../ledger/checkpoint.js';
import type { EntryDraft, SealedEntry } from '../ledger/entry.js';
import {
  consistencyProofPlan,
  inclusionProofPlan,
  rootPlan,
  type NodeId,
  type Plan,
} from '../ledger/merkle.js';
import type { Digest } from '../signing/digest.js';
import type { Signer } from '../signing/keys.js';
import { batchAppendPlan } from './batch-tree.js';
import { createGroupCommit, DEFAULT_MAX_BATCH, type GroupCommit, type Outcome } from './group-commit.js';
import type { Ledger, StoredCheckpoint, StoredEntry } from './ledger.js';
import type { ObjectStore } from './object-store.js';
import {
  isKeyRotated,
  KeyAnnouncementCache,
  sealBatch,
  type KeyAnnouncement,
  type LastEntry,
  type SealedBatch,
} from './seal-batch.js';

export interface LogIdentity {
  /** The checkpoint origin line, also the signed-note key name. */
  readonly origin: string;
  readonly signer: Signer;
}

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

/** Seal-then-check attempts before a batch holds the write lock from its read to its commit. */
const OPTIMISTIC_ATTEMPTS = 3;

/** A sealed batch with everything its transaction writes, computed before the transaction. */
interface PreparedBatch extends SealedBatch {
  readonly last: LastEntry | undefined;
  readonly nodes: readonly { readonly node: NodeId; readonly hash: Uint8Array }[];
  readonly size: number;
  readonly note: Uint8Array;
}

class SqliteLedger implements Ledger {
  private readonly db: Database.Database;
  private readonly clock: () => number;
  private readonly group: GroupCommit<EntryDraft, SealedEntry>;
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** `entriesOfKinds` statements by number of kinds. */
  private readonly byKinds = new Map<number, Database.Statement>();
  private readonly announcements = new KeyAnnouncementCache();
  /** Inserts a prepared batch if the last entry is still the one it was sealed after; false if not. */
  private readonly writeIfUnchanged: Database.Transaction<(batch: PreparedBatch) => boolean>;

  constructor(private readonly options: SqliteLedgerOptions) {
    this.clock = options.clock ?? Date.now;
    try {
      this.db = new Database(options.file, { fileMustExist: false });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(options.durability === 'fast' ? 'synchronous = OFF' : 'synchronous = FULL');
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 60_000}`);
      this.db.exec(SCHEMA);
      this.db
        .prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)`)
        .run(String(SCHEMA_VERSION));
      this.statements = prepareStatements(this.db);
    } catch (error) {
      throw storeError(`could not open the ledger database ${options.file}`, error);
    }
    this.writeIfUnchanged = this.db.transaction((batch: PreparedBatch) => {
      if (!sameEntry(this.lastEntry(), batch.last)) return false;
      this.write(batch);
      return true;
    });
    this.group = createGroupCommit(
      (drafts) => this.appendBatch(drafts),
      options.maxBatch ?? DEFAULT_MAX_BATCH,
    );
  }

  append(draft: EntryDraft): Promise<SealedEntry> {
    return this.group.submit(draft);
  }

  private async appendBatch(drafts: readonly EntryDraft[]): Promise<readonly Outcome<SealedEntry>[]> {
    try {
      for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
        const batch = this.prepare(drafts, this.lastEntry());
        if (batch.entries.length === 0) return batch.outcomes;
        await this.putEnvelopes(batch);
        // Synchronous from BEGIN IMMEDIATE to COMMIT (better-sqlite3 runs the function in between).
        if (this.writeIfUnchanged.immediate(batch)) return batch.outcomes;
      }
      // Other processes appended between each read and write: hold the lock throughout this time. This
      // transaction awaits the object store, so the deadlock described at the top is possible here only.
      const { db } = this;
      db.exec('BEGIN IMMEDIATE');
      try {
        const batch = this.prepare(drafts, this.lastEntry());
        await this.putEnvelopes(batch);
        if (batch.entries.length > 0) this.write(batch);
        db.exec('COMMIT');
        return batch.outcomes;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    } catch (error) {
      if (error instanceof InputError || isKeyRotated(error)) throw error;
      throw storeError('append failed', error);
    }
  }

  /** Seals the batch after `last` and computes its tree nodes, root and signed checkpoint. */
  private prepare(drafts: readonly EntryDraft[], last: LastEntry | undefined): PreparedBatch {
    const { origin, signer } = this.options.log;
    // Read with `last`: a transaction that finds the last entry unchanged finds no newer rotation either.
    const sealed = sealBatch(drafts, last, this.options.log, this.clock, this.keyAnnouncement());
    if (sealed.entries.length === 0)
      return { ...sealed, last, nodes: [], size: sealed.start, note: new Uint8Array() };
    // The frontier nodes read here are final (append-only), so they hold inside the transaction as long
    // as the last entry is unchanged, which the transaction checks.
    const plan = batchAppendPlan(
      sealed.start,
      sealed.entries.map((e) => e.leafHash),
    );
    const { nodes, root } = plan.assemble(this.fetchNodes(plan.nodes));
    const size = sealed.start + sealed.entries.length;
    const note = signCheckpoint({ origin, size, rootHash: root }, origin, signer);
    return { ...sealed, last, nodes, size, note };
  }

  private async putEnvelopes(batch: SealedBatch): Promise<void> {
    const { objects } = this.options;
    if (objects === undefined) return;
    await Promise.all(batch.entries.map((entry) => objects.put(entry.envelope)));
  }

  /** The batch's rows, inside the caller's transaction; synchronous. */
  private write(batch: PreparedBatch): void {
    const { insertEntry, insertNode, insertCheckpoint } = this.statements;
    for (const e of batch.entries) insertEntry.run(e.index, e.id, e.kind, e.time, e.envelope);
    for (const { node, hash } of batch.nodes) insertNode.run(node.level, node.index, hash);
    insertCheckpoint.run(batch.size, batch.note);
  }

  /** The latest `log-key` entry's announcement (sealBatch refuses to sign with another key). */
  private keyAnnouncement(): KeyAnnouncement | undefined {
    const row = this.statements.lastRotation.get() as { idx: number } | undefined;
    if (row === undefined) return undefined;
    return (
      this.announcements.known(row.idx) ??
      this.announcements.remember(
        row.idx,
        toStoredEntry(this.statements.read.get(row.idx) as EntryRow).envelope,
      )
    );
  }

  private lastEntry(): LastEntry | undefined {
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
    this.db.close();
  }

  private runPlan<T>(plan: Plan<T>): T {
    return plan.assemble(this.fetchNodes(plan.nodes));
  }

  private fetchNodes(ids: readonly NodeId[]): Uint8Array[] {
    const { node } = this.statements;
    return ids.map(({ level, index }) => {
      const row = node.get(level, index) as { hash: Buffer } | undefined;
      if (!row) {
        throw new StoreError(
          'STORE_FAILURE',
          `tree node (level ${level}, index ${index}) is missing from the ledger`,
        );
      }
      return new Uint8Array(row.hash);
    });
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
    lastRotation: db.prepare(
      `SELECT idx FROM entries WHERE kind = '${LOG_KEY_KIND}' ORDER BY idx DESC LIMIT 1`,
    ),
    read: db.prepare('SELECT * FROM entries WHERE idx = ?'),
    find: db.prepare('SELECT * FROM entries WHERE id = ?'),
    range: db.prepare('SELECT * FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?'),
    checkpoint: db.prepare('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1'),
    node: db.prepare('SELECT hash FROM nodes WHERE level = ? AND idx = ?'),
    insertEntry: db.prepare('INSERT INTO entries (idx, id, kind, time, envelope) VALUES (?, ?, ?, ?, ?)'),
    insertNode: db.prepare('INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)'),
    insertCheckpoint: db.prepare('INSERT INTO checkpoints (size, note) VALUES (?, ?)'),
  };
}

function sameEntry(a: LastEntry | undefined, b: LastEntry | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.index === b.index && a.time === b.time;
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

function storeError(message: string, error: unknown): StoreError {
  const detail = error instanceof Error ? error.message : String(error);
  const code = detail.includes('append-only') ? 'APPEND_ONLY' : 'STORE_FAILURE';
  return new StoreError(code, `${message}: ${detail}`, { cause: error });
}
