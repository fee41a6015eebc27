// Which reference bin a value of scoring traffic falls in, and the bins' labels. Pure; called once per
// value per row during ingestion, so it searches the edges and the categories by bisection and builds
// nothing per call beyond the parse. The values come from scoring traffic and are attacker-controlled:
// anything that is not a plain finite decimal number (or a known category) is counted, never thrown on.
import { InputError } from '../errors.js';
import type { FeatureBins } from './types.js';

// A finite decimal number: optional sign, digits with an optional fraction (or a bare fraction), an
// optional exponent. No hex, binary or octal literals, no `Infinity`/`NaN`, no `_` separators, no empty
// string — the things `Number()` accepts that a CSV cell of a number should not be.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
// Leading and trailing spaces (and tabs, which spreadsheets export) around a number are allowed.
const SURROUNDING_BLANKS = /^[ \t]+|[ \t]+$/g;

/**
 * The number a numeric feature's value stands for, or `undefined` when it is missing: null, absent, an
 * empty or blank string, a string that is not a finite decimal number (`'abc'`, `'0x10'`, `'1e999'`,
 * `'NaN'`), or a non-finite number. Leading and trailing spaces are allowed: `' 3.5 '` is 3.5. A negative
 * zero is read as 0.
 *
 * @example parseDecimal(' -1.5e2 ') // -150
 */
export function parseDecimal(value: string | number | null | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : undefined;
  if (typeof value !== 'string') return undefined;
  // Trim only when there is something to trim: this runs once per cell of every row ingested.
  const text =
    isBlank(value.charCodeAt(0)) || isBlank(value.charCodeAt(value.length - 1))
      ? value.replace(SURROUNDING_BLANKS, '')
      : value;
  if (!DECIMAL.test(text)) return undefined;
  const parsed = Number(text);
  // `1e999` matches the pattern and overflows to Infinity: not a finite number, so missing.
  return Number.isFinite(parsed) ? parsed + 0 : undefined;
}

// A space or a tab (NaN, past either end of the string, is neither).
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * The category a categorical feature's value names, or `undefined` when it is missing (null, absent, the
 * empty string, a non-finite number). A finite number (NDJSON `{"grade": 3}`) names the category of its
 * JavaScript string form (`'3'`). Strings are taken exactly: no trimming, no case folding.
 */
export function categoryOf(value: string | number | null | undefined): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  return value;
}

/** How many bins a feature has, the missing bin (always the last) included. */
export function binCount(bins: FeatureBins): number {
  return bins.kind === 'numeric' ? bins.edges.length + 2 : bins.categories.length + 2;
}

/**
 * The index of the bin `value` falls in, as `FeatureBins` documents:
 * - numeric: the first i with v ≤ edges[i] (a value exactly on an edge goes to the lower bin), else
 *   `edges.length` (above the last edge); values outside the reference range fall in the edge bins;
 * - categorical: the category's index, else `categories.length` ("other");
 * - missing (see `parseDecimal` and `categoryOf`): the last bin, `binCount(bins) - 1`.
 *
 * The edges and the categories must be strictly ascending (`assertFeatureBins`): both are searched by
 * bisection.
 *
 * @example binIndex({ name: 'age', kind: 'numeric', edges: [30, 50], counts: [1, 1, 1, 0] }, ' 30 ') // 0
 */
export function binIndex(bins: FeatureBins, value: string | number | null | undefined): number {
  if (bins.kind === 'numeric') {
    const edges = bins.edges;
    const v = parseDecimal(value);
    if (v === undefined) return edges.length + 1;
    // The first index whose edge is ≥ v, by bisection over [0, edges.length].
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((edges[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  const categories = bins.categories;
  const category = categoryOf(value);
  if (category === undefined) return categories.length + 1;
  // Categories are in code-unit order, which is what `<` on strings compares.
  let lo = 0;
  let hi = categories.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((categories[mid] as string) < category) lo = mid + 1;
    else hi = mid;
  }
  return categories[lo] === category ? lo : categories.length;
}

/**
 * A short label per bin, in bin order, for reports and charts. Numeric: `≤ 0.25`, `(0.25, 0.5]`, …,
 * `> 3`, then `missing` (a feature whose reference had no number has the one value bin `any number`).
 * Categorical: the categories as they are, then `other`, then `missing`.
 *
 * @example binLabels({ name: 'x', kind: 'numeric', edges: [0.25, 0.5], counts: [0, 0, 0, 0] })
 * // ['≤ 0.25', '(0.25, 0.5]', '> 0.5', 'missing']
 */
export function binLabels(bins: FeatureBins): string[] {
  if (bins.kind === 'categorical') return [...bins.categories, 'other', 'missing'];
  const edges = bins.edges;
  if (edges.length === 0) return ['any number', 'missing'];
  const labels = [`≤ ${String(edges[0])}`];
  for (let i = 1; i < edges.length; i += 1) labels.push(`(${String(edges[i - 1])}, ${String(edges[i])}]`);
  labels.push(`> ${String(edges[edges.length - 1])}`, 'missing');
  return labels;
}

/**
 * Checks bins read back from a store or a request before they are used: a name; numeric edges finite and
 * strictly ascending, or categories non-empty strings strictly ascending in code-unit order; one count
 * per bin, each a non-negative safe integer. Throws InputError INVALID_ARGUMENT naming the problem.
 */
export function assertFeatureBins(value: unknown): asserts value is FeatureBins {
  const fail = (problem: string): never => {
    throw new InputError('INVALID_ARGUMENT', `reference bins ${problem}`);
  };
  if (typeof value !== 'object' || value === null) return fail('must be an object');
  const bins = value as Record<string, unknown>;
  const name = bins['name'];
  if (typeof name !== 'string' || name === '') return fail('need a non-empty name');
  const at = `of ${JSON.stringify(name.slice(0, 80))}`;
  let valueBins: number;
  if (bins['kind'] === 'numeric') {
    const edges = bins['edges'];
    if (!Array.isArray(edges)) return fail(`${at}: edges must be an array`);
    edges.forEach((edge: unknown, i) => {
      if (typeof edge !== 'number' || !Number.isFinite(edge)) fail(`${at}: edge ${i} is not a finite number`);
      if (i > 0 && !((edges[i - 1] as number) < (edge as number))) {
        fail(`${at}: edges must be strictly ascending (edge ${i})`);
      }
    });
    valueBins = edges.length + 1;
  } else if (bins['kind'] === 'categorical') {
    const categories = bins['categories'];
    if (!Array.isArray(categories)) return fail(`${at}: categories must be an array`);
    categories.forEach((category: unknown, i) => {
      if (typeof category !== 'string' || category === '')
        fail(`${at}: category ${i} is not a non-empty string`);
      if (i > 0 && !((categories[i - 1] as string) < (category as string))) {
        fail(`${at}: categories must be strictly ascending in code-unit order (category ${i})`);
      }
    });
    valueBins = categories.length + 1;
  } else {
    return fail(`${at}: kind must be "numeric" or "categorical"`);
  }
  const counts = bins['counts'];
  if (!Array.isArray(counts) || counts.length !== valueBins + 1) {
    return fail(`${at}: counts must have ${valueBins + 1} entries, one per bin with missing last`);
  }
  counts.forEach((count: unknown, i) => {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      fail(`${at}: count ${i} is not a non-negative integer`);
    }
  });
}
