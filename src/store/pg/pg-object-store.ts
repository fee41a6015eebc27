// The PostgreSQL ObjectStore: objects up to `maxObjectBytes` in the `objects` table (bytea), write-once.
//
// A put hashes the whole body first and inserts one row after (`INSERT … ON CONFLICT DO NOTHING`), so a
// put that fails or is killed part-way leaves nothing readable, and concurrent puts of the same bytes from
// several servers all succeed with one row. The table's CHECK constraints make the database itself refuse
// a row whose digest is not the SHA-256 of its bytes, and a trigger refuses UPDATE, DELETE and TRUNCATE
// (migrations.ts). Reads re-hash anyway (DESIGN invariant 2): a superuser can still disable both.
//
// Larger objects are given to `large` (an S3-compatible store, say) when one is configured, and refused
// with PAYLOAD_TOO_LARGE naming the limit when not. Reads look in the table first, then in `large`.
import { createHash } from 'node:crypto';

import { InputError, VerificationError } from '../../errors.js';
import { assertDigest, digestOfBytes, equalDigests, toDigest, type Digest } from '../../signing/digest.js';
import type { ObjectStore, PutResult } from '../object-store.js';
import { pgStoreError, toBytes, type PgPool, type PgQueryable } from './sql.js';

/** 16 MiB: review documents, reports, explanations and manifests fit; model weights go to `large`. */
export const DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024;
/** A bytea value is at most 1 GB; a row is read whole into memory, so the limit stays well below. */
export const MAX_OBJECT_BYTES_LIMIT = 256 * 1024 * 1024;

const STREAM_CHUNK_BYTES = 1 << 20;
const LIST_PAGE = 1000;
const BRAND = Symbol('signet.pg-object-store');

export interface PgObjectStoreOptions {
  readonly pool: PgPool;
  /** The largest object kept in the database; DEFAULT_MAX_OBJECT_BYTES when absent. */
  readonly maxObjectBytes?: number;
  /** Where larger objects go; without it they are refused with PAYLOAD_TOO_LARGE. */
  readonly large?: ObjectStore;
}

export interface PgObjectStore extends ObjectStore {
  readonly [BRAND]: true;
  readonly maxObjectBytes: number;
  /**
   * Puts bytes inside the caller's transaction on `client` (the ledger stores each envelope in the same
   * transaction as its entry, so both commit or neither does). Bytes over the limit go through `put`.
   */
  putInTransaction(client: PgQueryable, bytes: Uint8Array): Promise<PutResult>;
}

export function isPgObjectStore(store: ObjectStore): store is PgObjectStore {
  return (store as Partial<PgObjectStore>)[BRAND] === true;
}

/**
 * An ObjectStore in PostgreSQL; the schema must be migrated (migrations.ts).
 *
 * @example
 * ```ts
 * const objects = createPgObjectStore({ pool, maxObjectBytes: 8 << 20, large: s3Objects });
 * const { digest } = await objects.put(bytes);
 * ```
 */
export function createPgObjectStore(options: PgObjectStoreOptions): PgObjectStore {
  const max = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  if (!Number.isSafeInteger(max) || max < 0 || max > MAX_OBJECT_BYTES_LIMIT) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `the database object size limit must be an integer from 0 to ${MAX_OBJECT_BYTES_LIMIT} bytes, got ${max}`,
    );
  }
  return new PgObjects(options.pool, max, options.large);
}

class PgObjects implements PgObjectStore {
  readonly [BRAND] = true as const;

  constructor(
    private readonly pool: PgPool,
    readonly maxObjectBytes: number,
    private readonly large: ObjectStore | undefined,
  ) {}

  async put(bytes: Uint8Array): Promise<PutResult> {
    return this.putInTransaction(this.pool, bytes);
  }

  async putInTransaction(client: PgQueryable, bytes: Uint8Array): Promise<PutResult> {
    if (bytes.length > this.maxObjectBytes) return this.putLarge([bytes], bytes.length);
    // A copy: the caller may change its buffer while the insert is in flight.
    const copy = Buffer.from(bytes);
    return this.store(client, copy, digestOfBytes(copy));
  }

