// The statistics of one window of scoring traffic against the reference: the population stability
// index (PSI), Pearson's chi-square goodness-of-fit with its p-value, and the level they put the window
// at. Written by hand, no statistics library: the p-value is the upper regularized incomplete gamma
// function Q(df/2, x/2), by the series and the continued fraction of Numerical Recipes §6.2 (Cephes
// `igamc` does the same with a slightly different switch), with log-gamma by Lanczos. Pure.
import { InputError, SignetError } from '../errors.js';
import type { PsiThresholds } from '../policy/index.js';

/**
 * The proportion a PSI term uses in place of an empty bin's 0 (either side), so that ln(a/e) stays
 * finite. 1e-4 is the common practice (it is 0.01 %): small enough that a bin the reference never saw
 * still weighs heavily — expected 0 against actual 5 % adds (0.05 − 0.0001)·ln(0.05/0.0001) ≈ 0.31, past
 * the material threshold on its own — and large enough that one such bin cannot make PSI unbounded.
 * Only the zero proportion is replaced; the others are kept and nothing is renormalised, so a vector
 * can be checked by hand term by term, and a bin empty on both sides contributes exactly 0.
 */
export const PSI_EPSILON = 1e-4;
/** PSI from which a window warns (policy default). */
export const DEFAULT_PSI_WARN = 0.1;
/** PSI from which a window is a material population shift (policy default). */
export const DEFAULT_PSI_MATERIAL = 0.25;
export const DEFAULT_PSI_THRESHOLDS: Required<PsiThresholds> = {
  warn: DEFAULT_PSI_WARN,
  material: DEFAULT_PSI_MATERIAL,
};
/**
 * Below this many rows a window raises no flag. PSI has a sampling floor: for a
 * window drawn from the reference itself PSI ≈ χ²/n, about (bins − 1)/n on average. Simulated with 10
 * equal bins against a 10 000-row reference (200 000 windows each): at 50 rows PSI reaches 0.10 in 86 %
 * of stable windows and 0.25 in 28 %; at 100 rows, 39 % and 0.9 %; at 200 rows, 2.4 % and none; at 500
 * rows, none. A material flag makes the next promotion go to committee, and with 20 features and hourly
 * windows a minimum of 100 would flag a stable population about every five hours; at 500 the sampling
 * floor is about 0.02, far below warn. The chi-square p-value, reported alongside, says how surprising
 * a window is for its size.
 */
export const MINIMUM_WINDOW_COUNT = 500;

export interface PsiResult {
  /** Σ (a − e)·ln(a/e) over the bins. */
  readonly total: number;
  /** The term of each bin, in bin order; each is ≥ 0. */
  readonly terms: readonly number[];
}

/**
 * The population stability index of `actual` against `expected`: Σ (a − e)·ln(a/e), with the
 * proportions a = actual[i]/Σactual and e = expected[i]/Σexpected, a zero proportion (either side)
 * replaced by `epsilon` (see PSI_EPSILON). Every term is ≥ 0, so PSI is ≥ 0 and is 0 exactly when the
 * proportions agree. Counts or proportions may be passed: both are normalised.
 *
 * Throws InputError INVALID_ARGUMENT when the lengths differ, a count is negative or not finite, or a
 * side sums to 0 (there is no distribution to compare).
 *
 * @example psi([50, 50], [40, 60]).total // 0.1·ln 1.5 ≈ 0.0405465
 */
export function psi(
  expected: readonly number[],
  actual: readonly number[],
  epsilon = PSI_EPSILON,
): PsiResult {
  const [sumExpected, sumActual] = checkCounts(expected, actual);
  if (!(epsilon > 0 && epsilon < 1)) {
    throw new InputError('INVALID_ARGUMENT', `epsilon must be in (0, 1), got ${String(epsilon)}`);
  }
  if (sumExpected === 0 || sumActual === 0) {
    throw new InputError('INVALID_ARGUMENT', 'PSI needs at least one count on each side');
  }
  const terms: number[] = [];
  let total = 0;
  for (let i = 0; i < expected.length; i += 1) {
    const e = (expected[i] as number) / sumExpected || epsilon;
    const a = (actual[i] as number) / sumActual || epsilon;
    const term = (a - e) * Math.log(a / e);
    terms.push(term);
    total += term;
  }
  return { total, terms };
}

