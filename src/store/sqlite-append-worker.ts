// A worker_threads entry (see sqlite-ledger.ts, `appendWorker`): owns a connection of its own to the
// ledger database and appends the batches the ledger posts, in order, with the same code as the
// in-thread path (sqlite-append.ts); batches that queue up while one commits are merged into the next.
// Signing each entry and the checkpoint, and SQLite's COMMIT with its fsync, then run beside the thread
// that answers requests instead of stopping it.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

import { transferError, type TransferredError } from '../errors.js';
import type { SealedEntry } from '../ledger/entry.js';
import { createSigner } from '../signing/keys.js';
import { takeMerged } from './group-commit.js';
import { SqliteAppender } from './sqlite-append.js';
import type { AppendItem } from './seal-batch.js';

/** What the worker is given (structured-cloned: data only). */
export interface AppendWorkerData {
  readonly file: string;
  readonly origin: string;
  /** PKCS#8 PEM of the log key: the worker signs. */
  readonly privateKeyPem: string;
  /** The key id the ledger's signer has: the worker refuses to start with another key. */
  readonly keyId: string;
  readonly busyTimeoutMs: number;
  /** At most this many appends in one transaction, however many batches queued up (the ledger's cap). */
  readonly maxBatch: number;
}

/** Ledger → worker: a batch to append, or the end (the worker closes its connection and exits). */
export type AppendRequest =
  | { readonly kind: 'append'; readonly seq: number; readonly items: readonly AppendItem[] }
  | { readonly kind: 'close' };

/** One append's outcome as it crosses back. */
export type TransferredOutcome =
  | { readonly ok: true; readonly value: SealedEntry }
  | { readonly ok: false; readonly error: TransferredError };

/** Worker → ledger. */
export type AppendReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly error: TransferredError }
  | { readonly kind: 'done'; readonly seq: number; readonly outcomes: readonly TransferredOutcome[] }
  | { readonly kind: 'error'; readonly seq: number; readonly error: TransferredError };

const port = parentPort;
if (port !== null) {
  const data = workerData as AppendWorkerData;
  const post = (reply: AppendReply): void => port.postMessage(reply);
  let appender: SqliteAppender;
  let db: Database.Database;
  try {
    const signer = createSigner(data.privateKeyPem);
    if (signer.keyId !== data.keyId) {
      throw new Error(`the append worker was given key ${signer.keyId}, not the ledger's ${data.keyId}`);
    }
    db = new Database(data.file, { fileMustExist: true });
    // Per connection: as durable as the ledger's own (WAL is a property of the file, already set).
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
    appender = new SqliteAppender(db, { origin: data.origin, signer }, Date.now);
    post({ kind: 'ready' });
  } catch (error) {
    post({ kind: 'failed', error: transferError(error) });
    process.exit(1);
  }
  // The ledger posts each turn's appends without waiting for the batch before (a pipelined group
  // commit). What queued up here while a batch was committing is merged into the next one: one
  // transaction, one checkpoint and one fsync for all of it, and no wait for the other thread between
  // two batches. Batches commit in the order they were posted.
  const queue: { readonly seq: number; readonly items: readonly AppendItem[] }[] = [];
  let draining = false;
  let closing = false;
  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const taken = takeMerged(queue, data.maxBatch);
      try {
        const outcomes = await appender.appendBatch(taken.flatMap((batch) => batch.items));
        let at = 0;
        for (const batch of taken) {
          const own = outcomes.slice(at, at + batch.items.length);
          at += batch.items.length;
          post({
            kind: 'done',
            seq: batch.seq,
            outcomes: own.map((o) => (o.ok ? o : { ok: false, error: transferError(o.error) })),
          });
        }
      } catch (error) {
        const transferred = transferError(error);
        for (const batch of taken) post({ kind: 'error', seq: batch.seq, error: transferred });
      }
      // Let the messages that arrived during the commit in before the next batch is taken.
      if (queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
    }
    draining = false;
    if (closing) {
      db.close();
      process.exit(0);
    }
  };
  port.on('message', (request: AppendRequest) => {
    if (request.kind === 'close') closing = true;
    else queue.push(request);
    if (!draining) {
      draining = true;
      setImmediate(() => void drain());
    }
  });
}
