// The streaming CSV reader: RFC 4180 records whatever the chunking (every case is read whole and cut
// into chunks of 1, 2, 3, 5, 7 and 64 bytes, which must all agree), malformed records reported with
// their line and skipped, and a record over the maximum never kept.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createCsvReader, readCsv, type CsvOptions } from './csv.js';

const CHUNK_SIZES = [1, 2, 3, 5, 7, 64, Infinity];

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const step = Number.isFinite(size) ? size : Math.max(bytes.length, 1);
  for (let at = 0; at < bytes.length; at += step) yield bytes.slice(at, at + step);
}

type Item =
  | { kind: 'header'; line: number; columns: readonly string[] }
  | { kind: 'record'; line: number; fields: string[] }
  | { kind: 'malformed'; line: number; reason: string };

async function readAll(
  input: string | Uint8Array,
  options: CsvOptions = {},
  size = Infinity,
): Promise<Item[]> {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const items: Item[] = [];
  for await (const item of readCsv(chunked(bytes, size), options)) {
    if (item.kind === 'malformed') items.push({ kind: 'malformed', line: item.line, reason: item.reason });
    else if (item.kind === 'header') items.push({ kind: 'header', line: item.line, columns: item.columns });
    else items.push(item);
  }
  return items;
}

/** Reads the input at every chunk size, checks they agree, returns the items. */
async function read(input: string | Uint8Array, options: CsvOptions = {}): Promise<Item[]> {
  const whole = await readAll(input, options);
  for (const size of CHUNK_SIZES) {
    expect(await readAll(input, options, size), `chunks of ${size} bytes`).toEqual(whole);
  }
  return whole;
}

const records = (items: Item[]): string[][] =>
  items.flatMap((item) => (item.kind === 'record' ? [item.fields] : []));

