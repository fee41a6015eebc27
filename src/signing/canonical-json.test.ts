import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import { canonicalize, MAX_JSON_DEPTH, parseJson } from './canonical-json.js';

interface Rfc8785Case {
  readonly title: string;
  readonly input: { readonly json?: string; readonly ieee754?: string };
  readonly expected: { readonly canonical?: string; readonly error?: string };
}

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/rfc8785.json', import.meta.url), 'utf8'),
) as { readonly cases: readonly Rfc8785Case[] };

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** The coded error a call throws, or undefined; a non-coded throw fails the test. */
function errorOf(fn: () => unknown): { code: string; path?: unknown } | undefined {
  try {
    fn();
  } catch (error) {
    if (!isSignetError(error)) throw error;
    return { code: error.code, path: error.details?.['path'] };
  }
  return undefined;
}

function doubleFromHex(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonicalize: RFC 8785 published vectors', () => {
  for (const c of vectors.cases.filter((v) => v.input.json !== undefined)) {
    it(c.title, () => {
      const parsed = parseJson(utf8(c.input.json ?? ''), c.title);
      const out = canonicalize(parsed);
      expect(text(out)).toBe(c.expected.canonical);
      expect(out).toEqual(utf8(c.expected.canonical ?? ''));
    });
  }

  for (const c of vectors.cases.filter((v) => v.input.ieee754 !== undefined)) {
    it(c.title, () => {
      const value = doubleFromHex(c.input.ieee754 ?? '');
      if (c.expected.error !== undefined) {
        expect(errorOf(() => canonicalize(value))?.code).toBe(c.expected.error);
        expect(errorOf(() => canonicalize({ n: [value] }))).toEqual({
          code: c.expected.error,
          path: '$.n[0]',
        });
      } else {
        expect(text(canonicalize(value))).toBe(c.expected.canonical);
      }
    });
  }

  it('has all seven testdata files and all 26 Appendix B rows', () => {
    expect(vectors.cases.filter((v) => v.input.json !== undefined)).toHaveLength(7);
    expect(vectors.cases.filter((v) => v.input.ieee754 !== undefined)).toHaveLength(26);
  });
});

