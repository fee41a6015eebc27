// A streaming CSV reader (RFC 4180) over bytes, for scoring traffic of any size. It holds the current
// input chunk and at most one record carried over from the previous chunk, never more: a record longer
// than `maxRecordBytes` is reported malformed and skipped to its end without being kept.
//
// Speed comes from working on bytes: records and fields are found by scanning the chunk, a field is
// only decoded when asked for (`text`), and `decimal` reads a plain number straight from its bytes. The
// input is attacker-controlled: every malformed record is reported with its line and a reason, and the
// reader carries on with the next record.
//
// Grammar (RFC 4180 §2): fields separated by `,`; records end with CRLF or LF (a CR elsewhere is data);
// a field that starts with `"` is quoted, may hold `,`, CR, LF and `""` (one quote); the last record
// may lack its line break. Stricter than the RFC on purpose: a quote inside an unquoted field and text
// after a closing quote make the record malformed rather than being guessed at; such a stray quote opens
// nothing, so it spoils its own record and not the rest of the file. Laxer: a UTF-8 byte order mark at
// the start is dropped, and blank lines are skipped (and counted), as pandas does.
import { Buffer, isAscii, isUtf8 } from 'node:buffer';

import { InputError } from '../errors.js';

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/** How a field was written: plain, quoted, or quoted with doubled quotes to undo when decoded. */
const PLAIN = 0;
const QUOTED = 1;
const QUOTED_ESCAPED = 2;

// Exact powers of ten: m / 10^k with m < 2^53 and k <= 22 is correctly rounded (Clinger's fast path),
// so `decimal` gives the same double as Number() on the same text.
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_EXACT_DIGITS = 15;
// States of scanRecordEnd.
const SCAN_FIELD_START = 0;
const SCAN_UNQUOTED = 1;
const SCAN_QUOTED = 2;
const SCAN_QUOTE_IN_QUOTED = 3;
/** parsePlainRecord's answer for a record it leaves to the general parser. */
const UNUSUAL = -2;

export type CsvMalformedReason =
  | 'record-too-large'
  | 'invalid-utf8'
  | 'field-count'
  | 'quote-in-unquoted-field'
  | 'text-after-closing-quote'
  | 'unterminated-quote';

/** A record that was skipped, and why. `line` is the 1-based line of the file where it starts. */
export interface CsvMalformed {
  readonly kind: 'malformed';
  readonly line: number;
  readonly reason: CsvMalformedReason;
  readonly detail: string;
}

export interface CsvHeader {
  readonly kind: 'header';
  readonly line: number;
  readonly columns: readonly string[];
}

/**
 * A well-formed record, as a view over the reader's buffer: valid until the next call to `next()`.
 * With a header, it has exactly as many fields as the header (others are reported malformed).
 */
export interface CsvRecord {
  readonly kind: 'record';
  /** 1-based line of the file where the record starts (the header is line 1). */
  readonly line: number;
  /** Number of fields. */
  readonly length: number;
  /** The field's text, unquoted and with `""` made `"`. */
  text(index: number): string;
  /**
   * The field as a number when it is a plain decimal (`-?\d+(\.\d+)?`, at most 15 digits), read from
   * its bytes without decoding; NaN otherwise (empty, an exponent, spaces, text…): then use `text`.
   */
  decimal(index: number): number;
  /** True for an empty field (`` or `""`). */
  isEmpty(index: number): boolean;
  /** All fields as strings. */
  toArray(): string[];
}

export type CsvItem = CsvHeader | CsvRecord | CsvMalformed;

export interface CsvOptions {
  /** Records (with their line break) longer than this are reported and skipped. Default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** The first record names the columns (default true); every record must then have as many fields. */
  readonly header?: boolean;
}

export interface CsvStats {
  readonly bytes: number;
  /** Well-formed data records (the header is not one). */
  readonly records: number;
  readonly malformed: number;
  readonly blankLines: number;
}

/**
 * A pull reader: `push` a chunk, then call `next()` until it returns undefined (it wants the next
 * chunk); after the last chunk call `end()` and drain `next()` again.
 *
 * @example
 * const reader = createCsvReader();
 * for await (const chunk of source) {
 *   reader.push(chunk);
 *   for (let item = reader.next(); item; item = reader.next()) if (item.kind === 'record') use(item.text(0));
 * }
 * reader.end();
 * for (let item = reader.next(); item; item = reader.next()) …
 */
