// The write side of the SQLite ledger: seal a batch of drafts and write it in one transaction. Run either
// on the ledger's own connection, on the caller's thread, or on a connection of its own in a worker thread
// (sqlite-append-worker.ts), so that signing and the durable COMMIT (an fsync) leave the thread that
// answers requests. Both run this same code.
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
import type Database from 'better-sqlite3';

import { InputError, StoreError } from '../errors.js';
import { signCheckpoint } from '../ledger/checkpoint.js';
import type { SealedEntry } from '../ledger/entry.js';
import { LOG_KEY_KIND } from '../ledger/log-keys.js';
import type { NodeId } from '../ledger/merkle.js';
import type { Signer } from '../signing/keys.js';
import { batchAppendPlan } from './batch-tree.js';
import type { Outcome } from './group-commit.js';
import type { ObjectStore } from './object-store.js';
import {
  isKeyRotated,
  KeyAnnouncementCache,
  sealBatch,
  type AppendItem,
  type KeyAnnouncement,
  type LastEntry,
  type SealedBatch,
} from './seal-batch.js';

export interface LogIdentity {
  /** The checkpoint origin line, also the signed-note key name. */
  readonly origin: string;
  readonly signer: Signer;
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

interface EntryRow {
  idx: number;
  envelope: Buffer;
}

/** Appends batches through one connection of a migrated ledger database. */
export class SqliteAppender {
  private readonly statements: ReturnType<typeof prepareWriteStatements>;
  private readonly announcements = new KeyAnnouncementCache();
  /** Inserts a prepared batch if the last entry is still the one it was sealed after; false if not. */
  private readonly writeIfUnchanged: Database.Transaction<(batch: PreparedBatch) => boolean>;

  constructor(
    private readonly db: Database.Database,
    private readonly log: LogIdentity,
    private readonly clock: () => number,
    private readonly objects?: ObjectStore,
  ) {
    this.statements = prepareWriteStatements(db);
    this.writeIfUnchanged = db.transaction((batch: PreparedBatch) => {
      if (!sameEntry(this.lastEntry(), batch.last)) return false;
      this.write(batch);
      return true;
    });
  }

  /** One outcome per draft; throws (every draft failing alike) when the transaction itself fails. */
  async appendBatch(items: readonly AppendItem[]): Promise<readonly Outcome<SealedEntry>[]> {
    try {
      for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
        const batch = this.prepare(items, this.lastEntry());
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
        const batch = this.prepare(items, this.lastEntry());
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
  private prepare(items: readonly AppendItem[], last: LastEntry | undefined): PreparedBatch {
    const { origin, signer } = this.log;
    // Read with `last`: a transaction that finds the last entry unchanged finds no newer rotation, and no
    // newer entry of any kind (what conditional appends are checked against), either.
    const kinds = items.some((item) => item.condition !== undefined) ? this.lastIndexByKind() : undefined;
    const sealed = sealBatch(items, last, this.log, this.clock, this.keyAnnouncement(), kinds);
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
    const { objects } = this;
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
    const known = this.announcements.known(row.idx);
    if (known !== undefined) return known;
    const entry = this.statements.read.get(row.idx) as EntryRow;
    return this.announcements.remember(row.idx, new Uint8Array(entry.envelope));
  }

  private lastIndexByKind(): Map<string, number> {
    const rows = this.statements.lastIndexByKind.all() as { kind: string; last: number }[];
    return new Map(rows.map((row) => [row.kind, row.last]));
  }

  private lastEntry(): LastEntry | undefined {
    const row = this.statements.last.get() as { idx: number; time: string } | undefined;
    return row ? { index: row.idx, time: row.time } : undefined;
  }

  private fetchNodes(ids: readonly NodeId[]): Uint8Array[] {
    return fetchNodes(this.statements.node, ids);
  }
}

/** The stored hashes of tree nodes `ids`, read with `node` (`SELECT hash FROM nodes WHERE level = ? AND idx = ?`). */
export function fetchNodes(node: Database.Statement, ids: readonly NodeId[]): Uint8Array[] {
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

function prepareWriteStatements(db: Database.Database) {
  return {
    last: db.prepare('SELECT idx, time FROM entries ORDER BY idx DESC LIMIT 1'),
    lastRotation: db.prepare(
      `SELECT idx FROM entries WHERE kind = '${LOG_KEY_KIND}' ORDER BY idx DESC LIMIT 1`,
    ),
    read: db.prepare('SELECT idx, envelope FROM entries WHERE idx = ?'),
    node: db.prepare('SELECT hash FROM nodes WHERE level = ? AND idx = ?'),
    insertEntry: db.prepare('INSERT INTO entries (idx, id, kind, time, envelope) VALUES (?, ?, ?, ?, ?)'),
    insertNode: db.prepare('INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)'),
    insertCheckpoint: db.prepare('INSERT INTO checkpoints (size, note) VALUES (?, ?)'),
    // The latest index of each kind, for conditional appends: a loose scan of the (kind, idx) index, one
    // probe per distinct kind and one for its last index, whatever the size of the log.
    lastIndexByKind: db.prepare(
      `WITH RECURSIVE kinds(kind) AS (
         SELECT (SELECT kind FROM entries ORDER BY kind LIMIT 1)
         UNION ALL
         SELECT (SELECT e.kind FROM entries e WHERE e.kind > kinds.kind ORDER BY e.kind LIMIT 1)
           FROM kinds WHERE kinds.kind IS NOT NULL
       )
       SELECT kind, (SELECT max(e.idx) FROM entries e WHERE e.kind = kinds.kind) AS last
         FROM kinds WHERE kind IS NOT NULL`,
    ),
  };
}

function sameEntry(a: LastEntry | undefined, b: LastEntry | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.index === b.index && a.time === b.time;
}

export function storeError(message: string, error: unknown): StoreError {
  const detail = error instanceof Error ? error.message : String(error);
  const code = detail.includes('append-only') ? 'APPEND_ONLY' : 'STORE_FAILURE';
  return new StoreError(code, `${message}: ${detail}`, { cause: error });
}
