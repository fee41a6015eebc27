import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { digestHex, digestOfBytes, type Digest } from '../signing/digest.js';
import { createFsObjectStore } from './fs-object-store.js';
import type { ObjectStore } from './object-store.js';
import { distModule, runNodeScript } from '../../test/helpers/dist.js';

let root: string;
let store: ObjectStore;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'signet-objects-'));
  store = createFsObjectStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function fileOf(digest: Digest): string {
  const hex = digestHex(digest);
  return path.join(root, 'sha256', hex.slice(0, 2), hex.slice(2));
}

describe('filesystem object store', () => {
  it('stores bytes under their SHA-256 and reads them back', async () => {
    const bytes = new TextEncoder().encode('hello, signet\n');
    const result = await store.put(bytes);
    expect(result.digest).toBe('sha256:' + createHash('sha256').update(bytes).digest('hex'));
    expect(result.created).toBe(true);
    expect(Buffer.from(await store.get(result.digest)).toString()).toBe('hello, signet\n');
    expect(await store.has(result.digest)).toBe(true);
  });

  it('makes objects read-only and leaves no temporary files', async () => {
    const { digest } = await store.put(new Uint8Array([1, 2, 3]));
    expect((await stat(fileOf(digest))).mode & 0o777).toBe(0o444);
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('treats a put of bytes already stored as a no-op', async () => {
    const first = await store.put(new Uint8Array([9, 9]));
    const before = await stat(fileOf(first.digest));
    const second = await store.put(new Uint8Array([9, 9]));
    expect(second).toEqual({ ...first, created: false });
    expect((await stat(fileOf(first.digest))).ino).toBe(before.ino);
  });

  it('refuses malformed digests before they become paths', async () => {
    for (const bad of [
      'sha256:../../etc/passwd',
      'sha256:' + 'A'.repeat(64),
      'md5:abc',
      '',
      'sha256:' + 'a'.repeat(63),
    ]) {
      await expect(store.get(bad as Digest)).rejects.toMatchObject({ code: 'INVALID_DIGEST' });
    }
  });

  it('names a missing object', async () => {
    const digest = digestOfBytes(new Uint8Array([42]));
    await expect(store.get(digest)).rejects.toMatchObject({ code: 'NOT_FOUND', details: { digest } });
  });

  it('tamper: a byte flipped on disk fails the read with an error naming the digest', async () => {
    const { digest } = await store.put(new TextEncoder().encode('approved by alice'));
    const file = fileOf(digest);
    await chmod(file, 0o644);
    await writeFile(file, 'approved by mallory');
    await expect(store.get(digest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', details: { digest } });
    const streamed = (async () => {
      for await (const chunk of store.getStream(digest)) void chunk;
    })();
    await expect(streamed).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    // A put of the right bytes does not silently vouch for the corrupt file.
    await expect(store.put(new TextEncoder().encode('approved by alice'))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
  });

  it('streams large puts and lists every digest', async () => {
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 64; i++) yield new Uint8Array(1 << 16).fill(i);
    }
    const big = await store.putStream(chunks());
    expect(big.size).toBe(64 << 16);
    const small = await store.put(new Uint8Array([7]));
    const listed: Digest[] = [];
    for await (const d of store.list()) listed.push(d);
    expect(listed.sort()).toEqual([big.digest, small.digest].sort());
  });

  it('makes its folders again when they are removed behind its back', async () => {
    const first = await store.put(new Uint8Array([1]));
    await rm(path.join(root, 'tmp'), { recursive: true });
    await rm(path.dirname(fileOf(first.digest)), { recursive: true });
    // The store remembers those folders exist; a put must still succeed, and the object be whole.
    const again = await store.put(new Uint8Array([1]));
    expect(again).toEqual({ ...first, created: true });
    expect(Array.from(await store.get(first.digest))).toEqual([1]);
    const streamed = await store.putStream(
      (async function* () {
        yield new Uint8Array([2, 3]);
      })(),
    );
    expect(Array.from(await store.get(streamed.digest))).toEqual([2, 3]);
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('concurrent puts of many objects each land whole and read-only, with no temporary file left', async () => {
    const payloads = Array.from({ length: 64 }, (_, i) => new TextEncoder().encode(`envelope ${i}`));
    const results = await Promise.all(payloads.map((bytes) => store.put(bytes)));
    for (const [i, result] of results.entries()) {
      expect(result).toEqual({
        digest: digestOfBytes(payloads[i]!),
        size: payloads[i]!.length,
        created: true,
      });
      expect(Buffer.from(await store.get(result.digest)).equals(Buffer.from(payloads[i]!))).toBe(true);
      expect((await stat(fileOf(result.digest))).mode & 0o777).toBe(0o444);
    }
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('concurrent puts of the same bytes from several processes all succeed with one intact object', async () => {
    const payload = Buffer.alloc(2 << 20, 'x');
    const input = path.join(root, 'input.bin');
    await writeFile(input, payload);
    const storeModule = distModule('store/fs-object-store.js');
    const script = `
      import { createFsObjectStore } from ${JSON.stringify(storeModule)};
      import { readFile } from 'node:fs/promises';
      const store = createFsObjectStore(${JSON.stringify(root)});
      const r = await store.put(await readFile(${JSON.stringify(input)}));
      process.stdout.write(r.digest);
    `;
    const runs = await Promise.all(Array.from({ length: 6 }, () => runNodeScript(script)));
    for (const run of runs) expect(run.stderr).toBe('');
    const digests = runs.map((run) => run.stdout);
    const expected = digestOfBytes(payload);
    expect(new Set(digests)).toEqual(new Set([expected]));
    expect(Buffer.from(await store.get(expected)).equals(payload)).toBe(true);
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });
});