export interface CsvReader {
  push(chunk: Uint8Array): void;
  end(): void;
  next(): CsvItem | undefined;
  readonly columns: readonly string[] | undefined;
  readonly stats: CsvStats;
}

export function createCsvReader(options: CsvOptions = {}): CsvReader {
  return new ByteCsvReader(options);
}

/**
 * Reads a whole stream, yielding the header, each record's fields as strings, and each malformed record.
 *
 * @example
 * for await (const item of readCsv(createReadStream('traffic.csv'))) {
 *   if (item.kind === 'record') console.log(item.line, item.fields);
 * }
 */
export async function* readCsv(
  source: AsyncIterable<Uint8Array>,
  options: CsvOptions = {},
): AsyncGenerator<CsvHeader | CsvMalformed | { kind: 'record'; line: number; fields: string[] }> {
  const reader = createCsvReader(options);
  const drain = function* () {
    for (let item = reader.next(); item !== undefined; item = reader.next()) {
      yield item.kind === 'record'
        ? { kind: 'record' as const, line: item.line, fields: item.toArray() }
        : item;
    }
  };
  for await (const chunk of source) {
    reader.push(chunk);
    yield* drain();
  }
  reader.end();
  yield* drain();
}

// Buffer's own slice decoders: what `toString(encoding, start, end)` calls after checking its
// arguments, and markedly faster per short field. Present on every Buffer since Node 0.x.
interface SliceDecoders {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const EMPTY = Buffer.alloc(0);

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** A plain decimal in buf[start, end) (see CsvRecord.decimal), or NaN. */
function readDecimal(buf: Buffer, start: number, end: number): number {
  let i = start;
  const negative = i < end && buf[i] === MINUS;
  if (negative) i++;
  const integerStart = i;
  let mantissa = 0;
  let digit = 0;
  while (i < end && (digit = buf[i]! - ZERO) >= 0 && digit <= 9) {
    mantissa = mantissa * 10 + digit;
    i++;
  }
  let digits = i - integerStart;
  if (digits === 0) return NaN;
  let scale = 0;
  if (i < end) {
    if (buf[i] !== DOT) return NaN;
    const fractionStart = ++i;
    while (i < end && (digit = buf[i]! - ZERO) >= 0 && digit <= 9) {
      mantissa = mantissa * 10 + digit;
      i++;
    }
    scale = i - fractionStart;
    digits += scale;
    if (scale === 0 || i < end) return NaN;
  }
  if (digits > MAX_EXACT_DIGITS) return NaN;
  const value = scale === 0 ? mantissa : mantissa / POW10[scale]!;
  return negative ? -value : value;
}

class ByteCsvReader implements CsvReader, CsvRecord {
  readonly kind = 'record' as const;
  line = 0;
  columns: readonly string[] | undefined;

  private readonly maxRecordBytes: number;
  private readonly wantHeader: boolean;
  private expected = -1;
  private counters = { bytes: 0, records: 0, malformed: 0, blankLines: 0 };

  // The chunk being read: records start at `pos`; up to `regionEnd` (just past its last LF) the bytes
  // were checked once as a whole (ASCII, or at least UTF-8) so that records need no check of their own.
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private regionEnd = 0;
  private regionAscii = false;
  private regionUtf8 = false;
  private started = false;
  private head: Buffer | undefined;
  private ended = false;
  private nextLine = 1;

  // The record in view: field i is buf[starts[i], ends[i]), written as kinds[i].
  private buf: Buffer = EMPTY;
  private ascii = true;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private kinds = new Uint8Array(64);
  private values = new Float64Array(64);
  private count = 0;
  private problem: CsvMalformedReason | undefined;
  private breaks = 0;

  // A record begun in an earlier chunk. Its bytes are kept in `carry` until it ends, unless it grows
  // past the maximum: then only its end is looked for (`skipping`), counting quotes and line breaks.
  private carrying = false;
  private skipping = false;
  private carry: Buffer = EMPTY;
  private carryLength = 0;
  private carryBytes = 0;
  // Where the record-end scan is (see scanRecordEnd), and the line breaks it has seen in the record.
  private scanState = SCAN_FIELD_START;
  private scanBreaks = 0;

  constructor(options: CsvOptions) {
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.wantHeader = options.header ?? true;
    if (!Number.isSafeInteger(this.maxRecordBytes) || this.maxRecordBytes < 1) {
      throw new InputError('INVALID_ARGUMENT', `maxRecordBytes must be a positive integer`);
    }
  }

