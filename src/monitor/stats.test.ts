import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import {
  assessWindow,
  chiSquare,
  chiSquarePValue,
  DEFAULT_PSI_MATERIAL,
  DEFAULT_PSI_THRESHOLDS,
  DEFAULT_PSI_WARN,
  logGamma,
  MINIMUM_WINDOW_COUNT,
  psi,
  PSI_EPSILON,
  regularizedGammaP,
  regularizedGammaQ,
  type WindowLevel,
} from './stats.js';

interface PsiCase {
  readonly title: string;
  readonly input: { readonly expected: number[]; readonly actual: number[]; readonly epsilon: number };
  readonly expected: {
    readonly psi: number;
    readonly terms: number[];
    readonly chiSquare: number;
    readonly df: number;
    readonly pValue: number;
    readonly n: number;
    readonly level: WindowLevel;
  };
}
interface PValueCase {
  readonly title: string;
  readonly input: { readonly x: number; readonly df: number };
  readonly expected: { readonly pValue: number; readonly tableProbability?: number };
}
interface GammaCase {
  readonly title: string;
  readonly input: { readonly a: number; readonly x: number };
  readonly expected: { readonly q: number };
}

const vectors = JSON.parse(readFileSync(new URL('../../test/vectors/psi.json', import.meta.url), 'utf8')) as {
  readonly defaults: { epsilon: number; warn: number; material: number };
  /** The minimum window the vectors' levels are judged with. */
  readonly minimumCount: number;
  readonly cases: PsiCase[];
  readonly chiSquareTable: { readonly cases: PValueCase[] };
  readonly chiSquareQuantiles: { readonly cases: PValueCase[] };
  readonly igamc: { readonly cases: GammaCase[] };
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (!isSignetError(error)) throw error;
    return error.code;
  }
  return undefined;
}

/** |actual − expected| ≤ tolerance·|expected| (exact equality for 0). */
function expectRelative(actual: number, expected: number, tolerance: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    tolerance * Math.abs(expected),
  );
}

describe('test/vectors/psi.json', () => {
  it('states the defaults the code has', () => {
    expect(vectors.defaults).toEqual({
      epsilon: PSI_EPSILON,
      warn: DEFAULT_PSI_WARN,
      material: DEFAULT_PSI_MATERIAL,
    });
    expect(DEFAULT_PSI_THRESHOLDS).toEqual({ warn: 0.1, material: 0.25 });
    expect(MINIMUM_WINDOW_COUNT).toBe(500);
    expect(vectors.minimumCount).toBeLessThan(MINIMUM_WINDOW_COUNT);
  });

  it('covers what the issue asks for', () => {
    const titles = vectors.cases.map((c) => c.title).join('\n');
    for (const word of ['identical', 'shift', 'empty actual', 'empty expected', 'tiny', 'two bins']) {
      expect(titles).toContain(word);
    }
  });

  describe.each(vectors.cases)('$title', (c) => {
    const { expected, actual, epsilon } = c.input;

    it('PSI and its terms to 1e-9', () => {
      const result = psi(expected, actual, epsilon);
      expect(Math.abs(result.total - c.expected.psi)).toBeLessThan(1e-9);
      expect(result.terms).toHaveLength(c.expected.terms.length);
      result.terms.forEach((term, i) =>
        expect(Math.abs(term - (c.expected.terms[i] as number))).toBeLessThan(1e-9),
      );
    });

    it('chi-square, df and p-value', () => {
      const result = chiSquare(expected, actual);
      expect(Math.abs(result.statistic - c.expected.chiSquare)).toBeLessThan(1e-9);
      expect(result.df).toBe(c.expected.df);
      expectRelative(result.pValue, c.expected.pValue, 1e-12, 'p-value');
    });

    it("the level under the default thresholds and the vectors' minimum window", () => {
      const assessment = assessWindow({ expected, actual, epsilon, minimumCount: vectors.minimumCount });
      expect(assessment.level).toBe(c.expected.level);
      expect(assessment.n).toBe(c.expected.n);
      expect(assessment.df).toBe(c.expected.df);
      expect(Math.abs((assessment.psi ?? Number.NaN) - c.expected.psi)).toBeLessThan(1e-9);
      expectRelative(assessment.pValue ?? Number.NaN, c.expected.pValue, 1e-12, 'p-value');
    });
  });

  it.each(vectors.chiSquareTable.cases)('NIST chi-square table: $title', ({ input, expected }) => {
    const p = chiSquarePValue(input.x, input.df);
    expectRelative(p, expected.pValue, 1e-12, 'exact tail at the printed x');
    expect(Math.abs(p - (expected.tableProbability as number))).toBeLessThan(1e-4);
  });

  it.each(vectors.chiSquareQuantiles.cases)('exact quantile: $title', ({ input, expected }) => {
    expectRelative(chiSquarePValue(input.x, input.df), expected.pValue, 1e-12, 'p-value');
  });

  it.each(vectors.igamc.cases)('igamc $title', ({ input, expected }) => {
    expectRelative(regularizedGammaQ(input.a, input.x), expected.q, 1e-12, 'Q');
  });
});

