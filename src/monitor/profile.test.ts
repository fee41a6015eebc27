// The dataset profile: per column, the bins computeFeatureBins would give over the column's values,
// computed in one streaming pass over CSV or NDJSON cut into any chunks; the reference bins assembled from
// it equal computeReferenceBins over the same rows; a profile read back is checked as untrusted JSON.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import type { Digest } from '../signing/digest.js';
import { toNdjsonValue, type NdjsonValue } from './ndjson.js';
import {
  assertDatasetProfile,
  DATASET_PROFILE_TYPE,
  profileDataset,
  referenceFromProfile,
  type DatasetProfile,
  type ProfileOptions,
} from './profile.js';
import { computeFeatureBins, computeReferenceBins, DEFAULT_MAX_CATEGORIES, inferKind } from './reference.js';
import type { FeatureBins } from './types.js';

const DATASET = `sha256:${'cd'.repeat(32)}` as Digest;

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const step = Number.isFinite(size) ? size : Math.max(bytes.length, 1);
  for (let at = 0; at < bytes.length; at += step) yield bytes.slice(at, at + step);
}

function profile(
  text: string,
  format: 'csv' | 'ndjson',
  size = Infinity,
  options: Partial<Omit<ProfileOptions, 'source' | 'format' | 'dataset'>> = {},
): Promise<DatasetProfile> {
  const source = chunked(new TextEncoder().encode(text), size);
  return profileDataset({ source, format, dataset: DATASET, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; details: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (!isSignetError(error)) throw error;
    return { code: error.code, details: error.details };
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): { code: string; details: unknown } {
  try {
    fn();
  } catch (error) {
    if (!isSignetError(error)) throw error;
    return { code: error.code, details: error.details };
  }
  throw new Error('expected an error');
}

/** Byte-for-byte: the same JSON text (so the same keys in the same order), and deeply equal. */
function expectSameBins(actual: FeatureBins | undefined, expected: FeatureBins): void {
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
  expect(actual).toStrictEqual(expected);
}

// A CSV cell: quoted when it must be (and some others, by position, so quoted numbers are read too).
function csvCell(text: string, quote: boolean): string {
  return quote || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function toCsv(names: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [names.map((name) => csvCell(name, false)).join(',')];
  rows.forEach((row, r) => {
    // A lone empty field would be a blank line, which the reader skips: it is written `""`.
    lines.push(row.map((cell, c) => csvCell(cell, (r + c) % 3 === 0 || row.length === 1)).join(','));
  });
  return lines.join(r2n(rows.length)) + '\n';
}

// Alternate LF and CRLF line ends by the size of the table, so both are read.
function r2n(rows: number): string {
  return rows % 2 === 0 ? '\n' : '\r\n';
}

// Texts that parse as numbers, and some that nearly do.
const numberText = fc.oneof(
  fc.integer({ min: -50, max: 50 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((d) => d.toFixed(3)),
  fc.constantFrom(
    ' 3.5 ',
    '\t2',
    '+1',
    '-0',
    '-0.0',
    '1e999',
    '.5',
    '5.',
    '007',
    '1E3',
    '3.50',
    '0x10',
    'NaN',
  ),
);
const otherText = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'n/a', ' ', 'x,y', 'say "hi"', 'two\nlines', 'cr\ronly', 'é', '"'),
  fc.string({ maxLength: 3, unit: 'grapheme' }),
);
const numericCell = fc.oneof({ weight: 6, arbitrary: numberText }, { weight: 1, arbitrary: fc.constant('') });
const mixedCell = fc.oneof(
  { weight: 3, arbitrary: numberText },
  { weight: 3, arbitrary: otherText },
  { weight: 1, arbitrary: fc.constant('') },
);
const categoricalCell = fc.oneof(
  { weight: 4, arbitrary: otherText },
  { weight: 1, arbitrary: fc.constant('') },
);

/** A table of CSV texts: 1–4 columns of one style each (numbers, text, or a mix), 1–40 rows. */
const csvTable = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc
    .array(
      fc
        .constantFrom(numericCell, mixedCell, categoricalCell)
        .chain((cell) => fc.array(cell, { minLength: n, maxLength: n })),
      { minLength: 1, maxLength: 4 },
    )
    .map((columns) => ({
      names: columns.map((_, j) => `c${j}`),
      columns,
      rows: Array.from({ length: n }, (_, r) => columns.map((column) => column[r] as string)),
    })),
);

const chunkSize = fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 17 }), fc.constant(Infinity));

