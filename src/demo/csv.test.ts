import { describe, expect, it } from 'vitest';

import { escapeCsvField, formatCsv, type CsvColumn } from './csv.js';

describe('CSV (RFC 4180)', () => {
  it('quotes fields with commas, quotes or line breaks, and doubles inner quotes', () => {
    expect(escapeCsvField('plain')).toBe('plain');
    expect(escapeCsvField('a,b')).toBe('"a,b"');
    expect(escapeCsvField('say "hi"')).toBe('"say ""hi"""');
    expect(escapeCsvField('two\nlines')).toBe('"two\nlines"');
    expect(escapeCsvField('cr\r')).toBe('"cr\r"');
    expect(escapeCsvField('')).toBe('');
  });

  it('writes a header, fixed decimals and a final \\n', () => {
    const columns: CsvColumn[] = [
      { name: 'id', type: 'string' },
      { name: 'ratio', type: 'number', decimals: 3 },
      { name: 'count', type: 'number', decimals: 0 },
    ];
    const text = formatCsv(columns, [
      { id: 'a', ratio: 0.1, count: 3 },
      { id: 'b,c', ratio: 1 / 3, count: 1e6 },
      { id: 'd', ratio: -0, count: -0.0004 },
    ]);
    expect(text).toBe('id,ratio,count\na,0.100,3\n"b,c",0.333,1000000\nd,0.000,0\n');
  });

  it('refuses missing, ill-typed and non-finite values', () => {
    const columns: CsvColumn[] = [{ name: 'x', type: 'number', decimals: 1 }];
    for (const record of [{}, { x: 'one' }, { x: Number.POSITIVE_INFINITY }, { x: Number.NaN }]) {
      expect(() => formatCsv(columns, [record])).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(() => formatCsv([{ name: 's', type: 'string' }], [{ s: 1 }])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
