// The SQLite Ledger adapter (better-sqlite3 12), the embedded default.
//
// Tables are append-only: triggers abort any UPDATE or DELETE. One append is one `BEGIN IMMEDIATE`
// transaction, which takes SQLite's write lock, so appends from several processes on one home are
// serialised (no fork, no gap) and a crash leaves the whole entry or nothing (WAL, synchronous=FULL).
// The tree keeps every perfect subtree hash (`nodes`), so an append stores O(1) amortised nodes and a
// proof reads O(log n) of them: the tree is never rebuilt.
import Database from 'better-sqlite3';

import { InputError, StoreError } from '../errors.js';
import { signCheckpoint } from '../ledger/checkpoint.js';
import { formatLogTime, sealEntry, type EntryDraft, type SealedEntry } from '../ledger/entry.js';
import {
  consistencyProofPlan,
  hashChildren,
  inclusionProofPlan,
  nodesCompletedByAppend,
  rootPlan,
  type NodeId,
  type Plan,
} from '../ledger/merkle.js';
import type { Digest } from '../signing/digest.js';
import type { Signer } from '../signing/keys.js';
import type { Ledger, StoredCheckpoint, StoredEntry } from './ledger.js';
import type { ObjectStore } from './object-store.js';

export interface LogIdentity {
  /** The checkpoint origin line, also the signed-note key name. */
  readonly origin: string;
  readonly signer: Signer;
}

export interface SqliteLedgerOptions {
  readonly file: string;
  readonly log: LogIdentity;
  readonly objects: ObjectStore;
  /** Milliseconds since the epoch; injected for tests. The log never takes a client's time. */
  readonly clock?: () => number;
  readonly busyTimeoutMs?: number;
  /**
   * 'full' (the default) makes every append durable before it returns. 'fast' sets `synchronous = OFF`:
   * a crash or power loss can lose or corrupt recent appends. It exists for bulk benchmark loads only
   * (bench/ledger.mjs builds a 1,000,000-entry tree with it); never use it for a real log.
   */
  readonly durability?: 'full' | 'fast';
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

class SqliteLedger implements Ledger {
  private readonly db: Database.Database;
  private readonly clock: () => number;
  /** Serialises appends inside this process; SQLite's write lock serialises them across processes. */
  private tail: Promise<unknown> = Promise.resolve();

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
    } catch (error) {
      throw storeError(`could not open the ledger database ${options.file}`, error);
    }
  }

  append(draft: EntryDraft): Promise<SealedEntry> {
    const run = this.tail.then(() => this.appendNow(draft));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(draft: EntryDraft): Promise<SealedEntry> {
    const { db } = this;
    const { origin, signer } = this.options.log;
    db.exec('BEGIN IMMEDIATE');
    try {
      const last = db.prepare('SELECT idx, time FROM entries ORDER BY idx DESC LIMIT 1').get() as
        { idx: number; time: string } | undefined;
      const index = last ? last.idx + 1 : 0;
      // Times never go backwards: a clock that stepped back is held at the previous entry's time.
      const now = this.clock();
      const time = formatLogTime(last ? Math.max(now, Date.parse(last.time)) : now);
      const sealed = sealEntry(draft, { origin, index, time }, signer);
      // The envelope is stored as an object inside the transaction: a crash before COMMIT leaves at most
      // an unreferenced object, never an entry whose envelope object is missing.
      await this.options.objects.put(sealed.envelope);
      db.prepare('INSERT INTO entries (idx, id, kind, time, envelope) VALUES (?, ?, ?, ?, ?)').run(
        index,
        sealed.id,
        sealed.kind,
        time,
        sealed.envelope,
      );
      const insertNode = db.prepare('INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)');
      insertNode.run(0, index, sealed.leafHash);
      for (const { node, left, right } of nodesCompletedByAppend(index)) {
        const [l, r] = this.fetchNodes([left, right]);
        insertNode.run(node.level, node.index, hashChildrenOf(l, r));
      }
      const size = index + 1;
      const rootHash = this.runPlan(rootPlan(size));
      const note = signCheckpoint({ origin, size, rootHash }, origin, signer);
      db.prepare('INSERT INTO checkpoints (size, note) VALUES (?, ?)').run(size, note);
      db.exec('COMMIT');
      return sealed;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      if (error instanceof InputError) throw error;
      throw storeError('append failed', error);
    }
  }

  async size(): Promise<number> {
    return this.sizeNow();
  }

  private sizeNow(): number {
    // The largest index plus one, read from the primary key: O(log n). COUNT(*) would scan the table
    // (55 ms at 1,000,000 entries), and indices are gap-free by construction (verify checks it).
    const row = this.db.prepare('SELECT idx FROM entries ORDER BY idx DESC LIMIT 1').get() as
      { idx: number } | undefined;
    return row ? row.idx + 1 : 0;
  }

  async read(index: number): Promise<StoredEntry> {
    this.assertIndex(index, this.sizeNow());
    const row = this.db.prepare('SELECT * FROM entries WHERE idx = ?').get(index) as EntryRow | undefined;
    if (!row) throw new StoreError('STORE_FAILURE', `entry ${index} is missing from the ledger database`);
    return toStoredEntry(row);
  }

  async find(id: Digest): Promise<StoredEntry | undefined> {
    const row = this.db.prepare('SELECT * FROM entries WHERE id = ?').get(id) as EntryRow | undefined;
    return row ? toStoredEntry(row) : undefined;
  }

  async *entries(from = 0, to?: number): AsyncIterable<StoredEntry> {
    const end = to ?? this.sizeNow();
    const page = 1000;
    const stmt = this.db.prepare('SELECT * FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?');
    for (let start = from; start < end;) {
      const rows = stmt.all(start, end, page) as EntryRow[];
      if (rows.length === 0) return;
      for (const row of rows) yield toStoredEntry(row);
      start = rows[rows.length - 1]!.idx + 1;
    }
  }

  async *entriesOfKinds(kinds: readonly string[], from = 0): AsyncIterable<StoredEntry> {
    if (kinds.length === 0) return;
    const page = 1000;
    const marks = kinds.map(() => '?').join(', ');
    const stmt = this.db.prepare(
      `SELECT * FROM entries WHERE kind IN (${marks}) AND idx >= ? ORDER BY idx LIMIT ${page}`,
    );
    for (let start = from; ;) {
      const rows = stmt.all(...kinds, start) as EntryRow[];
      for (const row of rows) yield toStoredEntry(row);
      if (rows.length < page) return;
      start = rows[rows.length - 1]!.idx + 1;
    }
  }

  async checkpoint(): Promise<StoredCheckpoint> {
    const row = this.db.prepare('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1').get() as
      { size: number; note: Buffer } | undefined;
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
    await this.tail;
    this.db.close();
  }

  private runPlan<T>(plan: Plan<T>): T {
    return plan.assemble(this.fetchNodes(plan.nodes));
  }

  private fetchNodes(ids: readonly NodeId[]): Uint8Array[] {
    const stmt = this.db.prepare('SELECT hash FROM nodes WHERE level = ? AND idx = ?');
    return ids.map(({ level, index }) => {
      const row = stmt.get(level, index) as { hash: Buffer } | undefined;
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

function hashChildrenOf(left: Uint8Array | undefined, right: Uint8Array | undefined): Uint8Array {
  if (!left || !right) throw new StoreError('STORE_FAILURE', 'a child node is missing');
  return hashChildren(left, right);
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
