// A worker_threads entry (see parallel.ts): ingests one byte range of a CSV file, read after the file's
// prelude (its byte order mark, blank lines and header) so that it knows the columns, and posts its
// IngestReport. It looks for a quote in every chunk first: a quoted field may hold a line break, which
// makes the split at line breaks unsafe, so on the first quote it says so and stops.
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

import { transferError, type TransferredError } from '../errors.js';
import { ingest, type IngestReport, type IngestSettings } from '../monitor/ingest.js';
import type { FeatureBins } from '../monitor/types.js';

const QUOTE = 0x22;

/** What a worker is given (structured-cloned: data only). */
export interface IngestJob {
  readonly path: string;
  /** The range [start, end) of the file, starting just after a line break. */
  readonly start: number;
  readonly end: number;
  /** The file's bytes before its first data line: read first, for the header. */
  readonly prelude: Uint8Array;
  readonly settings: Omit<IngestSettings, 'arrival' | 'onProgress'>;
  /** The bins of the features, then of the score, in that order. */
  readonly bins: readonly FeatureBins[];
  readonly chunkBytes: number;
  readonly progress: boolean;
}

/** An error as it crosses back (errors.ts). */
export type WorkerError = TransferredError;

export type WorkerMessage =
  | { readonly kind: 'progress'; readonly bytes: number; readonly rows: number }
  | { readonly kind: 'quote' }
  | { readonly kind: 'done'; readonly report: IngestReport }
  | { readonly kind: 'error'; readonly error: WorkerError };

const port = parentPort;
if (port !== null) {
  const job = workerData as IngestJob;
  const post = (message: WorkerMessage): void => port.postMessage(message);
  run(job, post).then(
    (report) => post(report === undefined ? { kind: 'quote' } : { kind: 'done', report }),
    (error: unknown) => post({ kind: 'error', error: transferError(error) }),
  );
}

/** The range's report, or undefined when it holds a quote. */
async function run(
  job: IngestJob,
  post: (message: WorkerMessage) => void,
): Promise<IngestReport | undefined> {
  const byColumn = new Map<string, FeatureBins>();
  const names = [...job.settings.features, ...(job.settings.score === undefined ? [] : [job.settings.score])];
  names.forEach((name, i) => byColumn.set(name, job.bins[i]!));
  let quoted = false;
  async function* source(): AsyncGenerator<Uint8Array> {
    yield job.prelude;
    const stream = createReadStream(job.path, {
      start: job.start,
      end: job.end - 1,
      highWaterMark: job.chunkBytes,
    });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (chunk.indexOf(QUOTE) !== -1) {
          quoted = true;
          return;
        }
        yield chunk;
      }
    } finally {
      stream.destroy();
    }
  }
  const report = await ingest({
    ...job.settings,
    source: source(),
    bins: (column) => byColumn.get(column)!,
    ...(job.progress ? { onProgress: (bytes, rows) => post({ kind: 'progress', bytes, rows }) } : {}),
  });
  return quoted ? undefined : report;
}
