// A streaming NDJSON reader (one JSON object per LF-terminated line, CRLF accepted) over bytes. Like
// the CSV reader it holds the current chunk and at most one line carried over from the previous one; a
// line longer than `maxRecordBytes` is reported and skipped without being kept. The input is
// attacker-controlled: a line that is not valid UTF-8, not JSON, or not an object is reported with its
// line number and reading carries on. Blank lines are skipped and counted.
import { Buffer, isAscii, isUtf8 } from 'node:buffer';

import { InputError } from '../errors.js';

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
const MAX_DETAIL = 120;

/**
 * A top-level value as ingestion sees it: numbers and strings as they are, `null`; `true`/`false` as the
 * strings a CSV would hold; an array or object as its JSON text (a categorical value, never a number).
 */
export type NdjsonValue = string | number | null;

export type NdjsonMalformedReason = 'record-too-large' | 'invalid-utf8' | 'invalid-json' | 'not-an-object';

export interface NdjsonMalformed {
  readonly kind: 'malformed';
  /** 1-based line of the input. */
  readonly line: number;
  readonly reason: NdjsonMalformedReason;
  readonly detail: string;
}

export interface NdjsonRecord {
  readonly kind: 'record';
  readonly line: number;
  /** The value of one of the object's own keys; undefined when it has no such key (nothing inherited). */
  get(key: string): NdjsonValue | undefined;
  /** All of the object's own keys, in a null-prototype object. */
  toValues(): Record<string, NdjsonValue>;
}

export type NdjsonItem = NdjsonRecord | NdjsonMalformed;

export interface NdjsonOptions {
  /** Lines (with their line break) longer than this are reported and skipped. Default 1 MiB. */
  readonly maxRecordBytes?: number;
}

export interface NdjsonStats {
  readonly bytes: number;
  readonly records: number;
  readonly malformed: number;
  readonly blankLines: number;
}

/** A pull reader, used like `CsvReader`: `push` a chunk, drain `next()`; `end()`, drain again. */
export interface NdjsonReader {
  push(chunk: Uint8Array): void;
  end(): void;
  next(): NdjsonItem | undefined;
  readonly stats: NdjsonStats;
}

export function createNdjsonReader(options: NdjsonOptions = {}): NdjsonReader {
  return new LineJsonReader(options);
}

/**
 * Reads a whole stream of NDJSON.
 *
 * @example
 * for await (const item of readNdjson(request.body)) {
 *   if (item.kind === 'record') console.log(item.values['score']);
 * }
 */
