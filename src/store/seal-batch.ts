// Sealing a batch of drafts for the ledger adapters: consecutive indices after the last entry, log times
// that never go backwards, one log signature per entry. A draft that cannot be sealed (INVALID_STATEMENT,
// too large) fails alone and takes no index, so one bad draft never costs the others their append.
import { InputError } from '../errors.js';
import { formatLogTime, sealEntry, type EntryDraft, type SealedEntry } from '../ledger/entry.js';
import type { Signer } from '../signing/keys.js';
import type { Outcome } from './group-commit.js';

/** The entry a batch is sealed after, as read from the store. */
export interface LastEntry {
  readonly index: number;
  readonly time: string;
}

export interface SealedBatch {
  /** The index of the first sealed entry: the size of the tree before the batch. */
  readonly start: number;
  /** The entries to append, at start, start + 1, …. */
  readonly entries: readonly SealedEntry[];
  /** One per draft, in order: its sealed entry, or why it could not be sealed. */
  readonly outcomes: readonly Outcome<SealedEntry>[];
}

/**
 * Seals `drafts` after `last`. Errors other than a draft's own (a signer that fails) are thrown: they are
 * not the draft's fault and would fail every draft of the batch alike.
 */
export function sealBatch(
  drafts: readonly EntryDraft[],
  last: LastEntry | undefined,
  log: { readonly origin: string; readonly signer: Signer },
  clock: () => number,
): SealedBatch {
  const start = last ? last.index + 1 : 0;
  // Times never go backwards: a clock that stepped back (or a server whose clock is behind another's) is
  // held at the previous entry's time.
  let floor = last ? Date.parse(last.time) : Number.NEGATIVE_INFINITY;
  const entries: SealedEntry[] = [];
  const outcomes: Outcome<SealedEntry>[] = [];
  for (const draft of drafts) {
    const now = Math.max(clock(), floor);
    let sealed: SealedEntry;
    try {
      sealed = sealEntry(
        draft,
        { origin: log.origin, index: start + entries.length, time: formatLogTime(now) },
        log.signer,
      );
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      outcomes.push({ ok: false, error });
      continue;
    }
    floor = now;
    entries.push(sealed);
    outcomes.push({ ok: true, value: sealed });
  }
  return { start, entries, outcomes };
}
