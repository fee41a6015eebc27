// Ingestion of scoring traffic: windows by hour and day from a timestamp column (Z and offsets) or by
// arrival, every row accounted for (counted, malformed or untimed, with line numbers), missing and
// unparsable values counted, and constant memory over a 64 MB stream generated on the fly. The fast
// paths — bins as data, and a timestamp's window taken from the one before — give what binIndex per
// value and parseTimestamp per row give.
import v8 from 'node:v8';
import vm from 'node:vm';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { binCount as binCountOf, binIndex } from './bins.js';
import { ingest, parseTimestamp, windowStart, type IngestSettings, type RawValue } from './ingest.js';
import type { FeatureBins } from './types.js';

// A stand-in for the reference bins: numeric features by edges (v <= edges[i]), one categorical.
const EDGES: Record<string, number[]> = { x: [0, 10], y: [1, 2, 3], score: [0.5] };
const CATEGORIES: Record<string, string[]> = { colour: ['blue', 'red'] };

function binCount(feature: string): number {
  const edges = EDGES[feature];
  if (edges) return edges.length + 2;
  return CATEGORIES[feature]!.length + 2;
}

function binOf(feature: string, raw: RawValue): number {
  const missing = binCount(feature) - 1;
  const edges = EDGES[feature];
  if (edges) {
    const value =
      typeof raw === 'number'
        ? raw
        : typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw)
          ? Number(raw)
          : NaN;
    if (Number.isNaN(value)) return missing;
    const bin = edges.findIndex((edge) => value <= edge);
    return bin === -1 ? edges.length : bin;
  }
  if (raw === null || raw === undefined || raw === '') return missing;
  const index = CATEGORIES[feature]!.indexOf(String(raw));
  return index === -1 ? missing - 1 : index;
}

async function* bytesOf(...chunks: string[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield new TextEncoder().encode(chunk);
}

type Options = IngestSettings & {
  source?: AsyncIterable<Uint8Array>;
  kindOf?: (feature: string) => 'numeric' | 'categorical';
};

function run(text: string | string[], options: Options) {
  const chunks = typeof text === 'string' ? [text] : text;
  return ingest({ binOf, binCount, source: bytesOf(...chunks), ...options });
}

const byWindow = (counts: readonly { window: string; feature: string; counts: readonly number[] }[]) =>
  Object.fromEntries(counts.map((c) => [`${c.window} ${c.feature}`, c.counts]));

describe('parseTimestamp', () => {
  it('reads RFC 3339 date-times with Z or an offset, and ISO 8601 variants', () => {
    const cases: [string, string][] = [
      ['2026-03-01T10:30:00Z', '2026-03-01T10:30:00.000Z'],
      ['2026-03-01t10:30:00z', '2026-03-01T10:30:00.000Z'],
      ['2026-03-01 10:30Z', '2026-03-01T10:30:00.000Z'],
      ['2026-03-01T10:30:00.123456+02:00', '2026-03-01T08:30:00.000Z'],
      ['2026-03-01T10:30:00-0530', '2026-03-01T16:00:00.000Z'],
      ['2026-03-01T23:30:00-02:00', '2026-03-02T01:30:00.000Z'],
      ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
      ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.000Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
      ['1969-12-31T23:59:59Z', '1969-12-31T23:59:59.000Z'],
    ];
    for (const [text, iso] of cases) expect(new Date(parseTimestamp(text)).toISOString(), text).toBe(iso);
  });

  it('refuses anything without an offset, or out of range', () => {
    for (const text of [
      '2026-03-01T10:30:00',
      '2026-03-01',
      '2026-03-01T10:30:00 Z',
      '2025-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-03-01T24:00:00Z',
      '2026-03-01T10:60:00Z',
      '2026-03-01T10:30:00.Z',
      '2026-03-01T10:30:00+24:00',
      '2026-03-01T10:30:00+02:00x',
      '1700000000',
      '',
      '２026-03-01T10:30:00Z',
    ]) {
      expect(parseTimestamp(text), text).toBeNaN();
    }
  });

  it('agrees with Date.parse on random RFC 3339 date-times (seeded)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2200-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (date, offset) => {
          const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19);
          const sign = offset < 0 ? '-' : '+';
          const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
          const mm = String(Math.abs(offset) % 60).padStart(2, '0');
          const text = `${local}${sign}${hh}:${mm}`;
          expect(parseTimestamp(text)).toBe(Date.parse(text));
          expect(parseTimestamp(text)).toBe(Math.floor(date.getTime() / 1000) * 1000);
        },
      ),
      { seed: 3339, numRuns: 500 },
    );
  });

  it('names the window a time falls in', () => {
    const ms = Date.parse('2026-03-01T10:30:00Z');
    expect(windowStart(ms, 'hour')).toBe('2026-03-01T10:00:00Z');
    expect(windowStart(ms, 'day')).toBe('2026-03-01T00:00:00Z');
    expect(windowStart(Date.parse('1969-12-31T23:30:00Z'), 'hour')).toBe('1969-12-31T23:00:00Z');
  });
});

