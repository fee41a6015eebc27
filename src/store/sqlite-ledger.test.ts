// The SQLite ledger adapter: log-assigned times that never go backwards, proofs that match an
// in-memory tree, the checkpoint signed at each append, and appends from several processes on one
// file serialised into one tree (no fork, no gap, no duplicate index).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { distModule, runNodeScript } from '../../test/helpers/dist.js';
import { openCheckpoint } from '../ledger/checkpoint.js';
import { openEntry, type EntryDraft } from '../ledger/entry.js';
import { MemoryTree, verifyConsistency, verifyInclusion } from '../ledger/merkle.js';
import { createSigner, generateKeyPair } from '../signing/keys.js';
import type { Ledger } from './ledger.js';
import { createMemoryObjectStore } from './memory-object-store.js';
import { openSqliteLedger } from './sqlite-ledger.js';

const ORIGIN = 'test.example/ledger';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signet-sqlite-ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function note(i: number): EntryDraft {
  return {
    subject: [{ name: `note-${i}`, digest: { sha256: 'cd'.repeat(32) } }],
    predicateType: 'urn:signet:test-note:v1',
    predicate: { i },
  };
}

function open(clock?: () => number): { ledger: Ledger; publicKey: Uint8Array } {
  const keys = generateKeyPair();
  const ledger = openSqliteLedger({
    file: path.join(dir, 'ledger.sqlite'),
    log: { origin: ORIGIN, signer: createSigner(keys.privatePem) },
    objects: createMemoryObjectStore(),
    ...(clock ? { clock } : {}),
  });
  return { ledger, publicKey: keys.publicKey };
}

describe('sqlite ledger', () => {
  it('backdating: a clock that steps back never makes a log time go backwards', async () => {
    const ticks = [
      Date.parse('2026-11-27T10:00:00.000Z'),
      Date.parse('2026-11-27T09:00:00.000Z'),
      Date.parse('2026-11-27T11:00:00.000Z'),
    ];
    let call = 0;
    const { ledger, publicKey } = open(() => ticks[Math.min(call++, ticks.length - 1)]!);
    const times: string[] = [];
    for (let i = 0; i < 3; i++) times.push((await ledger.append(note(i))).time);
    expect(times).toEqual([
      '2026-11-27T10:00:00.000Z',
      '2026-11-27T10:00:00.000Z',
      '2026-11-27T11:00:00.000Z',
    ]);
    // The stamp inside the signed statement is the same time.
    const stored = await ledger.read(1);
    expect(openEntry(stored.envelope, publicKey).statement.predicate.log.time).toBe(
      '2026-11-27T10:00:00.000Z',
    );
    await ledger.close();
  });

  it('roots, proofs and checkpoints agree with an in-memory tree at every size', async () => {
    const { ledger, publicKey } = open();
    const tree = new MemoryTree();
    for (let i = 0; i < 37; i++) {
      const sealed = await ledger.append(note(i));
      expect(sealed.index).toBe(i);
      tree.append(sealed.leafHash);
      const checkpoint = openCheckpoint((await ledger.checkpoint()).note, ORIGIN, publicKey);
      expect(checkpoint.size).toBe(i + 1);
      expect(Buffer.from(checkpoint.rootHash).equals(Buffer.from(tree.root()))).toBe(true);
    }
    for (let size = 1; size <= 37; size += 3) {
      const root = await ledger.root(size);
      for (let index = 0; index < size; index += 2) {
        const proof = await ledger.proveInclusion(index, size);
        expect(proof.map((h) => Buffer.from(h).toString('hex'))).toEqual(
          tree.inclusionProof(index, size).map((h) => Buffer.from(h).toString('hex')),
        );
        verifyInclusion(tree.leafHash(index), index, size, proof, root);
      }
      verifyConsistency(size, 37, root, await ledger.root(37), await ledger.proveConsistency(size, 37));
    }
    await expect(ledger.proveInclusion(37, 37)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await expect(ledger.proveConsistency(5, 38)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await ledger.close();
  });

  it('appends from several processes on one file are serialised: one tree, no fork, no gap', async () => {
    const keys = generateKeyPair();
    const file = path.join(dir, 'ledger.sqlite');
    const writer = (name: string, count: number): string => `
      import { openSqliteLedger } from ${JSON.stringify(distModule('store/sqlite-ledger.js'))};
      import { createMemoryObjectStore } from ${JSON.stringify(distModule('store/memory-object-store.js'))};
      import { createSigner } from ${JSON.stringify(distModule('signing/keys.js'))};
      const ledger = openSqliteLedger({
        file: ${JSON.stringify(file)},
        log: { origin: ${JSON.stringify(ORIGIN)}, signer: createSigner(${JSON.stringify(keys.privatePem)}) },
        objects: createMemoryObjectStore(),
      });
      const ids = [];
      for (let i = 0; i < ${count}; i++) {
        const e = await ledger.append({ subject: [{ name: '${name}-' + i, digest: { sha256: '${'ef'.repeat(32)}' } }],
          predicateType: 'urn:signet:test-note:v1', predicate: { writer: '${name}', i } });
        ids.push(e.id);
      }
      await ledger.close();
      process.stdout.write(JSON.stringify(ids));
    `;
    const runs = await Promise.all(['a', 'b', 'c', 'd'].map((name) => runNodeScript(writer(name, 40))));
    const acknowledged = runs.flatMap((run) => {
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as string[];
    });
    expect(new Set(acknowledged).size).toBe(160);

    const ledger = openSqliteLedger({
      file,
      log: { origin: ORIGIN, signer: createSigner(keys.privatePem) },
      objects: createMemoryObjectStore(),
    });
    expect(await ledger.size()).toBe(160);
    const tree = new MemoryTree();
    const seen = new Set<string>();
    let index = 0;
    for await (const entry of ledger.entries()) {
      const opened = openEntry(entry.envelope, keys.publicKey);
      expect(opened.index).toBe(index++);
      seen.add(opened.id);
      tree.append(opened.leafHash);
    }
    for (const id of acknowledged) expect(seen.has(id)).toBe(true);
    const checkpoint = openCheckpoint((await ledger.checkpoint()).note, ORIGIN, keys.publicKey);
    expect(checkpoint.size).toBe(160);
    expect(Buffer.from(checkpoint.rootHash).equals(Buffer.from(tree.root()))).toBe(true);
    await ledger.close();
  });
});
