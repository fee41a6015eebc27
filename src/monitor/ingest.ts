// Ingestion of scoring traffic: each row of a CSV or NDJSON stream is binned, per window of time (an
// hour or a day, UTC) and per feature, into counts. Rows are counted, never kept: memory is
// windows × features × bins plus one input chunk, whatever the size of the input.
//
// Nothing is dropped silently. Every data row ends up in exactly one of three places, and
// `rows = counted + malformed + untimed`:
// - counted: binned into its window. A feature's value that is empty, null or absent (a column missing
//   from the CSV header, a key missing from the JSON object) goes to the feature's missing bin and is
//   counted as `missing`; a value that is there but that `binOf` puts in the missing bin (not a number,
//   for a numeric feature) is counted as `unparsable`.
// - malformed: the record could not be read (see the CSV and NDJSON readers), with its line and reason.
// - untimed: with a timestamp column, a row whose timestamp is missing or unreadable. It is NOT binned
//   into the arrival window: the counts of a window feed a statistic sealed as evidence about that
//   window, and a row from an unknown time would be evidence of nothing. It is reported instead.
// Blank lines carry no row and are only counted.
import { InputError, SignetError } from '../errors.js';
import { createCsvReader, type CsvMalformedReason, type CsvRecord } from './csv.js';
import { createNdjsonReader, type NdjsonMalformedReason, type NdjsonRecord } from './ndjson.js';
import type { WindowCounts } from './types.js';

export type WindowSize = 'hour' | 'day';

/** A value as handed to `binOf`: a number, a string, null when empty, undefined when absent. */
export type RawValue = string | number | null | undefined;

export type UntimedReason = 'missing-timestamp' | 'invalid-timestamp' | 'too-many-windows';

/** How many problem rows of each kind are listed (all are counted). */
export const REPORTED_ROWS = 10;
/** Windows one ingestion may open: 50 000 hours is over 5 years; the bound keeps memory bounded. */
export const DEFAULT_MAX_WINDOWS = 50_000;

const WINDOW_MS: Record<WindowSize, number> = { hour: 3_600_000, day: 86_400_000 };

export interface IngestOptions {
  readonly source: AsyncIterable<Uint8Array>;
  readonly format: 'csv' | 'ndjson';
  /** The columns (CSV) or keys (NDJSON) to bin. */
  readonly features: readonly string[];
  /** The model's score column, binned like a feature. */
  readonly score?: string;
  /** The bin of a value, in 0..binCount(feature)-1; the last bin is the missing bin. */
  readonly binOf: (feature: string, raw: RawValue) => number;
  readonly binCount: (feature: string) => number;
  readonly window: WindowSize;
  /** Takes each row's window from this column; without it, from `arrival`. */
  readonly timestampColumn?: string;
  /** The clock for arrival windows, read once per input chunk. Required without `timestampColumn`. */
  readonly arrival?: () => Date;
  /** Called after each input chunk with the bytes read and rows seen so far. */
  readonly onProgress?: (bytes: number, rows: number) => void;
  /**
   * Optional hint: for a 'numeric' feature a CSV field that is a plain decimal is handed to `binOf` as
   * the number (read from its bytes, the same double as Number(text)) instead of as text: several
   * times faster. Anything else still goes as text, for `binOf` to judge.
   */
  readonly kindOf?: (feature: string) => 'numeric' | 'categorical';
  /** Longest record or line kept (default 1 MiB); longer ones are reported malformed. */
  readonly maxRecordBytes?: number;
  readonly maxWindows?: number;
}

export interface RowProblem<Reason extends string> {
  /** 1-based line of the input where the row starts. */
  readonly line: number;
  readonly reason: Reason;
  readonly detail: string;
}

export interface RowProblems<Reason extends string> {
  readonly count: number;
  /** The first `REPORTED_ROWS` of them, in input order. */
  readonly first: readonly RowProblem<Reason>[];
}

