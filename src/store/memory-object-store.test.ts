import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { digestOfBytes, type Digest } from '../signing/digest.js';
import { createMemoryObjectStore } from './memory-object-store.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

async function drain(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('memory object store', () => {
  it('stores bytes under their SHA-256 and reads them back', async () => {
    const store = createMemoryObjectStore();
    const bytes = encode('hello, signet\n');
    const result = await store.put(bytes);
    expect(result).toEqual({
      digest: 'sha256:' + createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
      created: true,
    });
    expect(Buffer.from(await store.get(result.digest)).toString()).toBe('hello, signet\n');
    expect((await drain(store.getStream(result.digest))).toString()).toBe('hello, signet\n');
    expect(await store.has(result.digest)).toBe(true);
  });

  it('treats a put of bytes already stored as a no-op', async () => {
    const store = createMemoryObjectStore();
    const first = await store.put(new Uint8Array([9, 9]));
    expect(await store.put(new Uint8Array([9, 9]))).toEqual({ ...first, created: false });
  });

  it('keeps its own copy: changing the caller’s buffers changes nothing stored', async () => {
    const store = createMemoryObjectStore();
    const bytes = encode('approved by alice');
    const { digest } = await store.put(bytes);
    bytes.fill(0);
    const read = await store.get(digest);
    read.fill(0);
    expect(Buffer.from(await store.get(digest)).toString()).toBe('approved by alice');
  });

  it('streams puts and gets in chunks and lists every digest', async () => {
    const store = createMemoryObjectStore();
    const reused = new Uint8Array(1 << 19);
    async function* chunks(): AsyncIterable<Uint8Array> {
      // One buffer reused for every chunk, as a file reader may do.
      for (let i = 0; i < 5; i++) yield reused.fill(i);
    }
    const big = await store.putStream(chunks());
    const expected = Buffer.concat(Array.from({ length: 5 }, (_, i) => Buffer.alloc(1 << 19, i)));
    expect(big).toEqual({ digest: digestOfBytes(expected), size: expected.length, created: true });
    expect((await drain(store.getStream(big.digest))).equals(expected)).toBe(true);
    const small = await store.put(new Uint8Array([7]));
    const listed: Digest[] = [];
    for await (const digest of store.list()) listed.push(digest);
    expect(listed.sort()).toEqual([big.digest, small.digest].sort());
  });

  it('names a missing object and refuses malformed digests', async () => {
    const store = createMemoryObjectStore();
    const digest = digestOfBytes(new Uint8Array([42]));
    await expect(store.get(digest)).rejects.toMatchObject({ code: 'NOT_FOUND', details: { digest } });
    await expect(drain(store.getStream(digest))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.has(digest)).toBe(false);
    for (const bad of ['sha256:' + 'A'.repeat(64), 'md5:abc', '', 'sha256:' + 'a'.repeat(63)]) {
      await expect(store.get(bad as Digest)).rejects.toMatchObject({ code: 'INVALID_DIGEST' });
      await expect(store.has(bad as Digest)).rejects.toMatchObject({ code: 'INVALID_DIGEST' });
    }
  });

  it('tamper: a byte changed in the backing map fails reads and re-puts with DIGEST_MISMATCH', async () => {
    const backing = new Map<string, Uint8Array>();
    const store = createMemoryObjectStore({ backing });
    const { digest } = await store.put(encode('approved by alice'));
    backing.set(digest, encode('approved by mallory'));
    await expect(store.get(digest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', details: { digest } });
    await expect(drain(store.getStream(digest))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    // A put of the right bytes does not silently vouch for the corrupt copy.
    await expect(store.put(encode('approved by alice'))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });
});
