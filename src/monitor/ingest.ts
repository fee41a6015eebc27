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
//
// The bins come either as data (`bins`: the fast path, each column's reference bins looked up once
// before reading, values binned as `binIndex` does without a call per value) or as callbacks (`binOf`).
import { InputError, SignetError } from '../errors.js';
import { assertFeatureBins, binCount, binIndex } from './bins.js';
import { createCsvReader, type CsvMalformedReason, type CsvRecord } from './csv.js';
import { createNdjsonReader, type NdjsonMalformedReason, type NdjsonRecord } from './ndjson.js';
import type { FeatureBins, WindowCounts } from './types.js';

export type WindowSize = 'hour' | 'day';

/** A value as handed to `binOf`: a number, a string, null when empty, undefined when absent. */
export type RawValue = string | number | null | undefined;

export type UntimedReason = 'missing-timestamp' | 'invalid-timestamp' | 'too-many-windows';

/** How many problem rows of each kind are listed (all are counted). */
export const REPORTED_ROWS = 10;
/** Windows one ingestion may open: 50 000 hours is over 5 years; the bound keeps memory bounded. */
export const DEFAULT_MAX_WINDOWS = 50_000;

const WINDOW_MS: Record<WindowSize, number> = { hour: 3_600_000, day: 86_400_000 };

/** How to ingest, whatever the source and however the bins are given. */
export interface IngestSettings {
  readonly format: 'csv' | 'ndjson';
  /** The columns (CSV) or keys (NDJSON) to bin. */
  readonly features: readonly string[];
  /** The model's score column, binned like a feature. */
  readonly score?: string;
  readonly window: WindowSize;
  /** Takes each row's window from this column; without it, from `arrival`. */
  readonly timestampColumn?: string;
  /** The clock for arrival windows, read once per input chunk. Required without `timestampColumn`. */
  readonly arrival?: () => Date;
  /** Called after each input chunk with the bytes read and rows seen so far. */
  readonly onProgress?: (bytes: number, rows: number) => void;
  /** Longest record or line kept (default 1 MiB); longer ones are reported malformed. */
  readonly maxRecordBytes?: number;
  readonly maxWindows?: number;
}

/**
 * The bins as data: the fast path. `bins` is called once per column (feature or score) before reading
 * and must return valid reference bins (`assertFeatureBins` checks them); each value then falls in the
 * bin `binIndex` gives it, found without a call per value: a numeric CSV field that is a plain decimal
 * is compared with the edges straight from its bytes, anything else is judged by `binIndex`.
 */
export interface BinsAsData {
  readonly bins: (column: string) => FeatureBins;
  readonly binOf?: never;
  readonly binCount?: never;
  readonly kindOf?: never;
}

/** The bins as callbacks, called per value. */
export interface BinsByCallback {
  readonly bins?: never;
  /** The bin of a value, in 0..binCount(feature)-1; the last bin is the missing bin. */
  readonly binOf: (feature: string, raw: RawValue) => number;
  readonly binCount: (feature: string) => number;
  /**
   * Optional hint: for a 'numeric' feature a CSV field that is a plain decimal is handed to `binOf` as
   * the number (read from its bytes, the same double as Number(text)) instead of as text: several
   * times faster. Anything else still goes as text, for `binOf` to judge.
   */
  readonly kindOf?: (feature: string) => 'numeric' | 'categorical';
}

export type IngestOptions = IngestSettings & {
  readonly source: AsyncIterable<Uint8Array>;
} & (BinsAsData | BinsByCallback);

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
 *   bins: (column) => binsByName.get(column)!,
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
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (
    year < 0 ||
    text.charCodeAt(4) !== 0x2d ||
    month < 1 ||
    month > 12 ||
    text.charCodeAt(7) !== 0x2d ||
    day < 1 ||
    day > daysInMonth(year, month)
  ) {
    return NaN;
  }
  const offsetMinutes = offsetOf(text, DATE_LENGTH);
  if (Number.isNaN(offsetMinutes)) return NaN;
  // offsetOf checked them all.
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  // A leap second belongs to the minute before it.
  const second = text.charCodeAt(16) === 0x3a ? Math.min(digitsAt(text, 17, 2), 59) : 0;
  const minutes = daysFromCivil(year, month, day) * 1440 + hour * 60 + minute - offsetMinutes;
  return (minutes * 60 + second) * 1000;
}

/** `YYYY-MM-DD`: what a day window's timestamps share. */
const DATE_LENGTH = 10;
/** `YYYY-MM-DDTHH`: what an hour window's timestamps share (with the same whole-hour offset). */
const DATE_HOUR_LENGTH = 13;

