// The ObjectStore port's contract, run over every adapter (DESIGN invariant 2: bytes under their
// SHA-256, write-once, re-hashed on read). The tests do not assume an empty store.
import { createHash } from 'node:crypto';

import { afterEach, describe, expect, it } from 'vitest';

import { digestOfBytes, type Digest } from '../../signing/digest.js';
import type { ObjectStore } from '../object-store.js';

export interface ObjectStoreContractSubject {
  open(): Promise<ObjectStore>;
  /** After each test. */
  cleanup?(): Promise<void>;
}

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const unique = (label: string): Uint8Array => encode(`${label} ${Math.random()} ${process.hrtime.bigint()}`);

async function concat(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

export function describeObjectStoreContract(name: string, subject: ObjectStoreContractSubject): void {
  describe(`ObjectStore contract: ${name}`, () => {
    afterEach(async () => {
      await subject.cleanup?.();
    });

    it('stores bytes under their SHA-256, reads and streams them back, and knows it has them', async () => {
      const store = await subject.open();
      const bytes = unique('hello, signet');
      const result = await store.put(bytes);
      const expected = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      expect(result).toEqual({ digest: expected, size: bytes.length, created: true });
      expect(Buffer.from(await store.get(result.digest)).equals(Buffer.from(bytes))).toBe(true);
      expect((await concat(store.getStream(result.digest))).equals(Buffer.from(bytes))).toBe(true);
      expect(await store.has(result.digest)).toBe(true);
    });

    it('treats a put of bytes already stored as a no-op, and of concurrent puts exactly one creates', async () => {
      const store = await subject.open();
      const bytes = unique('twice');
      const first = await store.put(bytes);
      expect(await store.put(bytes)).toEqual({ ...first, created: false });
      const racing = unique('racing');
      const results = await Promise.all(Array.from({ length: 5 }, () => store.put(racing)));
      expect(new Set(results.map((r) => r.digest)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('keeps its own copy: changing the caller’s buffer after a put changes nothing stored', async () => {
      const store = await subject.open();
      const bytes = unique('mine');
      const original = Buffer.from(bytes);
      const { digest } = await store.put(bytes);
      bytes.fill(0);
      expect(Buffer.from(await store.get(digest)).equals(original)).toBe(true);
    });

    it('streams a multi-chunk put and an empty one', async () => {
      const store = await subject.open();
      const seed = unique('stream');
      const chunk = new Uint8Array(1 << 16);
      async function* chunks(): AsyncIterable<Uint8Array> {
        for (let i = 0; i < 40; i++) {
          // The same buffer, refilled: a store must copy what it keeps.
          chunk.fill(i);
          chunk.set(seed);
          yield chunk;
        }
      }
      const expected = Buffer.concat(
        Array.from({ length: 40 }, (_, i) => {
          const part = Buffer.alloc(1 << 16, i);
          part.set(seed);
          return part;
        }),
      );
      const result = await store.putStream(chunks());
      expect(result).toMatchObject({ digest: digestOfBytes(expected), size: expected.length });
      expect(Buffer.from(await store.get(result.digest)).equals(expected)).toBe(true);
      expect((await concat(store.getStream(result.digest))).equals(expected)).toBe(true);

      const empty = await store.putStream((async function* () {})());
      expect(empty).toMatchObject({ digest: digestOfBytes(new Uint8Array()), size: 0 });
      expect((await store.get(empty.digest)).length).toBe(0);
    });

    it('a put whose source fails part-way leaves nothing readable', async () => {
      const store = await subject.open();
      const head = unique('partial');
      async function* failing(): AsyncIterable<Uint8Array> {
        yield head;
        throw new Error('the upload was cut');
      }
      await expect(store.putStream(failing())).rejects.toThrow();
      expect(await store.has(digestOfBytes(head))).toBe(false);
      const listed = new Set<string>();
      for await (const d of store.list()) listed.add(d);
      expect(listed.has(digestOfBytes(head))).toBe(false);
    });

    it('names a missing object and refuses a malformed digest', async () => {
      const store = await subject.open();
      const missing = digestOfBytes(unique('missing'));
      await expect(store.get(missing)).rejects.toMatchObject({
        code: 'NOT_FOUND',
        details: { digest: missing },
      });
      await expect(concat(store.getStream(missing))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await store.has(missing)).toBe(false);
      for (const bad of ['sha256:../../etc/passwd', `sha256:${'A'.repeat(64)}`, 'md5:abc', '']) {
        await expect(store.get(bad as Digest)).rejects.toMatchObject({ code: 'INVALID_DIGEST' });
      }
    });

    it('lists every stored digest once', async () => {
      const store = await subject.open();
      const digests = [];
      for (let i = 0; i < 5; i++) digests.push((await store.put(unique(`listed ${i}`))).digest);
      const listed: Digest[] = [];
      for await (const d of store.list()) listed.push(d);
      expect(new Set(listed).size).toBe(listed.length);
      for (const d of digests) expect(listed).toContain(d);
    });
  });
}