  get length(): number {
    return this.count;
  }

  get stats(): CsvStats {
    return { ...this.counters };
  }

  push(chunk: Uint8Array): void {
    if (this.ended) throw new InputError('INVALID_ARGUMENT', 'CSV input pushed after its end');
    if (this.pos < this.chunk.length) {
      throw new InputError('INVALID_ARGUMENT', 'CSV chunk pushed before the previous one was read');
    }
    let buf = asBuffer(chunk);
    this.counters.bytes += buf.length;
    if (!this.started) {
      // The byte order mark may arrive split over tiny chunks: hold the first bytes until there are 3.
      if (this.head !== undefined) buf = Buffer.concat([this.head, buf]);
      if (buf.length < UTF8_BOM.length) {
        this.head = Buffer.from(buf);
        return;
      }
      this.head = undefined;
      this.started = true;
      if (UTF8_BOM.every((byte, i) => buf[i] === byte)) buf = buf.subarray(UTF8_BOM.length);
    }
    this.load(buf);
  }

  end(): void {
    if (this.ended) return;
    if (!this.started) {
      this.started = true;
      if (this.head !== undefined) this.load(this.head);
      this.head = undefined;
    }
    this.ended = true;
  }

  next(): CsvItem | undefined {
    for (;;) {
      const buf = this.chunk;
      if (this.pos >= buf.length) {
        if (!this.ended || !this.carrying) return undefined;
        const item = this.finishCarry();
        if (item !== undefined) return item;
        continue;
      }
      let item: CsvItem | undefined;
      if (this.carrying) {
        const next = this.continueCarry(buf, this.pos);
        this.pos = next < 0 ? buf.length : next;
        if (next < 0) continue;
        item = this.finishCarry();
      } else {
        const start = this.pos;
        const next = this.parseRecord(buf, start, buf.length, false);
        if (next < 0) {
          this.startCarry(buf, start);
          this.pos = buf.length;
          continue;
        }
        this.pos = next;
        this.buf = buf;
        this.ascii = this.regionAscii;
        item = this.complete(buf, start, next, next <= this.regionEnd && this.regionUtf8);
      }
      if (item !== undefined) return item;
    }
  }

  text(index: number): string {
    this.check(index);
    const start = this.starts[index]!;
    const end = this.ends[index]!;
    if (start === end) return '';
    const decoders = this.buf as unknown as SliceDecoders;
    const text = this.ascii ? decoders.latin1Slice(start, end) : decoders.utf8Slice(start, end);
    return this.kinds[index] === QUOTED_ESCAPED ? text.replaceAll('""', '"') : text;
  }

  decimal(index: number): number {
    this.check(index);
    // Plain fields were read while parsing; a quoted one ("12.5") is read now.
    return this.kinds[index] === PLAIN
      ? this.values[index]!
      : readDecimal(this.buf, this.starts[index]!, this.ends[index]!);
  }

  isEmpty(index: number): boolean {
    this.check(index);
    return this.starts[index] === this.ends[index];
  }

  toArray(): string[] {
    const fields: string[] = [];
    for (let i = 0; i < this.count; i++) fields.push(this.text(i));
    return fields;
  }

  private check(index: number): void {
    if (!(index >= 0 && index < this.count)) {
      throw new InputError('OUT_OF_RANGE', `field ${index} of a record of ${this.count} fields`);
    }
  }

  private load(buf: Buffer): void {
    this.chunk = buf;
    this.pos = 0;
    // One check over all complete lines of the chunk instead of one per record. Cutting valid UTF-8 at
    // LF bytes leaves valid UTF-8 (0x0A is never part of a multi-byte sequence), so if the region is
    // valid every record in it is; if not, records are checked one by one to find the bad ones.
    this.regionEnd = buf.lastIndexOf(LF) + 1;
    const region = buf.subarray(0, this.regionEnd);
    this.regionAscii = isAscii(region);
    this.regionUtf8 = this.regionAscii || isUtf8(region);
  }

  /**
   * Parses the record starting at `start` into the field arrays. Returns the index just past its line
   * break, or -1 when `limit` comes first and more input may follow; at the end of input (`eof`) the
   * record ends at `limit`.
   */
  private parseRecord(buf: Buffer, start: number, limit: number, eof: boolean): number {
    const next = eof ? UNUSUAL : this.parsePlainRecord(buf, start, limit);
    return next === UNUSUAL ? this.parseAnyRecord(buf, start, limit, eof) : next;
  }

