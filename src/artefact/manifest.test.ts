import { createHash } from 'node:crypto';

import canonicalizeModule from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import { toDigest, type Digest } from '../signing/digest.js';
import {
  MANIFEST_MEDIA_TYPE,
  createManifest,
  manifestDigest,
  parseManifest,
  serializeManifest,
  type ManifestEntry,
} from './manifest.js';

// The package's .d.ts declares an ES default export on a CommonJS module: under NodeNext TypeScript types
// the default import as the module namespace, while Node hands over module.exports, the function itself.
const canonicalize = canonicalizeModule as unknown as (typeof canonicalizeModule)['default'];

const DIGEST_A = toDigest(new Uint8Array(32).fill(0xaa));
const DIGEST_B = toDigest(new Uint8Array(32).fill(0x0b));
const utf8 = new TextEncoder();

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isSignetError(error) ? error.code : `not a SignetError: ${String(error)}`;
  }
  return undefined;
}

function bytesOf(text: string): Uint8Array {
  return utf8.encode(text);
}

const digestArb: fc.Arbitrary<Digest> = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => toDigest(bytes));

// Segments from any Unicode code points (astral ones included, to exercise UTF-8 vs UTF-16 ordering).
const segmentArb = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 6 })
  .filter((s) => s !== '.' && s !== '..' && !s.includes('/') && !s.includes('\0'));

const pathArb = fc.array(segmentArb, { minLength: 1, maxLength: 3 }).map((segments) => segments.join('/'));

// Unique paths, none of which is a directory of another (a filesystem cannot hold both).
const entriesArb: fc.Arbitrary<ManifestEntry[]> = fc
  .array(fc.record({ path: pathArb, size: fc.maxSafeNat(), digest: digestArb }), { maxLength: 12 })
  .map((entries) => {
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const paths = [...byPath.keys()];
    return [...byPath.values()].filter((e) => !paths.some((p) => p.startsWith(e.path + '/')));
  });

describe('serializeManifest', () => {
  it('is RFC 8785 canonical JSON (matches the canonicalize package) for random manifests', () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        const manifest = createManifest(entries);
        const bytes = serializeManifest(manifest);
        expect(Buffer.from(bytes).toString('utf8')).toBe(canonicalize(manifest));
        expect(parseManifest(bytes)).toEqual(manifest);
      }),
      { numRuns: 300 },
    );
  });

  it('has a fixed layout: keys in JCS order, no whitespace', () => {
    const manifest = createManifest([{ path: 'b', size: 2, digest: DIGEST_B }]);
    expect(Buffer.from(serializeManifest(manifest)).toString('utf8')).toBe(
      `{"files":[{"digest":"${DIGEST_B}","path":"b","size":2}],"mediaType":"${MANIFEST_MEDIA_TYPE}"}`,
    );
  });

  it('sorts by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FFFD is EF BF BD in UTF-8 and sorts before U+1F600 (F0 9F 98 80); in UTF-16 it is the other way.
    const manifest = createManifest([
      { path: '\u{1F600}', size: 1, digest: DIGEST_A },
      { path: '\uFFFD', size: 1, digest: DIGEST_A },
      { path: 'Z', size: 1, digest: DIGEST_A },
      { path: 'a', size: 1, digest: DIGEST_A },
      { path: 'a-b', size: 1, digest: DIGEST_A },
    ]);
    expect(manifest.files.map((f) => f.path)).toEqual(['Z', 'a', 'a-b', '\uFFFD', '\u{1F600}']);
  });

  it('digests the canonical bytes', () => {
    const manifest = createManifest([{ path: 'x/y', size: 0, digest: DIGEST_A }]);
    const expected = createHash('sha256').update(serializeManifest(manifest)).digest('hex');
    expect(manifestDigest(manifest)).toBe(`sha256:${expected}`);
  });

  it('handles the empty manifest', () => {
    const bytes = serializeManifest(createManifest([]));
    expect(Buffer.from(bytes).toString('utf8')).toBe(`{"files":[],"mediaType":"${MANIFEST_MEDIA_TYPE}"}`);
    expect(parseManifest(bytes).files).toEqual([]);
  });
});

describe('createManifest', () => {
  it.each([
    ['', 'INVALID_ARGUMENT'],
    ['/abs', 'INVALID_ARGUMENT'],
    ['a//b', 'INVALID_ARGUMENT'],
    ['a/', 'INVALID_ARGUMENT'],
    ['./a', 'INVALID_ARGUMENT'],
    ['a/./b', 'INVALID_ARGUMENT'],
    ['../a', 'INVALID_ARGUMENT'],
    ['a/..', 'INVALID_ARGUMENT'],
    ['a\0b', 'INVALID_ARGUMENT'],
    ['lone\uD800', 'INVALID_UTF8'],
  ])('refuses the path %j', (path, code) => {
    expect(codeOf(() => createManifest([{ path, size: 1, digest: DIGEST_A }]))).toBe(code);
  });

  it('refuses duplicates and a path that is both file and directory', () => {
    const e = (path: string): ManifestEntry => ({ path, size: 1, digest: DIGEST_A });
    expect(codeOf(() => createManifest([e('a'), e('a')]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => createManifest([e('a/b/c'), e('a-b'), e('a/b')]))).toBe('INVALID_ARGUMENT');
  });

  it('refuses bad sizes and digests', () => {
    expect(codeOf(() => createManifest([{ path: 'a', size: -1, digest: DIGEST_A }]))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => createManifest([{ path: 'a', size: 1.5, digest: DIGEST_A }]))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => createManifest([{ path: 'a', size: 2 ** 53, digest: DIGEST_A }]))).toBe(
      'INVALID_ARGUMENT',
    );
    const upper = DIGEST_A.toUpperCase() as Digest;
    expect(codeOf(() => createManifest([{ path: 'a', size: 1, digest: upper }]))).toBe('INVALID_ARGUMENT');
  });
});

