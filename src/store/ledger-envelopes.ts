// Entry envelopes as objects, served from the ledger. Every entry's envelope is an object under the
// entry id (DESIGN, "Ledger entry"). The embedded ledger keeps the envelope bytes in its own rows, written
// in the append's transaction; writing them a second time as files cost two fsyncs and most of the
// server's CPU per gate request. So the embedded home's object store is this view: the files first (the
// objects every other part writes, and the envelope files an earlier version wrote), then, for a digest
// with no file, the entry whose id it is. The bytes are re-hashed as every object read is (invariant 2),
// so a row whose envelope no longer hashes to its id is DIGEST_MISMATCH here as in `signet verify`.
//
// A file under an entry id is read, never bypassed: a file planted or changed there fails the read
// (DIGEST_MISMATCH) rather than being hidden by the row. `list()` lists the files only: `signet object
// verify` re-hashes stored files, and `signet verify` reads every envelope through the log.
import { InputError, VerificationError } from '../errors.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import type { Ledger } from './ledger.js';
import type { ObjectStore, PutResult } from './object-store.js';

function isNotFound(error: unknown): boolean {
  return error instanceof InputError && error.code === 'NOT_FOUND';
}

/** `objects`, with every entry's envelope readable under its id from `ledger`. */
export function withLedgerEnvelopes(objects: ObjectStore, ledger: Pick<Ledger, 'find'>): ObjectStore {
  async function envelope(digest: Digest): Promise<Uint8Array | undefined> {
    const entry = await ledger.find(digest);
    if (entry === undefined) return undefined;
    if (digestOfBytes(entry.envelope) !== digest) {
      throw new VerificationError(
        'DIGEST_MISMATCH',
        `the envelope of entry ${entry.index} no longer hashes to its id ${digest}`,
        { details: { digest, index: entry.index } },
      );
    }
    return entry.envelope;
  }

  function notFound(digest: Digest): InputError {
    return new InputError('NOT_FOUND', `object ${digest} is not in the store`, { details: { digest } });
  }

  return {
    put: (bytes: Uint8Array): Promise<PutResult> => objects.put(bytes),
    putStream: (source: AsyncIterable<Uint8Array>): Promise<PutResult> => objects.putStream(source),
    async get(digest) {
      try {
        return await objects.get(digest);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const bytes = await envelope(digest);
      if (bytes === undefined) throw notFound(digest);
      return bytes;
    },
    async *getStream(digest) {
      let started = false;
      try {
        for await (const chunk of objects.getStream(digest)) {
          started = true;
          yield chunk;
        }
        return;
      } catch (error) {
        if (started || !isNotFound(error)) throw error;
      }
      const bytes = await envelope(digest);
      if (bytes === undefined) throw notFound(digest);
      yield bytes;
    },
    async has(digest) {
      return (await objects.has(digest)) || (await ledger.find(digest)) !== undefined;
    },
    list: () => objects.list(),
  };
}
