// A pool of worker threads that hash regular files: the throughput half of `signet hash`.
//
// The worker is a small self-contained CommonJS script run with `new Worker(source, { eval: true })`
// rather than a module file resolved next to this one: the tests run this TypeScript source through
// vitest (there is no .js beside the .ts, and a worker does not inherit vitest's transform), while the
// CLI runs the compiled dist/. A string needs no path resolution, no loader hooks and no build step, and
// is the same bytes in both. It is kept small and plain so that reading it is reviewing it;
// hash-artefact.test.ts drives it through both read modes and every refusal.
//
// Memory is constant whatever the file size: each worker reads into buffers allocated once and hashes
// each chunk in place (no copy). The read strategy was measured on the 2-core SHA-NI machine of
// docs/BENCHMARKS.md, page cache warm, where `openssl dgst -sha256` does about 1,090 MiB/s and SHA-256
// alone about 1,480 MiB/s:
// - one large file, cores to spare: SHA-256 is sequential, so the only parallelism left is reading the
//   next chunk (on a libuv thread) while hashing this one. Two 2 MiB buffers: ~1,420 MiB/s; synchronous
//   reads of 256 KiB or 1 MiB: ~1,260 MiB/s.
// - every core busy (many files): synchronous 256 KiB reads are the cheapest per byte (the chunk stays in
//   cache between the kernel's copy and the hash): ~1,950 MiB/s on 2 workers; read-ahead did ~1,550-1,740.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import { InputError, SignetError, type ErrorCode } from '../errors.js';
import { toDigest, type Digest } from '../signing/digest.js';

/** One regular file to hash, as the walk saw it: the worker refuses it if it changed since. */
export interface FileJob {
  /** Absolute path to open. */
  readonly path: string;
  /** The path to name in errors (as the user would recognise it). */
  readonly displayPath: string;
  readonly size: number;
  readonly dev: bigint;
  readonly ino: bigint;
  /** Open with O_NOFOLLOW: the walk saw a regular file, not a symbolic link, at this path. */
  readonly noFollow: boolean;
}

export interface HashFilesOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  readonly concurrency?: number;
  /** Called with the number of bytes hashed since the last call (in steps of a few MiB). */
  readonly onBytes?: (bytes: number) => void;
  /** How workers read; by default `pipelined` when there are fewer workers than cores. For tests. */
  readonly readMode?: 'sync' | 'pipelined';
}

const SYNC_CHUNK_BYTES = 256 * 1024;
const PIPELINED_CHUNK_BYTES = 2 * 1024 * 1024;
/** Smaller files are read synchronously even in pipelined mode (measured: 20,000 files of 1 KiB took 4.7 s
 * with two reads in flight each, 0.4 s without). */
const PIPELINED_MINIMUM_BYTES = 8 * 1024 * 1024;
/** Each worker is told about progress every this many bytes; small enough for a 10 Hz bar. */
const PROGRESS_STEP_BYTES = 8 * 1024 * 1024;
// Small files go to a worker in batches (one message for up to 64 files or 4 MiB): a message costs tens of
// microseconds of the main thread, more than hashing a small file. Two batches are queued per worker so
// that a worker never waits for the main thread between two of them.
const BATCH_MAX_FILES = 64;
const BATCH_MAX_BYTES = 4 * 1024 * 1024;
const BATCHES_IN_FLIGHT = 2;

interface WorkerJob {
  readonly id: number;
  readonly path: string;
  readonly size: number;
  readonly dev: string;
  readonly ino: string;
  readonly noFollow: boolean;
}

interface WorkerBatch {
  readonly pipelined: boolean;
  readonly jobs: readonly WorkerJob[];
}

type WorkerMessage =
  | { readonly type: 'progress'; readonly bytes: number }
  | {
      readonly type: 'done';
      readonly ids: readonly number[];
      /** 32 bytes per id, in order. */
      readonly hashes: Uint8Array;
      readonly bytes: number;
    }
  | {
      readonly type: 'error';
      readonly id: number;
      readonly reason: 'open' | 'read' | 'not-regular' | 'changed';
      readonly errno: string | undefined;
      readonly message: string;
    };

