import { describe, expect, it } from 'vitest';

import { MAX_SHAP_CELLS, MAX_SHAP_JSON_BYTES, meanAbsShap, parseShapJson } from './shap.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const json = (value: unknown): Uint8Array => utf8(JSON.stringify(value));

describe('parseShapJson', () => {
  it('reads feature_names and values, ignoring base_values and data', () => {
    const shap = parseShapJson(
      json({
        feature_names: ['a', 'b'],
        values: [
          [0.5, -1],
          [0, 2e-3],
        ],
        base_values: [0.1, 0.1],
        data: [
          ['x', 1],
          ['y', 2],
        ],
      }),
    );
    expect(shap).toEqual({
      featureNames: ['a', 'b'],
      values: [
        [0.5, -1],
        [0, 2e-3],
      ],
    });
  });

  const cases: [string, Uint8Array, string][] = [
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'INVALID_UTF8'],
    ['not JSON', utf8('{"feature_names": ['), 'INVALID_JSON'],
    ['a duplicate key', utf8('{"feature_names":["a"],"values":[[1]],"values":[[2]]}'), 'INVALID_JSON'],
    ['a number beyond a double', utf8('{"feature_names":["a"],"values":[[1e400]]}'), 'INVALID_JSON'],
    ['an array, not an object', json([1, 2]), 'INVALID_ARGUMENT'],
    ['no feature_names', json({ values: [[1]] }), 'INVALID_ARGUMENT'],
    ['no features', json({ feature_names: [], values: [[]] }), 'INVALID_ARGUMENT'],
    [
      'a feature name that is not a string',
      json({ feature_names: ['a', 1], values: [[1, 2]] }),
      'INVALID_ARGUMENT',
    ],
    ['no values', json({ feature_names: ['a'] }), 'INVALID_ARGUMENT'],
    ['no rows', json({ feature_names: ['a'], values: [] }), 'INVALID_ARGUMENT'],
    ['1-D values', json({ feature_names: ['a', 'b'], values: [1, 2] }), 'INVALID_ARGUMENT'],
    ['3-D values', json({ feature_names: ['a'], values: [[[1, 2]]] }), 'INVALID_ARGUMENT'],
    ['a name count mismatch', json({ feature_names: ['a', 'b', 'c'], values: [[1, 2]] }), 'INVALID_ARGUMENT'],
    ['ragged rows', json({ feature_names: ['a', 'b'], values: [[1, 2], [3]] }), 'INVALID_ARGUMENT'],
    [
      'null (a NaN written by a lenient writer)',
      json({ feature_names: ['a'], values: [[null]] }),
      'INVALID_ARGUMENT',
    ],
    ['a string value', json({ feature_names: ['a'], values: [['1']] }), 'INVALID_ARGUMENT'],
    ['NaN', utf8('{"feature_names":["a"],"values":[[NaN]]}'), 'INVALID_JSON'],
    [
      'an inherited-looking key only',
      utf8('{"__proto__":{"feature_names":["a"],"values":[[1]]}}'),
      'INVALID_ARGUMENT',
    ],
  ];
  for (const [what, bytes, code] of cases) {
    it(`refuses ${what} with ${code}`, () => {
      expect(() => parseShapJson(bytes)).toThrow(expect.objectContaining({ code }));
    });
  }

  it('names the problem', () => {
    expect(() => parseShapJson(json({ feature_names: ['a', 'b'], values: [[1, 2], [3]] }), 'x.json')).toThrow(
      /x\.json: ragged rows: values\[1\] has 1 values, values\[0\] has 2/,
    );
    expect(() => parseShapJson(json({ feature_names: ['a', 'b', 'c'], values: [[1, 2]] }))).toThrow(
      /feature_names has 3 names but values\[0\] has 2 values/,
    );
    expect(() => parseShapJson(json({ feature_names: ['a'], values: [[1], [null]] }))).toThrow(
      /values\[1\]\[0\] is null, not a finite number/,
    );
  });

  it('refuses more than 10^7 cells before walking them', () => {
    // 10^7 + 1 cells, written compactly: one row of zeros would be 20 MB, so use many names and one row
    // per name instead: 3163 × 3163 > 10^7, but the rows are empty, so the check must come first.
    const n = Math.ceil(Math.sqrt(MAX_SHAP_CELLS + 1));
    const names = Array.from({ length: n }, () => '');
    const rows = Array.from({ length: n }, () => []);
    expect(() => parseShapJson(json({ feature_names: names, values: rows }))).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        details: expect.objectContaining({ limit: MAX_SHAP_CELLS }),
      }),
    );
  });

  it('refuses too many bytes before decoding them', () => {
    const big = { length: MAX_SHAP_JSON_BYTES + 1 } as Uint8Array;
    expect(() => parseShapJson(big)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('meanAbsShap', () => {
  it('averages |value| per feature over the rows, largest first, ties in feature order', () => {
    const ranked = meanAbsShap({
      featureNames: ['a', 'b', 'c', 'd'],
      values: [
        [1, -3, 0.5, 0.5],
        [-1, 1, -0.5, -0.5],
      ],
    });
    expect(ranked).toEqual([
      { feature: 'b', index: 1, meanAbs: 2 },
      { feature: 'a', index: 0, meanAbs: 1 },
      { feature: 'c', index: 2, meanAbs: 0.5 },
      { feature: 'd', index: 3, meanAbs: 0.5 },
    ]);
  });
});
