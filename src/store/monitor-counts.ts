// The MonitorCounts port: counts of scoring traffic per bin, per window and per feature, for a model in a
// context, added up across ingestions. Working state, not evidence: what counts is sealed into the ledger
// when a window is flagged (the digest of the counts the statistic was computed from).
import { InputError, StoreError } from '../errors.js';
import type { WindowCounts } from '../monitor/types.js';
import { isDigest, type Digest } from '../signing/digest.js';

/**
 * Whose counts: a model in a deployment context, counted in the bins of one reference (the reference
 * bins object sealed with the promotion being monitored). A new promotion seals new bins, and its counts
 * start afresh instead of being added to counts in other bins.
 */
export interface CountsKey {
  readonly model: string;
  readonly context: string;
  readonly reference: Digest;
}

export interface MonitorCounts {
  /**
   * Adds each window's counts, bin by bin, to what is stored for that window and feature (or stores them
   * if there is nothing yet). One call is one transaction: a crash or an error part-way through the
   * batch leaves none of it. Counts of a different length than those stored (other bins) are refused
   * with InputError INVALID_ARGUMENT.
   */
  add(key: CountsKey, counts: readonly WindowCounts[]): Promise<void>;
  /** What is stored, by window (ascending), then feature; only one feature's when it is given. */
  get(key: CountsKey, feature?: string): Promise<WindowCounts[]>;
  /** The windows with counts, ascending. */
  windows(key: CountsKey): Promise<string[]>;
}

// Checks every adapter makes, on what it is given and on what it reads back.

export function assertCountsKey(key: CountsKey): void {
  assertKey(key.model, 'model');
  assertKey(key.context, 'context');
  if (!isDigest(key.reference)) {
    throw new InputError('INVALID_ARGUMENT', 'reference must be the digest of a reference bins object');
  }
}

function assertKey(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new InputError('INVALID_ARGUMENT', `${what} must be a non-empty string`);
  }
}

export function assertWindowCounts(item: WindowCounts): void {
  assertKey(item.feature, 'feature');
  assertKey(item.window, 'window');
  if (
    !Array.isArray(item.counts) ||
    item.counts.length === 0 ||
    !item.counts.every((count) => Number.isSafeInteger(count) && count >= 0)
  ) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `counts of ${JSON.stringify(item.feature)} at ${item.window} must be non-negative integers`,
    );
  }
}

/** Counts read back from the table, checked: the store may have been edited by hand. */
export function parseCounts(text: string, at: { window: string; feature: string }): number[] {
  let counts: unknown;
  try {
    counts = JSON.parse(text);
  } catch (error) {
    throw new StoreError('STORE_FAILURE', `stored counts of ${at.feature} at ${at.window} are not JSON`, {
      cause: error,
    });
  }
  if (!Array.isArray(counts) || !counts.every((count) => Number.isSafeInteger(count) && count >= 0)) {
    throw new StoreError('STORE_FAILURE', `stored counts of ${at.feature} at ${at.window} are not counts`);
  }
  return counts as number[];
}
