// The PostgreSQL object store beyond the contract: the size limit (refused, or handed to a large-object
// store), tampering in the database caught on read, and a put killed mid-stream leaving nothing.
import { spawn } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { distModule, PROJECT_ROOT } from '../../../test/helpers/dist.js';
import { asSuperuser, postgresFixture, type TestDatabase } from '../../../test/helpers/postgres.js';
import { digestOfBytes } from '../../signing/digest.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import { createMemoryObjectStore } from '../memory-object-store.js';
import { createPgObjectStore } from './pg-object-store.js';
import type { PostgresStores } from './pool.js';

const postgres = postgresFixture();
let stores: PostgresStores & { db: TestDatabase };

beforeAll(async () => {
  stores = await postgres.open({
    log: { origin: 'test.example/objects', signer: createSigner(generateKeyPair().privatePem) },
  });
});
afterAll(() => postgres.cleanup());

const rowCount = (digest: string) =>
  asSuperuser(
    stores.db.url,
    async (c) => (await c.query('SELECT 1 FROM objects WHERE digest = $1', [digest])).rowCount,
  );

async function* chunksOf(total: number, size: number, fill: number): AsyncIterable<Uint8Array> {
  for (let sent = 0; sent < total; sent += size)
    yield new Uint8Array(Math.min(size, total - sent)).fill(fill);
}

describe('postgres object store', () => {
  it('refuses an object over the limit, naming the limit, and stores nothing', async () => {
    const objects = createPgObjectStore({ pool: stores.pool, maxObjectBytes: 1000 });
    const big = new Uint8Array(1001).fill(7);
    await expect(objects.put(big)).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { limit: 1000 },
    });
    await expect(objects.put(big)).rejects.toThrow(/limit of 1000 bytes/);
    await expect(objects.putStream(chunksOf(5000, 300, 8))).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(await rowCount(digestOfBytes(big))).toBe(0);
    expect((await objects.put(new Uint8Array(1000).fill(7))).created).toBe(true);
    expect(() => createPgObjectStore({ pool: stores.pool, maxObjectBytes: -1 })).toThrow(/limit/);
  });

  it('hands larger objects to the large-object store and finds them there', async () => {
    const large = createMemoryObjectStore();
    const objects = createPgObjectStore({ pool: stores.pool, maxObjectBytes: 1000, large });
    const streamed = await objects.putStream(chunksOf(5000, 300, 9));
    const whole = await objects.put(new Uint8Array(2000).fill(3));
    const small = await objects.put(new Uint8Array(10).fill(4));
    for (const { digest } of [streamed, whole]) {
      expect(await large.has(digest)).toBe(true);
      expect(await rowCount(digest)).toBe(0);
      expect(await objects.has(digest)).toBe(true);
    }
    expect(Buffer.from(await objects.get(streamed.digest)).equals(Buffer.alloc(5000, 9))).toBe(true);
    expect(streamed.size).toBe(5000);
    expect(await large.has(small.digest)).toBe(false);
    expect(await rowCount(small.digest)).toBe(1);
    const listed = new Set<string>();
    for await (const d of objects.list()) listed.add(d);
    for (const { digest } of [streamed, whole, small]) expect(listed.has(digest)).toBe(true);
  });

  it('tamper: bytes changed in the database (triggers and checks disabled by a superuser) fail the read', async () => {
    const { objects } = stores;
    const bytes = new TextEncoder().encode('approved by alice');
    const { digest } = await objects.put(bytes);
    await asSuperuser(stores.db.url, async (client) => {
      await client.query('ALTER TABLE objects DISABLE TRIGGER USER');
      await client.query('ALTER TABLE objects DROP CONSTRAINT objects_digest');
      await client.query(
        "UPDATE objects SET bytes = convert_to('approved by mallory', 'UTF8'), size = 19 WHERE digest = $1",
        [digest],
      );
      await client.query('ALTER TABLE objects ENABLE TRIGGER USER');
    });
    await expect(objects.get(digest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', details: { digest } });
    const streamed = (async () => {
      for await (const chunk of objects.getStream(digest)) void chunk;
    })();
    await expect(streamed).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    // A put of the right bytes does not vouch for the corrupt row.
    await expect(objects.put(bytes)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('a put killed mid-stream (SIGKILL) leaves nothing readable', async () => {
    const script = `
      import { openPostgresStores } from ${JSON.stringify(distModule('store/pg/pool.js'))};
      import { createSigner, generateKeyPair } from ${JSON.stringify(distModule('signing/keys.js'))};
      const stores = await openPostgresStores(${JSON.stringify(stores.db.url)}, {
        log: { origin: 'x', signer: createSigner(generateKeyPair().privatePem) },
        pool: { max: 1 },
      });
      async function* body() {
        for (let i = 0; ; i++) {
          yield new Uint8Array(64 * 1024).fill(i % 251);
          if (i === 20) process.stdout.write('streaming\\n');
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      await stores.objects.putStream(body());
    `;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('streaming')) child.kill('SIGKILL');
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (_code, signal) =>
        signal === 'SIGKILL' ? resolve() : reject(new Error(`the writer ended without being killed: ${err}`)),
      );
    });
    // No row of any prefix of the body: the table holds only what the other tests put.
    const sizes = await asSuperuser(stores.db.url, async (c) =>
      (await c.query<{ size: string }>('SELECT size FROM objects')).rows.map((r) => Number(r.size)),
    );
    expect(sizes.every((size) => size < 64 * 1024)).toBe(true);
    const prefix = Buffer.concat(Array.from({ length: 21 }, (_, i) => Buffer.alloc(64 * 1024, i % 251)));
    expect(await stores.objects.has(digestOfBytes(prefix))).toBe(false);
  });
});
