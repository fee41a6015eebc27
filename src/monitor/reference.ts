// The reference distributions sealed with a promotion: per input feature (and the score) the bins that
// scoring traffic is later counted in, and the evaluation dataset's counts in them. Pure: takes the
// dataset's rows as values, returns the `ReferenceBins` object; storing it is the caller's business.
import { InputError } from '../errors.js';
import type { FeatureType } from '../promotion/inputs.js';
import { isDigest, type Digest } from '../signing/digest.js';
import { assertFeatureBins, binIndex, categoryOf, parseDecimal } from './bins.js';
import { REFERENCE_BINS_TYPE, type FeatureBins, type ReferenceBins } from './types.js';

export type FeatureKind = FeatureBins['kind'];

/** Numeric features get this many quantile bins (deciles) unless told otherwise. */
export const DEFAULT_QUANTILE_BINS = 10;
/**
 * A categorical feature keeps at most this many categories, the most frequent; the rarer ones are
 * counted as "other" from the reference on. A column of identifiers would otherwise make one bin per
 * row, and neither PSI nor chi-square means anything over thousands of bins of one row each.
 */
export const DEFAULT_MAX_CATEGORIES = 100;

export interface FeatureBinsOptions {
  /** Numeric: the number of quantile bins before equal edges are merged (default 10: deciles). */
  readonly quantileBins?: number;
  /** Categorical: the most categories kept (default `DEFAULT_MAX_CATEGORIES`). */
  readonly maxCategories?: number;
}

/**
 * The kind of bins for an input contract's feature type: `integer` and `number` are numeric (quantile
 * bins); `category`, `string` and `boolean` are categorical (a boolean's `true`/`false` are two
 * categories — quantiles of two values say nothing more).
 */
export function kindOfContractType(type: FeatureType): FeatureKind {
  switch (type) {
    case 'integer':
    case 'number':
      return 'numeric';
    case 'category':
    case 'string':
    case 'boolean':
      return 'categorical';
  }
}

/**
 * The kind of bins for a column nobody typed: numeric when it has at least one value and every value
 * that is not missing is a finite decimal number (`parseDecimal`), categorical otherwise. One stray
 * `'n/a'` makes a column categorical, which is what a reviewer would want to see rather than a numeric
 * feature with a silently growing missing bin.
 */
export function inferKind(values: Iterable<string | number | null>): FeatureKind {
  let seen = false;
  for (const value of values) {
    if (categoryOf(value) === undefined) continue; // missing
    if (parseDecimal(value) === undefined) return 'categorical';
    seen = true;
  }
  return seen ? 'numeric' : 'categorical';
}

/**
 * The `k/bins` quantiles, k = 1 … bins−1, of `sorted` (ascending, finite, non-empty) by R's type 7 —
 * linear interpolation between order statistics, the default of R `quantile`, numpy `quantile` and
 * pandas `Series.quantile`, so a Python user can reproduce the edges with
 * `numpy.quantile(x, numpy.arange(1, 10) / 10)`. With n values x[0] ≤ … ≤ x[n−1] (0-based) and
 * h = (n − 1)·p, the quantile is x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 *
 * @example quantiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 10) // [2, 3, 4, 5, 6, 7, 8, 9, 10]
 */
export function quantiles(sorted: ArrayLike<number>, bins: number): number[] {
  const n = sorted.length;
  if (n === 0) throw new InputError('INVALID_ARGUMENT', 'quantiles of no values');
  const result: number[] = [];
  for (let k = 1; k < bins; k += 1) {
    // h = (n − 1)·k/bins, computed as an integer product over `bins` so that whole positions are exact.
    const h = ((n - 1) * k) / bins;
    const lo = Math.floor(h);
    const below = sorted[lo] as number;
    if (lo + 1 >= n || h === lo) {
      result.push(below);
      continue;
    }
    const above = sorted[lo + 1] as number;
    // Clamped: the rounded difference can carry the sum a hair past `above`, and edges must not cross.
    const q = below + (h - lo) * (above - below);
    result.push(Math.min(above, Math.max(below, q)));
  }
  return result;
}

/**
 * One feature's reference bins from its values in the evaluation dataset (read once).
 * - numeric: edges at the quantiles of the values that are numbers (`quantiles`, type 7; 9 edges for the
 *   default 10 bins), equal edges merged so that no bin has zero width — a feature that takes few values
 *   gets fewer bins; a feature with no number at all gets no edge (one value bin, plus missing);
 * - categorical: the categories seen, in code-unit order (at most `maxCategories`, the most frequent,
 *   ties to the earlier in code-unit order), then other, then missing.
 * The counts are the dataset's own counts in those bins, computed with `binIndex`, so that the reference
 * is counted exactly as the traffic will be.
 */
