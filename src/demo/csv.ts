// RFC 4180 CSV writing with deterministic number formatting: a header line, `\n` line ends (RFC 4180 §2
// says CRLF; LF is what every data tool writes and reads, and the bytes are what gets hashed), fields
// quoted only when they must be, and numbers printed with a fixed number of decimals, never by locale.
import { InputError } from '../errors.js';

/** How one column is written. */
export interface CsvColumn {
  readonly name: string;
  readonly type: 'number' | 'string';
  /** Decimals for a number column (`toFixed`); 0 for integers. */
  readonly decimals?: number;
}

export type CsvValue = number | string;

/** Any record with the columns' names as keys; missing values are refused. */
export type CsvRecord = Readonly<Record<string, CsvValue | undefined>>;

// RFC 4180 §2.6: fields containing line breaks, double quotes or commas must be quoted.
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV field: quoted, with inner quotes doubled, when it holds a comma, a quote or a line break.
 *
 * @example
 * escapeCsvField('say "hi", then go'); // '"say ""hi"", then go"'
 */
export function escapeCsvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The CSV text of `records`: a header of the column names, then one line per record, each line ending
 * in `\n`. Throws InputError INVALID_ARGUMENT on a missing value, a value of the wrong type or a number
 * that is not finite.
 *
 * @example
 * formatCsv([{ name: 'id', type: 'string' }, { name: 'x', type: 'number', decimals: 2 }], [{ id: 'a', x: 1 }]);
 * // 'id,x\na,1.00\n'
 */
export function formatCsv(columns: readonly CsvColumn[], records: readonly CsvRecord[]): string {
  const lines: string[] = [columns.map((column) => escapeCsvField(column.name)).join(',')];
  for (let index = 0; index < records.length; index += 1) {
    const record = records[index] as CsvRecord;
    lines.push(
      columns.map((column) => escapeCsvField(formatValue(column, record[column.name], index))).join(','),
    );
  }
  return lines.join('\n') + '\n';
}

function formatValue(column: CsvColumn, value: CsvValue | undefined, index: number): string {
  if (column.type === 'string') {
    if (typeof value !== 'string') throw badValue(column, value, index);
    return value;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw badValue(column, value, index);
  // toFixed is locale-independent; adding 0 turns -0 into 0, and a rounded -0.000 is written as 0.000.
  const text = (value + 0).toFixed(column.decimals ?? 0);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

function badValue(column: CsvColumn, value: unknown, index: number): InputError {
  return new InputError(
    'INVALID_ARGUMENT',
    `CSV record ${index}: column ${column.name} needs a ${column.type === 'number' ? 'finite number' : 'string'}, not ${String(value)}`,
    { details: { record: index, column: column.name } },
  );
}