  /**
   * The fast path, for the usual record: no quote, no lone CR, complete in the chunk. Reads fields and
   * plain decimals in one pass, a byte at a time; returns UNUSUAL, having changed nothing that counts,
   * as soon as the record is anything else.
   */
  private parsePlainRecord(buf: Buffer, start: number, limit: number): number {
    let starts = this.starts;
    let ends = this.ends;
    let kinds = this.kinds;
    let values = this.values;
    let n = 0;
    let i = start;
    for (;;) {
      if (n === starts.length) {
        this.grow();
        ({ starts, ends, kinds, values } = this);
      }
      const fieldStart = i;
      let value = NaN;
      let c = i < limit ? buf[i]! : -1;
      const negative = c === MINUS;
      if (negative) c = ++i < limit ? buf[i]! : -1;
      const integerStart = i;
      let mantissa = 0;
      let digit = c - ZERO;
      while (digit >>> 0 < 10) {
        mantissa = mantissa * 10 + digit;
        c = ++i < limit ? buf[i]! : -1;
        digit = c - ZERO;
      }
      let digits = i - integerStart;
      if (digits > 0) {
        let scale = 0;
        if (c === DOT) {
          const fractionStart = ++i;
          c = i < limit ? buf[i]! : -1;
          digit = c - ZERO;
          while (digit >>> 0 < 10) {
            mantissa = mantissa * 10 + digit;
            c = ++i < limit ? buf[i]! : -1;
            digit = c - ZERO;
          }
          scale = i - fractionStart;
          digits = scale === 0 ? 0 : digits + scale;
        }
        if ((c === COMMA || c === LF || c === CR) && digits > 0 && digits <= MAX_EXACT_DIGITS) {
          value = scale === 0 ? mantissa : mantissa / POW10[scale]!;
          if (negative) value = -value;
        }
      }
      while (c !== COMMA && c !== LF) {
        if (c === QUOTE || c === -1 || (c === CR && (i + 1 >= limit || buf[i + 1] !== LF))) return UNUSUAL;
        if (c === CR) break;
        c = ++i < limit ? buf[i]! : -1;
      }
      starts[n] = fieldStart;
      ends[n] = i;
      kinds[n] = PLAIN;
      values[n] = value;
      n++;
      if (c === COMMA) {
        i++;
        continue;
      }
      this.count = n;
      this.breaks = 0;
      this.problem = undefined;
      return c === LF ? i + 1 : i + 2;
    }
  }

