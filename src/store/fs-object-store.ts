// The filesystem ObjectStore: `objects/sha256/ab/cdef…` under the home, write-once.
//
// A put writes a temporary file, fsyncs it, makes it read-only, then links it into place and fsyncs the
// folder. link(2) is an atomic rename that never replaces: if the name exists the put is a no-op, so a
// put can never change the bytes under a digest, and concurrent puts of the same bytes from several
// processes all succeed with one file. A crash at any point leaves either no object or the whole object
// (temporary files live in `objects/tmp/` and are never read as objects).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

import { InputError, messageOf, StoreError, VerificationError } from '../errors.js';
import { assertDigest, digestHex, equalDigests, toDigest, type Digest } from '../signing/digest.js';
import type { ObjectStore, PutResult } from './object-store.js';

const READ_ONLY = 0o444;
const HASH_DIR = 'sha256';
const TMP_DIR = 'tmp';

export function createFsObjectStore(root: string): ObjectStore {
  return new FsObjectStore(root);
}

class FsObjectStore implements ObjectStore {
  /**
   * Folders known to exist (`tmp/` and the fan-out folders), so that a put does not ask again: the ledger
   * puts one envelope per append, and each folder operation is a trip through the thread pool. A folder
   * removed behind the store's back is made again (ENOENT on open or link).
   */
  private readonly folders = new Set<string>();

  constructor(private readonly root: string) {}

  /** The path of a digest; the digest is validated first so that no input can escape the folder. */
  private pathOf(digest: Digest): string {
    assertDigest(digest);
    const hex = digestHex(digest);
    return path.join(this.root, HASH_DIR, hex.slice(0, 2), hex.slice(2));
  }

  async put(bytes: Uint8Array): Promise<PutResult> {
    // The bytes are in memory: hash them first and write them in one call.
    const digest = toDigest(createHash('sha256').update(bytes).digest());
    return this.store(async (handle) => {
      await handle.writeFile(bytes);
      return { digest, size: bytes.length };
    });
  }

  async putStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<PutResult> {
    return this.store(async (handle) => {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        await handle.write(chunk);
      }
      return { digest: toDigest(hash.digest()), size };
    });
  }

  /**
   * Writes an object through a temporary file that `write` fills (and says the digest and size of):
   * fsynced and made read-only before it is linked to its final name, then the folder fsynced, so that
   * no partial object is ever readable under a digest. The temporary file is always removed.
   */
  private async store(
    write: (handle: FileHandle) => Promise<{ digest: Digest; size: number }>,
  ): Promise<PutResult> {
    const tmpPath = path.join(this.root, TMP_DIR, `${process.pid}-${randomBytes(8).toString('hex')}`);
    let handle: FileHandle | undefined;
    let opened = false;
    try {
      handle = await this.openTemporary(tmpPath);
      opened = true;
      const { digest, size } = await write(handle);
      await handle.sync();
      await handle.chmod(READ_ONLY);
      await handle.close();
      handle = undefined;
      const created = await this.linkIntoPlace(tmpPath, this.pathOf(digest));
      // Already stored: a no-op, but never vouch for bytes that have changed on disk since.
      if (!created) await this.assertIntact(digest);
      return { digest, size, created };
    } catch (error) {
      if (error instanceof InputError || error instanceof VerificationError) throw error;
      throw new StoreError('STORE_FAILURE', `could not store object: ${messageOf(error)}`, { cause: error });
    } finally {
      await handle?.close().catch(() => undefined);
      if (opened) await unlink(tmpPath).catch(() => undefined);
    }
  }

  /** Creates a temporary file (never an existing one), making `tmp/` on first use. */
  private async openTemporary(tmpPath: string): Promise<FileHandle> {
    const tmpDir = path.dirname(tmpPath);
    if (!this.folders.has(tmpDir)) {
      await mkdir(tmpDir, { recursive: true });
      this.folders.add(tmpDir);
    }
    try {
      return await open(tmpPath, 'wx', 0o600);
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw error;
      this.folders.delete(tmpDir);
      await mkdir(tmpDir, { recursive: true });
      this.folders.add(tmpDir);
      return await open(tmpPath, 'wx', 0o600);
    }
  }

  /**
   * Links the complete, fsynced temporary file to its final name and fsyncs the folder, so that the name
   * is durable when this resolves. false when the name already existed (nothing was changed).
   */
  private async linkIntoPlace(tmpPath: string, finalPath: string): Promise<boolean> {
    const dir = path.dirname(finalPath);
    if (!this.folders.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.folders.add(dir);
    }
    try {
      await link(tmpPath, finalPath);
    } catch (error) {
      if (isCode(error, 'EEXIST')) return false;
      if (!isCode(error, 'ENOENT')) throw error;
      // The fan-out folder was removed since it was made: make it again.
      await mkdir(dir, { recursive: true });
      try {
        await link(tmpPath, finalPath);
      } catch (again) {
        if (isCode(again, 'EEXIST')) return false;
        throw again;
      }
    }
    await fsyncDir(dir);
    return true;
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const file = this.pathOf(digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw this.readError(digest, error);
    }
    const actual = toDigest(createHash('sha256').update(bytes).digest());
    if (!equalDigests(actual, digest)) throw mismatch(digest, actual);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  async *getStream(digest: Digest): AsyncIterable<Uint8Array> {
    const file = this.pathOf(digest);
    const hash = createHash('sha256');
    try {
      await stat(file);
    } catch (error) {
      throw this.readError(digest, error);
    }
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      yield chunk;
    }
    const actual = toDigest(hash.digest());
    if (!equalDigests(actual, digest)) throw mismatch(digest, actual);
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await stat(this.pathOf(digest));
      return true;
    } catch (error) {
      if (isCode(error, 'ENOENT')) return false;
      throw error;
    }
  }

  async *list(): AsyncIterable<Digest> {
    const base = path.join(this.root, HASH_DIR);
    let fanout: string[];
    try {
      fanout = (await readdir(base)).sort();
    } catch (error) {
      if (isCode(error, 'ENOENT')) return;
      throw error;
    }
    for (const prefix of fanout) {
      for (const rest of (await readdir(path.join(base, prefix))).sort()) {
        const candidate = `sha256:${prefix}${rest}`;
        // A stray file in the folder is reported as a bad object by the verifier, not silently skipped.
        yield candidate as Digest;
      }
    }
  }

  private async assertIntact(digest: Digest): Promise<void> {
    // getStream re-hashes and throws DIGEST_MISMATCH at the end if the stored bytes changed.
    for await (const chunk of this.getStream(digest)) void chunk;
  }

  private readError(digest: Digest, error: unknown): Error {
    if (isCode(error, 'ENOENT')) {
      return new InputError('NOT_FOUND', `object ${digest} is not in the store`, { details: { digest } });
    }
    return new StoreError('STORE_FAILURE', `could not read object ${digest}: ${messageOf(error)}`, {
      cause: error,
      details: { digest },
    });
  }
}

function mismatch(digest: Digest, actual: Digest): VerificationError {
  return new VerificationError(
    'DIGEST_MISMATCH',
    `object ${digest} is corrupt: its bytes on disk hash to ${actual}`,
    { details: { digest, actual } },
  );
}

/** fsyncs a directory, so that a name just linked or renamed in it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
