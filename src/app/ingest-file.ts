// Ingestion of a traffic file on several threads. One thread reads CSV at about 100 MB/s, so a large file
// is cut into byte ranges at line breaks, each range is ingested by a worker thread (ingest-worker.ts)
// after the file's header, and the reports are merged into exactly what `ingest` gives on the whole file.
//
// Cutting at a line break is only safe where every line break ends a record: a quoted field may hold
// one (RFC 4180 §2.6). So the workers look for a quote in every chunk they read, and a single quote
// anywhere after the header sends the whole file back to one thread. Without a quote, each line of a
// range is one row or one blank line, which is what makes the line numbers of a range's problem rows
// exact once offset by the lines of the ranges before it.
//
// The window bound (`maxWindows`): each worker applies it to its range. When the windows the workers
// opened number at most the bound (U of them), the merge is still exact, refused rows included: a
// worker refuses a row only once it has opened `maxWindows` windows, which are then all of U, so the
// whole file read in order has all of U open by that row too and refuses it alike; and it never opens
// a window outside U, since every row of one was refused so. More windows than the bound, and which
// ones are refused depends on the order of the whole file: it is read again on one thread.
import { Buffer } from 'node:buffer';
import { createReadStream, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { InputError, isSignetError, reviveSignetError, SignetError } from '../errors.js';
import {
  DEFAULT_MAX_WINDOWS,
  ingest,
  REPORTED_ROWS,
  type IngestReport,
  type IngestSettings,
} from '../monitor/ingest.js';
import type { IngestJob, WorkerError, WorkerMessage } from './ingest-worker.js';
import type { FeatureBins, WindowCounts } from '../monitor/types.js';

/** At most this many threads by default: past four, reading the file is what limits. */
export const DEFAULT_MAX_THREADS = 4;
/** Files with fewer bytes of data are read on one thread: starting a worker costs tens of ms. */
const MIN_PARALLEL_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
/** How far into the file the header is looked for; a longer prelude is read on one thread. */
const PRELUDE_SEARCH_BYTES = 1024 * 1024;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
// Paths that cannot be read are bad input; other read failures are not the caller's doing.
const UNREADABLE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EISDIR', 'ELOOP', 'ENAMETOOLONG']);

export interface IngestFileOptions extends IngestSettings {
  /**
   * The reference bins of a column (a feature, or the score), called once per column on the calling
   * thread; the workers get the FeatureBins it returns, as data.
   */
  readonly bins: (column: string) => FeatureBins;
  /** Threads to read a CSV file on; default the cores available, at most DEFAULT_MAX_THREADS. */
  readonly threads?: number;
}

export interface IngestFileReport extends IngestReport {
  /** Threads the file was read on: 1 when it was read in one piece. */
  readonly threads: number;
}

/** Knobs for tests and benchmarks. */
export interface IngestFileTuning {
  /** Below this many bytes of data, one thread (default 8 MiB). */
  readonly minParallelBytes?: number;
  /** The worker entry (default ingest-worker.js beside this module). */
  readonly workerUrl?: URL;
  /** Bytes read at a time (default 1 MiB). */
  readonly chunkBytes?: number;
}

/**
 * Ingests a traffic file as `ingest` does, with the same report, on several threads when it can: a CSV
 * file of more than a few MiB with a timestamp column, no quote after its header and no more windows
 * than `maxWindows`. Anything else is read on one thread: NDJSON, windows by arrival (the clock is
 * read as the file is), a file with a quote (found as it is read: the file is then read again from the
 * start) or with more windows than the bound (likewise), and any file when there is no compiled worker
 * entry (run from the TypeScript sources). Rejects with a SignetError: the one `ingest`
 * throws, InputError NOT_FOUND for a path that cannot be read, SignetError INTERNAL for a failed read
 * or worker.
 *
 * @example
 * const report = await ingestFile('traffic.csv', {
 *   format: 'csv',
 *   features: ['age', 'income'],
 *   bins: (column) => binsByName.get(column)!,
 *   window: 'hour',
 *   timestampColumn: 'scored_at',
 * });
 */
export async function ingestFile(
  path: string,
  options: IngestFileOptions,
  tuning: IngestFileTuning = {},
): Promise<IngestFileReport> {
  const threads = options.threads ?? Math.min(availableParallelism(), DEFAULT_MAX_THREADS);
  if (!Number.isSafeInteger(threads) || threads < 1) {
    throw new InputError('INVALID_ARGUMENT', `threads must be a whole number ≥ 1, got ${threads}`);
  }
  const chunkBytes = tuning.chunkBytes ?? CHUNK_BYTES;
  const workerUrl = tuning.workerUrl ?? new URL('./ingest-worker.js', import.meta.url);
  if (
    threads > 1 &&
    options.format === 'csv' &&
    options.timestampColumn !== undefined &&
    hasWorkerEntry(workerUrl)
  ) {
    const plan = await planRanges(path, threads, tuning.minParallelBytes ?? MIN_PARALLEL_BYTES);
    if (plan !== undefined) {
      const reports = await runWorkers(plan, options, workerUrl, chunkBytes);
      const merged =
        reports === undefined
          ? undefined
          : mergeReports(plan, reports, options.maxWindows ?? DEFAULT_MAX_WINDOWS);
      if (merged !== undefined) {
        options.onProgress?.(merged.totals.bytes, merged.totals.rows);
        return { ...merged, threads: plan.ranges.length };
      }
    }
  }
  try {
    // `threads` rides along unread.
    const report = await ingest({
      ...options,
      source: createReadStream(path, { highWaterMark: chunkBytes }),
    });
    return { ...report, threads: 1 };
  } catch (error) {
    throw readFailure(path, error);
  }
}

/** False when run from the TypeScript sources (tests, tsx): there is no compiled worker entry to start. */
function hasWorkerEntry(url: URL): boolean {
  return url.protocol !== 'file:' || existsSync(fileURLToPath(url));
}

interface Plan {
  readonly path: string;
  /** The bytes before the first data line: byte order mark, blank lines, the header and its LF. */
  readonly prelude: Buffer;
  /** Its line breaks: the header's and the blank lines'. */
  readonly preludeLines: number;
  /** [start, end) of each range, in file order, covering the file after the prelude. */
  readonly ranges: readonly (readonly [number, number])[];
}

/** Where to cut the file, or undefined to read it on one thread. */
async function planRanges(path: string, threads: number, minBytes: number): Promise<Plan | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw readFailure(path, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    const size = info.size;
    const head = await readAt(handle, 0, Math.min(size, PRELUDE_SEARCH_BYTES));
    const preludeEnd = preludeEndOf(head);
    if (preludeEnd < 0 || head.subarray(0, preludeEnd).includes(QUOTE)) return undefined;
    const dataBytes = size - preludeEnd;
    if (dataBytes === 0 || dataBytes < minBytes) return undefined;
    const starts = [preludeEnd];
    for (let k = 1; k < threads; k++) {
      const start = await lineStartFrom(handle, preludeEnd + Math.floor((dataBytes * k) / threads), size);
      if (start > starts[starts.length - 1]! && start < size) starts.push(start);
    }
    if (starts.length < 2) return undefined;
    const ranges = starts.map((start, k) => [start, starts[k + 1] ?? size] as const);
    const prelude = Buffer.from(head.subarray(0, preludeEnd));
    let preludeLines = 0;
    for (const byte of prelude) if (byte === LF) preludeLines++;
    return { path, prelude, preludeLines, ranges };
  } catch (error) {
    throw readFailure(path, error);
  } finally {
    await handle.close();
  }
}