  private parseAnyRecord(buf: Buffer, start: number, limit: number, eof: boolean): number {
    let starts = this.starts;
    let ends = this.ends;
    let kinds = this.kinds;
    let values = this.values;
    let n = 0;
    let i = start;
    this.breaks = 0;
    this.problem = undefined;
    for (;;) {
      if (n === starts.length) {
        this.grow();
        ({ starts, ends, kinds, values } = this);
      }
      let fieldStart = i;
      let fieldEnd = -1;
      let kind = PLAIN;
      let afterQuote = -1;
      let value = NaN;
      let numberEnd = -1;
      if (i < limit && buf[i] === QUOTE) {
        const close = this.closingQuote(buf, i + 1, limit, eof);
        if (close === -1) return -1;
        fieldStart = i + 1;
        kind = this.escaped ? QUOTED_ESCAPED : QUOTED;
        if (close === -2) {
          this.problem ??= 'unterminated-quote';
          fieldEnd = limit;
          i = limit;
        } else {
          fieldEnd = close;
          i = close + 1;
          afterQuote = i;
          if (i < limit) {
            const c = buf[i];
            if (c !== COMMA && c !== LF && c !== CR) this.problem ??= 'text-after-closing-quote';
          }
        }
      } else {
        // Most traffic is numbers: read a plain decimal on the way, kept if it spans the whole field.
        const negative = i < limit && buf[i] === MINUS;
        if (negative) i++;
        const integerStart = i;
        let mantissa = 0;
        let digit = 0;
        while (i < limit && (digit = buf[i]! - ZERO) >>> 0 < 10) {
          mantissa = mantissa * 10 + digit;
          i++;
        }
        let digits = i - integerStart;
        if (digits > 0) {
          let scale = 0;
          if (i < limit && buf[i] === DOT) {
            const fractionStart = ++i;
            while (i < limit && (digit = buf[i]! - ZERO) >>> 0 < 10) {
              mantissa = mantissa * 10 + digit;
              i++;
            }
            scale = i - fractionStart;
            digits = scale === 0 ? 0 : digits + scale;
          }
          if (digits > 0 && digits <= MAX_EXACT_DIGITS) {
            value = scale === 0 ? mantissa : mantissa / POW10[scale]!;
            if (negative) value = -value;
            numberEnd = i;
          }
        }
      }
      // An unquoted field (or the rest of one after its number, or after a misplaced closing quote).
      let c = -1;
      while (i < limit) {
        c = buf[i]!;
        if (c === COMMA || c === LF) break;
        if (c === CR) {
          if (i + 1 < limit) {
            if (buf[i + 1] === LF) break;
          } else if (eof) {
            break;
          } else {
            return -1;
          }
        } else if (c === QUOTE) {
          // Literal, but the record is malformed (RFC 4180 §2.5). It opens nothing: a stray quote such
          // as `12" pizza` spoils its own record, not the rest of the file.
          this.problem ??= 'quote-in-unquoted-field';
        }
        i++;
      }
      // A CR after the closing quote that is not followed by LF is text too.
      if (afterQuote !== -1 && i !== afterQuote) this.problem ??= 'text-after-closing-quote';
      starts[n] = fieldStart;
      ends[n] = fieldEnd === -1 ? i : fieldEnd;
      kinds[n] = kind;
      values[n] = i === numberEnd ? value : NaN;
      n++;
      if (i >= limit) {
        if (!eof) return -1;
        this.count = n;
        return limit;
      }
      c = buf[i]!;
      if (c === COMMA) {
        i++;
        continue;
      }
      this.count = n;
      if (c === LF) return i + 1;
      // CR: followed by LF, or the last byte of the input.
      return i + 1 < limit ? i + 2 : i + 1;
    }
  }

  private escaped = false;

  /**
   * From just after an opening quote: the index of the closing quote; -1 if the chunk ends first (more
   * may come); -2 if the input ends inside the quotes. A doubled quote is one quote of the text.
   */
  private closingQuote(buf: Buffer, from: number, limit: number, eof: boolean): number {
    let i = from;
    this.escaped = false;
    for (;;) {
      let c = 0;
      while (i < limit && (c = buf[i]!) !== QUOTE) {
        if (c === LF) this.breaks++;
        i++;
      }
      if (i >= limit) return eof ? -2 : -1;
      if (i + 1 >= limit) return eof ? i : -1;
      if (buf[i + 1] !== QUOTE) return i;
      this.escaped = true;
      i += 2;
    }
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    const kinds = new Uint8Array(size);
    const values = new Float64Array(size);
    starts.set(this.starts);
    ends.set(this.ends);
    kinds.set(this.kinds);
    values.set(this.values);
    this.starts = starts;
    this.ends = ends;
    this.kinds = kinds;
    this.values = values;
  }

  /** A record whose fields are parsed, from `start` to `next`: decides what it is and reports it. */
  private complete(buf: Buffer, start: number, next: number, checked: boolean): CsvItem | undefined {
    const line = this.nextLine;
    this.nextLine += this.breaks + (buf[next - 1] === LF ? 1 : 0);
    this.line = line;
    if (this.count === 1 && this.kinds[0] === PLAIN && this.starts[0] === this.ends[0]) {
      this.counters.blankLines++;
      return undefined;
    }
    if (next - start > this.maxRecordBytes) {
      return this.reject(line, 'record-too-large', `record longer than ${this.maxRecordBytes} bytes`);
    }
    if (!checked && !isUtf8(buf.subarray(start, next))) {
      return this.reject(line, 'invalid-utf8', 'record is not valid UTF-8');
    }
    if (this.problem !== undefined) return this.reject(line, this.problem, PROBLEMS[this.problem]);
    if (this.wantHeader && this.columns === undefined) {
      const columns = this.toArray();
      this.columns = columns;
      this.expected = columns.length;
      return { kind: 'header', line, columns };
    }
    if (this.expected >= 0 && this.count !== this.expected) {
      return this.reject(line, 'field-count', `expected ${this.expected} fields, got ${this.count}`);
    }
    this.counters.records++;
    return this;
  }

