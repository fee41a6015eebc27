// The streaming NDJSON reader: one object per line whatever the chunking, values as ingestion sees them,
// and every bad line reported with its number without stopping the reading.
import { describe, expect, it } from 'vitest';

import { createNdjsonReader, readNdjson, type NdjsonMalformed, type NdjsonOptions } from './ndjson.js';

const CHUNK_SIZES = [1, 2, 3, 5, 7, 64, Infinity];

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const step = Number.isFinite(size) ? size : Math.max(bytes.length, 1);
  for (let at = 0; at < bytes.length; at += step) yield bytes.slice(at, at + step);
}

type Item =
  | { kind: 'record'; line: number; values: Record<string, unknown> }
  | { kind: 'malformed'; line: number; reason: string };

function simplify(
  item: NdjsonMalformed | { kind: 'record'; line: number; values: Record<string, unknown> },
): Item {
  return item.kind === 'record'
    ? { kind: 'record', line: item.line, values: { ...item.values } }
    : { kind: 'malformed', line: item.line, reason: item.reason };
}

async function readAll(
  input: string | Uint8Array,
  options: NdjsonOptions = {},
  size = Infinity,
): Promise<Item[]> {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const items: Item[] = [];
  for await (const item of readNdjson(chunked(bytes, size), options)) items.push(simplify(item));
  return items;
}

async function read(input: string | Uint8Array, options: NdjsonOptions = {}): Promise<Item[]> {
  const whole = await readAll(input, options);
  for (const size of CHUNK_SIZES) {
    expect(await readAll(input, options, size), `chunks of ${size} bytes`).toEqual(whole);
  }
  return whole;
}

describe('ndjson reader', () => {
  it('reads one object per line, LF or CRLF, with or without a final line break', async () => {
    for (const text of ['{"a":1}\n{"a":"x"}\n', '{"a":1}\r\n{"a":"x"}\r\n', '{"a":1}\n{"a":"x"}']) {
      expect(await read(text)).toEqual([
        { kind: 'record', line: 1, values: { a: 1 } },
        { kind: 'record', line: 2, values: { a: 'x' } },
      ]);
    }
  });

  it('gives each value as a string, a number or null', async () => {
    const [item] = await read(
      '{"n":-1.5e3,"s":"é😀","z":null,"t":true,"f":false,"o":{"k":[1]},"l":[1,"a"],"e":""}\n',
    );
    expect(item).toEqual({
      kind: 'record',
      line: 1,
      values: { n: -1500, s: 'é😀', z: null, t: 'true', f: 'false', o: '{"k":[1]}', l: '[1,"a"]', e: '' },
    });
  });

  it('keeps keys as own data: no inherited constructor, __proto__ as a plain key', async () => {
    const reader = createNdjsonReader();
    reader.push(new TextEncoder().encode('{"__proto__":"x","a":1}\n'));
    const item = reader.next();
    if (item?.kind !== 'record') throw new Error('no record');
    expect(item.get('constructor')).toBeUndefined();
    expect(item.get('toString')).toBeUndefined();
    expect(item.get('__proto__')).toBe('x');
    expect(item.get('a')).toBe(1);
    const values = item.toValues();
    expect(Object.getPrototypeOf(values)).toBeNull();
    expect(values['constructor']).toBeUndefined();
    expect(Object.keys(values)).toEqual(['__proto__', 'a']);
  });

  it('reports lines that are not JSON, not an object, or not UTF-8, and reads on', async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"a":1}\n{"a":\n[1,2]\n3\nnull\n"s"\n{"a":"'),
      0xff,
      ...new TextEncoder().encode('"}\n{"a":2}\n'),
    ]);
    expect(await read(bytes)).toEqual([
      { kind: 'record', line: 1, values: { a: 1 } },
      { kind: 'malformed', line: 2, reason: 'invalid-json' },
      { kind: 'malformed', line: 3, reason: 'not-an-object' },
      { kind: 'malformed', line: 4, reason: 'not-an-object' },
      { kind: 'malformed', line: 5, reason: 'not-an-object' },
      { kind: 'malformed', line: 6, reason: 'not-an-object' },
      { kind: 'malformed', line: 7, reason: 'invalid-utf8' },
      { kind: 'record', line: 8, values: { a: 2 } },
    ]);
  });

  it('skips and counts blank lines, keeping line numbers', async () => {
    const text = '\n{"a":1}\n  \r\n\t\n{"a":2}\n\n';
    expect(await read(text)).toEqual([
      { kind: 'record', line: 2, values: { a: 1 } },
      { kind: 'record', line: 5, values: { a: 2 } },
    ]);
    const reader = createNdjsonReader();
    reader.push(new TextEncoder().encode(text));
    reader.end();
    while (reader.next() !== undefined);
    expect(reader.stats).toEqual({ bytes: text.length, records: 2, malformed: 0, blankLines: 4 });
  });

  it('drops a byte order mark at the start', async () => {
    expect(await read('\uFEFF{"a":1}\n')).toEqual([{ kind: 'record', line: 1, values: { a: 1 } }]);
  });

  it('reports a line over the maximum size and skips exactly it', async () => {
    const long = `{"a":"${'x'.repeat(100)}"}`;
    expect(await read(`{"a":1}\n${long}\n{"a":2}\n${long}`, { maxRecordBytes: 40 })).toEqual([
      { kind: 'record', line: 1, values: { a: 1 } },
      { kind: 'malformed', line: 2, reason: 'record-too-large' },
      { kind: 'record', line: 3, values: { a: 2 } },
      { kind: 'malformed', line: 4, reason: 'record-too-large' },
    ]);
  });

  it('never keeps an oversized line: 64 MiB without a line break is skipped in bounded memory', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    async function* source(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('{"a":1}\n{"b":"');
      for (let i = 0; i < 1024; i++) yield chunk;
      yield new TextEncoder().encode('"}\n{"a":3}\n');
    }
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    const seen: Item[] = [];
    for await (const item of readNdjson(source())) {
      seen.push(simplify(item));
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(seen).toEqual([
      { kind: 'record', line: 1, values: { a: 1 } },
      { kind: 'malformed', line: 2, reason: 'record-too-large' },
      { kind: 'record', line: 3, values: { a: 3 } },
    ]);
    expect(peak - before).toBeLessThan(32 * 1024 * 1024);
  });
});