export interface ColumnReport {
  readonly name: string;
  readonly role: 'feature' | 'score';
  /** False when the CSV header lacks the column: each counted row is then missing it. */
  readonly present: boolean;
  /** Counted rows where the value was empty, null or absent. */
  readonly missing: number;
  /** Counted rows where a value was there but fell in the missing bin. */
  readonly unparsable: number;
}

export interface IngestReport {
  readonly format: 'csv' | 'ndjson';
  readonly window: WindowSize;
  readonly time: 'column' | 'arrival';
  /** By window (ascending), then features in the order given, then the score. */
  readonly counts: readonly WindowCounts[];
  readonly columns: readonly ColumnReport[];
  readonly totals: {
    readonly bytes: number;
    /** Data rows read: counted + malformed + untimed. */
    readonly rows: number;
    readonly counted: number;
    readonly blankLines: number;
    readonly malformed: RowProblems<CsvMalformedReason | NdjsonMalformedReason>;
    readonly untimed: RowProblems<UntimedReason>;
  };
}

/**
 * Bins a stream of scoring traffic into counts per window and feature.
 *
 * @example
 * const report = await ingest({
 *   source: createReadStream('traffic.csv'),
 *   format: 'csv',
 *   features: ['age', 'income'],
 *   score: 'score',
 *   binOf: (feature, raw) => binValue(binsByName.get(feature)!, raw),
 *   binCount: (feature) => binsByName.get(feature)!.counts.length,
 *   window: 'hour',
 *   timestampColumn: 'scored_at',
 * });
 * await monitorCounts.add({ model, context, reference }, report.counts);
 */
export async function ingest(options: IngestOptions): Promise<IngestReport> {
  const run = new Ingestion(options);
  if (options.format === 'csv') await run.readCsv();
  else if (options.format === 'ndjson') await run.readNdjson();
  else throw new InputError('INVALID_ARGUMENT', `unknown traffic format ${JSON.stringify(options.format)}`);
  return run.report();
}

/**
 * Epoch milliseconds of an RFC 3339 date-time (§5.6), also accepting ISO 8601's space for `T`, omitted
 * seconds and an offset without its colon; NaN for anything else. The offset is required: a local time
 * says nothing about which window it falls in.
 */
export function parseTimestamp(text: string): number {
  const length = text.length;
  if (length < 17) return NaN;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const separator = text.charCodeAt(10);
  if (
    year < 0 ||
    text.charCodeAt(4) !== 0x2d ||
    month < 1 ||
    month > 12 ||
    text.charCodeAt(7) !== 0x2d ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    (separator !== 0x54 && separator !== 0x74 && separator !== 0x20) ||
    hour < 0 ||
    hour > 23 ||
    text.charCodeAt(13) !== 0x3a ||
    minute < 0 ||
    minute > 59
  ) {
    return NaN;
  }
  let i = 16;
  let second = 0;
  if (text.charCodeAt(i) === 0x3a) {
    second = digitsAt(text, i + 1, 2);
    if (second < 0 || second > 60) return NaN;
    second = Math.min(second, 59); // a leap second belongs to the minute before it
    i += 3;
    if (text.charCodeAt(i) === 0x2e) {
      const fractionStart = ++i;
      while (i < length && isDigit(text.charCodeAt(i))) i++;
      if (i === fractionStart) return NaN;
    }
  }
  let offsetMinutes = 0;
  const sign = text.charCodeAt(i);
  if (sign === 0x5a || sign === 0x7a) {
    i++;
  } else if (sign === 0x2b || sign === 0x2d) {
    const offsetHours = digitsAt(text, i + 1, 2);
    i += 3;
    if (text.charCodeAt(i) === 0x3a) i++;
    const offsetMinute = digitsAt(text, i, 2);
    i += 2;
    if (offsetHours < 0 || offsetHours > 23 || offsetMinute < 0 || offsetMinute > 59) return NaN;
    offsetMinutes = (sign === 0x2b ? 1 : -1) * (offsetHours * 60 + offsetMinute);
  } else {
    return NaN;
  }
  if (i !== length) return NaN;
  const minutes = daysFromCivil(year, month, day) * 1440 + hour * 60 + minute - offsetMinutes;
  return (minutes * 60 + second) * 1000;
}

