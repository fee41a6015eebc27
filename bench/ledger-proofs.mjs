#!/usr/bin/env node
// Proof time at 1,000,000 entries, without spending 13 minutes signing a million entries first.
//
//   npm run build && node bench/ledger-proofs.mjs [--size N]
//
// The SQLite file is written directly in the adapter's schema: N entry rows (small placeholder
// envelopes: proofs never read them) and every perfect-subtree node, computed with the project's
// MemoryTree from N leaf hashes. Then the SQLite adapter, opened as `signet` opens it, answers 2,000
// inclusion and 2,000 consistency proofs at size N, each verified against the root recomputed here.
// Baseline: the root recomputed naively from the N leaf hashes in memory (RFC 9162 §2.1.1), which
// is what a tool that keeps no subtree hashes must do for every proof.
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import console from 'node:console';
import Database from 'better-sqlite3';

const { MemoryTree, hashLeaf, hashChildren, verifyInclusion, verifyConsistency } =
  await import('../dist/ledger/merkle.js');
const { openSqliteLedger } = await import('../dist/store/sqlite-ledger.js');
const { createMemoryObjectStore } = await import('../dist/store/memory-object-store.js');
const { createSigner, generateKeyPair } = await import('../dist/signing/keys.js');

const sizeArg = process.argv.indexOf('--size');
const N = sizeArg > 0 ? Number(process.argv[sizeArg + 1]) : 1_000_000;
const PROOFS = 2_000;
const dir = mkdtempSync(join(tmpdir(), 'signet-bench-proofs-'));
const file = join(dir, 'ledger.sqlite');

function naiveRoot(leaves, lo, hi) {
  const n = hi - lo;
  if (n === 1) return leaves[lo];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return hashChildren(naiveRoot(leaves, lo, lo + k), naiveRoot(leaves, lo + k, hi));
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

try {
  console.log(`signet ledger proofs at ${N.toLocaleString('en')} entries`);
  let t = performance.now();
  const keys = generateKeyPair();
  // Open once through the adapter so the schema is exactly the adapter's, then bulk-load it.
  await openSqliteLedger({
    file,
    log: { origin: 'bench/proofs', signer: createSigner(keys.privatePem) },
    objects: createMemoryObjectStore(),
  }).close();
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  const tree = new MemoryTree();
  const leaves = new Array(N);
  const insertEntry = db.prepare(
    'INSERT INTO entries (idx, id, kind, time, envelope) VALUES (?, ?, ?, ?, ?)',
  );
  const insertNode = db.prepare('INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)');
  const load = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const envelope = Buffer.from(`{"placeholder":${i}}`);
      const leaf = hashLeaf(envelope);
      leaves[i] = leaf;
      tree.append(leaf);
      insertEntry.run(
        i,
        'sha256:' + createHash('sha256').update(envelope).digest('hex'),
        'bench-note',
        '2026-11-28T00:00:00.000Z',
        envelope,
      );
      for (let level = 0, index = i; ; level++, index = Math.floor(index / 2)) {
        insertNode.run(level, index, tree.node({ level, index }));
        if (index % 2 === 0) break;
      }
    }
  });
  for (let from = 0; from < N; from += 100_000) load(from, Math.min(N, from + 100_000));
  db.close();
  console.log(
    `  built in ${((performance.now() - t) / 1000).toFixed(1)} s (direct SQLite load; not a result)`,
  );

  const ledger = openSqliteLedger({
    file,
    log: { origin: 'bench/proofs', signer: createSigner(keys.privatePem) },
    objects: createMemoryObjectStore(),
  });
  if ((await ledger.size()) !== N) throw new Error('size mismatch');
  const root = await ledger.root(N);
  t = performance.now();
  const naive = naiveRoot(leaves, 0, N);
  const naiveMs = performance.now() - t;
  if (Buffer.compare(Buffer.from(naive), Buffer.from(root)) !== 0) throw new Error('root mismatch');

  const inclusion = [];
  for (let k = 0; k < PROOFS; k++) {
    const index = randomBytes(4).readUInt32BE() % N;
    t = performance.now();
    const proof = await ledger.proveInclusion(index, N);
    inclusion.push(performance.now() - t);
    verifyInclusion(leaves[index], index, N, proof, root);
  }
  const consistency = [];
  for (let k = 0; k < PROOFS; k++) {
    const m = 1 + (randomBytes(4).readUInt32BE() % (N - 1));
    t = performance.now();
    const proof = await ledger.proveConsistency(m, N);
    consistency.push(performance.now() - t);
    verifyConsistency(m, N, await ledger.root(m), root, proof);
  }
  await ledger.close();
  const ms = (x) => `${x.toFixed(3)} ms`;
  console.log(
    `  inclusion proofs, ${PROOFS} random indices, all verified: median ${ms(pct(inclusion, 0.5))}, p99 ${ms(pct(inclusion, 0.99))}`,
  );
  console.log(
    `  consistency proofs, ${PROOFS} random m < ${N}, all verified: median ${ms(pct(consistency, 0.5))}, p99 ${ms(pct(consistency, 0.99))}`,
  );
  console.log(`  baseline: naive root over ${N.toLocaleString('en')} in-memory leaf hashes: ${ms(naiveMs)}`);
  console.log(
    `  ratio: inclusion ${(naiveMs / pct(inclusion, 0.5)).toFixed(0)}x, consistency ${(naiveMs / pct(consistency, 0.5)).toFixed(0)}x the baseline's speed`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
