// Object use cases: put a file or stdin, get to a file (published only once its digest checked out),
// verify one object or all of them.
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

import { InputError, SignetError } from '../errors.js';
import type { Digest } from '../signing/digest.js';
import { isDigest } from '../signing/digest.js';
import type { ObjectStore, PutResult } from '../store/object-store.js';
import { isCode } from '../store/fs-object-store.js';

export async function putFile(store: ObjectStore, file: string): Promise<PutResult> {
  // Open first: a stream that fails to open would emit its error before anyone listens.
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (isCode(error, 'ENOENT')) throw new InputError('NOT_FOUND', `no such file: ${file}`);
    throw new InputError('INVALID_ARGUMENT', `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    if (!(await handle.stat()).isFile()) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `${file} is not a regular file (use \`signet hash\` for directories)`,
      );
    }
    return await store.putStream(handle.createReadStream({ highWaterMark: 1 << 20, autoClose: false }));
  } finally {
    await handle.close();
  }
}

/**
 * Writes an object to `file` through a temporary file that is renamed into place only after the whole
 * stream re-hashed to its digest: a corrupt object never leaves a file behind that looks right.
 */
export async function getToFile(store: ObjectStore, digest: Digest, file: string): Promise<void> {
  const tmp = path.join(
    path.dirname(path.resolve(file)),
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const handle = await open(tmp, 'wx', 0o644);
  try {
    for await (const chunk of store.getStream(digest)) await handle.write(chunk);
    await handle.sync();
    await handle.close();
    await rename(tmp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
}

export interface ObjectProblem {
  readonly digest: string;
  readonly code: string;
  readonly message: string;
}

export interface ObjectsReport {
  readonly checked: number;
  readonly problems: readonly ObjectProblem[];
}

/** Re-hashes one object, or every object in the store; collects every problem rather than stopping. */
export async function verifyObjects(
  store: ObjectStore,
  only?: Digest,
  onProgress?: (checked: number) => void,
): Promise<ObjectsReport> {
  const problems: ObjectProblem[] = [];
  let checked = 0;
  const digests: AsyncIterable<Digest> | Digest[] = only ? [only] : store.list();
  for await (const digest of digests) {
    checked += 1;
    if (!isDigest(digest)) {
      problems.push({
        digest,
        code: 'INVALID_DIGEST',
        message: `a stray file in the object store: ${digest}`,
      });
      continue;
    }
    try {
      for await (const chunk of store.getStream(digest)) void chunk;
    } catch (error) {
      if (!(error instanceof SignetError)) throw error;
      if (only && error.code === 'NOT_FOUND') throw error;
      problems.push({ digest, code: error.code, message: error.message });
    }
    onProgress?.(checked);
  }
  return { checked, problems };
}

/**
 * The bytes of an object when it has at most `maxBytes`; undefined as soon as more arrive, before the
 * rest is read. For objects a caller names (attacker-controlled): one may be as large as any upload, and
 * only a small one is wanted. Throws NOT_FOUND when it is not stored, DIGEST_MISMATCH when its bytes
 * changed.
 */
export async function readObjectWithin(
  store: ObjectStore,
  digest: Digest,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of store.getStream(digest)) {
    total += chunk.byteLength;
    // Leaving the loop closes the stream: the rest is never read.
    if (total > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}