export interface ChiSquareResult {
  /** Σ (O − E)²/E over the bins used. */
  readonly statistic: number;
  /** Degrees of freedom: the bins used − 1. */
  readonly df: number;
  /** P(X ≥ statistic) for X chi-square with `df` degrees of freedom: Q(df/2, statistic/2). */
  readonly pValue: number;
}

/**
 * Pearson's chi-square goodness-of-fit of the `actual` counts against the `expected` proportions: with
 * N = Σactual and e_i = expected[i]/Σexpected, the expected count is E_i = e_i·N and the statistic is
 * Σ (actual[i] − E_i)²/E_i; df = bins used − 1; the p-value is `chiSquarePValue(statistic, df)`.
 *
 * Bins the reference never saw (expected 0) are skipped: their E is 0 and the term is undefined. Rows
 * there still count in N, so the other bins come up short of their E and the statistic still grows; PSI,
 * through its epsilon, is what weighs such a bin. A window with no rows has statistic 0 and p-value 1.
 *
 * Throws InputError INVALID_ARGUMENT as `psi` does (lengths, negative counts, an empty reference).
 *
 * @example chiSquare([50, 50], [40, 60]) // { statistic: 4, df: 1, pValue: ≈ 0.0455 }
 */
export function chiSquare(expected: readonly number[], actual: readonly number[]): ChiSquareResult {
  const [sumExpected, n] = checkCounts(expected, actual);
  if (sumExpected === 0) {
    throw new InputError('INVALID_ARGUMENT', 'chi-square needs at least one expected count');
  }
  let used = 0;
  let statistic = 0;
  for (let i = 0; i < expected.length; i += 1) {
    const e = (expected[i] as number) / sumExpected;
    if (e === 0) continue;
    used += 1;
    if (n === 0) continue;
    const want = e * n;
    const gap = (actual[i] as number) - want;
    statistic += (gap * gap) / want;
  }
  const df = used - 1;
  return { statistic, df, pValue: chiSquarePValue(statistic, df) };
}

/**
 * The upper tail P(X ≥ x) of the chi-square distribution with `df` degrees of freedom: Q(df/2, x/2).
 * With df = 0 the distribution is the point mass at 0 (the limit of Q(a, ·) as a → 0): 1 at x = 0,
 * 0 above.
 *
 * @example chiSquarePValue(3.841458820694124, 1) // 0.05
 */
export function chiSquarePValue(x: number, df: number): number {
  if (!Number.isSafeInteger(df) || df < 0) {
    throw new InputError('INVALID_ARGUMENT', `degrees of freedom must be an integer ≥ 0, got ${String(df)}`);
  }
  if (Number.isNaN(x)) throw new InputError('INVALID_ARGUMENT', 'chi-square statistic is NaN');
  if (df === 0) return x > 0 ? 0 : 1;
  return regularizedGammaQ(df / 2, x / 2);
}

// Convergence: stop when a step changes the result by less than this, relative (≈ 2.2e-16).
const GAMMA_EPSILON = Number.EPSILON;
// The smallest magnitude the Lentz recurrence lets a denominator take (Numerical Recipes' FPMIN).
const GAMMA_FPMIN = Number.MIN_VALUE / Number.EPSILON;
// Both expansions converge in O(√a) steps near x ≈ a; this bounds a ≤ ~1e8, far past any bin count.
const GAMMA_MAX_ITERATIONS = 100_000;

/**
 * The upper regularized incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x), for a > 0 and
 * x ≥ 0 (Cephes `igamc`, scipy `gammaincc`). For x < a + 1 it is 1 − P with P by its power series
 * (Numerical Recipes §6.2 `gser`), otherwise the continued fraction for Γ(a, x) (`gcf`) evaluated by
 * the modified Lentz method; each converges fast on its side of a + 1. Both share the factor
 * x^a·e^−x/Γ(a), whose rounding grows with a: against mpmath at 50 digits the result is good to about
 * 1e-12 relative for a ≤ 500 (df ≤ 1000), which is all a p-value needs.
 *
 * @example regularizedGammaQ(1, 2) // e^−2 ≈ 0.1353352832366127
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0) || a === Infinity) {
    throw new InputError('INVALID_ARGUMENT', `Q(a, x) needs a > 0 finite and x ≥ 0, got a=${a}, x=${x}`);
  }
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < a + 1) return 1 - gammaSeries(a, x);
  return gammaContinuedFraction(a, x);
}

/** The lower regularized incomplete gamma function P(a, x) = 1 − Q(a, x). */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0) || a === Infinity) {
    throw new InputError('INVALID_ARGUMENT', `P(a, x) needs a > 0 finite and x ≥ 0, got a=${a}, x=${x}`);
  }
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  if (x < a + 1) return gammaSeries(a, x);
  return 1 - gammaContinuedFraction(a, x);
}