// Plain ES2022 CommonJS; no template interpolation inside. Messages: see WorkerMessage.
const WORKER_SOURCE = String.raw`'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');

const { syncChunk, pipelinedChunk, pipelinedMinimum, progressStep } = workerData;

// Read buffers start on a page boundary. The kernel copies a file's page-cache pages (page-aligned) into
// them with "rep movsb", which on some CPUs (measured on AMD EPYC with FSRM) runs about 4 times slower
// when the destination is 1 to 31 bytes past the source modulo 4 KiB. A plain Buffer of this size is
// mmapped by glibc malloc and starts 16 bytes past a page boundary: exactly that case (reads took ~600 ms
// per GiB instead of ~160 ms, until freeing such a buffer raised malloc's mmap threshold and later ones
// landed elsewhere). WebAssembly memory is page-allocated by V8, so page-aligned everywhere. If it cannot
// be had (address-space limits), a plain Buffer is only slower, never wrong.
function alignedBuffers(size, count) {
  try {
    const stride = Math.ceil(size / 4096) * 4096;
    const pages = Math.ceil((stride * count) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    return Array.from({ length: count }, (_, i) => Buffer.from(memory.buffer, i * stride, size));
  } catch {
    return Array.from({ length: count }, () => Buffer.allocUnsafeSlow(size));
  }
}

const [syncBuffer] = alignedBuffers(syncChunk, 1);
let pipelinedBuffers;
// O_NONBLOCK: opening a FIFO swapped in since the walk must not block; no effect on regular files.
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

class JobError extends Error {
  constructor(reason, message, errno) {
    super(message);
    this.reason = reason;
    this.errno = errno;
  }
}

let unreported = 0;
function counted(n) {
  unreported += n;
  if (unreported >= progressStep) {
    parentPort.postMessage({ type: 'progress', bytes: unreported });
    unreported = 0;
  }
}

function readAt(fd, buffer, position) {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, 0, buffer.length, position, (error, n) => (error ? reject(error) : resolve(n)));
  });
}

function tooLong(job) {
  return new JobError('changed', 'grew while it was being hashed (expected ' + job.size + ' bytes)');
}

function hashSync(fd, job, hash) {
  let total = 0;
  for (;;) {
    const n = fs.readSync(fd, syncBuffer, 0, syncBuffer.length, null);
    if (n === 0) return total;
    total += n;
    if (total > job.size) throw tooLong(job);
    hash.update(n === syncBuffer.length ? syncBuffer : syncBuffer.subarray(0, n));
    counted(n);
  }
}

async function hashPipelined(fd, job, hash) {
  if (pipelinedBuffers === undefined) {
    pipelinedBuffers = alignedBuffers(pipelinedChunk, 2);
  }
  let total = 0;
  let current = 0;
  let pending = readAt(fd, pipelinedBuffers[0], 0);
  for (;;) {
    const n = await pending;
    if (n === 0) return total;
    const buffer = pipelinedBuffers[current];
    total += n;
    if (total > job.size) throw tooLong(job);
    current ^= 1;
    pending = readAt(fd, pipelinedBuffers[current], total);
    hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
    counted(n);
  }
}

function sameFile(a, b) {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

function openChecked(job) {
  let fd;
  try {
    fd = fs.openSync(job.path, OPEN_FLAGS | (job.noFollow ? fs.constants.O_NOFOLLOW : 0));
  } catch (error) {
    throw new JobError('open', error.message, error.code);
  }
  try {
    const before = fs.fstatSync(fd, { bigint: true });
    if (!before.isFile()) throw new JobError('not-regular', 'is no longer a regular file');
    if (String(before.dev) !== job.dev || String(before.ino) !== job.ino) {
      throw new JobError('changed', 'was replaced by another file while it was being hashed');
    }
    if (before.size !== BigInt(job.size)) {
      throw new JobError('changed', 'changed size (' + job.size + ' bytes when listed, ' + before.size + ' when opened)');
    }
    return { fd, before };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

function readError(error) {
  return error instanceof JobError ? error : new JobError('read', error.message, error.code);
}

function finish(fd, job, before, total, hash) {
  if (total !== job.size) {
    throw new JobError('changed', 'shrank while it was being hashed (' + total + ' of ' + job.size + ' bytes)');
  }
  if (!sameFile(before, fs.fstatSync(fd, { bigint: true }))) {
    throw new JobError('changed', 'was modified while it was being hashed');
  }
  return hash.digest();
}

// Synchronous on purpose: an async function per file cost 5 microseconds more, a quarter of a small file.
function hashJobSync(job) {
  const { fd, before } = openChecked(job);
  try {
    const hash = createHash('sha256');
    let total;
    try {
      total = hashSync(fd, job, hash);
    } catch (error) {
      throw readError(error);
    }
    return finish(fd, job, before, total, hash);
  } finally {
    fs.closeSync(fd);
  }
}

async function hashJobPipelined(job) {
  const { fd, before } = openChecked(job);
  try {
    const hash = createHash('sha256');
    let total;
    try {
      total = await hashPipelined(fd, job, hash);
    } catch (error) {
      throw readError(error);
    }
    return finish(fd, job, before, total, hash);
  } finally {
    fs.closeSync(fd);
  }
}

async function hashBatch(batch) {
  const hashes = new Uint8Array(32 * batch.jobs.length);
  for (let i = 0; i < batch.jobs.length; i++) {
    const job = batch.jobs[i];
    try {
      // Two reads in flight only pay off on large files: each costs a round trip through libuv.
      const pipelined = batch.pipelined && job.size >= pipelinedMinimum;
      hashes.set(pipelined ? await hashJobPipelined(job) : hashJobSync(job), 32 * i);
    } catch (error) {
      unreported = 0;
      return {
        type: 'error',
        id: job.id,
        reason: error instanceof JobError ? error.reason : 'read',
        errno: error instanceof JobError ? error.errno : error && error.code,
        message: String(error && error.message),
      };
    }
  }
  const bytes = unreported;
  unreported = 0;
  return { type: 'done', ids: batch.jobs.map((job) => job.id), hashes, bytes };
}

// Batches run one at a time, in arrival order, even when a pipelined read awaits.
let queue = Promise.resolve();
parentPort.on('message', (batch) => {
  queue = queue.then(() => hashBatch(batch)).then((reply) => parentPort.postMessage(reply));
});
`;