/**
 * Checks what follows the date (`from` = DATE_LENGTH: the separator and the hour on) or the hour
 * (`from` = DATE_HOUR_LENGTH: the minute on) of an RFC 3339 date-time, and returns its offset in minutes
 * east of UTC; NaN when the text is not valid from there on.
 */
function offsetOf(text: string, from: number): number {
  const length = text.length;
  if (length < 17) return NaN;
  if (from === DATE_LENGTH) {
    const separator = text.charCodeAt(10);
    const hour = digitsAt(text, 11, 2);
    if ((separator !== 0x54 && separator !== 0x74 && separator !== 0x20) || hour < 0 || hour > 23) {
      return NaN;
    }
  }
  const minute = digitsAt(text, 14, 2);
  if (text.charCodeAt(13) !== 0x3a || minute < 0 || minute > 59) return NaN;
  let i = 16;
  if (text.charCodeAt(i) === 0x3a) {
    const second = digitsAt(text, i + 1, 2);
    if (second < 0 || second > 60) return NaN;
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
  return i === length ? offsetMinutes : NaN;
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
  /** A CSV field that is a plain decimal is read as a number (the `kindOf` hint, or numeric bins). */
  readonly numeric: boolean;
  /** The bins as data (the fast path); undefined when `binOf` bins the values. */
  readonly reference: FeatureBins | undefined;
  /** Numeric bins: the edges, then +Infinity up to `span` entries (see countBelow). */
  readonly edges: Float64Array;
  /** A power of two above the number of edges; 0 when there are too many for countBelow. */
  readonly span: number;
  /** Categorical bins: each category's bin. */
  readonly categories: ReadonlyMap<string, number> | undefined;
  /** Field index in the CSV record, -1 when the header lacks it. */
  index: number;
  missing: number;
  unparsable: number;
}

/** The largest `span` countBelow is unrolled for: up to 255 edges; more are bisected by binIndex. */
const MAX_SPAN = 256;

/**
 * How many of the edges are below `v`, which is the bin `binIndex` gives the number: the first i with
 * v <= edges[i], else the number of edges. `edges` is ascending and padded with +Infinity to `span`, a
 * power of two; `v` is finite. A bisection of fixed depth whose steps are selects, not branches: which
 * way a value goes is data (close to a coin toss for decile bins), so a branch per step is mispredicted
 * half the time; measured on 9 edges, this is about twice as fast as binIndex's loop.
 */
function countBelow(edges: Float64Array, span: number, v: number): number {
  let i = 0;
  if (span >= 256) i = edges[i + 127]! < v ? i + 128 : i;
  if (span >= 128) i = edges[i + 63]! < v ? i + 64 : i;
  if (span >= 64) i = edges[i + 31]! < v ? i + 32 : i;
  if (span >= 32) i = edges[i + 15]! < v ? i + 16 : i;
  if (span >= 16) i = edges[i + 7]! < v ? i + 8 : i;
  if (span >= 8) i = edges[i + 3]! < v ? i + 4 : i;
  if (span >= 4) i = edges[i + 1]! < v ? i + 2 : i;
  if (span >= 2) i = edges[i]! < v ? i + 1 : i;
  return i;
}

const NO_EDGES = new Float64Array(0);

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
  private readonly binOf: ((feature: string, raw: RawValue) => number) | undefined;
  private readonly windows = new Map<number, Float64Array>();
  private lastStart = NaN;
  private lastCounts: Float64Array | undefined;
  // The last timestamp whose window is known from its first characters (see timeOf).
  private readonly timePrefixLength: number;
  private timePrefix: string | undefined;
  private timeOffset = NaN;
  private timeStart = NaN;
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
    this.timePrefixLength = window === 'hour' ? DATE_HOUR_LENGTH : DATE_LENGTH;
    if (timestampColumn === undefined && arrival === undefined) {
      throw new InputError('INVALID_ARGUMENT', 'windows need a timestamp column or an arrival clock');
    }
    this.maxWindows = options.maxWindows ?? DEFAULT_MAX_WINDOWS;
    const binsOf = options.bins;
    if (binsOf === undefined && (options.binOf === undefined || options.binCount === undefined)) {
      throw new InputError('INVALID_ARGUMENT', 'ingest needs the bins, or binOf and binCount');
    }
    this.binOf = binsOf === undefined ? options.binOf : undefined;
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
      let reference: FeatureBins | undefined;
      if (binsOf !== undefined) {
        const given: unknown = binsOf(name);
        assertFeatureBins(given);
        reference = given;
      }
      const bins = reference === undefined ? options.binCount!(name) : binCount(reference);
      if (!Number.isSafeInteger(bins) || bins < 1) {
        throw new InputError(
          'INVALID_ARGUMENT',
          `binCount(${JSON.stringify(name)}) is ${bins}, not a bin count`,
        );
      }
      let edges = NO_EDGES;
      let span = 0;
      let categories: Map<string, number> | undefined;
      if (reference?.kind === 'numeric' && reference.edges.length < MAX_SPAN) {
        span = 1;
        while (span <= reference.edges.length) span *= 2;
        edges = new Float64Array(span).fill(Infinity);
        edges.set(reference.edges);
      } else if (reference?.kind === 'categorical') {
        categories = new Map(reference.categories.map((category, i) => [category, i]));
      }
      const column: Column = {
        name,
        role,
        bins,
        missingBin: bins - 1,
        offset,
        numeric:
          reference === undefined ? options.kindOf?.(name) === 'numeric' : reference.kind === 'numeric',
        reference,
        edges,
        span,
        categories,
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
    const byData = this.binOf === undefined;
    let timestampIndex = -1;
    const drain = (): void => {
      for (let item = reader.next(); item !== undefined; item = reader.next()) {
        if (item.kind === 'record') {
          let ms = this.arrivalMs;
          if (timestampColumn !== undefined) {
            ms = item.isEmpty(timestampIndex)
              ? this.untimedRow(item.line)
              : this.timeOf(item.text(timestampIndex), item.line);
            if (Number.isNaN(ms)) continue;
          }
          const counts = this.countsAt(ms, item.line);
          if (counts === undefined) continue;
          if (byData) this.binCsvRecordByData(item, counts);
          else this.binCsvRecord(item, counts);
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
    if (value === null) return this.untimedRow(line);
    if (typeof value === 'string') return this.timeOf(value, line);
    this.untimed.add(
      line,
      'invalid-timestamp',
      `the number ${value} is not an RFC 3339 date-time with an offset`,
    );
    return NaN;
  }

  /** NaN, after reporting a row without a timestamp. */
  private untimedRow(line: number): number {
    this.untimed.add(line, 'missing-timestamp', 'no timestamp');
    return NaN;
  }

  /**
   * The time of a timestamp, or NaN after reporting the row untimed. Traffic comes mostly in time order,
   * so most timestamps share their date and hour with the one before: when the text starts as the last
   * remembered one does (`2026-03-01T10`, or `2026-03-01` for days), and the rest is a valid minute,
   * second and offset with the same offset, the row is in the same window, which is returned without
   * reading the date again. That holds only for an offset that is a whole number of windows (whole
   * hours for hours, zero for days): `10:15+05:30` and `10:45+05:30` fall in different UTC hours, and
   * `23:30+02:00` and `01:00+02:00` of one date in different UTC days. Others are read in full.
   */
  private timeOf(text: string, line: number): number {
    const prefix = this.timePrefix;
    if (
      prefix !== undefined &&
      text.startsWith(prefix) &&
      offsetOf(text, this.timePrefixLength) === this.timeOffset
    ) {
      return this.timeStart;
    }
    const ms = parseTimestamp(text);
    if (Number.isNaN(ms)) {
      this.untimed.add(
        line,
        'invalid-timestamp',
        `${JSON.stringify(text.slice(0, 40))} is not an RFC 3339 date-time with an offset`,
      );
      return NaN;
    }
    const offset = offsetOf(text, DATE_LENGTH);
    if (offset % (this.windowMs / 60_000) === 0) {
      this.timePrefix = text.slice(0, this.timePrefixLength);
      this.timeOffset = offset;
      this.timeStart = Math.floor(ms / this.windowMs) * this.windowMs;
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

  /** The fast path: bins as data, the missing and unparsable values counted on the way. */
  private binCsvRecordByData(record: CsvRecord, counts: Float64Array): void {
    const columns = this.columns;
    for (let k = 0; k < columns.length; k++) {
      const column = columns[k]!;
      const index = column.index;
      let bin: number;
      let value = NaN;
      // NaN !== NaN: a field that is not a plain decimal is judged by binIndex, as text.
      if (index >= 0 && column.span > 0 && (value = record.decimal(index)) === value) {
        bin = countBelow(column.edges, column.span, value);
      } else if (index < 0 || record.isEmpty(index)) {
        bin = column.missingBin;
        column.missing++;
      } else {
        const text = record.text(index);
        const categories = column.categories;
        bin =
          categories === undefined
            ? binIndex(column.reference!, text)
            : (categories.get(text) ?? categories.size);
        if (bin === column.missingBin) column.unparsable++;
      }
      counts[column.offset + bin]!++;
    }
    this.counted++;
  }

  private binCsvRecord(record: CsvRecord, counts: Float64Array): void {
    const columns = this.columns;
    const binOf = this.binOf!;
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
    const bin =
      column.reference === undefined ? this.binOf!(column.name, raw) : binIndex(column.reference, raw);
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