describe('csv reader', () => {
  it('reads a header and records, LF or CRLF, with or without a final line break', async () => {
    for (const text of ['a,b\n1,2\n3,4\n', 'a,b\r\n1,2\r\n3,4\r\n', 'a,b\n1,2\n3,4', 'a,b\r\n1,2\r\n3,4']) {
      expect(await read(text)).toEqual([
        { kind: 'header', line: 1, columns: ['a', 'b'] },
        { kind: 'record', line: 2, fields: ['1', '2'] },
        { kind: 'record', line: 3, fields: ['3', '4'] },
      ]);
    }
  });

  it('reads quoted fields: separators, doubled quotes, and line breaks inside, with line numbers after them', async () => {
    const text = 'name,note\n"a,b","say ""hi"""\n"multi\nline\r\ntext",x\n"",""\nlast,"q"\r\n';
    expect(await read(text)).toEqual([
      { kind: 'header', line: 1, columns: ['name', 'note'] },
      { kind: 'record', line: 2, fields: ['a,b', 'say "hi"'] },
      { kind: 'record', line: 3, fields: ['multi\nline\r\ntext', 'x'] },
      { kind: 'record', line: 6, fields: ['', ''] },
      { kind: 'record', line: 7, fields: ['last', 'q'] },
    ]);
  });

  it('drops a UTF-8 byte order mark, even split over chunks, and only at the start', async () => {
    const items = await read('\uFEFFid,v\n1,\uFEFFx\n');
    expect(items[0]).toEqual({ kind: 'header', line: 1, columns: ['id', 'v'] });
    expect(records(items)).toEqual([['1', '\uFEFFx']]);
    expect(await read('\uFEFF')).toEqual([]);
    expect(await read('\uFEFFa')).toEqual([{ kind: 'header', line: 1, columns: ['a'] }]);
  });

  it('reads empty fields as empty, quoted or not, and skips and counts blank lines', async () => {
    const text = 'a,b,c\n,,\n\n1,,""\r\n\r\n\n';
    const items = await read(text);
    expect(records(items)).toEqual([
      ['', '', ''],
      ['1', '', ''],
    ]);
    expect(items.map((item) => item.line)).toEqual([1, 2, 4]);
    const reader = createCsvReader();
    reader.push(new TextEncoder().encode(text));
    reader.end();
    const empties: boolean[] = [];
    for (let item = reader.next(); item; item = reader.next()) {
      if (item.kind === 'record') for (let i = 0; i < item.length; i++) empties.push(item.isEmpty(i));
    }
    expect(empties).toEqual([true, true, true, false, true, true]);
    expect(reader.stats).toEqual({ bytes: text.length, records: 2, malformed: 0, blankLines: 3 });
  });

  it('reports a record with too few or too many fields for the header, and reads on', async () => {
    expect(await read('a,b,c\n1,2\n1,2,3\n1,2,3,4\n"x,y",2,3\n')).toEqual([
      { kind: 'header', line: 1, columns: ['a', 'b', 'c'] },
      { kind: 'malformed', line: 2, reason: 'field-count' },
      { kind: 'record', line: 3, fields: ['1', '2', '3'] },
      { kind: 'malformed', line: 4, reason: 'field-count' },
      { kind: 'record', line: 5, fields: ['x,y', '2', '3'] },
    ]);
  });

  it('without a header, records may have any number of fields', async () => {
    expect(records(await read('1\n1,2\n"a"\n', { header: false }))).toEqual([['1'], ['1', '2'], ['a']]);
  });

  it('reports a record over the maximum size and skips exactly it, keeping line numbers right', async () => {
    const long = 'x'.repeat(100);
    const quotedLong = `"${'y\n'.repeat(40)}"`;
    const text = `a,b\n1,2\n${long},3\n4,5\n${quotedLong},6\n7,8\n`;
    expect(await read(text, { maxRecordBytes: 40 })).toEqual([
      { kind: 'header', line: 1, columns: ['a', 'b'] },
      { kind: 'record', line: 2, fields: ['1', '2'] },
      { kind: 'malformed', line: 3, reason: 'record-too-large' },
      { kind: 'record', line: 4, fields: ['4', '5'] },
      { kind: 'malformed', line: 5, reason: 'record-too-large' },
      { kind: 'record', line: 46, fields: ['7', '8'] },
    ]);
    // At the limit exactly (the record with its line break), it is read.
    expect(records(await read('a\n12345\n', { maxRecordBytes: 6 }))).toEqual([['12345']]);
    expect(await read('a\n123456\n', { maxRecordBytes: 6 })).toEqual([
      { kind: 'header', line: 1, columns: ['a'] },
      { kind: 'malformed', line: 2, reason: 'record-too-large' },
    ]);
  });

  it('never keeps an oversized record: 64 MiB without a line break is skipped in bounded memory', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    async function* source(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('a,b\n1,2\n');
      for (let i = 0; i < 1024; i++) yield chunk;
      yield new TextEncoder().encode(',x\n3,4\n');
    }
    const before = process.memoryUsage().heapUsed;
    const seen: unknown[] = [];
    let peak = 0;
    for await (const item of readCsv(source())) {
      seen.push(item.kind === 'record' ? item.fields : item.kind === 'malformed' ? item.reason : item.kind);
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(seen).toEqual(['header', ['1', '2'], 'record-too-large', ['3', '4']]);
    expect(peak - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('reports a record that is not valid UTF-8, alone, and decodes valid UTF-8 split over chunks', async () => {
    const bad = new Uint8Array([
      ...new TextEncoder().encode('a,b\n1,é\n2,'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('\n3,€😀\n'),
    ]);
    expect(await read(bad)).toEqual([
      { kind: 'header', line: 1, columns: ['a', 'b'] },
      { kind: 'record', line: 2, fields: ['1', 'é'] },
      { kind: 'malformed', line: 3, reason: 'invalid-utf8' },
      { kind: 'record', line: 4, fields: ['3', '€😀'] },
    ]);
    // An overlong encoding and a lone surrogate are not UTF-8 either.
    for (const bytes of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
    ]) {
      const input = new Uint8Array([...new TextEncoder().encode('a\n'), ...bytes, 0x0a, 0x31, 0x0a]);
      expect(await read(input)).toEqual([
        { kind: 'header', line: 1, columns: ['a'] },
        { kind: 'malformed', line: 2, reason: 'invalid-utf8' },
        { kind: 'record', line: 3, fields: ['1'] },
      ]);
    }
  });

  it('reports misplaced quotes and an unterminated quote, and reads on after them', async () => {
    expect(await read('a,b\n1,x"y\n"ab"c,2\n3,4\n"open,5\n6,7\n')).toEqual([
      { kind: 'header', line: 1, columns: ['a', 'b'] },
      { kind: 'malformed', line: 2, reason: 'quote-in-unquoted-field' },
      { kind: 'malformed', line: 3, reason: 'text-after-closing-quote' },
      { kind: 'record', line: 4, fields: ['3', '4'] },
      // The quote opened on line 5 runs to the end of the input.
      { kind: 'malformed', line: 5, reason: 'unterminated-quote' },
    ]);
    // A stray quote opens nothing: it spoils its own record only.
    expect(await read('a,b\n1,12" pizza\nz"\n2,3\n')).toEqual([
      { kind: 'header', line: 1, columns: ['a', 'b'] },
      { kind: 'malformed', line: 2, reason: 'quote-in-unquoted-field' },
      { kind: 'malformed', line: 3, reason: 'quote-in-unquoted-field' },
      { kind: 'record', line: 4, fields: ['2', '3'] },
    ]);
    expect(await read('a,b\n"x"y"z\n",1\n2,3\n')).toEqual([
      { kind: 'header', line: 1, columns: ['a', 'b'] },
      { kind: 'malformed', line: 2, reason: 'text-after-closing-quote' },
      { kind: 'malformed', line: 3, reason: 'unterminated-quote' },
    ]);
    expect(await read('a\n"x"\ry\n1\n')).toEqual([
      { kind: 'header', line: 1, columns: ['a'] },
      { kind: 'malformed', line: 2, reason: 'text-after-closing-quote' },
      { kind: 'record', line: 3, fields: ['1'] },
    ]);
  });

  it('keeps a CR that is not part of a line break as data', async () => {
    expect(records(await read('a,b\nx\ry,2\n'))).toEqual([['x\ry', '2']]);
    expect(records(await read('a\n1\r'))).toEqual([['1']]);
  });

  it('refuses a malformed header: nothing can be read without it', async () => {
    await expect(read('a,"b\n')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(read(new Uint8Array([0x61, 0xff, 0x0a]))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('reads plain decimals from the bytes, and nothing else', async () => {
    const cells = [
      '12.5',
      '-0.25',
      '007',
      '0',
      '-0',
      '123456789012345',
      '1.5e3',
      ' 3',
      '',
      '1.',
      '.5',
      '+1',
      'abc',
      '1234567890123456',
      '"12.5"',
      '"-3"',
      '"1""2"',
    ];
    const reader = createCsvReader({ header: false });
    reader.push(new TextEncoder().encode(cells.join(',') + '\n'));
    reader.end();
    const item = reader.next();
    expect(item?.kind).toBe('record');
    if (item?.kind !== 'record') return;
    const values = Array.from({ length: item.length }, (_, i) => item.decimal(i));
    expect(values).toEqual([
      12.5,
      -0.25,
      7,
      0,
      -0,
      123456789012345,
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
      12.5,
      -3,
      NaN,
    ]);
    expect(() => item.decimal(cells.length)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
  });

  it('a plain decimal reads as exactly the double Number() gives (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.boolean(),
            fc.stringMatching(/^[0-9]{1,8}$/),
            fc.option(fc.stringMatching(/^[0-9]{1,7}$/)),
          ),
          { minLength: 1, maxLength: 20 },
        ),
        async (numbers) => {
          const texts = numbers.map(
            ([negative, whole, fraction]) =>
              `${negative ? '-' : ''}${whole}${fraction === null ? '' : `.${fraction}`}`,
          );
          const reader = createCsvReader({ header: false });
          reader.push(new TextEncoder().encode(texts.join(',') + '\r\n'));
          reader.end();
          const item = reader.next();
          if (item?.kind !== 'record') throw new Error('no record');
          texts.forEach((text, i) => expect(Object.is(item.decimal(i), Number(text))).toBe(true));
        },
      ),
      { seed: 20261128, numRuns: 300 },
    );
  });

  it('any CSV written by the rules reads back as written, whatever the chunks (seeded)', async () => {
    const field = fc.oneof(
      fc.stringMatching(/^[a-z0-9 .-]{0,6}$/),
      fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', 'é', '😀', ' '), maxLength: 6 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(field, { minLength: 3, maxLength: 3 }), { maxLength: 8 }),
        fc.constantFrom(1, 2, 5, 13),
        fc.boolean(),
        async (rows, size, crlf) => {
          const quote = (text: string): string =>
            /[",\r\n]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;
          const text = ['h1,h2,h3', ...rows.map((row) => row.map(quote).join(','))].join(
            crlf ? '\r\n' : '\n',
          );
          expect(records(await readAll(text, {}, size))).toEqual(rows);
        },
      ),
      { seed: 4180, numRuns: 200 },
    );
  });

  it('wants each chunk read before the next', () => {
    const reader = createCsvReader();
    reader.push(new TextEncoder().encode('a\n1\n'));
    expect(() => reader.push(new TextEncoder().encode('2\n'))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