// x^a·e^−x/Γ(a), the factor both expansions share, through logarithms so that it neither overflows
// nor underflows before the end.
function gammaPrefactor(a: number, x: number): number {
  return Math.exp(a * Math.log(x) - x - logGamma(a));
}

// P(a, x) = x^a·e^−x/Γ(a) · Σ_{n≥0} x^n / (a(a+1)…(a+n)).
function gammaSeries(a: number, x: number): number {
  let denominator = a;
  let term = 1 / a;
  let sum = term;
  for (let n = 0; n < GAMMA_MAX_ITERATIONS; n += 1) {
    denominator += 1;
    term *= x / denominator;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * GAMMA_EPSILON) return Math.min(1, sum * gammaPrefactor(a, x));
  }
  throw notConverged('series', a, x);
}

// Q(a, x) = x^a·e^−x/Γ(a) · 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− …))), by modified Lentz.
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / GAMMA_FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= GAMMA_MAX_ITERATIONS; i += 1) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < GAMMA_FPMIN) d = GAMMA_FPMIN;
    c = b + an / c;
    if (Math.abs(c) < GAMMA_FPMIN) c = GAMMA_FPMIN;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < GAMMA_EPSILON) return Math.min(1, gammaPrefactor(a, x) * h);
  }
  throw notConverged('continued fraction', a, x);
}

function notConverged(method: string, a: number, x: number): SignetError {
  return new SignetError('INTERNAL', `incomplete gamma ${method} did not converge for a=${a}, x=${x}`);
}

// Lanczos approximation with g = 7 and 9 coefficients (Godfrey's set, the one most implementations
// print), good to about 15 significant digits for x ≥ 0.5.
const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(x) for x > 0, by the Lanczos approximation (g = 7, n = 9), with the reflection formula
 * Γ(x)·Γ(1 − x) = π / sin(πx) below 0.5.
 *
 * @example logGamma(5) // ln 24 ≈ 3.1780538303479458
 */
