// The monitor's flag: when PSI on scoring traffic crosses the policy's material threshold for a feature
// (or the score) in a window, a `population-shift` entry is appended — once per model, context, window
// and feature, whoever notices first — and the next promotion of the model routes material with that
// entry quoted in its reasons (src/policy/evaluate.ts, rule populationShift). The entry is the log's own
// statement (no person signs it): it records what the monitor measured, with the digest of the counts it
// measured and of the policy whose threshold it crossed.
import { InputError } from '../errors.js';
import { openEntry, predicateTypeOf, subjectOf, type SealedEntry } from '../ledger/entry.js';
import { digestOfBytes, isDigest, type Digest } from '../signing/digest.js';
import type { Home } from './home.js';
import { CONTEXT_PATTERN, CONTEXT_RULE } from './promote.js';
import { POPULATION_SHIFT_KIND } from './route.js';

export interface PopulationShiftFlag {
  readonly model: string;
  readonly context: string;
  /** The window's start, RFC 3339 UTC. */
  readonly window: string;
  /** A feature name, or `score`. */
  readonly feature: string;
  readonly psi: number;
  /** The chi-square test's p-value for the same window (PSI ignores sample size). */
  readonly pValue: number;
  /** Rows in the window. */
  readonly rows: number;
  /** Object digest of the window's counts as measured. */
  readonly counts: Digest;
  /** Object digest of the policy document whose threshold was crossed. */
  readonly policy: Digest;
  /** The threshold crossed. */
  readonly threshold: number;
}

export interface RecordedShift {
  readonly entry: Digest;
  readonly index: number;
  /** False when a flag for the same model, context, window and feature was already in the log. */
  readonly appended: boolean;
}

/** Appends the flag unless the log already has one for the same model, context, window and feature. */
export async function recordPopulationShift(home: Home, flag: PopulationShiftFlag): Promise<RecordedShift> {
  assertFlag(flag);
  for await (const stored of home.ledger.entriesOfKinds([POPULATION_SHIFT_KIND])) {
    const p = openEntry(stored.envelope, home.logPublicKey).statement.predicate;
    const model = p['model'];
    const name = typeof model === 'object' && model !== null ? (model as { name?: unknown }).name : model;
    if (
      name === flag.model &&
      p['context'] === flag.context &&
      p['window'] === flag.window &&
      p['feature'] === flag.feature
    ) {
      return { entry: stored.id, index: stored.index, appended: false };
    }
  }
  const entry: SealedEntry = await home.ledger.append({
    subject: [subjectOf(flag.model, digestOfBytes(new TextEncoder().encode(flag.model)))],
    predicateType: predicateTypeOf(POPULATION_SHIFT_KIND),
    predicate: {
      model: { name: flag.model },
      context: flag.context,
      window: flag.window,
      feature: flag.feature,
      psi: flag.psi,
      pValue: flag.pValue,
      rows: flag.rows,
      threshold: flag.threshold,
      counts: flag.counts,
      policy: flag.policy,
    },
  });
  return { entry: entry.id, index: entry.index, appended: true };
}

function assertFlag(flag: PopulationShiftFlag): void {
  const problems: string[] = [];
  if (typeof flag.model !== 'string' || flag.model.length === 0) problems.push('model');
  if (!CONTEXT_PATTERN.test(flag.context)) problems.push(`context (${CONTEXT_RULE})`);
  if (Number.isNaN(Date.parse(flag.window)) || !flag.window.endsWith('Z'))
    problems.push('window (RFC 3339 UTC)');
  if (typeof flag.feature !== 'string' || flag.feature.length === 0) problems.push('feature');
  if (!Number.isFinite(flag.psi) || flag.psi < 0) problems.push('psi (a finite number ≥ 0)');
  if (!Number.isFinite(flag.pValue) || flag.pValue < 0 || flag.pValue > 1)
    problems.push('pValue (in [0, 1])');
  if (!Number.isSafeInteger(flag.rows) || flag.rows < 0) problems.push('rows');
  if (!Number.isFinite(flag.threshold) || flag.threshold < 0) problems.push('threshold');
  if (!isDigest(flag.counts)) problems.push('counts (an object digest)');
  if (!isDigest(flag.policy)) problems.push('policy (an object digest)');
  if (problems.length > 0) {
    throw new InputError('INVALID_ARGUMENT', `a population-shift flag needs a valid ${problems.join(', ')}`);
  }
}
