// Sealing a batch of drafts for the ledger adapters: consecutive indices after the last entry, log times
// that never go backwards, one log signature per entry. A draft that cannot be sealed (INVALID_STATEMENT,
// too large) fails alone and takes no index, so one bad draft never costs the others their append.
//
// The log key: a batch is sealed only with the key the log says is in force — the key announced by the
// latest `log-key` entry, read in the append's transaction — so that a server still running with a key
// another instance retired (`signet log rotate-key`) refuses to append (LOG_KEY_ROTATED) instead of
// writing entries every verifier rejects. A rotation entry is the last entry of its batch that this key
// signs: the drafts after it in the same batch fail with LOG_KEY_ROTATED too.
//
// Conditional appends (`Ledger.appendIf`): given the index of the latest entry of each kind, read in the
// transaction, a draft whose condition excludes a kind with an entry at or after its `since` — one sealed
// before it in the same batch included — fails alone with APPEND_CONDITION_FAILED and takes no index.
import { InputError, StoreError } from '../errors.js';
import { formatLogTime, sealEntry, type EntryDraft, type SealedEntry } from '../ledger/entry.js';
import { announcedKeyIdOf, LOG_KEY_KIND } from '../ledger/log-keys.js';
import type { Signer } from '../signing/keys.js';
import type { Outcome } from './group-commit.js';
import type { AppendCondition } from './ledger.js';

/** The entry a batch is sealed after, as read from the store. */
export interface LastEntry {
  readonly index: number;
  readonly time: string;
}

/** The latest `log-key` entry of the log: its index and the key id it announces. */
export interface KeyAnnouncement {
  readonly index: number;
  readonly keyId: string;
}

/**
 * Remembers the latest announcement an adapter read, so that the envelope is parsed once per rotation:
 * the adapter reads the latest `log-key` index in its transaction (an indexed read) and fetches the
 * envelope only when the index is new.
 */
export class KeyAnnouncementCache {
  private cached: KeyAnnouncement | undefined;

  /** The announcement at `index`, if it is the one remembered last. */
  known(index: number): KeyAnnouncement | undefined {
    return this.cached?.index === index ? this.cached : undefined;
  }

  /** Reads the key id the `log-key` entry at `index` announces, and remembers it. */
  remember(index: number, envelope: Uint8Array): KeyAnnouncement {
    this.cached = { index, keyId: announcedKeyIdOf(envelope) };
    return this.cached;
  }
}

/** True for the error sealBatch throws when this instance's key is retired (adapters pass it through). */
export function isKeyRotated(error: unknown): boolean {
  return error instanceof StoreError && error.code === 'LOG_KEY_ROTATED';
}

function keyRotated(message: string, details: Record<string, unknown>): StoreError {
  return new StoreError('LOG_KEY_ROTATED', message, { details });
}

/** One append of a batch: its draft and, for a conditional append (`Ledger.appendIf`), its condition. */
export interface AppendItem {
  readonly draft: EntryDraft;
  readonly condition?: AppendCondition | undefined;
}

/** An entry at or after `condition.since` whose kind `condition` excludes, if the log has one. */
function excludedBy(
  lastIndexByKind: ReadonlyMap<string, number>,
  condition: AppendCondition,
): { kind: string; index: number } | undefined {
  for (const [kind, index] of lastIndexByKind) {
    if (index >= condition.since && !condition.kinds.has(kind)) return { kind, index };
  }
  return undefined;
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
 * Seals `items` after `last`; `lastIndexByKind` (the index of the latest entry of each kind, read in the
 * same transaction as `last`) is required when an item has a condition. Errors other than a draft's own (a signer that fails) are thrown: they are
 * not the draft's fault and would fail every draft of the batch alike.
 */
export function sealBatch(
  items: readonly AppendItem[],
  last: LastEntry | undefined,
  log: { readonly origin: string; readonly signer: Signer },
  clock: () => number,
  announcement?: KeyAnnouncement,
  lastIndexByKind?: ReadonlyMap<string, number>,
): SealedBatch {
  if (lastIndexByKind === undefined && items.some((item) => item.condition !== undefined)) {
    // Checking a condition against nothing would pass it: refuse, as a bug of the adapter.
    throw new StoreError(
      'STORE_FAILURE',
      'a conditional append reached sealing without the latest index of each kind',
    );
  }
  if (announcement !== undefined && announcement.keyId !== log.signer.keyId) {
    throw keyRotated(
      `the log key was rotated by entry ${announcement.index} to ${announcement.keyId}; this instance ` +
        `still holds the retired key ${log.signer.keyId} and appends nothing: restart it with the new ` +
        'key files (docs/operations.md, "Rotating the log key")',
      { logKeyId: announcement.keyId, homeKeyId: log.signer.keyId, announcedBy: announcement.index },
    );
  }
  const start = last ? last.index + 1 : 0;
  // Times never go backwards: a clock that stepped back (or a server whose clock is behind another's) is
  // held at the previous entry's time.
  let floor = last ? Date.parse(last.time) : Number.NEGATIVE_INFINITY;
  const entries: SealedEntry[] = [];
  const outcomes: Outcome<SealedEntry>[] = [];
  let rotatedAt: number | undefined;
  // Updated as the batch is sealed: a condition also covers the entries sealed before it in the batch.
  const lastByKind = new Map(lastIndexByKind);
  for (const { draft, condition } of items) {
    if (rotatedAt !== undefined) {
      outcomes.push({
        ok: false,
        error: keyRotated(
          `the log key was rotated by entry ${rotatedAt}, sealed just before this append in the same ` +
            'transaction; this instance holds the retired key and appends nothing',
          { announcedBy: rotatedAt, homeKeyId: log.signer.keyId },
        ),
      });
      continue;
    }
    const excluded = condition === undefined ? undefined : excludedBy(lastByKind, condition);
    if (condition !== undefined && excluded !== undefined) {
      outcomes.push({
        ok: false,
        error: new StoreError(
          'APPEND_CONDITION_FAILED',
          `entry ${excluded.index} (${excluded.kind}) is at or after index ${condition.since}: the ` +
            'conditional append was not made',
          { details: { since: condition.since, index: excluded.index, kind: excluded.kind } },
        ),
      });
      continue;
    }
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
    lastByKind.set(sealed.kind, sealed.index);
    if (sealed.kind === LOG_KEY_KIND) rotatedAt = sealed.index;
    entries.push(sealed);
    outcomes.push({ ok: true, value: sealed });
  }
  return { start, entries, outcomes };
}