/** The start of the window holding `ms`, as RFC 3339 UTC (`2026-03-01T14:00:00Z`). */
export function windowStart(ms: number, size: WindowSize): string {
  return formatWindow(Math.floor(ms / WINDOW_MS[size]) * WINDOW_MS[size]);
}

function formatWindow(startMs: number): string {
  return new Date(startMs).toISOString().replace('.000Z', 'Z');
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** The unsigned decimal in text[at, at + count), or -1 if any of it is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - 0x30);
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible algorithms"). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

interface Column {
  readonly name: string;
  readonly role: 'feature' | 'score';
  readonly bins: number;
  readonly missingBin: number;
  /** Where this column's bins start in a window's counts. */
  readonly offset: number;
  readonly numeric: boolean;
  /** Field index in the CSV record, -1 when the header lacks it. */
  index: number;
  missing: number;
  unparsable: number;
}

class ProblemList<Reason extends string> {
  count = 0;
  readonly first: RowProblem<Reason>[] = [];

  add(line: number, reason: Reason, detail: string): void {
    this.count++;
    if (this.first.length < REPORTED_ROWS) this.first.push({ line, reason, detail });
  }
}

class Ingestion {
  private readonly columns: Column[];
  private readonly width: number;
  private readonly windowMs: number;
  private readonly maxWindows: number;
  private readonly binOf: (feature: string, raw: RawValue) => number;
  private readonly windows = new Map<number, Float64Array>();
  private lastStart = NaN;
  private lastCounts: Float64Array | undefined;
  private arrivalMs = NaN;
  private bytes = 0;
  private counted = 0;
  private blankLines = 0;
  private readonly malformed = new ProblemList<CsvMalformedReason | NdjsonMalformedReason>();
  private readonly untimed = new ProblemList<UntimedReason>();