/**
 * Hashes regular files in parallel; returns their SHA-256 digests in the order of `jobs`. Rejects with the
 * first failure (a coded error naming the file) and stops every worker.
 */
export async function hashFiles(jobs: readonly FileJob[], options: HashFilesOptions = {}): Promise<Digest[]> {
  const cores = availableParallelism();
  const concurrency = options.concurrency ?? cores;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new InputError('INVALID_ARGUMENT', `concurrency must be a positive integer, got ${concurrency}`);
  }
  if (jobs.length === 0) return [];
  const workerCount = Math.min(concurrency, jobs.length);
  // With spare cores (fewer files than cores), overlap each file's reads with its hashing.
  const pipelined = options.readMode === undefined ? workerCount < cores : options.readMode === 'pipelined';
  // Largest first: the last file to start is then a small one, so workers finish together.
  const order = jobs.map((_, i) => i).sort((a, b) => (jobs[b]?.size ?? 0) - (jobs[a]?.size ?? 0));
  const results: (Digest | undefined)[] = new Array<Digest | undefined>(jobs.length);
  const workers: Worker[] = [];
  let next = 0;
  let remaining = jobs.length;

  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (error: unknown): void => {
        if (!failed) reject(error);
        failed = true;
      };
      const dispatch = (worker: Worker): void => {
        const batch: WorkerJob[] = [];
        let bytes = 0;
        while (next < order.length && batch.length < BATCH_MAX_FILES) {
          const index = order[next] as number;
          const job = jobs[index] as FileJob;
          if (batch.length > 0 && bytes + job.size > BATCH_MAX_BYTES) break;
          next++;
          bytes += job.size;
          batch.push({
            id: index,
            path: job.path,
            size: job.size,
            dev: String(job.dev),
            ino: String(job.ino),
            noFollow: job.noFollow,
          });
        }
        if (batch.length > 0) worker.postMessage({ pipelined, jobs: batch } satisfies WorkerBatch);
      };
      for (let w = 0; w < workerCount; w++) {
        const worker = new Worker(WORKER_SOURCE, {
          eval: true,
          // The source is CommonJS: a parent started with --input-type=module must not pass that on.
          execArgv: process.execArgv.filter((arg) => !arg.startsWith('--input-type')),
          workerData: {
            syncChunk: SYNC_CHUNK_BYTES,
            pipelinedChunk: PIPELINED_CHUNK_BYTES,
            pipelinedMinimum: PIPELINED_MINIMUM_BYTES,
            progressStep: PROGRESS_STEP_BYTES,
          },
        });
        workers.push(worker);
        worker.on('message', (message: WorkerMessage) => {
          if (failed) return;
          if (message.type === 'progress') {
            options.onBytes?.(message.bytes);
            return;
          }
          if (message.type === 'error') {
            fail(jobError(jobs[message.id] as FileJob, message));
            return;
          }
          if (message.bytes > 0) options.onBytes?.(message.bytes);
          message.ids.forEach((id, i) => {
            results[id] = toDigest(message.hashes.subarray(32 * i, 32 * i + 32));
          });
          remaining -= message.ids.length;
          if (remaining === 0) resolve();
          else dispatch(worker);
        });
        worker.on('error', (error) =>
          fail(new SignetError('INTERNAL', `hash worker failed: ${error.message}`, { cause: error })),
        );
        worker.on('exit', (code) => {
          if (remaining > 0) fail(new SignetError('INTERNAL', `hash worker exited early with code ${code}`));
        });
        for (let k = 0; k < BATCHES_IN_FLIGHT; k++) dispatch(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results as Digest[];
}

function jobError(job: FileJob, message: Extract<WorkerMessage, { type: 'error' }>): SignetError {
  const details = { path: job.displayPath, reason: message.reason, errno: message.errno };
  const shown = JSON.stringify(job.displayPath);
  switch (message.reason) {
    case 'changed':
      return new InputError(
        'INVALID_ARGUMENT',
        `${shown} ${message.message}; hash it again once it is stable`,
        { details },
      );
    case 'not-regular':
      return new InputError('UNSUPPORTED_FILE_TYPE', `${shown} ${message.message}`, { details });
    case 'open':
    case 'read': {
      const code: ErrorCode =
        message.errno === 'ENOENT' || message.errno === 'ENOTDIR'
          ? 'NOT_FOUND'
          : message.errno === 'ELOOP'
            ? 'UNSUPPORTED_FILE_TYPE'
            : 'INVALID_ARGUMENT';
      const what =
        message.errno === 'ENOENT'
          ? 'disappeared before it was hashed'
          : message.errno === 'ELOOP'
            ? 'became a symbolic link before it was hashed'
            : `cannot be read: ${message.message}`;
      return new InputError(code, `${shown} ${what}`, { details });
    }
  }
}