describe('parseManifest (attacker-controlled bytes)', () => {
  const valid = `{"files":[{"digest":"${DIGEST_A}","path":"a","size":1},{"digest":"${DIGEST_B}","path":"b/c","size":22}],"mediaType":"${MANIFEST_MEDIA_TYPE}"}`;
  const entry = (path: string, size = '1', digest = `"${DIGEST_A}"`): string =>
    `{"digest":${digest},"path":${path},"size":${size}}`;
  const wrap = (...files: string[]): string =>
    `{"files":[${files.join(',')}],"mediaType":"${MANIFEST_MEDIA_TYPE}"}`;

  it('accepts canonical bytes', () => {
    const manifest = parseManifest(bytesOf(valid));
    expect(manifest.files).toEqual([
      { path: 'a', size: 1, digest: DIGEST_A },
      { path: 'b/c', size: 22, digest: DIGEST_B },
    ]);
    expect(Buffer.from(serializeManifest(manifest)).toString('utf8')).toBe(valid);
  });

  it.each([
    ['whitespace', valid.replace('{"files":', '{ "files":'), 'INVALID_JSON'],
    ['a trailing newline', valid + '\n', 'INVALID_JSON'],
    ['a BOM', '\uFEFF' + valid, 'INVALID_JSON'],
    ['an escaped letter', valid.replace('"path":"a"', '"path":"\\u0061"'), 'INVALID_JSON'],
    ['an exponent size', wrap(entry('"a"', '1e2')), 'INVALID_JSON'],
    ['a fractional size', wrap(entry('"a"', '1.0')), 'INVALID_JSON'],
    [
      'keys out of order',
      valid.replace(`{"digest":"${DIGEST_A}","path":"a"`, `{"path":"a","digest":"${DIGEST_A}"`),
      'INVALID_JSON',
    ],
    ['not JSON', '{"files":', 'INVALID_JSON'],
    ['an array', '[]', 'INVALID_ARGUMENT'],
    ['null', 'null', 'INVALID_ARGUMENT'],
    ['an extra key', valid.replace('{"files"', '{"extra":1,"files"'), 'INVALID_ARGUMENT'],
    ['a __proto__ key', valid.replace('{"files"', '{"__proto__":{},"files"'), 'INVALID_ARGUMENT'],
    ['a missing mediaType', `{"files":[]}`, 'INVALID_ARGUMENT'],
    ['another media type', `{"files":[],"mediaType":"application/json"}`, 'INVALID_ARGUMENT'],
    ['files not an array', `{"files":{},"mediaType":"${MANIFEST_MEDIA_TYPE}"}`, 'INVALID_ARGUMENT'],
    [
      'an entry with an extra key',
      wrap(`{"digest":"${DIGEST_A}","mode":1,"path":"a","size":1}`),
      'INVALID_ARGUMENT',
    ],
    ['an entry that is an array', wrap('[]'), 'INVALID_ARGUMENT'],
    ['a negative size', wrap(entry('"a"', '-1')), 'INVALID_ARGUMENT'],
    ['an unsafe size', wrap(entry('"a"', '9007199254740993')), 'INVALID_ARGUMENT'],
    ['a string size', wrap(entry('"a"', '"1"')), 'INVALID_ARGUMENT'],
    ['an uppercase digest', wrap(entry('"a"', '1', `"${DIGEST_A.toUpperCase()}"`)), 'INVALID_ARGUMENT'],
    ['a sha512 digest', wrap(entry('"a"', '1', `"sha512:${'a'.repeat(128)}"`)), 'INVALID_ARGUMENT'],
    ['a parent segment', wrap(entry('"../a"')), 'INVALID_ARGUMENT'],
    ['an absolute path', wrap(entry('"/a"')), 'INVALID_ARGUMENT'],
    ['an empty segment', wrap(entry('"a//b"')), 'INVALID_ARGUMENT'],
    ['a dot segment', wrap(entry('"a/./b"')), 'INVALID_ARGUMENT'],
    ['a NUL', wrap(entry('"a\\u0000b"')), 'INVALID_ARGUMENT'],
    ['a lone surrogate', wrap(entry('"a\\ud800"')), 'INVALID_UTF8'],
    ['unsorted files', wrap(entry('"b"'), entry('"a"')), 'INVALID_ARGUMENT'],
    ['duplicate files', wrap(entry('"a"'), entry('"a"')), 'INVALID_ARGUMENT'],
    ['a file that is also a directory', wrap(entry('"a"'), entry('"a/b"')), 'INVALID_ARGUMENT'],
  ])('refuses %s', (_title, text, code) => {
    expect(codeOf(() => parseManifest(bytesOf(text)))).toBe(code);
  });

  it('refuses bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from(valid.slice(0, 40)),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(valid.slice(40)),
    ]);
    expect(codeOf(() => parseManifest(bytes))).toBe('INVALID_UTF8');
  });

  it('never accepts a byte mutation as the same manifest: one manifest, one byte string', () => {
    const original = bytesOf(valid);
    fc.assert(
      fc.property(fc.nat(original.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const mutated = Uint8Array.from(original);
        mutated[at] = (mutated[at] ?? 0) ^ xor;
        let parsed;
        try {
          parsed = parseManifest(mutated);
        } catch (error) {
          expect(isSignetError(error)).toBe(true);
          return;
        }
        // If it parses at all, it is a different manifest whose canonical bytes are exactly the input.
        expect(Buffer.from(serializeManifest(parsed)).equals(Buffer.from(mutated))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