describe('profileDataset: the bins are computeFeatureBins over the column (property)', () => {
  it('CSV, any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(csvTable, chunkSize, async (table, size) => {
        const result = await profile(toCsv(table.names, table.rows), 'csv', size);
        expect(result.rows).toBe(table.rows.length);
        expect(result.malformed).toBe(0);
        expect(result.columns.map((c) => c.name)).toEqual(table.names);
        table.columns.forEach((values, j) => {
          const column = result.columns[j];
          const name = table.names[j] as string;
          expect(column?.inferred).toBe(inferKind(values));
          expectSameBins(column?.categorical, computeFeatureBins(name, values, 'categorical'));
          const numeric = computeFeatureBins(name, values, 'numeric');
          const anyNumber = numeric.counts.slice(0, -1).some((c) => c > 0);
          if (anyNumber) expectSameBins(column?.numeric, numeric);
          else expect(column?.numeric).toBeUndefined();
        });
      }),
      { numRuns: 300 },
    );
  });

  // A JSON value as written in the file, with what the reader makes of it.
  const jsonValue: fc.Arbitrary<string> = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
    fc.integer({ min: -20, max: 20 }).map(String),
    fc.constantFrom('1e999', '-1e999', '3.50', '1E3', '-0', '1e21', '0.0'),
    otherText.map((s) => JSON.stringify(s)),
    numberText.map((s) => JSON.stringify(s)),
    fc.constantFrom('null', 'true', 'false', '[1,2]', '{"k":"v"}', '""'),
  );

  it('NDJSON, any chunking, keys absent from some rows (missing there)', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const row = fc.array(fc.option(jsonValue, { nil: undefined, freq: 3 }), {
      minLength: names.length,
      maxLength: names.length,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), chunkSize, async (rows, size) => {
        const lines = rows.map(
          (cells) =>
            `{${cells.flatMap((raw, j) => (raw === undefined ? [] : [`"${names[j]}":${raw}`])).join(',')}}`,
        );
        const result = await profile(lines.join('\n') + '\n', 'ndjson', size);
        expect(result.rows).toBe(rows.length);
        // Columns in order of first appearance.
        const order: string[] = [];
        for (const cells of rows) {
          cells.forEach((raw, j) => {
            const name = names[j] as string;
            if (raw !== undefined && !order.includes(name)) order.push(name);
          });
        }
        expect(result.columns.map((c) => c.name)).toEqual(order);
        for (const column of result.columns) {
          const j = names.indexOf(column.name);
          const values: NdjsonValue[] = rows.map((cells) => {
            const raw = cells[j];
            return raw === undefined ? null : toNdjsonValue(JSON.parse(raw));
          });
          expect(column.inferred).toBe(inferKind(values));
          expectSameBins(column.categorical, computeFeatureBins(column.name, values, 'categorical'));
          const numeric = computeFeatureBins(column.name, values, 'numeric');
          if (numeric.counts.slice(0, -1).some((c) => c > 0)) expectSameBins(column.numeric, numeric);
          else expect(column.numeric).toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('more categories than DEFAULT_MAX_CATEGORIES: the same most frequent ones are kept', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 250 }), { minLength: 1, maxLength: 600 }),
        async (ks) => {
          const values = ks.map((k) => `k${k}`);
          const result = await profile(
            toCsv(
              ['id'],
              values.map((v) => [v]),
            ),
            'csv',
          );
          const expected = computeFeatureBins('id', values, 'categorical');
          expectSameBins(result.columns[0]?.categorical, expected);
        },
      ),
      { numRuns: 50 },
    );
    // And the case is reached: more distinct values than are kept.
    const many = Array.from({ length: 3 * DEFAULT_MAX_CATEGORIES }, (_, i) => `v${i}`);
    const result = await profile(
      toCsv(
        ['id'],
        many.map((v) => [v]),
      ),
      'csv',
    );
    const bins = result.columns[0]?.categorical;
    expect(bins?.kind === 'categorical' && bins.categories).toHaveLength(DEFAULT_MAX_CATEGORIES);
    expectSameBins(bins, computeFeatureBins('id', many, 'categorical'));
  });
});