describe('ingest', () => {
  it('bins CSV rows per hour from a timestamp column, with Z and with offsets', async () => {
    const csv = [
      'ts,x,colour,score',
      '2026-03-01T10:00:00Z,-5,red,0.1',
      '2026-03-01T10:59:59.999Z,5,blue,0.9',
      '2026-03-01T12:30:00+02:00,20,green,0.7', // 10:30Z
      '2026-03-01T11:00:00Z,,,',
      '2026-03-01T06:15:00-05:00,abc,red,x', // 11:15Z
    ].join('\n');
    const report = await run(csv, {
      format: 'csv',
      features: ['x', 'colour'],
      score: 'score',
      window: 'hour',
      timestampColumn: 'ts',
    });
    expect(byWindow(report.counts)).toEqual({
      '2026-03-01T10:00:00Z x': [1, 1, 1, 0],
      '2026-03-01T10:00:00Z colour': [1, 1, 1, 0],
      '2026-03-01T10:00:00Z score': [1, 2, 0],
      '2026-03-01T11:00:00Z x': [0, 0, 0, 2],
      '2026-03-01T11:00:00Z colour': [0, 1, 0, 1],
      '2026-03-01T11:00:00Z score': [0, 0, 2],
    });
    // Windows ascending, features in the order given, the score last.
    expect(report.counts.map((c) => `${c.window.slice(11, 13)} ${c.feature}`)).toEqual([
      '10 x',
      '10 colour',
      '10 score',
      '11 x',
      '11 colour',
      '11 score',
    ]);
    expect(report.columns).toEqual([
      { name: 'x', role: 'feature', present: true, missing: 1, unparsable: 1 },
      { name: 'colour', role: 'feature', present: true, missing: 1, unparsable: 0 },
      { name: 'score', role: 'score', present: true, missing: 1, unparsable: 1 },
    ]);
    expect(report.totals).toMatchObject({
      rows: 5,
      counted: 5,
      malformed: { count: 0 },
      untimed: { count: 0 },
    });
    expect(report.time).toBe('column');
  });

  it('bins by UTC day, an offset moving a row across midnight', async () => {
    const csv = 'x,at\n1,2026-03-01T23:30:00-02:00\n1,2026-03-01T23:30:00+02:00\n11,2026-03-02T00:00:00Z\n';
    const report = await run(csv, { format: 'csv', features: ['x'], window: 'day', timestampColumn: 'at' });
    expect(byWindow(report.counts)).toEqual({
      '2026-03-01T00:00:00Z x': [0, 1, 0, 0],
      '2026-03-02T00:00:00Z x': [0, 1, 1, 0],
    });
  });

  it('bins by arrival: each chunk in the window of the time it arrived', async () => {
    const times = ['2026-03-01T09:59:00Z', '2026-03-01T10:01:00Z', '2026-03-01T10:30:00Z'];
    let call = 0;
    const arrival = (): Date => new Date(times[Math.min(call++, times.length - 1)]!);
    const report = await run(['x\n1\n2\n', '-1\n', '3'], {
      format: 'csv',
      features: ['x'],
      window: 'hour',
      arrival,
    });
    // The last row has no line break: it is complete only at the end, read with the last chunk's time.
    expect(byWindow(report.counts)).toEqual({
      '2026-03-01T09:00:00Z x': [0, 2, 0, 0],
      '2026-03-01T10:00:00Z x': [1, 1, 0, 0],
    });
    expect(report.time).toBe('arrival');
  });

  it('reports untimed rows with their lines and does not bin them', async () => {
    const csv = [
      'ts,x',
      '2026-03-01T10:00:00Z,1',
      ',1',
      '2026-03-01T10:00:00,1', // no offset: which hour?
      'yesterday,1',
      '2026-03-01T10:05:00Z,1',
    ].join('\r\n');
    const report = await run(csv, { format: 'csv', features: ['x'], window: 'hour', timestampColumn: 'ts' });
    expect(byWindow(report.counts)).toEqual({ '2026-03-01T10:00:00Z x': [0, 2, 0, 0] });
    expect(report.totals.untimed.count).toBe(3);
    expect(report.totals.untimed.first.map((p) => [p.line, p.reason])).toEqual([
      [3, 'missing-timestamp'],
      [4, 'invalid-timestamp'],
      [5, 'invalid-timestamp'],
    ]);
    expect(report.totals).toMatchObject({ rows: 5, counted: 2 });
  });

  it('counts malformed rows with their line numbers and reasons, the first ten listed', async () => {
    const rows = ['ts,x'];
    for (let i = 0; i < 15; i++)
      rows.push(i % 3 === 0 ? `2026-03-01T10:00:00Z,1,extra` : '2026-03-01T10:00:00Z,1');
    rows.push('2026-03-01T10:00:00Z,"multi\nline"', '2026-03-01T10:00:00Z,"open');
    const report = await run(rows.join('\n'), {
      format: 'csv',
      features: ['x'],
      window: 'hour',
      timestampColumn: 'ts',
    });
    expect(report.totals.malformed.count).toBe(6);
    expect(report.totals.malformed.first.map((p) => [p.line, p.reason])).toEqual([
      [2, 'field-count'],
      [5, 'field-count'],
      [8, 'field-count'],
      [11, 'field-count'],
      [14, 'field-count'],
      [19, 'unterminated-quote'],
    ]);
    expect(report.totals).toMatchObject({ rows: 17, counted: 11 });
    // "multi\nline" is a value, counted (in the missing bin: not a number).
    expect(report.columns[0]).toMatchObject({ missing: 0, unparsable: 1 });

    const many = ['ts,x', ...Array.from({ length: 25 }, () => '2026-03-01T10:00:00Z,1,2')].join('\n');
    const lots = await run(many, { format: 'csv', features: ['x'], window: 'hour', timestampColumn: 'ts' });
    expect(lots.totals.malformed.count).toBe(25);
    expect(lots.totals.malformed.first).toHaveLength(10);
  });

  it('counts a feature column absent from the header as missing in every row', async () => {
    const report = await run('ts,x\n2026-03-01T10:00:00Z,1\n2026-03-01T10:00:00Z,2\n', {
      format: 'csv',
      features: ['x', 'y'],
      window: 'hour',
      timestampColumn: 'ts',
    });
    expect(byWindow(report.counts)['2026-03-01T10:00:00Z y']).toEqual([0, 0, 0, 0, 2]);
    expect(report.columns[1]).toEqual({
      name: 'y',
      role: 'feature',
      present: false,
      missing: 2,
      unparsable: 0,
    });
  });

  it('reads NDJSON: a key absent or null is missing, a number stays a number, bad lines are reported', async () => {
    const ndjson = [
      '{"ts":"2026-03-01T10:00:00Z","x":5,"colour":"red"}',
      '{"ts":"2026-03-01T10:10:00+00:00","x":"20","colour":null}',
      '{"ts":"2026-03-01T10:20:00Z","colour":"blue","x":""}',
      'not json',
      '{"ts":1772359200000,"x":1}',
      '',
      '{"ts":"2026-03-01T11:00:00Z","x":true,"constructor":"x"}',
    ].join('\n');
    const report = await run(ndjson, {
      format: 'ndjson',
      features: ['x', 'colour'],
      window: 'hour',
      timestampColumn: 'ts',
    });
    expect(byWindow(report.counts)).toEqual({
      '2026-03-01T10:00:00Z x': [0, 1, 1, 1],
      '2026-03-01T10:00:00Z colour': [1, 1, 0, 1],
      '2026-03-01T11:00:00Z x': [0, 0, 0, 1],
      '2026-03-01T11:00:00Z colour': [0, 0, 0, 1],
    });
    expect(report.columns).toEqual([
      { name: 'x', role: 'feature', present: true, missing: 1, unparsable: 1 },
      { name: 'colour', role: 'feature', present: true, missing: 2, unparsable: 0 },
    ]);
    expect(report.totals.malformed.first.map((p) => [p.line, p.reason])).toEqual([[4, 'invalid-json']]);
    expect(report.totals.untimed.first.map((p) => [p.line, p.reason])).toEqual([[5, 'invalid-timestamp']]);
    expect(report.totals).toMatchObject({ rows: 6, counted: 4, blankLines: 1 });
  });

  it('gives the same counts with the numeric hint as without it (seeded)', async () => {
    const cell = fc.oneof(
      fc.double({ min: -50, max: 50, noNaN: true }).map(String),
      fc.integer({ min: -20, max: 20 }).map(String),
      fc.constantFrom('', ' 3', '1e1', '-0', '0.0', '10', '10.000000000000001', 'x', '"5"', '"1""0"', '1.'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell), { maxLength: 30 }), async (rows) => {
        const csv = ['x,y', ...rows.map(([x, y]) => `${x},${y}`)].join('\n');
        const options = {
          format: 'csv',
          features: ['x', 'y'],
          window: 'day',
          arrival: () => new Date(0),
        } as const;
        const plain = await run(csv, options);
        const hinted = await run(csv, { ...options, kindOf: () => 'numeric' });
        expect(hinted.counts).toEqual(plain.counts);
        expect(hinted.columns).toEqual(plain.columns);
      }),
      { seed: 1128, numRuns: 200 },
    );
  });

  it('refuses options it cannot honour, and a binOf out of range', async () => {
    const base = { format: 'csv', features: ['x'], window: 'hour' } as const;
    await expect(run('x\n1\n', base)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(run('x\n1\n', { ...base, timestampColumn: 'ts' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(run('ts,x,x\n', { ...base, timestampColumn: 'ts' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      run('x\n1\n', { ...base, features: ['x', 'x'], arrival: () => new Date() }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(run('x\n1\n', { ...base, arrival: () => new Date(NaN) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      ingest({ source: bytesOf('x\n1\n'), binCount, binOf: () => 4, ...base, arrival: () => new Date() }),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(
      ingest({ source: bytesOf('x\n1\n'), binCount, binOf: () => 0.5, ...base, arrival: () => new Date() }),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('stops opening windows past the bound, reporting the rows as untimed', async () => {
    const csv = [
      'ts,x',
      ...Array.from({ length: 5 }, (_, h) => `2026-03-01T0${h}:00:00Z,1`),
      '2026-03-01T00:30:00Z,1',
    ];
    const report = await run(csv.join('\n'), {
      format: 'csv',
      features: ['x'],
      window: 'hour',
      timestampColumn: 'ts',
      maxWindows: 3,
    });
    expect(report.counts.map((c) => c.window)).toEqual([
      '2026-03-01T00:00:00Z',
      '2026-03-01T01:00:00Z',
      '2026-03-01T02:00:00Z',
    ]);
    expect(report.totals.untimed.first.map((p) => [p.line, p.reason])).toEqual([
      [5, 'too-many-windows'],
      [6, 'too-many-windows'],
    ]);
    expect(report.totals).toMatchObject({ rows: 6, counted: 4 });
  });

  it('ingests a 64 MB stream generated on the fly in constant memory, every row accounted for', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const features = ['x', 'y'];
    const target = 64 * 1024 * 1024;
    const expected = { rows: 0, malformed: 0, untimed: 0, hours: new Set<number>() };
    async function* traffic(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('ts,x,y,pad\n');
      let bytes = 0;
      let row = 0;
      const start = Date.parse('2026-03-01T00:00:00Z');
      while (bytes < target) {
        let text = '';
        for (let i = 0; i < 500; i++, row++) {
          const ms = start + row * 1000;
          const ts = new Date(ms).toISOString();
          expected.rows++;
          if (row % 9973 === 0) {
            expected.malformed++;
            text += `${ts},1,2\n`; // a field short
          } else if (row % 7919 === 0) {
            expected.untimed++;
            text += `soon,1,2,x\n`;
          } else {
            expected.hours.add(Math.floor(ms / 3_600_000));
            text += `${ts},${(row % 23) - 5},${(row % 7) * 0.75},"padding, to make rows longer"\n`;
          }
        }
        const chunk = new TextEncoder().encode(text);
        bytes += chunk.length;
        yield chunk;
      }
    }
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    let chunks = 0;
    const report = await ingest({
      source: traffic(),
      format: 'csv',
      features,
      binOf,
      binCount,
      window: 'hour',
      timestampColumn: 'ts',
      onProgress: () => {
        if (++chunks % 200 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        }
      },
    });
    gc();
    const after = process.memoryUsage().heapUsed;
    expect(report.totals.bytes).toBeGreaterThanOrEqual(target);
    expect(report.totals.rows).toBe(expected.rows);
    expect(report.totals.malformed.count).toBe(expected.malformed);
    expect(report.totals.untimed.count).toBe(expected.untimed);
    expect(report.totals.counted).toBe(expected.rows - expected.malformed - expected.untimed);
    expect(report.counts).toHaveLength(expected.hours.size * features.length);
    const total = report.counts
      .filter((c) => c.feature === 'x')
      .reduce((sum, c) => sum + c.counts.reduce((a, b) => a + b, 0), 0);
    expect(total).toBe(report.totals.counted);
    expect(peak - before).toBeLessThan(32 * 1024 * 1024);
    expect(after - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('gives with the bins as data what binIndex gives per value (seeded)', async () => {
    // Edges with neighbours, integers and a wide range; values on them, near them, and not numbers.
    const reference: Record<string, FeatureBins> = {
      x: { name: 'x', kind: 'numeric', edges: [-1.5, 0, 0.1, 2, 10, 1e6], counts: [0, 0, 0, 0, 0, 0, 0, 0] },
      one: { name: 'one', kind: 'numeric', edges: [3], counts: [0, 0, 0] },
      none: { name: 'none', kind: 'numeric', edges: [], counts: [0, 0] },
      many: {
        name: 'many',
        kind: 'numeric',
        edges: Array.from({ length: 300 }, (_, i) => i / 10),
        counts: new Array<number>(302).fill(0),
      },
      colour: {
        name: 'colour',
        kind: 'categorical',
        categories: ['blue', 'red', 'é'],
        counts: [0, 0, 0, 0, 0],
      },
      score: { name: 'score', kind: 'numeric', edges: [0.25, 0.5, 0.75], counts: [0, 0, 0, 0, 0] },
    };
    const cell = fc.oneof(
      fc.constantFrom('-1.5', '0', '-0', '0.1', '0.10', '2', '10', '1000000', '3', '29.9', '30'),
      fc.double({ min: -5, max: 40, noNaN: true }).map(String),
      fc.integer({ min: -3, max: 35 }).map(String),
      fc.constantFrom('', '""', '"2"', ' 3', '3 ', '1e1', '.5', '5.', '+1', '0x10', 'NaN', 'abc', '1e999'),
      fc.constantFrom('blue', 'red', 'green', 'é', '"red"', 'Red', '__proto__', '1234567890123456'),
    );
    const features = ['x', 'one', 'none', 'many', 'colour', 'absent'];
    const binsOf = (column: string): FeatureBins =>
      reference[column] ?? { name: column, kind: 'numeric', edges: [1], counts: [0, 0, 0] };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { minLength: 6, maxLength: 6 }), { maxLength: 40 }),
        async (rows) => {
          const csv = ['x,one,none,many,colour,score', ...rows.map((row) => row.join(','))].join('\n');
          const settings = {
            format: 'csv',
            features,
            score: 'score',
            window: 'day',
            arrival: () => new Date(0),
          } as const;
          const byCallback = await ingest({
            ...settings,
            source: bytesOf(csv),
            binOf: (column, raw) => binIndex(binsOf(column), raw),
            binCount: (column) => binCountOf(binsOf(column)),
            kindOf: (column) => binsOf(column).kind,
          });
          const byData = await ingest({ ...settings, source: bytesOf(csv), bins: binsOf });
          expect(byData).toEqual(byCallback);
        },
      ),
      { seed: 2026, numRuns: 200 },
    );
  });

  it('refuses bins as data that are not valid reference bins', async () => {
    const bins = (): FeatureBins => ({ name: 'x', kind: 'numeric', edges: [2, 1], counts: [0, 0, 0, 0] });
    await expect(
      ingest({
        source: bytesOf('x\n1\n'),
        format: 'csv',
        features: ['x'],
        window: 'day',
        arrival: () => new Date(0),
        bins,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('the window of a timestamp taken from the row before', () => {
  const hours = (texts: readonly string[], window: 'hour' | 'day' = 'hour') =>
    run(['ts,x', ...texts.map((ts) => `${ts},1`)].join('\n'), {
      format: 'csv',
      features: ['x'],
      window,
      timestampColumn: 'ts',
    });

  it('puts rows with an offset of whole hours in the right hour around a boundary', async () => {
    const report = await hours([
      '2026-03-01T10:59:59+01:00', // 09:59Z
      '2026-03-01T11:00:00+01:00', // 10:00Z
      '2026-03-01T11:30:00+01:00', // 10:30Z: same text up to the hour as the row before
      '2026-03-01T11:59:59.999+01:00',
      '2026-03-01T10:30:00Z', // 10:30Z, another offset: read in full
      '2026-03-01T11:15:00Z', // 11:15Z: the same first 13 characters as +01:00 rows, another offset
      '2026-03-01T11:45:00+01:00', // back to 10:45Z
    ]);
    expect(byWindow(report.counts)).toEqual({
      '2026-03-01T09:00:00Z x': [0, 1, 0, 0],
      '2026-03-01T10:00:00Z x': [0, 5, 0, 0],
      '2026-03-01T11:00:00Z x': [0, 1, 0, 0],
    });
  });

  it('reads in full an offset that is not whole hours, or not zero for days', async () => {
    const half = await hours([
      '2026-03-01T10:15:00+05:30', // 04:45Z
      '2026-03-01T10:45:00+05:30', // 05:15Z: same local hour, another UTC hour
      '2026-03-01T10:20:00+0530', // 04:50Z
    ]);
    expect(byWindow(half.counts)).toEqual({
      '2026-03-01T04:00:00Z x': [0, 2, 0, 0],
      '2026-03-01T05:00:00Z x': [0, 1, 0, 0],
    });
    const days = await hours(
      [
        '2026-03-01T01:00:00+02:00', // 2026-02-28T23:00Z
        '2026-03-01T23:30:00+02:00', // 21:30Z on the 1st
        '2026-03-01T03:00:00+02:00', // 01:00Z on the 1st
        '2026-03-01T00:30:00Z',
        '2026-03-01T23:59:00-00:00',
      ],
      'day',
    );
    expect(byWindow(days.counts)).toEqual({
      '2026-02-28T00:00:00Z x': [0, 1, 0, 0],
      '2026-03-01T00:00:00Z x': [0, 4, 0, 0],
    });
  });

  it('still refuses a timestamp that shares its start with a valid one', async () => {
    const report = await hours([
      '2026-03-01T10:00:00Z',
      '2026-03-01T10:61:00Z',
      '2026-03-01T10:30:00',
      '2026-03-01T10:30:00Zz',
      '2026-03-01T10:30:00.Z',
      '2026-03-01T10:30:00+01',
      '2026-03-01T10',
      '2026-03-01T10:30:00z',
    ]);
    expect(report.totals.untimed.first.map((p) => p.line)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(byWindow(report.counts)).toEqual({ '2026-03-01T10:00:00Z x': [0, 2, 0, 0] });
  });

  it('gives every row the window parseTimestamp gives it (seeded)', async () => {
    // Timestamps close together (few dates, hours and offsets), valid or spoiled past the hour.
    const timestamp = fc
      .record({
        day: fc.integer({ min: 1, max: 2 }),
        hour: fc.integer({ min: 22, max: 23 }),
        minute: fc.constantFrom('00', '30', '59', '60'),
        second: fc.constantFrom('', ':00', ':59.5', ':60', ':61', ':5'),
        offset: fc.constantFrom(
          'Z',
          'z',
          '+00:00',
          '-00:00',
          '+01:00',
          '+0100',
          '-01:00',
          '+05:30',
          '+02:00',
          'X',
          '',
        ),
      })
      .map(({ day, hour, minute, second, offset }) => `2026-03-0${day}T${hour}:${minute}${second}${offset}`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(timestamp, { maxLength: 30 }),
        fc.constantFrom('hour', 'day'),
        async (texts, window) => {
          const report = await hours(texts, window);
          const expected: Record<string, number[]> = {};
          for (const text of texts) {
            const ms = parseTimestamp(text);
            if (Number.isNaN(ms)) continue;
            const counts = (expected[`${windowStart(ms, window)} x`] ??= [0, 0, 0, 0]);
            counts[1]!++;
          }
          expect(byWindow(report.counts)).toEqual(expected);
          expect(report.totals.counted).toBe(
            texts.filter((text) => !Number.isNaN(parseTimestamp(text))).length,
          );
        },
      ),
      { seed: 3600, numRuns: 300 },
    );
  });
});
