// Group commit for the ledger adapters: appends that arrive while a commit is in flight wait in a queue,
// and the next commit takes all of them (up to `maxBatch`) in one transaction — one durable flush and one
// signed checkpoint for the batch instead of one each, as transparency logs do (Trillian's sequencer,
// sigsum's batches). Nothing waits for a timer: when nothing is in flight the queue flushes after one turn
// of the event loop, so that appends made meanwhile (a `Promise.all`, requests already received) share it.
//
// Each submitted item settles on its own: `commit` returns one outcome per item, so one bad draft fails
// alone; when `commit` throws (the transaction failed), every item of that batch rejects with that error.
// A promise resolves only after `commit` has resolved, that is after the batch is durably committed.
//
// Pipelined (`pipeline: true`), for a commit that runs elsewhere and keeps its own queue (the SQLite
// append worker): each turn's appends are handed over at once, without waiting for the batch before to
// commit. The other side then never idles while this thread is busy, and merges what queued up while it
// was committing (sqlite-append-worker.ts). Batches must be committed in the order they were handed over.
//
// Open-ahead (`createOpenAheadCommit`), for a database that serialises writers with a lock (PostgreSQL):
// the next transaction takes the lock while the one before commits, and chooses its batch only once it
// holds it.
import { StoreError } from '../errors.js';

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** At most this many appends share one transaction and one checkpoint, by default. */
export const DEFAULT_MAX_BATCH = 256;

/** One item's outcome inside a committed batch. */
export type Outcome<R> =
  { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

export interface GroupCommit<T, R> {
  /** Queues `item` for the next batch; settles with its own outcome once that batch has committed. */
  submit(item: T): Promise<R>;
  /** Resolves once nothing is queued or in flight. */
  drained(): Promise<void>;
}

export interface GroupCommitOptions {
  /** Hand each batch to `commit` without waiting for the one before it to settle. */
  readonly pipeline?: boolean;
}

interface Pending<T, R> {
  readonly item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/** Commits `batch` and settles each of its items with its own outcome; never rejects. */
async function settleBatch<T, R>(
  batch: readonly Pending<T, R>[],
  commit: (items: readonly T[]) => Promise<readonly Outcome<R>[]>,
): Promise<void> {
  let outcomes: readonly Outcome<R>[];
  try {
    outcomes = await commit(batch.map((p) => p.item));
  } catch (error) {
    for (const p of batch) p.reject(error);
    return;
  }
  batch.forEach((p, i) => {
    const outcome = outcomes[i];
    if (outcome === undefined) {
      p.reject(new StoreError('STORE_FAILURE', 'the batch commit gave no outcome for an append'));
    } else if (outcome.ok) {
      p.resolve(outcome.value);
    } else {
      p.reject(outcome.error);
    }
  });
}

/**
 * A queue that hands `commit` everything submitted since the last batch started, one batch at a time.
 *
 * @example
 * ```ts
 * const group = createGroupCommit((drafts) => appendAllInOneTransaction(drafts), 256);
 * const [a, b] = await Promise.all([group.submit(d1), group.submit(d2)]); // one transaction
 * ```
 */
export function createGroupCommit<T, R>(
  commit: (items: readonly T[]) => Promise<readonly Outcome<R>[]>,
  maxBatch = DEFAULT_MAX_BATCH,
  options: GroupCommitOptions = {},
): GroupCommit<T, R> {
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) {
    throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  }
  const pipeline = options.pipeline === true;
  const queue: Pending<T, R>[] = [];
  let running: Promise<void> | undefined;
  /** Pipelined batches handed to `commit` and not yet settled. */
  const inFlight = new Set<Promise<void>>();

  async function run(): Promise<void> {
    try {
      // One turn of the event loop before each batch (setImmediate runs after the I/O callbacks): the
      // requests whose bytes have already arrived submit their appends and join this batch. A commit
      // that never leaves the thread (SQLite's is synchronous) would otherwise take one append at a
      // time under load, one fsync each.
      await nextTurn();
      let first = true;
      while (queue.length > 0) {
        if (!first) await nextTurn();
        first = false;
        const batch = queue.splice(0, maxBatch);
        if (!pipeline) {
          await settleBatch(batch, commit);
          continue;
        }
        const settled = settleBatch(batch, commit).finally(() => inFlight.delete(settled));
        inFlight.add(settled);
      }
    } finally {
      // Synchronously after the last `queue.length` check: a later submit starts a new run.
      running = undefined;
    }
  }

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        running ??= run();
      });
    },
    async drained() {
      while (running !== undefined || inFlight.size > 0) {
        await Promise.all([running, ...inFlight]);
      }
    },
  };
}