  private reject(line: number, reason: CsvMalformedReason, detail: string): CsvMalformed {
    if (this.wantHeader && this.columns === undefined) {
      throw new InputError('INVALID_ARGUMENT', `the CSV header (line ${line}) is malformed: ${detail}`, {
        details: { line, reason },
      });
    }
    this.counters.malformed++;
    return { kind: 'malformed', line, reason, detail };
  }

  private startCarry(buf: Buffer, start: number): void {
    this.carrying = true;
    this.skipping = false;
    this.carryLength = 0;
    this.carryBytes = 0;
    this.scanState = SCAN_FIELD_START;
    this.scanBreaks = 0;
    this.scanRecordEnd(buf, start);
    this.appendCarry(buf, start, buf.length);
  }

  /** Looks for the end of the carried record in a new chunk; returns the index past it, or -1. */
  private continueCarry(buf: Buffer, from: number): number {
    const lf = this.scanRecordEnd(buf, from);
    const to = lf === -1 ? buf.length : lf + 1;
    this.appendCarry(buf, from, to);
    return lf === -1 ? -1 : to;
  }

  /**
   * The LF that ends the record, from `from` on, or -1 when the chunk ends first. A state machine that
   * can stop at any byte and go on in the next chunk, finding the same end as parseAnyRecord: only a
   * quote at the start of a field opens quotes; inside them `""` is a quote and the next lone quote
   * closes them; LF ends the record outside quotes.
   */
  private scanRecordEnd(buf: Buffer, from: number): number {
    let state = this.scanState;
    let breaks = this.scanBreaks;
    const limit = buf.length;
    let i = from;
    for (; i < limit; i++) {
      const c = buf[i]!;
      if (state === SCAN_QUOTED) {
        if (c === QUOTE) state = SCAN_QUOTE_IN_QUOTED;
        else if (c === LF) breaks++;
      } else if (c === LF) {
        break;
      } else if (c === COMMA) {
        state = SCAN_FIELD_START;
      } else if (state === SCAN_FIELD_START) {
        state = c === QUOTE ? SCAN_QUOTED : SCAN_UNQUOTED;
      } else if (state === SCAN_QUOTE_IN_QUOTED) {
        state = c === QUOTE ? SCAN_QUOTED : SCAN_UNQUOTED;
      }
    }
    this.scanState = state;
    this.scanBreaks = breaks;
    return i < limit ? i : -1;
  }

  private appendCarry(buf: Buffer, from: number, to: number): void {
    this.carryBytes += to - from;
    if (this.skipping) return;
    if (this.carryBytes > this.maxRecordBytes) {
      // Too long to keep: from here on only its end is looked for.
      this.skipping = true;
      this.carryLength = 0;
      return;
    }
    const needed = this.carryLength + (to - from);
    if (needed > this.carry.length) {
      const size = Math.min(Math.max(needed, this.carry.length * 2, 64 * 1024), this.maxRecordBytes);
      const grown = Buffer.allocUnsafe(size);
      this.carry.copy(grown, 0, 0, this.carryLength);
      this.carry = grown;
    }
    buf.copy(this.carry, this.carryLength, from, to);
    this.carryLength = needed;
  }

  private finishCarry(): CsvItem | undefined {
    this.carrying = false;
    if (this.skipping) {
      this.skipping = false;
      const line = this.nextLine;
      // The scan counted the line breaks inside quotes; one more for the LF that ended it.
      this.nextLine += this.scanBreaks + 1;
      this.line = line;
      const unterminated = this.scanState === SCAN_QUOTED ? ', and its quoted field is never closed' : '';
      return this.reject(
        line,
        'record-too-large',
        `record longer than ${this.maxRecordBytes} bytes${unterminated}`,
      );
    }
    const record = this.carry.subarray(0, this.carryLength);
    const next = this.parseRecord(record, 0, record.length, true);
    this.buf = record;
    this.ascii = isAscii(record);
    return this.complete(record, 0, next, this.ascii || isUtf8(record));
  }
}

const PROBLEMS: Record<CsvMalformedReason, string> = {
  'record-too-large': 'record too large',
  'invalid-utf8': 'record is not valid UTF-8',
  'field-count': 'wrong number of fields',
  'quote-in-unquoted-field': 'a quote inside an unquoted field (RFC 4180 §2.5)',
  'text-after-closing-quote': 'text after the closing quote of a field (RFC 4180 §2.7)',
  'unterminated-quote': 'a quoted field is never closed',
};
