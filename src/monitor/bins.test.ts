import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import { assertFeatureBins, binCount, binIndex, binLabels, categoryOf, parseDecimal } from './bins.js';
import type { FeatureBins } from './types.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (!isSignetError(error)) throw error;
    return error.code;
  }
  return undefined;
}

const numeric = (edges: number[]): FeatureBins => ({
  name: 'x',
  kind: 'numeric',
  edges,
  counts: new Array<number>(edges.length + 2).fill(0),
});
const categorical = (categories: string[]): FeatureBins => ({
  name: 'c',
  kind: 'categorical',
  categories,
  counts: new Array<number>(categories.length + 2).fill(0),
});

describe('parseDecimal', () => {
  it.each([
    ['3.5', 3.5],
    [' 3.5 ', 3.5],
    ['\t-2\t', -2],
    ['+.5', 0.5],
    ['5.', 5],
    ['1e-1', 0.1],
    ['-1.5E2', -150],
    ['007', 7],
    [42, 42],
  ])('%j is %d', (text, value) => {
    expect(parseDecimal(text)).toBe(value);
  });

  it.each([
    '',
    ' ',
    'abc',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e999',
    '0x10',
    '0b1',
    '1_000',
    '1,5',
    '1.2.3',
    '−1', // U+2212 MINUS SIGN
    '.',
    'e5',
    '3\r',
    '\n3',
    '3 4',
  ])('%j is missing', (text) => {
    expect(parseDecimal(text)).toBeUndefined();
  });

  it('non-finite numbers, null and undefined are missing; -0 is 0', () => {
    expect(parseDecimal(Number.NaN)).toBeUndefined();
    expect(parseDecimal(Infinity)).toBeUndefined();
    expect(parseDecimal(null)).toBeUndefined();
    expect(parseDecimal(undefined)).toBeUndefined();
    expect(Object.is(parseDecimal('-0'), 0)).toBe(true);
    expect(Object.is(parseDecimal(-0), 0)).toBe(true);
  });

  it('reads what JavaScript prints for a finite number (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(parseDecimal(` ${String(v)} `)).toBe(v + 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('binIndex, numeric', () => {
  const bins = numeric([0.25, 0.5, 3]); // bins: ≤0.25, (0.25,0.5], (0.5,3], >3, missing

  it('a value exactly on an edge goes to the lower bin', () => {
    expect(binIndex(bins, 0.25)).toBe(0);
    expect(binIndex(bins, 0.5)).toBe(1);
    expect(binIndex(bins, 3)).toBe(2);
    expect(binIndex(bins, '3')).toBe(2);
    expect(binIndex(bins, '3.000')).toBe(2);
  });

  it('just above an edge goes to the next bin', () => {
    expect(binIndex(bins, 0.25000000000000006)).toBe(1);
    expect(binIndex(bins, 3.0000000000000004)).toBe(3);
  });

  it('below the first edge and above the last fall in the edge bins', () => {
    expect(binIndex(bins, -1e300)).toBe(0);
    expect(binIndex(bins, '-5')).toBe(0);
    expect(binIndex(bins, 1e300)).toBe(3);
    expect(binIndex(bins, '4')).toBe(3);
  });

  it('parses strings strictly, spaces allowed', () => {
    expect(binIndex(bins, ' 3.5 ')).toBe(3);
    expect(binIndex(bins, '0.3')).toBe(1);
  });

  it('NaN, unparsable, empty, null and absent go to missing (the last bin)', () => {
    for (const value of [Number.NaN, Infinity, 'abc', '', ' ', '0x1', null, undefined]) {
      expect(binIndex(bins, value), JSON.stringify(value)).toBe(4);
    }
    expect(binCount(bins)).toBe(5);
  });

  it('with no edges every number is in bin 0', () => {
    const none = numeric([]);
    expect(binIndex(none, -7)).toBe(0);
    expect(binIndex(none, '7')).toBe(0);
    expect(binIndex(none, 'x')).toBe(1);
  });

  it('agrees with the definition "the first i with v ≤ edges[i]" (property)', () => {
    const edges = fc
      .uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 12 })
      .map((xs) => [...new Set(xs.map((x) => x + 0))].sort((a, b) => a - b));
    fc.assert(
      fc.property(edges, fc.double({ noNaN: true, noDefaultInfinity: true }), (es, v) => {
        const found = es.findIndex((edge) => v <= edge);
        expect(binIndex(numeric(es), v)).toBe(found === -1 ? es.length : found);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('binIndex, categorical', () => {
  const bins = categorical(['B', 'a', 'b', 'é']); // code-unit order: 'B' < 'a' < 'b' < 'é'

  it('exact string match, else other', () => {
    expect(binIndex(bins, 'B')).toBe(0);
    expect(binIndex(bins, 'a')).toBe(1);
    expect(binIndex(bins, 'b')).toBe(2);
    expect(binIndex(bins, 'é')).toBe(3);
    for (const value of ['A', ' a', 'a ', 'e\u0301', 'c', '0', 'zzz']) {
      expect(binIndex(bins, value), JSON.stringify(value)).toBe(4);
    }
  });

  it('empty, null and absent are missing', () => {
    expect(binIndex(bins, '')).toBe(5);
    expect(binIndex(bins, null)).toBe(5);
    expect(binIndex(bins, undefined)).toBe(5);
    expect(binCount(bins)).toBe(6);
  });

  it('a number names the category of its string form', () => {
    const grades = categorical(['1', '2', '3']);
    expect(binIndex(grades, 3)).toBe(2);
    expect(binIndex(grades, 4)).toBe(3);
    expect(binIndex(grades, Number.NaN)).toBe(4);
    expect(categoryOf(1.5)).toBe('1.5');
  });

  it('searches in code-unit order, not code-point order', () => {
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FFFD by code unit.
    const bins2 = categorical(['😀', '\uFFFD']);
    expect(binIndex(bins2, '😀')).toBe(0);
    expect(binIndex(bins2, '\uFFFD')).toBe(1);
  });

  it('finds every category and nothing else (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 20 }),
        fc.string(),
        (cs, probe) => {
          const sorted = [...cs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const bins3 = categorical(sorted);
          sorted.forEach((c, i) => expect(binIndex(bins3, c)).toBe(i));
          const expected =
            probe === '' ? sorted.length + 1 : sorted.includes(probe) ? sorted.indexOf(probe) : sorted.length;
          expect(binIndex(bins3, probe)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('binLabels', () => {
  it('labels numeric bins by their intervals', () => {
    expect(binLabels(numeric([0.25, 0.5, 3]))).toEqual([
      '≤ 0.25',
      '(0.25, 0.5]',
      '(0.5, 3]',
      '> 3',
      'missing',
    ]);
    expect(binLabels(numeric([7]))).toEqual(['≤ 7', '> 7', 'missing']);
    expect(binLabels(numeric([]))).toEqual(['any number', 'missing']);
  });

  it('labels categorical bins by category, then other and missing', () => {
    expect(binLabels(categorical(['a', 'b']))).toEqual(['a', 'b', 'other', 'missing']);
  });

  it('has one label per bin', () => {
    for (const bins of [numeric([1, 2, 3]), numeric([]), categorical([]), categorical(['x'])]) {
      expect(binLabels(bins)).toHaveLength(binCount(bins));
    }
  });
});

describe('assertFeatureBins', () => {
  it('accepts well-formed bins', () => {
    expect(() =>
      assertFeatureBins({ name: 'x', kind: 'numeric', edges: [1, 2], counts: [0, 1, 2, 3] }),
    ).not.toThrow();
    expect(() =>
      assertFeatureBins({ name: 'c', kind: 'categorical', categories: ['a', 'b'], counts: [1, 1, 0, 0] }),
    ).not.toThrow();
  });

  it.each([
    ['not an object', null],
    ['no name', { kind: 'numeric', edges: [], counts: [0, 0] }],
    ['unknown kind', { name: 'x', kind: 'ordinal', edges: [], counts: [0, 0] }],
    ['edges not ascending', { name: 'x', kind: 'numeric', edges: [2, 1], counts: [0, 0, 0, 0] }],
    ['equal edges', { name: 'x', kind: 'numeric', edges: [1, 1], counts: [0, 0, 0, 0] }],
    ['a NaN edge', { name: 'x', kind: 'numeric', edges: [Number.NaN], counts: [0, 0, 0] }],
    ['a count short', { name: 'x', kind: 'numeric', edges: [1], counts: [0, 0] }],
    ['a negative count', { name: 'x', kind: 'numeric', edges: [1], counts: [0, -1, 0] }],
    ['a fractional count', { name: 'x', kind: 'numeric', edges: [1], counts: [0, 0.5, 0] }],
    ['categories unsorted', { name: 'c', kind: 'categorical', categories: ['b', 'a'], counts: [0, 0, 0, 0] }],
    ['an empty category', { name: 'c', kind: 'categorical', categories: [''], counts: [0, 0, 0] }],
  ])('refuses %s', (_, value) => {
    expect(codeOf(() => assertFeatureBins(value))).toBe('INVALID_ARGUMENT');
  });
});