describe('psi', () => {
  it('replaces a zero proportion by epsilon, and only that', () => {
    const { terms } = psi([1, 1], [0, 1], 0.01);
    expect(terms[0]).toBeCloseTo((0.01 - 0.5) * Math.log(0.01 / 0.5), 15);
    expect(terms[1]).toBeCloseTo((1 - 0.5) * Math.log(1 / 0.5), 15);
  });

  it('refuses what it cannot compare', () => {
    expect(codeOf(() => psi([1, 2], [1]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => psi([], []))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => psi([1, -1], [1, 1]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => psi([1, Number.NaN], [1, 1]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => psi([1, Infinity], [1, 1]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => psi([0, 0], [1, 1]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => psi([1, 1], [0, 0]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => psi([1, 1], [1, 1], 0))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => psi([1, 1], [1, 1], 1))).toBe('INVALID_ARGUMENT');
  });

  const counts = (length: number) =>
    fc.array(fc.nat({ max: 10_000 }), { minLength: length, maxLength: length });
  const pair = fc
    .integer({ min: 1, max: 20 })
    .chain((length) => fc.tuple(counts(length), counts(length)))
    .filter(([e, a]) => e.some((c) => c > 0) && a.some((c) => c > 0));

  it('is ≥ 0, every term too (property)', () => {
    fc.assert(
      fc.property(pair, ([expected, actual]) => {
        const result = psi(expected, actual);
        expect(result.total).toBeGreaterThanOrEqual(0);
        for (const term of result.terms) expect(term).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });

  it('is 0 for identical proportions, whatever the sizes (property)', () => {
    fc.assert(
      fc.property(
        counts(10).filter((c) => c.some((x) => x > 0)),
        fc.integer({ min: 1, max: 1000 }),
        (expected, k) => {
          expect(Math.abs(psi(expected, expected).total)).toBe(0);
          expect(
            Math.abs(
              psi(
                expected,
                expected.map((c) => c * k),
              ).total,
            ),
          ).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order of the bins (property)', () => {
    const permuted = pair.chain(([e, a]) =>
      fc
        .shuffledSubarray(
          e.map((_, i) => i),
          { minLength: e.length, maxLength: e.length },
        )
        .map((order) => ({ e, a, order })),
    );
    fc.assert(
      fc.property(permuted, ({ e, a, order }) => {
        const before = psi(e, a);
        const after = psi(
          order.map((i) => e[i] as number),
          order.map((i) => a[i] as number),
        );
        expect(after.terms).toEqual(order.map((i) => before.terms[i]));
        // Only the order of the summation changes: equal up to rounding.
        expectRelative(after.total, before.total, 1e-12, 'PSI');
        const statistic = chiSquare(
          order.map((i) => e[i] as number),
          order.map((i) => a[i] as number),
        ).statistic;
        expectRelative(statistic, chiSquare(e, a).statistic, 1e-12, 'chi-square');
      }),
      { numRuns: 300 },
    );
  });
});

describe('chiSquare', () => {
  it('skips bins with expected 0 but keeps their rows in N', () => {
    // E = 0.5·10 = 5 in each used bin; O = (3, 3) because 4 rows fell where the reference had none.
    const result = chiSquare([1, 1, 0], [3, 3, 4]);
    expect(result.df).toBe(1);
    expect(result.statistic).toBeCloseTo(4 / 5 + 4 / 5, 15);
  });

  it('a window with no rows: statistic 0, p-value 1', () => {
    expect(chiSquare([1, 2, 3], [0, 0, 0])).toEqual({ statistic: 0, df: 2, pValue: 1 });
  });

  it('one bin used: df 0, the point mass at 0', () => {
    expect(chiSquare([5, 0], [7, 0])).toEqual({ statistic: 0, df: 0, pValue: 1 });
    const shifted = chiSquare([5, 0], [7, 3]);
    expect(shifted.df).toBe(0);
    expect(shifted.pValue).toBe(0);
  });

  it('refuses an empty reference and mismatched bins', () => {
    expect(codeOf(() => chiSquare([0, 0], [1, 1]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => chiSquare([1, 1, 1], [1, 1]))).toBe('INVALID_ARGUMENT');
  });
});

describe('chi-square p-value and the incomplete gamma function', () => {
  // For even df the upper tail has a closed form: e^(−x/2)·Σ_{j<df/2} (x/2)^j/j!.
  const evenTail = (x: number, df: number): number => {
    let term = 1;
    let sum = 1;
    for (let j = 1; j < df / 2; j += 1) {
      term *= x / 2 / j;
      sum += term;
    }
    return Math.exp(-x / 2) * sum;
  };

  it('agrees with the closed form for even df (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).map((k) => 2 * k),
        fc.double({ min: 0, max: 120, noNaN: true }),
        (df, x) => {
          const p = chiSquarePValue(x, df);
          expect(Math.abs(p - evenTail(x, df))).toBeLessThanOrEqual(1e-13 + 1e-12 * p);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('is in [0, 1] and decreasing in x for a fixed df (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 0, max: 2000, noNaN: true }),
        fc.double({ min: 0, max: 2000, noNaN: true }),
        (df, x1, x2) => {
          const [lo, hi] = x1 <= x2 ? [x1, x2] : [x2, x1];
          const pLo = chiSquarePValue(lo, df);
          const pHi = chiSquarePValue(hi, df);
          for (const p of [pLo, pHi]) {
            expect(p).toBeGreaterThanOrEqual(0);
            expect(p).toBeLessThanOrEqual(1);
          }
          // Decreasing up to rounding where the series hands over to the continued fraction (x = a + 1).
          expect(pHi).toBeLessThanOrEqual(pLo + 1e-14);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is monotone across the switch from series to continued fraction', () => {
    for (const a of [0.5, 1, 4.5, 10, 50, 150]) {
      let previous = 1;
      for (let x = a + 1 - 0.01; x <= a + 1 + 0.01; x += 0.0005) {
        const q = regularizedGammaQ(a, x);
        expect(q).toBeLessThanOrEqual(previous + 1e-15);
        previous = q;
      }
    }
  });

  it('P + Q = 1 (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 500, noNaN: true }),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        (a, x) => {
          expect(regularizedGammaP(a, x) + regularizedGammaQ(a, x)).toBeCloseTo(1, 12);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('handles the ends: x = 0, x = ∞, df = 0, and refuses nonsense', () => {
    expect(chiSquarePValue(0, 5)).toBe(1);
    expect(chiSquarePValue(Infinity, 5)).toBe(0);
    expect(chiSquarePValue(0, 0)).toBe(1);
    expect(chiSquarePValue(1e-9, 0)).toBe(0);
    expect(chiSquarePValue(1e6, 3)).toBe(0);
    expect(codeOf(() => chiSquarePValue(1, -1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => chiSquarePValue(1, 1.5))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => chiSquarePValue(Number.NaN, 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => regularizedGammaQ(0, 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => regularizedGammaQ(1, -1))).toBe('INVALID_ARGUMENT');
  });

  it('converges for large df (thousands of categories)', () => {
    // Q(a, a) → 1/2 as a grows (the median of the gamma distribution is a − 1/3 + …).
    const q = regularizedGammaQ(1e6, 1e6);
    expect(q).toBeGreaterThan(0.49);
    expect(q).toBeLessThan(0.51);
    expect(chiSquarePValue(2 * 20_000, 20_000)).toBeLessThan(1e-100);
  });

  it('logGamma matches ln((n − 1)!) and Γ(1/2) = √π', () => {
    let factorial = 1;
    for (let n = 1; n <= 30; n += 1) {
      if (n > 1) factorial *= n - 1;
      expect(Math.abs(logGamma(n) - Math.log(factorial))).toBeLessThan(
        1e-12 * Math.max(1, Math.log(factorial)),
      );
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 13); // ln Γ(0.1), Γ(0.1) = 9.513507698668732
    expect(codeOf(() => logGamma(0))).toBe('INVALID_ARGUMENT');
  });
});

describe('assessWindow', () => {
  const reference = [100, 100, 100, 100, 100, 100, 100, 100, 100, 100];

  it('raises no flag below the minimum window, and says so', () => {
    const tiny = [499, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // a huge shift, 499 rows
    const result = assessWindow({ expected: reference, actual: tiny });
    expect(result.level).toBe('insufficient');
    expect(result.minimumCount).toBe(500);
    expect(result.reason).toContain('499 rows in the window, below the minimum of 500');
    expect(result.psi).toBeGreaterThan(DEFAULT_PSI_MATERIAL);
    const enough = assessWindow({ expected: reference, actual: [500, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
    expect(enough.level).toBe('material');
  });

  it('a window with no rows has no statistics', () => {
    const result = assessWindow({ expected: reference, actual: reference.map(() => 0) });
    expect(result).toMatchObject({
      psi: null,
      chiSquare: null,
      pValue: null,
      n: 0,
      level: 'insufficient',
      df: 9,
    });
    expect(result.reason).toContain('no rows');
  });

  it('a threshold is reached at equality', () => {
    const actual = [50, 60, 70, 80, 100, 100, 120, 130, 140, 150];
    const value = psi(reference, actual).total;
    expect(
      assessWindow({ expected: reference, actual, thresholds: { warn: value, material: 1 } }).level,
    ).toBe('warn');
    expect(
      assessWindow({ expected: reference, actual, thresholds: { warn: 0, material: value } }).level,
    ).toBe('material');
    expect(
      assessWindow({ expected: reference, actual, thresholds: { warn: value * 1.01, material: 1 } }).level,
    ).toBe('ok');
  });

  it('without a warn threshold there is no warning', () => {
    const actual = [50, 60, 70, 80, 100, 100, 120, 130, 140, 150]; // PSI ≈ 0.1155
    const result = assessWindow({ expected: reference, actual, thresholds: { material: 0.25 } });
    expect(result.level).toBe('ok');
    expect(result.reason).toContain('below the material 0.25 threshold');
  });

  it('the reason states PSI, chi-square, p-value and n', () => {
    const result = assessWindow({
      expected: reference,
      actual: [20, 30, 40, 60, 80, 100, 120, 150, 180, 220],
    });
    expect(result.level).toBe('material');
    expect(result.reason).toMatch(
      /^PSI 0\.4585 reaches the material threshold 0\.25 \(χ² 406\.0000, df 9, p 7\.2e-82, 1000 rows\)$/,
    );
  });

  it('a smaller minimum lets a small window flag', () => {
    const result = assessWindow({ expected: [50, 50], actual: [10, 0], minimumCount: 10 });
    expect(result.level).toBe('material');
  });

  it('refuses bad thresholds and minimums', () => {
    const ok = { expected: [1, 1], actual: [1, 1] };
    expect(codeOf(() => assessWindow({ ...ok, thresholds: { warn: 0.3, material: 0.2 } }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => assessWindow({ ...ok, thresholds: { material: 0 } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assessWindow({ ...ok, thresholds: { warn: -1, material: 0.2 } }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => assessWindow({ ...ok, minimumCount: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assessWindow({ ...ok, minimumCount: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assessWindow({ expected: [1, 1], actual: [1] }))).toBe('INVALID_ARGUMENT');
  });
});
