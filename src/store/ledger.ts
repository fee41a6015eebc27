// The Ledger port: an append-only, verifiable log of signed entries (DESIGN invariant 1).
// Async so that database-backed adapters fit without touching callers.
import type { EntryDraft, SealedEntry } from '../ledger/entry.js';
import type { Digest } from '../signing/digest.js';

export interface StoredEntry {
  readonly index: number;
  readonly id: Digest;
  readonly kind: string;
  readonly time: string;
  /** The exact stored envelope bytes. */
  readonly envelope: Uint8Array;
}

export interface StoredCheckpoint {
  readonly size: number;
  /** The C2SP signed note, exactly as signed. */
  readonly note: Uint8Array;
}

/** What `Ledger.appendIf` requires of the entries before the one it appends. */
export interface AppendCondition {
  /** Every entry at or after this index… */
  readonly since: number;
  /** …has one of these kinds. */
  readonly kinds: ReadonlySet<string>;
}

export interface Ledger {
  /**
   * Stamps (index, log time), signs and appends an entry; returns it once durable. Adapters group-commit:
   * appends made while a transaction is in flight share the next one (consecutive indices, a signature
   * each, one checkpoint for the batch). A draft that cannot be sealed rejects alone; a failed
   * transaction rejects every append in it, and none of them is written.
   */
  append(draft: EntryDraft): Promise<SealedEntry>;
  /**
   * Appends `draft` only if every entry from `condition.since` up to it — those appended before it in
   * the same transaction included — has a kind in `condition.kinds`, as checked inside the append's
   * transaction, under the ledger's write lock; otherwise rejects with StoreError
   * APPEND_CONDITION_FAILED and takes no index. The gate answers a cached allow this way, without reading
   * the log first, and the check cannot miss an entry another server or process committed in between.
   */
  appendIf(draft: EntryDraft, condition: AppendCondition): Promise<SealedEntry>;
  size(): Promise<number>;
  /** Throws OUT_OF_RANGE for an index at or past the size. */
  read(index: number): Promise<StoredEntry>;
  find(id: Digest): Promise<StoredEntry | undefined>;
  /** Entries with from <= index < to, in order. */
  entries(from?: number, to?: number): AsyncIterable<StoredEntry>;
  /** Entries of the given kinds (e.g. `role-grant`), in log order. */
  entriesOfKinds(kinds: readonly string[], from?: number): AsyncIterable<StoredEntry>;
  /**
   * The latest signed checkpoint, stored in the same transaction as the last batch of entries, so it
   * always covers the whole ledger. There is one per batch, not one per size: a checkpoint of an older
   * size may not exist, and proofs (`root`, `proveInclusion`, `proveConsistency`) work at every size.
   */
  checkpoint(): Promise<StoredCheckpoint>;
  /** The root hash of the tree of the first `size` entries (RFC 9162 MTH). */
  root(size: number): Promise<Uint8Array>;
  proveInclusion(index: number, size: number): Promise<Uint8Array[]>;
  proveConsistency(oldSize: number, newSize: number): Promise<Uint8Array[]>;
  close(): Promise<void>;
}