  async putStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<PutResult> {
    const iterator = iterate(source)[Symbol.asyncIterator]();
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      const chunk = next.value;
      if (size + chunk.length > this.maxObjectBytes) {
        // Over the limit: what was read so far and the rest of the source go to the large store as one
        // stream (or nothing is stored), never a truncated row here.
        return this.putLarge(chunks, size + chunk.length, { chunk, iterator });
      }
      hash.update(chunk);
      // A copy: the caller may reuse its buffer for the next chunk.
      chunks.push(Buffer.from(chunk));
      size += chunk.length;
    }
    // The whole body is hashed: only now does a row (the whole object) appear, in one INSERT.
    return this.store(this.pool, Buffer.concat(chunks, size), toDigest(hash.digest()));
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const stored = await this.lookup(digest);
    if (stored === undefined) return this.largeOr(digest).get(digest);
    assertIntact(digest, stored);
    return toBytes(stored);
  }

  async *getStream(digest: Digest): AsyncIterable<Uint8Array> {
    const stored = await this.lookup(digest);
    if (stored === undefined) {
      yield* this.largeOr(digest).getStream(digest);
      return;
    }
    const hash = createHash('sha256');
    for (let offset = 0; offset < stored.length; offset += STREAM_CHUNK_BYTES) {
      const chunk = new Uint8Array(stored.subarray(offset, offset + STREAM_CHUNK_BYTES));
      hash.update(chunk);
      yield chunk;
    }
    // As in the other stores, a change is reported at the end of the stream, after the bytes.
    const actual = toDigest(hash.digest());
    if (!equalDigests(actual, digest)) throw mismatch(digest, actual);
  }

  async has(digest: Digest): Promise<boolean> {
    assertDigest(digest);
    let found: boolean;
    try {
      const result = await this.pool.query('SELECT 1 FROM objects WHERE digest = $1', [digest]);
      found = result.rows.length > 0;
    } catch (error) {
      throw pgStoreError(`could not look up object ${digest}`, error);
    }
    return found || (this.large !== undefined && (await this.large.has(digest)));
  }

  async *list(): AsyncIterable<Digest> {
    let after = '';
    for (;;) {
      let rows: { digest: string }[];
      try {
        rows = (
          await this.pool.query<{ digest: string }>(
            'SELECT digest FROM objects WHERE digest > $1 ORDER BY digest LIMIT $2',
            [after, LIST_PAGE],
          )
        ).rows;
      } catch (error) {
        throw pgStoreError('could not list objects', error);
      }
      for (const row of rows) yield row.digest as Digest;
      if (rows.length < LIST_PAGE) break;
      after = rows[rows.length - 1]!.digest;
    }
    if (this.large) yield* this.large.list();
  }

  private async store(client: PgQueryable, bytes: Buffer, digest: Digest): Promise<PutResult> {
    let created: boolean;
    try {
      const result = await client.query(
        'INSERT INTO objects (digest, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING',
        [digest, bytes.length, bytes],
      );
      created = result.rowCount === 1;
    } catch (error) {
      throw pgStoreError(`could not store object ${digest}`, error);
    }
    if (!created) {
      // Already stored: a no-op, but never vouch for bytes that have changed since.
      const stored = await this.lookup(digest, client);
      if (stored === undefined) throw pgStoreError(`object ${digest} vanished`, new Error('no row'));
      assertIntact(digest, stored);
    }
    return { digest, size: bytes.length, created };
  }

  private async lookup(digest: Digest, client: PgQueryable = this.pool): Promise<Buffer | undefined> {
    assertDigest(digest);
    try {
      const result = await client.query<{ bytes: Buffer }>('SELECT bytes FROM objects WHERE digest = $1', [
        digest,
      ]);
      return result.rows[0]?.bytes;
    } catch (error) {
      throw pgStoreError(`could not read object ${digest}`, error);
    }
  }

  private async putLarge(
    head: readonly Uint8Array[],
    sizeSoFar: number,
    rest?: { chunk: Uint8Array; iterator: AsyncIterator<Uint8Array> },
  ): Promise<PutResult> {
    if (!this.large) {
      await rest?.iterator.return?.();
      throw new InputError(
        'PAYLOAD_TOO_LARGE',
        `an object of ${rest ? 'more than ' : ''}${sizeSoFar} bytes is over the database's object limit of ` +
          `${this.maxObjectBytes} bytes; configure a large-object store or raise the limit`,
        { details: { limit: this.maxObjectBytes } },
      );
    }
    if (!rest) return this.large.put(head[0]!);
    const { chunk, iterator } = rest;
    try {
      return await this.large.putStream(
        (async function* () {
          yield* head;
          yield chunk;
          for (;;) {
            const next = await iterator.next();
            if (next.done) return;
            yield next.value;
          }
        })(),
      );
    } finally {
      await iterator.return?.();
    }
  }

  private largeOr(digest: Digest): ObjectStore {
    if (this.large) return this.large;
    throw new InputError('NOT_FOUND', `object ${digest} is not in the store`, { details: { digest } });
  }
}

async function* iterate(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* source;
}

function assertIntact(digest: Digest, bytes: Uint8Array): void {
  const actual = digestOfBytes(bytes);
  if (!equalDigests(actual, digest)) throw mismatch(digest, actual);
}

function mismatch(digest: Digest, actual: Digest): VerificationError {
  return new VerificationError(
    'DIGEST_MISMATCH',
    `object ${digest} is corrupt: its bytes in the database hash to ${actual}`,
    { details: { digest, actual } },
  );
}