describe('canonicalize: only I-JSON goes in, and the error names the path', () => {
  class Point {
    x = 1;
  }
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = { back: cyclic };

  const rejected: Array<[string, unknown, string]> = [
    ['undefined at the top', undefined, '$'],
    ['undefined as a value', { a: undefined }, '$.a'],
    ['undefined in an array', [1, undefined], '$[1]'],
    ['a function', { f: () => 1 }, '$.f'],
    ['a toJSON method', { toJSON: () => 'x' }, '$.toJSON'],
    ['a bigint', { n: 1n }, '$.n'],
    ['a symbol', [Symbol('s')], '$[0]'],
    ['NaN', { a: { b: NaN } }, '$.a.b'],
    ['-Infinity', [-Infinity], '$[0]'],
    ['a Date', { when: new Date(0) }, '$.when'],
    ['a Map', new Map(), '$'],
    ['a Uint8Array', { bytes: new Uint8Array(2) }, '$.bytes'],
    ['a class instance', { p: new Point() }, '$.p'],
    ['a sparse array', { s: sparse }, '$.s[1]'],
    ['a cycle', cyclic, '$.self.back'],
    ['a lone high surrogate in a value', { a: ['ok', 'x\uD800'] }, '$.a[1]'],
    ['a lone low surrogate in a value', '\uDE00', '$'],
    ['a reversed pair', '\uDE00\uD83D', '$'],
    ['a lone surrogate in a key', { 'k\uDBFF': 1 }, '$["k\\udbff"]'],
    ['a symbol-keyed property', { [Symbol('s')]: 1 }, '$'],
  ];
  for (const [title, value, path] of rejected) {
    it(`refuses ${title}`, () => {
      expect(errorOf(() => canonicalize(value))).toEqual({ code: 'INVALID_JSON', path });
    });
  }

  it('refuses nesting deeper than MAX_JSON_DEPTH and accepts it up to the limit', () => {
    const nest = (depth: number): unknown => (depth === 0 ? 0 : [nest(depth - 1)]);
    expect(text(canonicalize(nest(MAX_JSON_DEPTH)))).toBe(
      '['.repeat(MAX_JSON_DEPTH) + '0' + ']'.repeat(MAX_JSON_DEPTH),
    );
    expect(errorOf(() => canonicalize(nest(MAX_JSON_DEPTH + 1)))?.code).toBe('INVALID_JSON');
  });

  it('accepts surrogate pairs, null-prototype objects and a "__proto__" key', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare['b'] = 1;
    bare['a'] = '\u{1F600}';
    expect(text(canonicalize(bare))).toBe('{"a":"\u{1F600}","b":1}');
    expect(text(canonicalize(parseJson(utf8('{"__proto__":{"x":1},"a":0}'), 't')))).toBe(
      '{"__proto__":{"x":1},"a":0}',
    );
  });

  it('writes -0 as 0 and sorts keys by UTF-16 code units, not by code points', () => {
    expect(text(canonicalize({ z: -0 }))).toBe('{"z":0}');
    // U+FB33 sorts after U+1F600 (surrogates D83D..) in UTF-16 order, before it in code point order.
    expect(text(canonicalize({ '\uFB33': 1, '\u{1F600}': 2 }))).toBe('{"\u{1F600}":2,"\uFB33":1}');
  });

  it('reads each getter once: the serialised value is the validated one', () => {
    let reads = 0;
    const tricky = {
      get v(): unknown {
        reads += 1;
        return reads === 1 ? 'fine' : undefined;
      },
    };
    expect(text(canonicalize(tricky))).toBe('{"v":"fine"}');
    expect(reads).toBe(1);
  });

  it('is idempotent and ignores key order (generative)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalize(value);
        const again = canonicalize(parseJson(once, 'canonical'));
        expect(again).toEqual(once);
        const reversed = JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
          v !== null && typeof v === 'object' && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v as Record<string, unknown>).reverse())
            : v,
        ) as unknown;
        expect(canonicalize(reversed)).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseJson: attacker-controlled bytes', () => {
  const parse = (input: string | Uint8Array) => () =>
    parseJson(typeof input === 'string' ? utf8(input) : input, 'test');

  it('parses I-JSON', () => {
    expect(parseJson(utf8('{"a":[1,"\\ud83d\\ude02",true,null],"b":{"a":2}}'), 't')).toEqual({
      a: [1, '\u{1F602}', true, null],
      b: { a: 2 },
    });
  });

  it.each([
    ['0xff', [0x7b, 0xff, 0x7d]],
    ['an overlong encoding of "/"', [0x22, 0xc0, 0xaf, 0x22]],
    ['an encoded surrogate (CESU-8)', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ['a truncated sequence', [0x22, 0xe2, 0x82]],
    ['a code point above U+10FFFF', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]],
  ])('refuses invalid UTF-8: %s (INVALID_UTF8)', (_title, bytes) => {
    expect(errorOf(parse(new Uint8Array(bytes)))?.code).toBe('INVALID_UTF8');
  });

  it.each([
    ['empty input', ''],
    ['garbage', 'not json'],
    ['truncated', '{"a":[1,2'],
    ['trailing garbage', '{} {}'],
    ['a byte order mark', '\uFEFF{}'],
    ['a trailing comma', '[1,]'],
    ['single quotes', "{'a':1}"],
    ['NaN', '[NaN]'],
  ])('refuses malformed JSON: %s (INVALID_JSON)', (_title, input) => {
    expect(errorOf(parse(input))?.code).toBe('INVALID_JSON');
  });

  it.each([
    ['at the top', '{"a":1,"a":2}', '$.a'],
    ['nested', '{"x":[{"k":1,"j":2,"k":3}]}', '$.x[0].k'],
    ['spelled with an escape', '{"a":1,"\\u0061":2}', '$.a'],
    ['the empty key', '{"":1,"":1}', '$[""]'],
    ['"__proto__"', '{"__proto__":1,"__proto__":2}', '$.__proto__'],
  ])('refuses duplicate keys %s (RFC 7493 §2.3)', (_title, input, path) => {
    expect(errorOf(parse(input))).toEqual({ code: 'INVALID_JSON', path });
  });

  it('does not mistake equal keys in different objects, or escaped quotes and brackets, for duplicates', () => {
    expect(parseJson(utf8('{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}'), 't')).toBeTruthy();
    expect(parseJson(utf8('{"a\\"b":1,"a\\\\":"}{][,:\\"","a":2}'), 't')).toEqual({
      'a"b': 1,
      'a\\': '}{][,:"',
      a: 2,
    });
  });

  it.each([
    ['in a value', '["ok","\\ud800"]', '$[1]'],
    ['low half alone', '{"a":"x\\udc00y"}', '$.a'],
    ['reversed pair', '["\\ude02\\ud83d"]', '$[0]'],
    ['in a key', '{"\\udbff":1}', '$["\\udbff"]'],
  ])('refuses an escaped lone surrogate %s', (_title, input, path) => {
    expect(errorOf(parse(input))).toEqual({ code: 'INVALID_JSON', path });
  });

  it('refuses numbers beyond a double, and deep nesting', () => {
    expect(errorOf(parse('{"n":1e400}'))).toEqual({ code: 'INVALID_JSON', path: '$.n' });
    expect(errorOf(parse('[-1E+309]'))?.code).toBe('INVALID_JSON');
    expect(parseJson(utf8('[1e-400, 1.7976931348623157e308]'), 't')).toEqual([0, 1.7976931348623157e308]);
    expect(parseJson(utf8('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)), 't')).toBeTruthy();
    expect(errorOf(parse('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1)))?.code).toBe(
      'INVALID_JSON',
    );
    expect(errorOf(parse('['.repeat(100_000) + ']'.repeat(100_000)))?.code).toBe('INVALID_JSON');
  });

  it('round-trips any JSON value (generative)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(parseJson(utf8(JSON.stringify(value)), 't')).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('throws only coded errors on random bytes (generative)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        errorOf(() => parseJson(bytes, 'random'));
      }),
      { numRuns: 500 },
    );
  });
});
