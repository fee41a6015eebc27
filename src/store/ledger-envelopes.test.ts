import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { digestHex, digestOfBytes, type Digest } from '../signing/digest.js';
import { createFsObjectStore } from './fs-object-store.js';
import type { StoredEntry } from './ledger.js';
import { withLedgerEnvelopes } from './ledger-envelopes.js';
import type { ObjectStore } from './object-store.js';

let root: string;
let rows: Map<Digest, StoredEntry>;
let store: ObjectStore;

const envelope = new TextEncoder().encode('{"payload":"…","payloadType":"application/vnd.in-toto+json"}');
const id = digestOfBytes(envelope);

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'signet-envelopes-'));
  rows = new Map([[id, { index: 7, id, kind: 'test-note', time: '2026-11-29T00:00:00.000Z', envelope }]]);
  store = withLedgerEnvelopes(createFsObjectStore(root), { find: async (d) => rows.get(d) });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function plant(digest: Digest, bytes: Uint8Array): Promise<void> {
  const hex = digestHex(digest);
  await mkdir(path.join(root, 'sha256', hex.slice(0, 2)), { recursive: true });
  await writeFile(path.join(root, 'sha256', hex.slice(0, 2), hex.slice(2)), bytes);
}

describe('entry envelopes served from the ledger', () => {
  it('reads an entry envelope under its id from the ledger row, whole or streamed', async () => {
    expect(Buffer.from(await store.get(id))).toEqual(Buffer.from(envelope));
    expect(await collect(store.getStream(id))).toEqual(Buffer.from(envelope));
    expect(await store.has(id)).toBe(true);
    // Not a file: `list` names the files only.
    const listed: Digest[] = [];
    for await (const d of store.list()) listed.push(d);
    expect(listed).toEqual([]);
  });

  it('reads ordinary objects from the files, and says NOT_FOUND for a digest that is neither', async () => {
    const { digest } = await store.put(new TextEncoder().encode('a review document'));
    expect(Buffer.from(await store.get(digest)).toString()).toBe('a review document');
    expect((await collect(store.getStream(digest))).toString()).toBe('a review document');
    const missing = digestOfBytes(new Uint8Array([1, 2, 3]));
    await expect(store.get(missing)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(collect(store.getStream(missing))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.has(missing)).toBe(false);
  });

  it('tamper: a file planted under an entry id is read and refused, never hidden by the row', async () => {
    await plant(id, new TextEncoder().encode('not the envelope'));
    await expect(store.get(id)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(collect(store.getStream(id))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('tamper: a row whose envelope no longer hashes to its id is DIGEST_MISMATCH', async () => {
    const changed = new Uint8Array(envelope);
    changed[3] = changed[3]! ^ 1;
    rows.set(id, { ...rows.get(id)!, envelope: changed });
    await expect(store.get(id)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(collect(store.getStream(id))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
      message: expect.stringContaining('entry 7'),
    });
  });
});