  constructor(private readonly options: IngestOptions) {
    const { features, score, timestampColumn, arrival, window } = options;
    if (WINDOW_MS[window] === undefined) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `window must be "hour" or "day", got ${JSON.stringify(window)}`,
      );
    }
    this.windowMs = WINDOW_MS[window];
    if (timestampColumn === undefined && arrival === undefined) {
      throw new InputError('INVALID_ARGUMENT', 'windows need a timestamp column or an arrival clock');
    }
    this.maxWindows = options.maxWindows ?? DEFAULT_MAX_WINDOWS;
    this.binOf = options.binOf;
    const names: [string, 'feature' | 'score'][] = features.map((name) => [name, 'feature']);
    if (score !== undefined) names.push([score, 'score']);
    if (names.length === 0)
      throw new InputError('INVALID_ARGUMENT', 'nothing to bin: no feature and no score');
    const seen = new Set<string>();
    let offset = 0;
    this.columns = names.map(([name, role]) => {
      if (seen.has(name))
        throw new InputError('INVALID_ARGUMENT', `column ${JSON.stringify(name)} named twice`);
      seen.add(name);
      const bins = options.binCount(name);
      if (!Number.isSafeInteger(bins) || bins < 1) {
        throw new InputError(
          'INVALID_ARGUMENT',
          `binCount(${JSON.stringify(name)}) is ${bins}, not a bin count`,
        );
      }
      const column: Column = {
        name,
        role,
        bins,
        missingBin: bins - 1,
        offset,
        numeric: options.kindOf?.(name) === 'numeric',
        index: -1,
        missing: 0,
        unparsable: 0,
      };
      offset += bins;
      return column;
    });
    this.width = offset;
  }

  async readCsv(): Promise<void> {
    const { source, timestampColumn, maxRecordBytes } = this.options;
    const reader = createCsvReader(maxRecordBytes === undefined ? {} : { maxRecordBytes });
    let timestampIndex = -1;
    const drain = (): void => {
      for (let item = reader.next(); item !== undefined; item = reader.next()) {
        if (item.kind === 'record') {
          let ms = this.arrivalMs;
          if (timestampColumn !== undefined) {
            ms = this.timestampOf(item.isEmpty(timestampIndex) ? null : item.text(timestampIndex), item.line);
            if (Number.isNaN(ms)) continue;
          }
          const counts = this.countsAt(ms, item.line);
          if (counts !== undefined) this.binCsvRecord(item, counts);
        } else if (item.kind === 'malformed') {
          this.malformed.add(item.line, item.reason, item.detail);
        } else {
          timestampIndex = this.resolveHeader(item.columns);
        }
      }
    };
    for await (const chunk of source) {
      this.bytes += chunk.byteLength;
      this.readArrival();
      reader.push(chunk);
      drain();
      this.options.onProgress?.(this.bytes, this.rows);
    }
    reader.end();
    drain();
    this.blankLines = reader.stats.blankLines;
  }

  async readNdjson(): Promise<void> {
    const { source, timestampColumn, maxRecordBytes } = this.options;
    const reader = createNdjsonReader(maxRecordBytes === undefined ? {} : { maxRecordBytes });
    // NDJSON has no header: every key is looked up in every object, and its absence counts as missing.
    for (const column of this.columns) column.index = 0;
    const drain = (): void => {
      for (let item = reader.next(); item !== undefined; item = reader.next()) {
        if (item.kind === 'malformed') {
          this.malformed.add(item.line, item.reason, item.detail);
          continue;
        }
        let ms = this.arrivalMs;
        if (timestampColumn !== undefined) {
          const value = item.get(timestampColumn);
          ms = this.timestampOf(value === undefined || value === '' ? null : value, item.line);
          if (Number.isNaN(ms)) continue;
        }
        const counts = this.countsAt(ms, item.line);
        if (counts !== undefined) this.binNdjsonRecord(item, counts);
      }
    };
    for await (const chunk of source) {
      this.bytes += chunk.byteLength;
      this.readArrival();
      reader.push(chunk);
      drain();
      this.options.onProgress?.(this.bytes, this.rows);
    }
    reader.end();
    drain();
    this.blankLines = reader.stats.blankLines;
  }

  report(): IngestReport {
    const counts: WindowCounts[] = [];
    for (const start of [...this.windows.keys()].sort((a, b) => a - b)) {
      const window = formatWindow(start);
      const all = this.windows.get(start)!;
      for (const column of this.columns) {
        counts.push({
          feature: column.name,
          window,
          counts: Array.from(all.subarray(column.offset, column.offset + column.bins)),
        });
      }
    }
    return {
      format: this.options.format,
      window: this.options.window,
      time: this.options.timestampColumn === undefined ? 'arrival' : 'column',
      counts,
      columns: this.columns.map((column) => ({
        name: column.name,
        role: column.role,
        present: column.index >= 0,
        missing: column.missing,
        unparsable: column.unparsable,
      })),
      totals: {
        bytes: this.bytes,
        rows: this.rows,
        counted: this.counted,
        blankLines: this.blankLines,
        malformed: { count: this.malformed.count, first: this.malformed.first },
        untimed: { count: this.untimed.count, first: this.untimed.first },
      },
    };
  }

  private get rows(): number {
    return this.counted + this.malformed.count + this.untimed.count;
  }

  private readArrival(): void {
    if (this.options.timestampColumn !== undefined || this.options.arrival === undefined) return;
    this.arrivalMs = this.options.arrival().getTime();
    if (Number.isNaN(this.arrivalMs))
      throw new InputError('INVALID_ARGUMENT', 'the arrival clock gave an invalid date');
  }

  /** Field indexes from the CSV header; returns the timestamp column's. */
  private resolveHeader(header: readonly string[]): number {
    const indexes = new Map<string, number>();
    const duplicated = new Set<string>();
    header.forEach((name, index) => {
      if (indexes.has(name)) duplicated.add(name);
      else indexes.set(name, index);
    });
    const { timestampColumn } = this.options;
    for (const name of [
      ...this.columns.map((column) => column.name),
      ...(timestampColumn === undefined ? [] : [timestampColumn]),
    ]) {
      if (duplicated.has(name)) {
        throw new InputError('INVALID_ARGUMENT', `the CSV header names column ${JSON.stringify(name)} twice`);
      }
    }
    for (const column of this.columns) column.index = indexes.get(column.name) ?? -1;
    if (timestampColumn === undefined) return -1;
    const index = indexes.get(timestampColumn);
    if (index === undefined) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `the CSV header has no timestamp column ${JSON.stringify(timestampColumn)}`,
      );
    }
    return index;
  }

  /** The row's time, or NaN after reporting it untimed. */
  private timestampOf(value: string | number | null, line: number): number {
    if (value === null) {
      this.untimed.add(line, 'missing-timestamp', 'no timestamp');
      return NaN;
    }
    const ms = typeof value === 'string' ? parseTimestamp(value) : NaN;
    if (Number.isNaN(ms)) {
      const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : `the number ${value}`;
      this.untimed.add(line, 'invalid-timestamp', `${shown} is not an RFC 3339 date-time with an offset`);
    }
    return ms;
  }

  private countsAt(ms: number, line: number): Float64Array | undefined {
    const start = Math.floor(ms / this.windowMs) * this.windowMs;
    if (start === this.lastStart) return this.lastCounts;
    let counts = this.windows.get(start);
    if (counts === undefined) {
      if (this.windows.size >= this.maxWindows) {
        this.untimed.add(line, 'too-many-windows', `more than ${this.maxWindows} windows in one ingestion`);
        return undefined;
      }
      counts = new Float64Array(this.width);
      this.windows.set(start, counts);
    }
    this.lastStart = start;
    this.lastCounts = counts;
    return counts;
  }

  private binCsvRecord(record: CsvRecord, counts: Float64Array): void {
    const columns = this.columns;
    const binOf = this.binOf;
    for (let k = 0; k < columns.length; k++) {
      const column = columns[k]!;
      const index = column.index;
      let raw: RawValue;
      let value = NaN;
      if (index < 0) raw = undefined;
      // NaN !== NaN: a field that is not a plain decimal goes on as text.
      else if (column.numeric && (value = record.decimal(index)) === value) raw = value;
      else raw = record.isEmpty(index) ? null : record.text(index);
      const bin = binOf(column.name, raw);
      if (bin >>> 0 !== bin || bin >= column.bins) throw this.badBin(column, bin);
      counts[column.offset + bin]!++;
      if (bin === column.missingBin) this.countMissing(column, raw);
    }
    this.counted++;
  }

  private binNdjsonRecord(record: NdjsonRecord, counts: Float64Array): void {
    const columns = this.columns;
    for (let k = 0; k < columns.length; k++) {
      const column = columns[k]!;
      const value = record.get(column.name);
      this.count(column, value === '' ? null : value, counts);
    }
    this.counted++;
  }

  private count(column: Column, raw: RawValue, counts: Float64Array): void {
    const bin = this.binOf(column.name, raw);
    if (bin >>> 0 !== bin || bin >= column.bins) throw this.badBin(column, bin);
    counts[column.offset + bin]!++;
    if (bin === column.missingBin) this.countMissing(column, raw);
  }

  private countMissing(column: Column, raw: RawValue): void {
    if (raw === null || raw === undefined) column.missing++;
    else column.unparsable++;
  }

  private badBin(column: Column, bin: number): SignetError {
    return new SignetError(
      'INTERNAL',
      `binOf(${JSON.stringify(column.name)}) gave ${bin}, not a bin in 0..${column.missingBin}`,
    );
  }
}
