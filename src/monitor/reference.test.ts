import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import { FEATURE_TYPES } from '../promotion/inputs.js';
import type { Digest } from '../signing/digest.js';
import { assertFeatureBins, binIndex } from './bins.js';
import {
  computeFeatureBins,
  computeReferenceBins,
  DEFAULT_MAX_CATEGORIES,
  inferKind,
  kindOfContractType,
  quantiles,
} from './reference.js';
import { REFERENCE_BINS_TYPE } from './types.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (!isSignetError(error)) throw error;
    return error.code;
  }
  return undefined;
}

const DATASET = `sha256:${'ab'.repeat(32)}` as Digest;

describe('quantiles (type 7)', () => {
  it('the deciles of 1 … 11 are 2 … 10 (h = (n − 1)·p lands on whole positions)', () => {
    expect(quantiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 10)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('interpolates between order statistics: the deciles of 10, 20, 30, 40, 50', () => {
    // n − 1 = 4, h = 0.4k: 10 + 0.4·10 = 14, 10 + 0.8·10 = 18, 20 + 0.2·10 = 22, … , 40 + 0.6·10 = 46.
    expect(quantiles([10, 20, 30, 40, 50], 10)).toEqual([14, 18, 22, 26, 30, 34, 38, 42, 46]);
  });

  it('matches numpy.quantile(x, arange(1, 10) / 10) to rounding', () => {
    // numpy 2.4: [-0.6, 0.6, 1.675, 2.9, 5.625, 8, 8, 8, 300005.6] (to the printed digits)
    const numpy = [
      -0.5999999999999999, 0.6000000000000002, 1.6750000000000003, 2.9000000000000004, 5.625, 8, 8, 8,
    ];
    const ours = quantiles([-2, 0, 1.5, 3.25, 8, 8, 8, 1e6], 10);
    numpy.forEach((q, i) => expect(ours[i]).toBeCloseTo(q, 12));
    expect(ours[8]).toBeCloseTo(300005.6, 8);
  });

  it('one value: every quantile is that value', () => {
    expect(quantiles([4], 4)).toEqual([4, 4, 4]);
  });

  it('is ascending and within the range of the values (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 2, max: 20 }),
        (xs, bins) => {
          const sorted = Float64Array.from(xs).sort();
          const qs = quantiles(sorted, bins);
          expect(qs).toHaveLength(bins - 1);
          qs.forEach((q, i) => {
            expect(q).toBeGreaterThanOrEqual(sorted[0] as number);
            expect(q).toBeLessThanOrEqual(sorted[sorted.length - 1] as number);
            if (i > 0) expect(q).toBeGreaterThanOrEqual(qs[i - 1] as number);
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('computeFeatureBins, numeric', () => {
  it('freezes edges at the deciles and counts the reference in them', () => {
    const bins = computeFeatureBins('age', ['10', ' 20', '30 ', 40, '50', '', null, 'n/a'], 'numeric');
    expect(bins).toEqual({
      name: 'age',
      kind: 'numeric',
      edges: [14, 18, 22, 26, 30, 34, 38, 42, 46],
      // 10 ≤ 14; 20 in (18, 22]; 30 on the edge 30, so the lower bin; 40 in (38, 42]; 50 > 46; 3 missing
      counts: [1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 3],
    });
  });

  it('eleven values 1 … 11 give ten bins', () => {
    const bins = computeFeatureBins('n', [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 'numeric');
    expect(bins).toMatchObject({
      edges: [2, 3, 4, 5, 6, 7, 8, 9, 10],
      counts: [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
    });
  });

  it('merges equal edges, so no bin has zero width', () => {
    // Deciles of 0×8, 5, 10, 20 are 0, 0, 0, 0, 0, 0, 0, 5, 10.
    const bins = computeFeatureBins('debt', [0, 0, 0, 0, 0, 0, 0, 0, 5, 10, 20], 'numeric');
    expect(bins).toMatchObject({ edges: [0, 5, 10], counts: [8, 1, 1, 1, 0] });
  });

  it('a constant feature has one edge; a feature with no numbers has none', () => {
    expect(computeFeatureBins('k', ['7', '7', 7], 'numeric')).toMatchObject({
      edges: [7],
      counts: [3, 0, 0],
    });
    expect(computeFeatureBins('k', ['', null, 'x'], 'numeric')).toMatchObject({ edges: [], counts: [0, 3] });
    expect(computeFeatureBins('k', [], 'numeric')).toMatchObject({ edges: [], counts: [0, 0] });
  });

  it('never keeps -0 as an edge', () => {
    const bins = computeFeatureBins('z', ['-0', '-0', '1'], 'numeric');
    expect(bins.kind === 'numeric' && bins.edges.every((e) => !Object.is(e, -0))).toBe(true);
  });

  it('takes the number of quantile bins as an option', () => {
    expect(computeFeatureBins('q', [1, 2, 3, 4, 5], 'numeric', { quantileBins: 4 })).toMatchObject({
      edges: [2, 3, 4],
      counts: [2, 1, 1, 1, 0],
    });
    expect(codeOf(() => computeFeatureBins('q', [1], 'numeric', { quantileBins: 0 }))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('is well-formed, counts every value once, and counts as binIndex does (property)', () => {
    const cell = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -5, max: 5 }),
      fc.constantFrom('', ' 1.5 ', 'abc', null),
    );
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 200 }), (values) => {
        const bins = computeFeatureBins('p', values, 'numeric');
        assertFeatureBins(bins);
        expect(bins.kind === 'numeric' && bins.edges.length <= 9).toBe(true);
        const recount = new Array<number>(bins.counts.length).fill(0);
        for (const v of values) {
          const i = binIndex(bins, v);
          recount[i] = (recount[i] as number) + 1;
        }
        expect(bins.counts).toEqual(recount);
      }),
      { numRuns: 300 },
    );
  });
});

describe('computeFeatureBins, categorical', () => {
  it('the categories seen in code-unit order, then other and missing', () => {
    const bins = computeFeatureBins('segment', ['b', 'a', 'b', '', null, 'B', 'é', 'a'], 'categorical');
    expect(bins).toEqual({
      name: 'segment',
      kind: 'categorical',
      categories: ['B', 'a', 'b', 'é'],
      counts: [1, 2, 2, 1, 0, 2],
    });
  });

  it('keeps the most frequent categories up to the cap, the rest counted as other', () => {
    const values = ['a', 'a', 'b', 'b', 'c', 'd', 'd', 'd', null];
    expect(computeFeatureBins('s', values, 'categorical', { maxCategories: 2 })).toMatchObject({
      categories: ['a', 'd'], // d (3), then a and b tie at 2: a, the earlier in code-unit order
      counts: [2, 3, 3, 1],
    });
    expect(computeFeatureBins('s', values, 'categorical', { maxCategories: 0 })).toMatchObject({
      categories: [],
      counts: [8, 1],
    });
    expect(DEFAULT_MAX_CATEGORIES).toBe(100);
  });

  it('numbers name categories by their string form', () => {
    expect(computeFeatureBins('g', [1, '1', 2], 'categorical')).toMatchObject({
      categories: ['1', '2'],
      counts: [2, 1, 0, 0],
    });
  });
});

describe('kinds', () => {
  it('maps every contract type', () => {
    expect(Object.fromEntries(FEATURE_TYPES.map((t) => [t, kindOfContractType(t)]))).toEqual({
      number: 'numeric',
      integer: 'numeric',
      string: 'categorical',
      boolean: 'categorical',
      category: 'categorical',
    });
  });

  it('infers numeric only when every value present is a number', () => {
    expect(inferKind(['1', ' 2.5', '', null])).toBe('numeric');
    expect(inferKind(['1', 'n/a'])).toBe('categorical');
    expect(inferKind(['', null])).toBe('categorical');
    expect(inferKind(['true', 'false'])).toBe('categorical');
  });
});

describe('computeReferenceBins', () => {
  const rows = [
    { age: '10', segment: 'retail', income: '1', score: '0.1' },
    { age: '20', segment: 'business', income: '2', score: '0.2' },
    { age: '30', segment: 'retail', income: 'n/a', score: '0.3' },
    { age: '40', segment: null, income: '4', score: '0.4' },
    { age: '50', segment: 'retail', score: '0.5' },
  ];

  it('bins every column asked for and the score', () => {
    const reference = computeReferenceBins({
      model: 'credit-risk',
      dataset: DATASET,
      columns: [
        { name: 'age', kind: kindOfContractType('integer') },
        { name: 'segment', kind: kindOfContractType('category') },
        { name: 'income' },
      ],
      rows,
      score: 'score',
    });
    expect(reference).toEqual({
      type: REFERENCE_BINS_TYPE,
      model: 'credit-risk',
      dataset: DATASET,
      features: [
        {
          name: 'age',
          kind: 'numeric',
          edges: [14, 18, 22, 26, 30, 34, 38, 42, 46],
          counts: [1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0],
        },
        { name: 'segment', kind: 'categorical', categories: ['business', 'retail'], counts: [1, 3, 0, 1] },
        // 'n/a' makes the untyped income column categorical; the absent cell is missing
        {
          name: 'income',
          kind: 'categorical',
          categories: ['1', '2', '4', 'n/a'],
          counts: [1, 1, 1, 1, 0, 1],
        },
      ],
      score: expect.objectContaining({
        name: 'score',
        kind: 'numeric',
        counts: [1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0],
      }),
    });
    expect(reference.score?.kind === 'numeric' && reference.score.edges).toHaveLength(9);
  });

  it('has no score field without a score column', () => {
    const reference = computeReferenceBins({
      model: 'm',
      dataset: DATASET,
      columns: [{ name: 'age' }],
      rows,
    });
    expect('score' in reference).toBe(false);
    expect(reference.features[0]?.kind).toBe('numeric');
  });

  it('reads the rows once (a generator)', () => {
    function* once(): Generator<Record<string, string | null>> {
      yield* rows.map(({ age }) => ({ age }));
    }
    const reference = computeReferenceBins({
      model: 'm',
      dataset: DATASET,
      columns: [{ name: 'age' }],
      rows: once(),
    });
    expect(reference.features[0]?.counts.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('refuses a column no row has, and a column named twice', () => {
    expect(
      codeOf(() => computeReferenceBins({ model: 'm', dataset: DATASET, columns: [{ name: 'agee' }], rows })),
    ).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() =>
        computeReferenceBins({ model: 'm', dataset: DATASET, columns: [{ name: 'age' }], rows, score: 'p' }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() =>
        computeReferenceBins({
          model: 'm',
          dataset: DATASET,
          columns: [{ name: 'age' }, { name: 'age' }],
          rows,
        }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });

  it('an empty dataset gives empty bins', () => {
    const reference = computeReferenceBins({
      model: 'm',
      dataset: DATASET,
      columns: [
        { name: 'age', kind: 'numeric' },
        { name: 'segment', kind: 'categorical' },
      ],
      rows: [],
    });
    expect(reference.features).toEqual([
      { name: 'age', kind: 'numeric', edges: [], counts: [0, 0] },
      { name: 'segment', kind: 'categorical', categories: [], counts: [0, 0] },
    ]);
  });
});
