// The ObjectStore port: immutable bytes stored under the SHA-256 of those bytes (invariant 2).
import type { Digest } from '../signing/digest.js';

export interface PutResult {
  readonly digest: Digest;
  readonly size: number;
  /** false when the same bytes were already stored: a put of existing bytes is a no-op. */
  readonly created: boolean;
}

export interface ObjectStore {
  /** Stores bytes held in memory. */
  put(bytes: Uint8Array): Promise<PutResult>;
  /** Stores bytes from a stream in constant memory; the digest is known only at the end. */
  putStream(source: AsyncIterable<Uint8Array>): Promise<PutResult>;
  /** Reads and re-hashes; throws NOT_FOUND, or DIGEST_MISMATCH naming the digest if the bytes changed. */
  get(digest: Digest): Promise<Uint8Array>;
  /**
   * Streams the bytes; the stream errors with DIGEST_MISMATCH at its end if they changed on disk, so a
   * caller writing a file must not publish it before the stream has ended cleanly.
   */
  getStream(digest: Digest): AsyncIterable<Uint8Array>;
  has(digest: Digest): Promise<boolean>;
  /** Every stored digest, in no particular order. */
  list(): AsyncIterable<Digest>;
}