export async function* readNdjson(
  source: AsyncIterable<Uint8Array>,
  options: NdjsonOptions = {},
): AsyncGenerator<NdjsonMalformed | { kind: 'record'; line: number; values: Record<string, NdjsonValue> }> {
  const reader = createNdjsonReader(options);
  const drain = function* () {
    for (let item = reader.next(); item !== undefined; item = reader.next()) {
      yield item.kind === 'record'
        ? { kind: 'record' as const, line: item.line, values: item.toValues() }
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

/** Converts one parsed top-level value (see NdjsonValue). */
export function toNdjsonValue(value: unknown): NdjsonValue {
  switch (typeof value) {
    case 'number':
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return value === null ? null : JSON.stringify(value);
  }
}

// Values are converted when asked for: converting every key of every line would halve the speed of a
// reader whose caller wants a few of them.
class JsonRecord implements NdjsonRecord {
  readonly kind = 'record' as const;

  constructor(
    readonly line: number,
    private readonly object: Record<string, unknown>,
  ) {}

  get(key: string): NdjsonValue | undefined {
    return Object.hasOwn(this.object, key) ? toNdjsonValue(this.object[key]) : undefined;
  }

  toValues(): Record<string, NdjsonValue> {
    const values = Object.create(null) as Record<string, NdjsonValue>;
    for (const [key, value] of Object.entries(this.object)) values[key] = toNdjsonValue(value);
    return values;
  }
}

interface SliceDecoders {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const EMPTY = Buffer.alloc(0);

class LineJsonReader implements NdjsonReader {
  private readonly maxRecordBytes: number;
  private counters = { bytes: 0, records: 0, malformed: 0, blankLines: 0 };
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private regionEnd = 0;
  private regionAscii = false;
  private regionUtf8 = false;
  private started = false;
  private head: Buffer | undefined;
  private ended = false;
  private nextLine = 1;
  // A line begun in an earlier chunk, kept until its LF unless it grows past the maximum.
  private carrying = false;
  private skipping = false;
  private carry: Buffer = EMPTY;
  private carryLength = 0;
  private carryBytes = 0;

  constructor(options: NdjsonOptions) {
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isSafeInteger(this.maxRecordBytes) || this.maxRecordBytes < 1) {
      throw new InputError('INVALID_ARGUMENT', 'maxRecordBytes must be a positive integer');
    }
  }

  get stats(): NdjsonStats {
    return { ...this.counters };
  }

  push(chunk: Uint8Array): void {
    if (this.ended) throw new InputError('INVALID_ARGUMENT', 'NDJSON input pushed after its end');
    if (this.pos < this.chunk.length) {
      throw new InputError('INVALID_ARGUMENT', 'NDJSON chunk pushed before the previous one was read');
    }
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.counters.bytes += buf.length;
    if (!this.started) {
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

  next(): NdjsonItem | undefined {
    for (;;) {
      const buf = this.chunk;
      if (this.pos >= buf.length) {
        if (!this.ended || !this.carrying) return undefined;
        const item = this.finishCarry();
        if (item !== undefined) return item;
        continue;
      }
      const start = this.pos;
      const lf = buf.indexOf(LF, start);
      const to = lf === -1 ? buf.length : lf + 1;
      this.pos = to;
      let item: NdjsonItem | undefined;
      if (this.carrying) {
        this.appendCarry(buf, start, to);
        if (lf === -1) continue;
        item = this.finishCarry();
      } else if (lf === -1) {
        this.carrying = true;
        this.skipping = false;
        this.carryLength = 0;
        this.carryBytes = 0;
        this.appendCarry(buf, start, to);
        continue;
      } else {
        item = this.line(buf, start, to, to <= this.regionEnd ? this.regionAscii : false, this.regionUtf8);
      }
      if (item !== undefined) return item;
    }
  }

  private load(buf: Buffer): void {
    this.chunk = buf;
    this.pos = 0;
    // Checked once for all complete lines (see the CSV reader: valid UTF-8 cut at LF stays valid).
    this.regionEnd = buf.lastIndexOf(LF) + 1;
    const region = buf.subarray(0, this.regionEnd);
    this.regionAscii = isAscii(region);
    this.regionUtf8 = this.regionAscii || isUtf8(region);
  }

  private appendCarry(buf: Buffer, from: number, to: number): void {
    this.carryBytes += to - from;
    if (this.skipping) return;
    if (this.carryBytes > this.maxRecordBytes) {
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

  private finishCarry(): NdjsonItem | undefined {
    this.carrying = false;
    if (this.skipping) {
      this.skipping = false;
      return this.reject(
        this.nextLine++,
        'record-too-large',
        `line longer than ${this.maxRecordBytes} bytes`,
      );
    }
    const line = this.carry.subarray(0, this.carryLength);
    const ascii = isAscii(line);
    return this.line(line, 0, line.length, ascii, ascii || isUtf8(line));
  }

  /** One line, buf[start, to) with its line break if any; `checked` when its region is valid UTF-8. */
  private line(
    buf: Buffer,
    start: number,
    to: number,
    ascii: boolean,
    checked: boolean,
  ): NdjsonItem | undefined {
    const line = this.nextLine++;
    if (to - start > this.maxRecordBytes) {
      return this.reject(line, 'record-too-large', `line longer than ${this.maxRecordBytes} bytes`);
    }
    let end = to;
    if (end > start && buf[end - 1] === LF) end--;
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) {
      this.counters.blankLines++;
      return undefined;
    }
    if (!checked && !isUtf8(buf.subarray(start, end))) {
      return this.reject(line, 'invalid-utf8', 'line is not valid UTF-8');
    }
    const decoders = buf as unknown as SliceDecoders;
    const text = ascii ? decoders.latin1Slice(start, end) : decoders.utf8Slice(start, end);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      if (text.trim() === '') {
        this.counters.blankLines++;
        return undefined;
      }
      const message = error instanceof Error ? error.message : String(error);
      return this.reject(line, 'invalid-json', message.slice(0, MAX_DETAIL));
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      const what = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
      return this.reject(line, 'not-an-object', `${what}, not a JSON object`);
    }
    this.counters.records++;
    return new JsonRecord(line, parsed as Record<string, unknown>);
  }

  private reject(line: number, reason: NdjsonMalformedReason, detail: string): NdjsonMalformed {
    this.counters.malformed++;
    return { kind: 'malformed', line, reason, detail };
  }
}