/**
 * For the side that commits a pipelined group commit's batches: removes from the front of `queue` the
 * batches its next transaction takes, in order: the first, and each one after it while the items stay
 * within `max` in all.
 */
export function takeMerged<B extends { readonly items: readonly unknown[] }>(queue: B[], max: number): B[] {
  let count = 0;
  let n = 0;
  while (n < queue.length && (n === 0 || count + queue[n]!.items.length <= max)) {
    count += queue[n]!.items.length;
    n += 1;
  }
  return queue.splice(0, n);
}

/** The two halves of a transaction that `createOpenAheadCommit` runs, for a session type `S`. */
export interface OpenAheadSteps<S, T, R> {
  /**
   * Begins a transaction and does what must come before its batch is known (take the write lock, read
   * the tail). Called only while items are queued, and never while another `open` is pending.
   */
  open(): Promise<S>;
  /**
   * Appends `items` in the opened transaction and ends it (COMMIT; ROLLBACK when it throws), one outcome
   * per item. Given no items only when `open` left nothing to take; it must still end the transaction.
   */
  commit(session: S, items: readonly T[]): Promise<readonly Outcome<R>[]>;
}

/**
 * Group commit for a database that serialises writers with a lock: the next transaction is opened (and
 * waits for the lock in the database) while the one before is still committing, and takes its batch
 * only once it holds the lock — everything queued by then, up to `maxBatch`. The lock then passes from
 * one transaction to the next inside the database, without a round trip through this process, and each
 * batch is as large as the wait for the lock made it. At most one transaction is opening and any number
 * (in practice one) committing; batches take the lock, and so commit, in the order they were opened.
 *
 * When `open` fails (the database is down, the lock timed out), the items queued at that moment (up to
 * `maxBatch`) reject with its error: they were waiting for that transaction.
 *
 * @example
 * ```ts
 * const group = createOpenAheadCommit({ open: beginAndLock, commit: appendAndCommit }, 256);
 * await group.submit(draft); // committed when this resolves
 * ```
 */
export function createOpenAheadCommit<S, T, R>(
  steps: OpenAheadSteps<S, T, R>,
  maxBatch = DEFAULT_MAX_BATCH,
): GroupCommit<T, R> {
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) {
    throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  }
  const queue: Pending<T, R>[] = [];
  let opening: Promise<void> | undefined;
  const committing = new Set<Promise<void>>();

  async function openNext(): Promise<void> {
    let session: S;
    try {
      session = await steps.open();
    } catch (error) {
      const failed = queue.splice(0, maxBatch);
      opening = queue.length > 0 ? openNext() : undefined;
      for (const p of failed) p.reject(error);
      return;
    }
    // Synchronously with taking the batch: a submit from here on opens the next transaction, which
    // waits for this one's lock in the database.
    const batch = queue.splice(0, maxBatch);
    opening = queue.length > 0 ? openNext() : undefined;
    const done = settleBatch(batch, (items) => steps.commit(session, items)).finally(() =>
      committing.delete(done),
    );
    committing.add(done);
  }

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        opening ??= openNext();
      });
    },
    async drained() {
      while (opening !== undefined || committing.size > 0) {
        await Promise.all([opening, ...committing]);
      }
    },
  };
}