describe('profileDataset: reading', () => {
  const csv =
    '\uFEFFname,age,"city, country",score\r\n' +
    'ann,34,"Paris, FR",0.9\r\n' +
    '"bob ""the"" builder",,"Oslo\nNO",0.25\r\n' +
    'cy,41.5,Lima,"0.5"\r\n' +
    'dee,n/a,,1\r\n';

  it('gives the same profile whatever the chunks (1 byte, 2, 3, 5, 7, 64)', async () => {
    const whole = await profile(csv, 'csv');
    expect(whole.columns.map((c) => c.name)).toEqual(['name', 'age', 'city, country', 'score']);
    expect(whole.rows).toBe(4);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      expect(await profile(csv, 'csv', size), `chunks of ${size} bytes`).toStrictEqual(whole);
    }
    const ndjson = '{"x":1,"y":"a"}\n{"x":2.5,"y":"b é"}\r\n\n{"x":"3","z":true}\n{"x":null,"y":"a"}';
    const first = await profile(ndjson, 'ndjson');
    expect(first.rows).toBe(4);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      expect(await profile(ndjson, 'ndjson', size), `chunks of ${size} bytes`).toStrictEqual(first);
    }
  });

  it('profiles every column both ways and infers its kind', async () => {
    const result = await profile(csv, 'csv', 3);
    const [name, age, city, score] = result.columns;
    expect(name?.inferred).toBe('categorical');
    expect(name?.numeric).toBeUndefined();
    expect(name?.categorical).toEqual({
      name: 'name',
      kind: 'categorical',
      categories: ['ann', 'bob "the" builder', 'cy', 'dee'],
      counts: [1, 1, 1, 1, 0, 0],
    });
    // 'n/a' makes age categorical, but its numbers are binned all the same, n/a and empty missing.
    expect(age?.inferred).toBe('categorical');
    expect(age?.numeric).toEqual(computeFeatureBins('age', ['34', '', '41.5', 'n/a'], 'numeric'));
    expect(age?.numeric?.counts.at(-1)).toBe(2);
    expect(city?.categorical.counts).toEqual([1, 1, 1, 0, 1]);
    expect(score?.inferred).toBe('numeric');
    expect(score?.numeric).toEqual(computeFeatureBins('score', ['0.9', '0.25', '0.5', '1'], 'numeric'));
  });

  it('NDJSON: a column first seen in a later row is missing in the earlier ones', async () => {
    const result = await profile('{"a":1}\n{"a":2,"b":"x"}\n{"a":3}\n{"b":"y","a":4}\n', 'ndjson', 1);
    expect(result.columns.map((c) => c.name)).toEqual(['a', 'b']);
    const b = result.columns[1];
    expect(b?.categorical).toEqual({
      name: 'b',
      kind: 'categorical',
      categories: ['x', 'y'],
      counts: [1, 1, 0, 2],
    });
    expect(result.columns[0]?.numeric?.counts.at(-1)).toBe(0);
    expect(result.columns[0]?.inferred).toBe('numeric');
  });

  it('NDJSON: a number is categorised by its JavaScript string form, like categoryOf', async () => {
    const result = await profile('{"n":3}\n{"n":3.50}\n{"n":1E3}\n{"n":1e999}\n{"n":"3"}\n', 'ndjson');
    const n = result.columns[0];
    // 3 and "3" are one category; 3.50 is '3.5'; 1e999 overflows and is missing.
    expect(n?.categorical).toEqual({
      name: 'n',
      kind: 'categorical',
      categories: ['1000', '3', '3.5'],
      counts: [1, 2, 1, 0, 1],
    });
    expect(n?.numeric?.counts.at(-1)).toBe(1);
  });

  it('counts malformed records and leaves them out of the bins', async () => {
    const csvResult = await profile('a,b\n1,x\n2\n3,y\n"4,z\n', 'csv');
    expect(csvResult.rows).toBe(2);
    expect(csvResult.malformed).toBe(2);
    expect(csvResult.columns[0]?.numeric).toEqual(computeFeatureBins('a', ['1', '3'], 'numeric'));
    const ndjsonResult = await profile('{"a":1}\nnot json\n[1]\n{"a":2}\n', 'ndjson', 2);
    expect(ndjsonResult.rows).toBe(2);
    expect(ndjsonResult.malformed).toBe(2);
    expect(ndjsonResult.columns[0]?.numeric).toEqual(computeFeatureBins('a', [1, 2], 'numeric'));
  });

  it('reports progress after each chunk: bytes read and rows so far', async () => {
    const calls: [number, number][] = [];
    const text = 'a\n1\n2\n3\n';
    await profile(text, 'csv', 2, { onProgress: (bytes, rows) => calls.push([bytes, rows]) });
    expect(calls).toEqual([
      [2, 0],
      [4, 1],
      [6, 2],
      [8, 3],
    ]);
  });

  it('refuses a file with no data rows', async () => {
    for (const [text, format] of [
      ['', 'csv'],
      ['a,b\n', 'csv'],
      ['a,b\n1\n\n', 'csv'],
      ['', 'ndjson'],
      ['\n\nnot json\n', 'ndjson'],
    ] as const) {
      expect((await rejection(profile(text, format))).code, JSON.stringify(text)).toBe('INVALID_ARGUMENT');
    }
    // One row is enough.
    expect((await profile('a,b\n1,2\n', 'csv')).rows).toBe(1);
  });

  it('refuses more than maxColumns columns, CSV and NDJSON', async () => {
    expect((await rejection(profile('a,b,c\n1,2,3\n', 'csv', Infinity, { maxColumns: 2 }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await profile('a,b\n1,2\n', 'csv', Infinity, { maxColumns: 2 })).columns).toHaveLength(2);
    const ndjson = '{"a":1,"b":2}\n{"a":1}\n{"c":3}\n';
    expect((await rejection(profile(ndjson, 'ndjson', Infinity, { maxColumns: 2 }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await profile(ndjson, 'ndjson', Infinity, { maxColumns: 3 })).columns).toHaveLength(3);
    // The default is 1000.
    const wide = Array.from({ length: 1001 }, (_, i) => `c${i}`);
    const header = wide.join(',');
    expect((await rejection(profile(`${header}\n${wide.map(() => '1').join(',')}\n`, 'csv'))).code).toBe(
      'INVALID_ARGUMENT',
    );
    const fits = wide.slice(1).join(',');
    expect(
      (
        await profile(
          `${fits}\n${wide
            .slice(1)
            .map(() => '1')
            .join(',')}\n`,
          'csv',
        )
      ).columns,
    ).toHaveLength(1000);
  });

  it('refuses a CSV header naming a column twice, and skips a column with no name', async () => {
    expect((await rejection(profile('a,b,a\n1,2,3\n', 'csv'))).code).toBe('INVALID_ARGUMENT');
    const result = await profile(',a\n0,x\n1,y\n', 'csv');
    expect(result.columns.map((c) => c.name)).toEqual(['a']);
    expect(result.columns[0]?.categorical.counts).toEqual([1, 1, 0, 0]);
    const ndjson = await profile('{"":1,"a":2}\n', 'ndjson');
    expect(ndjson.columns.map((c) => c.name)).toEqual(['a']);
  });

  it('stops tracking new categories past maxTrackedCategories: later new values are "other"', async () => {
    const values = ['d', 'a', 'b', 'a', 'c', 'e', 'd', '', 'b'];
    const text = toCsv(
      ['v'],
      values.map((v) => [v]),
    );
    const capped = await profile(text, 'csv', Infinity, { maxTrackedCategories: 3 });
    // d, a, b are tracked (first seen); c and e come after the cap.
    expect(capped.columns[0]?.categorical).toEqual({
      name: 'v',
      kind: 'categorical',
      categories: ['a', 'b', 'd'],
      counts: [2, 2, 2, 2, 1],
    });
    // At the cap (as many distinct values as tracked) the bins are exactly computeFeatureBins'.
    const exact = await profile(text, 'csv', Infinity, { maxTrackedCategories: 5 });
    expectSameBins(exact.columns[0]?.categorical, computeFeatureBins('v', values, 'categorical'));
    // The numbers are not capped.
    const numbers = Array.from({ length: 50 }, (_, i) => String(i));
    const numeric = await profile(
      toCsv(
        ['n'],
        numbers.map((v) => [v]),
      ),
      'csv',
      Infinity,
      {
        maxTrackedCategories: 2,
      },
    );
    expectSameBins(numeric.columns[0]?.numeric, computeFeatureBins('n', numbers, 'numeric'));
    expect(numeric.columns[0]?.categorical.counts).toEqual([1, 1, 48, 0]);
  });

  it('refuses a bad maxColumns or maxTrackedCategories', async () => {
    expect((await rejection(profile('a\n1\n', 'csv', Infinity, { maxColumns: 0 }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await rejection(profile('a\n1\n', 'csv', Infinity, { maxTrackedCategories: 1.5 }))).code).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('referenceFromProfile', () => {
  it('equals computeReferenceBins over the same rows (property)', async () => {
    const kind = fc.constantFrom(undefined, 'numeric' as const, 'categorical' as const);
    await fc.assert(
      fc.asyncProperty(
        csvTable,
        fc.array(kind, { minLength: 4, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        async (table, kinds, picked, scoreAt) => {
          const result = await profile(toCsv(table.names, table.rows), 'csv', 5);
          const score = scoreAt === undefined ? undefined : table.names[scoreAt];
          const columns = table.names
            .filter((name, j) => picked[j] === true && name !== score)
            .map((name, j) => {
              const k = kinds[j];
              return k === undefined ? { name } : { name, kind: k };
            });
          const input = { model: 'm', columns, ...(score !== undefined ? { score } : {}) };
          const records = table.rows.map((row) =>
            Object.fromEntries(row.map((cell, j) => [table.names[j], cell])),
          );
          const expected = computeReferenceBins({ ...input, dataset: DATASET, rows: records });
          const numericAsked = [
            ...columns.filter(
              (c) => (c.kind ?? result.columns.find((p) => p.name === c.name)?.inferred) === 'numeric',
            ),
            ...(score !== undefined ? [{ name: score }] : []),
          ];
          const noNumber = numericAsked
            .map((c) => c.name)
            .filter((name) => result.columns.find((p) => p.name === name)?.numeric === undefined);
          if (noNumber.length > 0) {
            // computeReferenceBins gives such a column one empty value bin; the profile refuses it.
            const error = thrown(() => referenceFromProfile(result, input));
            expect(error.code).toBe('INVALID_ARGUMENT');
            expect(error.details).toEqual({ notNumeric: noNumber });
            return;
          }
          const reference = referenceFromProfile(result, input);
          expect(JSON.stringify(reference)).toBe(JSON.stringify(expected));
          expect(reference).toStrictEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  const profiled = profile('id,age,city,score\na,30,x,0.5\nb,40,y,0.7\nc,,x,0.1\n', 'csv');

  it('takes the kind asked, else the kind inferred; the score is numeric', async () => {
    const result = await profiled;
    const reference = referenceFromProfile(result, {
      model: 'm',
      columns: [{ name: 'age' }, { name: 'city' }],
      score: 'score',
    });
    expect(reference.dataset).toBe(DATASET);
    expect(reference.features.map((f) => [f.name, f.kind])).toEqual([
      ['age', 'numeric'],
      ['city', 'categorical'],
    ]);
    expect(reference.score?.kind).toBe('numeric');
    const asCategory = referenceFromProfile(result, {
      model: 'm',
      columns: [{ name: 'age', kind: 'categorical' }],
    });
    expect(asCategory.features[0]?.kind).toBe('categorical');
    expect(asCategory.score).toBeUndefined();
  });

  it('names every column the profile lacks, the score included', async () => {
    const result = await profiled;
    const error = thrown(() =>
      referenceFromProfile(result, {
        model: 'm',
        columns: [{ name: 'age' }, { name: 'height' }, { name: 'weight' }],
        score: 'proba',
      }),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toEqual({ absent: ['height', 'weight', 'proba'] });
  });

  it('refuses a column asked numeric, or a score, with no number in it', async () => {
    const result = await profiled;
    const feature = thrown(() =>
      referenceFromProfile(result, {
        model: 'm',
        columns: [{ name: 'id', kind: 'numeric' }, { name: 'age' }],
      }),
    );
    expect(feature).toEqual({ code: 'INVALID_ARGUMENT', details: { notNumeric: ['id'] } });
    const score = thrown(() => referenceFromProfile(result, { model: 'm', columns: [], score: 'city' }));
    expect(score).toEqual({ code: 'INVALID_ARGUMENT', details: { notNumeric: ['city'] } });
  });

  it('refuses a column named twice, or named both as a feature and as the score', async () => {
    const result = await profiled;
    expect(
      thrown(() => referenceFromProfile(result, { model: 'm', columns: [{ name: 'age' }, { name: 'age' }] }))
        .code,
    ).toBe('INVALID_ARGUMENT');
    expect(
      thrown(() => referenceFromProfile(result, { model: 'm', columns: [{ name: 'score' }], score: 'score' }))
        .code,
    ).toBe('INVALID_ARGUMENT');
  });
});

describe('assertDatasetProfile', () => {
  const stored = async (): Promise<Record<string, unknown>> =>
    JSON.parse(
      JSON.stringify(await profile('id,age,city,mix\na,30,x,1\nb,40,y,a\nc,,x,2\nd,51,z,\n', 'csv')),
    ) as Record<string, unknown>;

  it('accepts a profile as stored (JSON round trip)', async () => {
    const value = await stored();
    expect(() => assertDatasetProfile(value)).not.toThrow();
    expect(column(value, 3)['inferred']).toBe('categorical');
    expect(column(value, 3).numeric?.['counts']).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
    expect(value['type']).toBe(DATASET_PROFILE_TYPE);
  });

  type Column = Record<string, unknown> & {
    categorical: Record<string, unknown>;
    numeric?: Record<string, unknown>;
  };
  const column = (value: Record<string, unknown>, i: number): Column =>
    (value['columns'] as Column[])[i] as Column;

  const tamperings: [string, (value: Record<string, unknown>) => unknown][] = [
    ['not an object', () => []],
    ['null', () => null],
    ['wrong type', (v) => ({ ...v, type: 'signet-dataset-profile/v2' })],
    ['bad digest', (v) => ({ ...v, dataset: `sha256:${'CD'.repeat(32)}` })],
    ['no digest', (v) => ({ ...v, dataset: undefined })],
    ['bad format', (v) => ({ ...v, format: 'parquet' })],
    ['no rows', (v) => ({ ...v, rows: 0 })],
    ['fractional rows', (v) => ({ ...v, rows: 4.5 })],
    ['negative malformed', (v) => ({ ...v, malformed: -1 })],
    ['columns not an array', (v) => ({ ...v, columns: {} })],
    ['a column not an object', (v) => ({ ...v, columns: ['id'] })],
    ['a column with no name', (v) => void (column(v, 0)['name'] = '')],
    ['a column twice', (v) => ({ ...v, columns: [column(v, 0), column(v, 0)] })],
    ['inferred unknown', (v) => void (column(v, 0)['inferred'] = 'text')],
    ['no categorical bins', (v) => void delete (column(v, 0) as Partial<Column>).categorical],
    ['categorical bins of the numeric kind', (v) => void (column(v, 1).categorical = column(v, 1).numeric!)],
    ['numeric bins of the categorical kind', (v) => void (column(v, 1).numeric = column(v, 1).categorical)],
    ['bins under another name', (v) => void (column(v, 0).categorical['name'] = 'age')],
    ['bins not counting every row', (v) => void ((column(v, 0).categorical['counts'] as number[])[0] = 2)],
    [
      'numeric bins not counting every row',
      (v) => void ((column(v, 1).numeric!['counts'] as number[])[0] = 9),
    ],
    ['edges not ascending', (v) => void (column(v, 1).numeric!['edges'] = [40, 30])],
    ['a negative count', (v) => void ((column(v, 0).categorical['counts'] as number[])[0] = -1)],
    ['inferred numeric with no numeric bins', (v) => void (column(v, 0)['inferred'] = 'numeric')],
    ['inferred numeric, numeric bins dropped', (v) => void delete column(v, 1).numeric],
    [
      'inferred categorical though every value is a number',
      (v) => void (column(v, 1)['inferred'] = 'categorical'),
    ],
    [
      'numeric bins with no number',
      (v) => {
        column(v, 1).numeric = { name: 'age', kind: 'numeric', edges: [], counts: [0, 4] };
      },
    ],
    [
      'numeric bins with fewer missing than the categorical bins',
      (v) => {
        // mix: 1, a, 2, empty — inferred categorical; 2 rows are not numbers, 1 is missing.
        const counts = column(v, 3).numeric!['counts'] as number[];
        counts[0] = (counts[0] as number) + (counts[counts.length - 1] as number);
        counts[counts.length - 1] = 0;
      },
    ],
  ];

  for (const [what, tamper] of tamperings) {
    it(`refuses ${what}`, async () => {
      const value = await stored();
      const result = tamper(value);
      const tampered = result === undefined ? value : result;
      expect(thrown(() => assertDatasetProfile(tampered)).code).toBe('INVALID_ARGUMENT');
    });
  }
});