/**
 * The end of the prelude: past the LF of the first line that is not blank (the CSV reader skips blank
 * lines, `\n` or `\r\n`, before the header as after it); -1 when no such line ends in `head`.
 */
function preludeEndOf(head: Buffer): number {
  let pos = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  for (;;) {
    const lf = head.indexOf(LF, pos);
    if (lf < 0) return -1;
    if (lf !== pos && !(lf === pos + 1 && head[pos] === CR)) return lf + 1;
    pos = lf + 1;
  }
}

/** The first offset at or after `offset` where a line starts (just past an LF), or `size`. */
async function lineStartFrom(handle: FileHandle, offset: number, size: number): Promise<number> {
  for (let at = offset - 1; at < size; at += CHUNK_BYTES) {
    const block = await readAt(handle, at, Math.min(CHUNK_BYTES, size - at));
    const lf = block.indexOf(LF);
    if (lf >= 0) return at + lf + 1;
  }
  return size;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * Runs one worker per range; their reports in range order, or undefined when one found a quote. The
 * first failure, or the first quote, terminates every worker.
 */
async function runWorkers(
  plan: Plan,
  options: IngestFileOptions,
  workerUrl: URL,
  chunkBytes: number,
): Promise<IngestReport[] | undefined> {
  const { features, score, format, window, timestampColumn, maxRecordBytes, maxWindows } = options;
  const settings: IngestJob['settings'] = {
    format,
    features,
    window,
    ...(score !== undefined ? { score } : {}),
    ...(timestampColumn !== undefined ? { timestampColumn } : {}),
    ...(maxRecordBytes !== undefined ? { maxRecordBytes } : {}),
    ...(maxWindows !== undefined ? { maxWindows } : {}),
  };
  const bins = [...features, ...(score === undefined ? [] : [score])].map((column) => options.bins(column));
  const onProgress = options.onProgress;
  const bytes = plan.ranges.map(() => 0);
  const rows = plan.ranges.map(() => 0);
  const preludeBytes = plan.prelude.length;
  const workers: Worker[] = [];
  const reports: (IngestReport | undefined)[] = plan.ranges.map(() => undefined);
  let pending = plan.ranges.length;
  return await new Promise<IngestReport[] | undefined>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { error: SignetError } | { reports: IngestReport[] | undefined }): void => {
      if (settled) return;
      settled = true;
      void Promise.allSettled(workers.map((worker) => worker.terminate())).then(() => {
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.reports);
      });
    };
    plan.ranges.forEach(([start, end], k) => {
      if (settled) return;
      const job: IngestJob = {
        path: plan.path,
        start,
        end,
        prelude: plan.prelude,
        settings,
        bins,
        chunkBytes,
        progress: onProgress !== undefined,
      };
      let worker: Worker;
      try {
        worker = new Worker(workerUrl, { workerData: job });
      } catch (error) {
        // The job could not be cloned (bins that are not plain data), or no thread could be started.
        finish({ error: readFailure(plan.path, error) });
        return;
      }
      workers.push(worker);
      worker.on('message', (message: WorkerMessage) => {
        if (settled) return;
        if (message.kind === 'progress') {
          bytes[k] = message.bytes - preludeBytes;
          rows[k] = message.rows;
          onProgress?.(preludeBytes + sum(bytes), sum(rows));
        } else if (message.kind === 'done') {
          reports[k] = message.report;
          if (--pending === 0) finish({ reports: reports as IngestReport[] });
        } else if (message.kind === 'quote') {
          finish({ reports: undefined });
        } else {
          finish({ error: reviveError(plan.path, message.error) });
        }
      });
      worker.on('error', (error) => {
        finish({
          error: new SignetError('INTERNAL', `an ingest worker failed: ${error.message}`, { cause: error }),
        });
      });
      worker.on('exit', (code) => {
        if (reports[k] === undefined) {
          finish({
            error: new SignetError(
              'INTERNAL',
              `an ingest worker stopped (exit code ${code}) without a report`,
            ),
          });
        }
      });
    });
  });
}

