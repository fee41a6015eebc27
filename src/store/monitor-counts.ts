// The MonitorCounts port: counts of scoring traffic per bin, per window and per feature, for a model in a
// context, added up across ingestions. Working state, not evidence: what counts is sealed into the ledger
// when a window is flagged (the digest of the counts the statistic was computed from).
import type { WindowCounts } from '../monitor/types.js';
import type { Digest } from '../signing/digest.js';

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
