// Population-shift monitoring: the shapes shared by the reference bins (sealed with a promotion), the
// ingestion of scoring traffic (counts per bin per window) and the statistics (PSI, chi-square).
import type { Digest } from '../signing/digest.js';

export const REFERENCE_BINS_TYPE = 'signet-reference-bins/v1';

/**
 * One feature's (or the score's) reference distribution. Bins are indexed 0..n-1; the LAST index is
 * always the "missing" bin (an empty, absent or unparsable value).
 * - numeric: `edges` are the inner cut points, ascending, frozen at the promotion (deciles of the
 *   evaluation dataset: up to 9 edges for 10 bins, fewer when values repeat). Value v falls in bin i,
 *   the first i with v <= edges[i]; above the last edge: bin edges.length. Values outside the reference
 *   range therefore fall in the edge bins. Bins: edges.length + 1 value bins, then missing.
 * - categorical: `categories` in code-unit order; a value not among them is "other". Bins: one per
 *   category, then other, then missing.
 */
export type FeatureBins =
  | {
      readonly name: string;
      readonly kind: 'numeric';
      readonly edges: readonly number[];
      /** Reference counts per bin, missing last. */
      readonly counts: readonly number[];
    }
  | {
      readonly name: string;
      readonly kind: 'categorical';
      readonly categories: readonly string[];
      /** Reference counts per bin: categories, other, missing. */
      readonly counts: readonly number[];
    };

/** The reference bins object, stored by digest and referenced from the promotion event. */
export interface ReferenceBins {
  readonly type: typeof REFERENCE_BINS_TYPE;
  readonly model: string;
  /** The evaluation dataset they were computed on. */
  readonly dataset: Digest;
  readonly features: readonly FeatureBins[];
  /** The model's score, when the dataset has a score column. */
  readonly score?: FeatureBins;
}

/** Counts of one window of scoring traffic for one feature, in the reference's bin order. */
export interface WindowCounts {
  readonly feature: string;
  /** The window's start, RFC 3339 (UTC, on the hour or the day). */
  readonly window: string;
  readonly counts: readonly number[];
}

/** One feature's (or the score's) statistics in one window, as `signet monitor status` reports them. */
export interface StatusPoint {
  /** The window's start, RFC 3339 UTC. */
  readonly window: string;
  /** Rows in the window (the missing bin included). */
  readonly n: number;
  /** Null when the window has no rows. */
  readonly psi: number | null;
  readonly chiSquare: number | null;
  readonly df: number;
  readonly pValue: number | null;
  readonly level: 'insufficient' | 'ok' | 'warn' | 'material';
  /** One sentence saying why the level is what it is. */
  readonly reason: string;
  /** The population-shift entry recorded for this window and feature, when there is one. */
  readonly flag?: { readonly entry: Digest; readonly index: number };
}

export interface StatusSeries {
  readonly name: string;
  readonly role: 'feature' | 'score';
  /** One point per window with counts, ascending. */
  readonly points: readonly StatusPoint[];
}

/** What the monitor knows of a model in one context: the promotion it measures against and each series. */
export interface MonitorStatus {
  readonly model: string;
  readonly context: string;
  /** The promotion entry whose sealed reference bins the traffic is counted in. */
  readonly promotion: { readonly entry: Digest; readonly index: number };
  /** The reference bins object. */
  readonly reference: Digest;
  /** The thresholds the levels were judged against, from the policy in force (or the defaults). */
  readonly thresholds: { readonly warn?: number; readonly material: number };
  /** Object digest of the policy document in force; null before any policy (flags are then not recorded). */
  readonly policy: Digest | null;
  /** Below this many rows in a window no flag is raised. */
  readonly minimumCount: number;
  /** Windows with counts, ascending. */
  readonly windows: readonly string[];
  /** Features in the reference's order, then the score. */
  readonly series: readonly StatusSeries[];
  /** Every population-shift entry for the model in this context, in log order. */
  readonly flags: readonly {
    readonly entry: Digest;
    readonly index: number;
    readonly window: string;
    readonly feature: string;
    readonly psi: number;
    readonly pValue: number;
  }[];
}