/**
 * The report of the whole file from those of its ranges, or undefined when they opened more windows
 * than the bound (see the top of this file).
 */
function mergeReports(
  plan: Plan,
  reports: readonly IngestReport[],
  maxWindows: number,
): IngestReport | undefined {
  const first = reports[0]!;
  // Every worker read the prelude: its bytes and blank lines are in every report.
  const repeats = reports.length - 1;
  const preludeBlankLines = plan.preludeLines - 1;
  const sums = new Map<string, number[]>();
  const windows = new Map<string, number>();
  for (const report of reports) {
    for (const item of report.counts) {
      windows.set(item.window, Date.parse(item.window));
      const key = `${item.window}\u0000${item.feature}`;
      const counts = sums.get(key);
      if (counts === undefined) sums.set(key, [...item.counts]);
      else item.counts.forEach((count, i) => (counts[i]! += count));
    }
  }
  if (windows.size > maxWindows) return undefined;
  const counts: WindowCounts[] = [];
  for (const [window] of [...windows].sort((a, b) => a[1] - b[1])) {
    for (const { name } of first.columns) {
      counts.push({ feature: name, window, counts: sums.get(`${window}\u0000${name}`)! });
    }
  }
  const malformed: IngestReport['totals']['malformed']['first'][number][] = [];
  const untimed: IngestReport['totals']['untimed']['first'][number][] = [];
  let linesBefore = 0;
  for (const { totals } of reports) {
    for (const problem of totals.malformed.first)
      malformed.push({ ...problem, line: problem.line + linesBefore });
    for (const problem of totals.untimed.first)
      untimed.push({ ...problem, line: problem.line + linesBefore });
    linesBefore += totals.rows + totals.blankLines - preludeBlankLines;
  }
  const total = (pick: (totals: IngestReport['totals']) => number): number =>
    sum(reports.map((report) => pick(report.totals)));
  return {
    format: first.format,
    window: first.window,
    time: first.time,
    counts,
    columns: first.columns.map((column, i) => ({
      ...column,
      missing: sum(reports.map((report) => report.columns[i]!.missing)),
      unparsable: sum(reports.map((report) => report.columns[i]!.unparsable)),
    })),
    totals: {
      bytes: total((t) => t.bytes) - repeats * plan.prelude.length,
      rows: total((t) => t.rows),
      counted: total((t) => t.counted),
      blankLines: total((t) => t.blankLines) - repeats * preludeBlankLines,
      malformed: { count: total((t) => t.malformed.count), first: malformed.slice(0, REPORTED_ROWS) },
      untimed: { count: total((t) => t.untimed.count), first: untimed.slice(0, REPORTED_ROWS) },
    },
  };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** The error a worker sent, as the SignetError it was (or a read failure). */
function reviveError(path: string, error: WorkerError): SignetError {
  const revived = reviveSignetError(error);
  if (revived !== undefined) return revived;
  return readFailure(path, Object.assign(new Error(error.message), { code: error.code }));
}

/** A failure while ingesting `path` as a SignetError; a SignetError as it is. */
function readFailure(path: string, error: unknown): SignetError {
  if (isSignetError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && UNREADABLE.has(code)) {
    return new InputError('NOT_FOUND', `cannot read ${path}: ${message}`, {
      cause: error,
      details: { path },
    });
  }
  // A system error (EIO, ENOMEM…) carries its code; anything else is a bug.
  const what = typeof code === 'string' ? 'reading' : 'ingesting';
  return new SignetError('INTERNAL', `${what} ${path} failed: ${message}`, {
    cause: error,
    details: { path },
  });
}