export function logGamma(x: number): number {
  if (!(x > 0) || x === Infinity) {
    throw new InputError('INVALID_ARGUMENT', `logGamma needs a finite x > 0, got ${String(x)}`);
  }
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS_COEFFICIENTS[0];
  for (let i = 1; i < LANCZOS_COEFFICIENTS.length; i += 1) {
    sum += (LANCZOS_COEFFICIENTS[i] as number) / (z + i);
  }
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

export type WindowLevel = 'insufficient' | 'ok' | 'warn' | 'material';

export interface WindowAssessmentInput {
  /** The reference counts per bin (`FeatureBins.counts`). */
  readonly expected: readonly number[];
  /** The window's counts per bin, same order (`WindowCounts.counts`). */
  readonly actual: readonly number[];
  /** Default `MINIMUM_WINDOW_COUNT`. */
  readonly minimumCount?: number;
  /** The policy's thresholds; default `DEFAULT_PSI_THRESHOLDS`. Without `warn` there is no warning. */
  readonly thresholds?: PsiThresholds;
  /** Default `PSI_EPSILON`. */
  readonly epsilon?: number;
}

export interface WindowAssessment {
  /** PSI of the window; null when the window has no rows. */
  readonly psi: number | null;
  /** The chi-square statistic; null when the window has no rows. */
  readonly chiSquare: number | null;
  readonly df: number;
  /** The chi-square p-value; null when the window has no rows. */
  readonly pValue: number | null;
  /** The rows in the window (Σ actual), the missing bin included. */
  readonly n: number;
  /** The minimum window the level was judged against, stated so that a reader knows why. */
  readonly minimumCount: number;
  /**
   * `insufficient` below `minimumCount` rows (no flag, whatever PSI says); else `material` when PSI
   * reaches the material threshold, `warn` when it reaches the warn threshold, `ok` below.
   */
  readonly level: WindowLevel;
  /** One sentence saying why the level is what it is. */
  readonly reason: string;
}

/**
 * The statistics of one window for one feature and the level they put it at. A threshold is reached
 * when PSI ≥ it (the policy: "flags a feature whose PSI reaches material"). Below `minimumCount` rows no
 * flag is raised — level `insufficient` — but PSI and chi-square are still reported when there is at
 * least one row, for the charts.
 *
 * Throws InputError INVALID_ARGUMENT for counts `psi` refuses, a negative or fractional minimum, or
 * thresholds that are negative or with warn above material.
 *
 * @example assessWindow({ expected: [50, 50], actual: [200, 0] }).level // 'material'
 */
export function assessWindow(input: WindowAssessmentInput): WindowAssessment {
  const minimumCount = input.minimumCount ?? MINIMUM_WINDOW_COUNT;
  const thresholds = input.thresholds ?? DEFAULT_PSI_THRESHOLDS;
  const epsilon = input.epsilon ?? PSI_EPSILON;
  if (!Number.isSafeInteger(minimumCount) || minimumCount < 0) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `minimumCount must be an integer ≥ 0, got ${String(minimumCount)}`,
    );
  }
  checkThresholds(thresholds);
  const [, n] = checkCounts(input.expected, input.actual);
  const chi = chiSquare(input.expected, input.actual);
  if (n === 0) {
    return {
      psi: null,
      chiSquare: null,
      df: chi.df,
      pValue: null,
      n,
      minimumCount,
      level: 'insufficient',
      reason: `no rows in the window, below the minimum of ${minimumCount}: no flag raised`,
    };
  }
  const value = psi(input.expected, input.actual, epsilon).total;
  const stats = { psi: value, chiSquare: chi.statistic, df: chi.df, pValue: chi.pValue, n, minimumCount };
  const shown = `PSI ${formatStatistic(value)}`;
  if (n < minimumCount) {
    return {
      ...stats,
      level: 'insufficient',
      reason: `${n} ${n === 1 ? 'row' : 'rows'} in the window, below the minimum of ${minimumCount}: no flag raised (${shown})`,
    };
  }
  const evidence = `χ² ${formatStatistic(chi.statistic)}, df ${chi.df}, p ${formatP(chi.pValue)}, ${n} rows`;
  if (value >= thresholds.material) {
    return {
      ...stats,
      level: 'material',
      reason: `${shown} reaches the material threshold ${thresholds.material} (${evidence})`,
    };
  }
  if (thresholds.warn !== undefined && value >= thresholds.warn) {
    return {
      ...stats,
      level: 'warn',
      reason: `${shown} reaches the warn threshold ${thresholds.warn}, below material ${thresholds.material} (${evidence})`,
    };
  }
  const below = thresholds.warn === undefined ? `material ${thresholds.material}` : `warn ${thresholds.warn}`;
  return { ...stats, level: 'ok', reason: `${shown} is below the ${below} threshold (${evidence})` };
}

function checkThresholds(thresholds: PsiThresholds): void {
  const { warn, material } = thresholds;
  if (!(Number.isFinite(material) && material > 0)) {
    throw new InputError('INVALID_ARGUMENT', `the material threshold must be > 0, got ${String(material)}`);
  }
  if (warn !== undefined && !(Number.isFinite(warn) && warn >= 0 && warn <= material)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `the warn threshold must be in [0, material ${material}], got ${String(warn)}`,
    );
  }
}

// Both sides have one entry per bin, each finite and ≥ 0; returns [Σexpected, Σactual].
function checkCounts(expected: readonly number[], actual: readonly number[]): [number, number] {
  if (expected.length !== actual.length) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `expected has ${expected.length} bins and actual ${actual.length}: they must be counted in the same bins`,
    );
  }
  if (expected.length === 0) throw new InputError('INVALID_ARGUMENT', 'there are no bins to compare');
  const sum = (counts: readonly number[], side: string): number => {
    let total = 0;
    counts.forEach((count, i) => {
      if (!(Number.isFinite(count) && count >= 0)) {
        throw new InputError(
          'INVALID_ARGUMENT',
          `${side} count ${i} must be a finite number ≥ 0, got ${count}`,
        );
      }
      total += count;
    });
    return total;
  };
  return [sum(expected, 'expected'), sum(actual, 'actual')];
}

function formatStatistic(value: number): string {
  return value.toFixed(4);
}

function formatP(p: number): string {
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}