export function computeFeatureBins(
  name: string,
  values: Iterable<string | number | null>,
  kind: FeatureKind,
  options: FeatureBinsOptions = {},
): FeatureBins {
  if (name === '') throw new InputError('INVALID_ARGUMENT', 'a feature needs a non-empty name');
  if (kind === 'numeric') {
    const quantileBins = options.quantileBins ?? DEFAULT_QUANTILE_BINS;
    assertCount(quantileBins, 'quantileBins', 1);
    const numbers: number[] = [];
    let missing = 0;
    for (const value of values) {
      const v = parseDecimal(value);
      if (v === undefined) missing += 1;
      else numbers.push(v);
    }
    const sorted = Float64Array.from(numbers).sort();
    const edges: number[] = [];
    if (sorted.length > 0) {
      for (const q of quantiles(sorted, quantileBins)) {
        if (edges.length === 0 || (edges[edges.length - 1] as number) < q) edges.push(q);
      }
    }
    const counts = new Array<number>(edges.length + 2).fill(0);
    const bins = { name, kind, edges, counts };
    for (const v of sorted) {
      const i = binIndex(bins, v);
      counts[i] = (counts[i] as number) + 1;
    }
    counts[edges.length + 1] = missing;
    return bins;
  }
  const maxCategories = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  assertCount(maxCategories, 'maxCategories', 0);
  const seen = new Map<string, number>();
  let missing = 0;
  for (const value of values) {
    const category = categoryOf(value);
    if (category === undefined) missing += 1;
    else seen.set(category, (seen.get(category) ?? 0) + 1);
  }
  let categories = [...seen.keys()].sort(compareCodeUnits);
  if (categories.length > maxCategories) {
    const kept = [...categories]
      .sort((a, b) => (seen.get(b) as number) - (seen.get(a) as number) || compareCodeUnits(a, b))
      .slice(0, maxCategories);
    categories = kept.sort(compareCodeUnits);
  }
  const counts = categories.map((c) => seen.get(c) as number);
  const total = [...seen.values()].reduce((sum, c) => sum + c, 0);
  const other = total - counts.reduce((sum, c) => sum + c, 0);
  return { name, kind, categories, counts: [...counts, other, missing] };
}

/** A column of the evaluation dataset to bin; without a kind, `inferKind` decides from its values. */
export interface ReferenceColumn {
  readonly name: string;
  readonly kind?: FeatureKind;
}

export interface ReferenceBinsInput {
  readonly model: string;
  /** The digest of the evaluation dataset the rows are read from. */
  readonly dataset: Digest;
  /** The input features, in the order the bins object lists them (the input contract's order). */
  readonly columns: readonly ReferenceColumn[];
  /** The dataset's rows: column name → cell, `null` or an absent key for a missing cell. Read once. */
  readonly rows: Iterable<Readonly<Record<string, string | null>>>;
  /** The name of the column holding the model's score, always binned as numeric. */
  readonly score?: string;
  readonly options?: FeatureBinsOptions;
}

/**
 * The reference bins object sealed with a promotion: `computeFeatureBins` over every column asked for,
 * and over the score column when there is one. The rows are read once; the cells of the columns asked
 * for are held until the end (the quantiles need them all), which is fine for an evaluation dataset and
 * is why ingestion of traffic, unbounded, counts into frozen bins instead.
 *
 * Throws InputError INVALID_ARGUMENT for a column named twice, or for a column (or the score) that no
 * row has at all — a misspelt name would otherwise seal a reference that is all "missing".
 */
export function computeReferenceBins(input: ReferenceBinsInput): ReferenceBins {
  const names = input.columns.map((c) => c.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) {
    throw new InputError('INVALID_ARGUMENT', `column ${JSON.stringify(duplicate)} is named twice`);
  }
  const wanted = input.score === undefined ? names : [...names, input.score];
  const cells = new Map<string, (string | null)[]>(wanted.map((name) => [name, []]));
  const present = new Set<string>();
  let rows = 0;
  for (const row of input.rows) {
    rows += 1;
    for (const [name, column] of cells) {
      const cell = Object.hasOwn(row, name) ? row[name] : undefined;
      if (cell === undefined) column.push(null);
      else {
        present.add(name);
        column.push(cell);
      }
    }
  }
  const absent = rows === 0 ? [] : wanted.filter((name) => !present.has(name));
  if (absent.length > 0) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `the dataset has no column ${absent.map((name) => JSON.stringify(name)).join(', ')}`,
      { details: { absent } },
    );
  }
  const valuesOf = (name: string): (string | null)[] => cells.get(name) ?? [];
  const features = input.columns.map((column) => {
    const values = valuesOf(column.name);
    return computeFeatureBins(column.name, values, column.kind ?? inferKind(values), input.options);
  });
  const reference: ReferenceBins = {
    type: REFERENCE_BINS_TYPE,
    model: input.model,
    dataset: input.dataset,
    features,
  };
  return input.score === undefined
    ? reference
    : {
        ...reference,
        score: computeFeatureBins(input.score, valuesOf(input.score), 'numeric', input.options),
      };
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertCount(value: number, what: string, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new InputError('INVALID_ARGUMENT', `${what} must be an integer ≥ ${minimum}, got ${String(value)}`);
  }
}

/**
 * Checks a reference bins object read back from the object store (the bytes are what their digest
 * names, but whoever stored them chose them): the type, the dataset digest, each feature's bins
 * (`assertFeatureBins`), names unique across features and score. Throws InputError INVALID_ARGUMENT.
 */
export function assertReferenceBins(value: unknown): asserts value is ReferenceBins {
  const fail = (problem: string): never => {
    throw new InputError('INVALID_ARGUMENT', `not a reference bins object: ${problem}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not an object');
  const record = value as Record<string, unknown>;
  if (record['type'] !== REFERENCE_BINS_TYPE) return fail(`type must be ${REFERENCE_BINS_TYPE}`);
  if (typeof record['model'] !== 'string' || record['model'] === '') return fail('model must be a name');
  if (!isDigest(record['dataset'])) return fail('dataset must be a digest');
  const features = record['features'];
  if (!Array.isArray(features)) return fail('features must be an array');
  features.forEach((bins: unknown) => assertFeatureBins(bins));
  if (record['score'] !== undefined) assertFeatureBins(record['score']);
  const names = [
    ...(features as FeatureBins[]).map((bins) => bins.name),
    ...(record['score'] === undefined ? [] : [(record['score'] as FeatureBins).name]),
  ];
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) fail(`${JSON.stringify(duplicate)} is binned twice`);
}
