// The in-memory ObjectStore: the port's full contract without a disk, for tests, the memory ledger and
// bulk benchmark loads. It keeps a private copy of every object and returns copies, so no caller can
// change stored bytes through a shared buffer; it still re-hashes on every read, as the filesystem store
// does, so that a test which tampers with the backing map sees the same DIGEST_MISMATCH a user would.
import { createHash } from 'node:crypto';

import { InputError, VerificationError } from '../errors.js';
import { assertDigest, digestOfBytes, equalDigests, toDigest, type Digest } from '../signing/digest.js';
import type { ObjectStore, PutResult } from './object-store.js';

/** getStream hands out the bytes in chunks of this size, like a file read. */
const STREAM_CHUNK_BYTES = 1 << 20;

export interface MemoryObjectStoreOptions {
  /**
   * The map that holds the bytes, keyed by digest. Given only by tests that need to reach the stored
   * bytes (to flip one, as an attacker with disk access would); by default the store owns a new map.
   */
  readonly backing?: Map<string, Uint8Array>;
}

/**
 * An ObjectStore held in memory; everything is lost when the process ends.
 *
 * @example
 * ```ts
 * const objects = createMemoryObjectStore();
 * const { digest } = await objects.put(new TextEncoder().encode('hello'));
 * await objects.get(digest); // the bytes, re-hashed
 * ```
 */
export function createMemoryObjectStore(options: MemoryObjectStoreOptions = {}): ObjectStore {
  return new MemoryObjectStore(options.backing ?? new Map());
}

class MemoryObjectStore implements ObjectStore {
  constructor(private readonly objects: Map<string, Uint8Array>) {}

  async put(bytes: Uint8Array): Promise<PutResult> {
    const copy = new Uint8Array(bytes);
    return this.store(copy, digestOfBytes(copy));
  }

  async putStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<PutResult> {
    const hash = createHash('sha256');
    const chunks: Uint8Array[] = [];
    for await (const chunk of source) {
      hash.update(chunk);
      // A copy: the caller may reuse its buffer for the next chunk.
      chunks.push(new Uint8Array(chunk));
    }
    return this.store(concat(chunks), toDigest(hash.digest()));
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const stored = this.lookup(digest);
    assertIntact(digest, stored);
    return new Uint8Array(stored);
  }

  async *getStream(digest: Digest): AsyncIterable<Uint8Array> {
    const stored = this.lookup(digest);
    const hash = createHash('sha256');
    for (let offset = 0; offset < stored.length; offset += STREAM_CHUNK_BYTES) {
      const chunk = new Uint8Array(stored.subarray(offset, offset + STREAM_CHUNK_BYTES));
      hash.update(chunk);
      yield chunk;
    }
    // As in the filesystem store, a change is reported at the end of the stream, after the bytes.
    const actual = toDigest(hash.digest());
    if (!equalDigests(actual, digest)) throw mismatch(digest, actual);
  }

  async has(digest: Digest): Promise<boolean> {
    assertDigest(digest);
    return this.objects.has(digest);
  }

  async *list(): AsyncIterable<Digest> {
    // A snapshot, so that puts during the listing neither repeat nor skip a digest. A key that is not a
    // digest (only a test can put one there) is yielded as is, for the verifier to report.
    for (const key of [...this.objects.keys()]) yield key as Digest;
  }

  private store(bytes: Uint8Array, digest: Digest): PutResult {
    const existing = this.objects.get(digest);
    if (existing !== undefined) {
      // Already stored: a no-op, but never vouch for bytes that have changed since.
      assertIntact(digest, existing);
      return { digest, size: bytes.length, created: false };
    }
    this.objects.set(digest, bytes);
    return { digest, size: bytes.length, created: true };
  }

  private lookup(digest: Digest): Uint8Array {
    assertDigest(digest);
    const stored = this.objects.get(digest);
    if (stored === undefined) {
      throw new InputError('NOT_FOUND', `object ${digest} is not in the store`, { details: { digest } });
    }
    return stored;
  }
}

function assertIntact(digest: Digest, bytes: Uint8Array): void {
  const actual = digestOfBytes(bytes);
  if (!equalDigests(actual, digest)) throw mismatch(digest, actual);
}

function mismatch(digest: Digest, actual: Digest): VerificationError {
  return new VerificationError(
    'DIGEST_MISMATCH',
    `object ${digest} is corrupt: its bytes hash to ${actual}`,
    {
      details: { digest, actual },
    },
  );
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
