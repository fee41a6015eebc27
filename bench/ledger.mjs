#!/usr/bin/env node
// Benchmark: the ledger against the tools users would otherwise run, on the same input in the same run.
//
//   npm run build && node bench/ledger.mjs      # full: 100,000 durable appends; proofs at 1,000,000 entries;
//                                               # `signet verify` over the 100,001-entry home
//   node bench/ledger.mjs --quick               # smoke run: 2,000 appends; proofs at 20,000 entries
//   node bench/ledger.mjs --out results.json    # also write every figure as JSON
//   BENCH_DIR=/somewhere BENCH_SEED=7 node bench/ledger.mjs
//
// 1. Durable appends through `home.ledger.append` (each one a SQLite transaction with synchronous=FULL and
//    an fsynced envelope object), against a hand-rolled log doing the least a durable log must: the same
//    envelope bytes as one row per transaction in a plain WAL + synchronous=FULL table, plus one file
//    written and fsynced per entry. The two run interleaved in blocks of 1,000 so that any drift in the
//    disk hits them alike.
// 2. Proofs at 1,000,000 entries through the SQLite adapter, every timed proof verified; against
//    recomputing the root from all leaf hashes (RFC 9162 §2.1.1), which is the least a tool without
//    stored subtree hashes must do for any proof.
// 3. `signet verify` (verifyHome) over the home of step 1; against the independent checker
//    ../shared/tools/verify-log (Python + one openssl process per signature) on a 1,000-entry export,
//    beside `signet verify --export` (verifyExport) on that same export.
//
// No targets are enforced: the figures are printed with their ratios. Exits 1 if a check fails.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

import Database from 'better-sqlite3';

const quick = process.argv.includes('--quick');
const outIndex = process.argv.indexOf('--out');
const outFile = outIndex >= 0 ? process.argv[outIndex + 1] : undefined;
if (outIndex >= 0 && !outFile) fail('--out needs a file name');

const sizes = quick
  ? { appends: 2_000, tree: 20_000, proofs: 500, exportEntries: 200, treeBatch: 5_000 }
  : { appends: 100_000, tree: 1_000_000, proofs: 2_000, exportEntries: 1_000, treeBatch: 100_000 };
const BLOCK = 1_000;
const VERIFY_ROUNDS = 3;
const NAIVE_ROUNDS = 3;
const SEED = Number(process.env.BENCH_SEED ?? 20240611);
const PREDICATE_TYPE = 'urn:signet:bench-note:v1';
const NODE_PREFIX = Buffer.from([0x01]);

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (relative) => join(repo, 'dist', relative);
if (!existsSync(dist('store/memory-object-store.js'))) {
  fail(`${dist('store/memory-object-store.js')} is missing; run \`npm run build\` first`);
}
const load = (relative) => import(pathToFileURL(dist(relative)).href);
const { initHome } = await load('app/init.js');
const { openHome } = await load('app/home.js');
const { verifyHome } = await load('app/verify.js');
const { exportLog } = await load('app/log.js');
const { verifyExport } = await load('verify/verify-export.js');
const { openSqliteLedger } = await load('store/sqlite-ledger.js');
const { createMemoryObjectStore } = await load('store/memory-object-store.js');
const { createGenesisDraft } = await load('ledger/genesis.js');
const { verifyConsistency, verifyInclusion } = await load('ledger/merkle.js');
const { createSigner, generateKeyPair } = await load('signing/keys.js');

const verifyLogTool = join(repo, '..', 'shared', 'tools', 'verify-log');
const workDir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'signet-bench-ledger-'));
const results = { quick, seed: SEED, sizes, machine: {}, appends: {}, proofs: {}, verify: {} };

try {
  printHeader();
  await benchAppends();
  await benchVerify();
  await benchProofs();
  printSummary();
  if (outFile) {
    writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');
    console.log(`\nresults written to ${outFile}`);
  }
} catch (error) {
  console.error(`\nFAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

function printHeader() {
  const probe = new Database(':memory:');
  const sqlite = probe.prepare('SELECT sqlite_version() AS v').get().v;
  probe.close();
  const python = firstLine(run('python3', ['--version']).stdout);
  const openssl = firstLine(run('openssl', ['version']).stdout);
  Object.assign(results.machine, {
    node: process.version,
    sqlite,
    python,
    openssl,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    workDir,
  });
  console.log(`signet ledger benchmark${quick ? ' (--quick: smaller sizes, a smoke run)' : ''}`);
  console.log(
    `node ${process.version}, SQLite ${sqlite} (better-sqlite3), ${python}, ${openssl}, ` +
      `${availableParallelism()} cores (${results.machine.cpu})`,
  );
  console.log(`work dir ${workDir}; seed ${SEED}; times are wall clock, ms = milliseconds`);
  results.machine.loadStart = loadavg();
  console.log(`load average at start ${formatLoad()} (other processes share the cores and the disk)`);
}

// 1. Durable appends.
async function benchAppends() {
  const n = sizes.appends;
  console.log(
    `\n1. durable appends: ${fmtInt(n)} entries, one at a time, interleaved in blocks of ${fmtInt(BLOCK)}`,
  );
  const { home } = await initHome(join(workDir, 'home'));
  const baseDir = join(workDir, 'baseline');
  const filesDir = join(baseDir, 'entries');
  mkdirSync(filesDir, { recursive: true });
  const db = new Database(join(baseDir, 'log.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE log (idx INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO log (idx, body) VALUES (?, ?)');
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');

  const signetMs = new Float64Array(n);
  const baselineMs = new Float64Array(n);
  let envelopeBytes = 0;
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    const envelopes = [];
    for (let i = start; i < end; i++) {
      const draft = noteDraft(i);
      const t0 = performance.now();
      const sealed = await home.ledger.append(draft);
      signetMs[i] = performance.now() - t0;
      envelopes.push(sealed.envelope);
      envelopeBytes += sealed.envelope.length;
    }
    // The baseline stores the very envelopes Signet just sealed: one row per transaction, one file each.
    for (let i = start; i < end; i++) {
      const body = envelopes[i - start];
      const t0 = performance.now();
      begin.run();
      insert.run(i, body);
      commit.run();
      const fd = openSync(join(filesDir, `${i}.dsse.json`), 'wx');
      writeSync(fd, body);
      fsyncSync(fd);
      closeSync(fd);
      baselineMs[i] = performance.now() - t0;
    }
    progress(`appends ${fmtInt(end)} / ${fmtInt(n)}`);
  }
  db.close();
  const size = await home.ledger.size();
  await home.close();
  check(size === n + 1, `the home holds ${size} entries, expected ${n + 1} (genesis + ${n})`);
  rmSync(baseDir, { recursive: true, force: true });

  const signet = latencySummary(signetMs);
  const baseline = latencySummary(baselineMs);
  Object.assign(results.appends, {
    entries: n,
    meanEnvelopeBytes: Math.round(envelopeBytes / n),
    signet,
    baseline,
    ratio: signet.perSecond / baseline.perSecond,
  });
  console.log(`  mean envelope ${fmtInt(results.appends.meanEnvelopeBytes)} bytes`);
  console.log(
    `  signet   home.ledger.append              ${rate(signet.perSecond)} entries/s, ` +
      `p50 ${ms(signet.p50)}, p99 ${ms(signet.p99)}`,
  );
  console.log(
    `  baseline SQLite row txn + fsynced file   ${rate(baseline.perSecond)} entries/s, ` +
      `p50 ${ms(baseline.p50)}, p99 ${ms(baseline.p99)}`,
  );
  console.log(`  ratio    ${ratio(results.appends.ratio)} the baseline's rate`);
}

// 3. `signet verify`, run before step 2 so the 100k home can be removed before the 1M tree is built.
async function benchVerify() {
  const n = sizes.appends + 1;
  console.log(`\n3. signet verify`);
  const home = await openHome(join(workDir, 'home'));
  const t0 = performance.now();
  const report = await verifyHome(home);
  const homeSeconds = (performance.now() - t0) / 1000;
  await home.close();
  check(report.ok && report.size === n, `verifyHome checked ${report.size} entries, expected ${n}`);
  check(report.objectsChecked === n, `verifyHome checked ${report.objectsChecked} objects, expected ${n}`);
  rmSync(join(workDir, 'home'), { recursive: true, force: true });
  results.verify.home = { entries: n, seconds: homeSeconds, perSecond: n / homeSeconds };
  console.log(
    `  verifyHome over the step-1 home, ${fmtInt(n)} entries (signatures, tree, checkpoint, ` +
      `${fmtInt(report.objectsChecked)} objects re-hashed): ${seconds(homeSeconds)}, ${rate(n / homeSeconds)} entries/s`,
  );

  // A separate home of exportEntries entries (genesis + notes of the same shape), exported as files.
  const m = sizes.exportEntries;
  const { home: small } = await initHome(join(workDir, 'small-home'));
  for (let i = 0; i < m - 1; i++) await small.ledger.append(noteDraft(i));
  const exportDir = join(workDir, 'export');
  const exported = await exportLog(small, exportDir);
  await small.close();
  check(exported.size === m, `the export holds ${exported.size} entries, expected ${m}`);

  const toolPresent = existsSync(verifyLogTool);
  const exportSeconds = [];
  const toolSeconds = [];
  for (let round = 0; round < VERIFY_ROUNDS; round++) {
    const t1 = performance.now();
    const verified = await verifyExport(exportDir);
    exportSeconds.push((performance.now() - t1) / 1000);
    check(verified.size === m && verified.checkpointSize === m, `verifyExport checked ${verified.size}`);
    if (!toolPresent) continue;
    const t2 = performance.now();
    const tool = run(verifyLogTool, [exportDir]);
    toolSeconds.push((performance.now() - t2) / 1000);
    check(
      tool.status === 0 &&
        tool.stdout.includes(`ok ${m} entries`) &&
        tool.stdout.includes(`ok root over ${m} entries`),
      `verify-log did not accept the export: ${tool.stdout}${tool.stderr}`,
    );
  }
  const exportBest = Math.min(...exportSeconds);
  results.verify.export = { entries: m, seconds: exportBest, perSecond: m / exportBest };
  console.log(
    `  verifyExport (signet verify --export), ${fmtInt(m)}-entry export, best of ${VERIFY_ROUNDS}: ` +
      `${seconds(exportBest)}, ${rate(m / exportBest)} entries/s`,
  );
  if (!toolPresent) {
    console.log(`  baseline skipped: ${verifyLogTool} is missing`);
    results.verify.tool = null;
    return;
  }
  const toolBest = Math.min(...toolSeconds);
  results.verify.tool = { entries: m, seconds: toolBest, perSecond: m / toolBest };
  results.verify.homeRatio = results.verify.home.perSecond / results.verify.tool.perSecond;
  results.verify.exportRatio = results.verify.export.perSecond / results.verify.tool.perSecond;
  console.log(
    `  baseline ../shared/tools/verify-log, same export, best of ${VERIFY_ROUNDS}: ` +
      `${seconds(toolBest)}, ${rate(m / toolBest)} entries/s`,
  );
  console.log(
    `  ratio    verifyHome ${ratio(results.verify.homeRatio)}, verifyExport ` +
      `${ratio(results.verify.exportRatio)} verify-log's rate`,
  );
}

// 2. Proofs at tree size sizes.tree.
async function benchProofs() {
  const n = sizes.tree;
  console.log(`\n2. proofs at ${fmtInt(n)} entries`);
  const file = join(workDir, 'tree.sqlite');
  const keys = generateKeyPair();
  const signer = createSigner(keys.privatePem);
  const log = { origin: 'bench/ledger', signer };
  const leafHashes = new Uint8Array(32 * n);

  // Built with durability 'fast' (synchronous=OFF): n fsynced appends would take hours. The adapter is
  // reopened every batch with a fresh memory object store, so the envelopes never pile up in memory; the
  // proofs read only the tree, never the objects.
  const t0 = performance.now();
  for (let start = 0; start < n; start += sizes.treeBatch) {
    const ledger = openSqliteLedger({ file, log, objects: createMemoryObjectStore(), durability: 'fast' });
    const end = Math.min(n, start + sizes.treeBatch);
    for (let i = start; i < end; i++) {
      const draft =
        i === 0 ? createGenesisDraft({ origin: log.origin, logPublicKey: keys.publicKey }) : noteDraft(i);
      const sealed = await ledger.append(draft);
      leafHashes.set(sealed.leafHash, 32 * i);
    }
    await ledger.close();
    progress(`tree ${fmtInt(end)} / ${fmtInt(n)}`);
  }
  const buildSeconds = (performance.now() - t0) / 1000;
  results.proofs.build = {
    entries: n,
    seconds: buildSeconds,
    how:
      `ledger.append through openSqliteLedger with durability 'fast' (synchronous=OFF) and the memory ` +
      `object store, in batches of ${fmtInt(sizes.treeBatch)}; proofs timed after reopening with the defaults`,
  };
  console.log(
    `  built: ${fmtInt(n)} appends through openSqliteLedger, durability 'fast' (synchronous=OFF), memory ` +
      `object store, reopened every ${fmtInt(sizes.treeBatch)}: ${seconds(buildSeconds)} ` +
      `(${rate(n / buildSeconds)} entries/s, not durable, not a result)`,
  );

  // Proofs are timed on the ledger as a home opens it (synchronous=FULL, the default). Each one is checked
  // against roots computed here from the leaf hashes, with none of Signet's tree code.
  const ledger = openSqliteLedger({ file, log, objects: createMemoryObjectStore() });
  check((await ledger.size()) === n, `the tree holds ${await ledger.size()} entries, expected ${n}`);
  const levels = perfectSubtrees(leafHashes, n);
  const root = independentRoot(levels, n);
  check(Buffer.from(await ledger.root(n)).equals(root), 'the ledger root differs from the recomputed root');
  const random = mulberry32(SEED);
  const below = (limit) => Math.floor(random() * limit);

  const inclusionMs = new Float64Array(sizes.proofs);
  for (let k = 0; k < sizes.proofs; k++) {
    const index = below(n);
    const t1 = performance.now();
    const proof = await ledger.proveInclusion(index, n);
    inclusionMs[k] = performance.now() - t1;
    verifyInclusion(levels[0].subarray(32 * index, 32 * index + 32), index, n, proof, root);
  }

  const consistencyMs = new Float64Array(sizes.proofs);
  for (let k = 0; k < sizes.proofs; k++) {
    let a = 1 + below(n);
    let b = 1 + below(n);
    while (a === b) b = 1 + below(n);
    if (a > b) [a, b] = [b, a];
    const t1 = performance.now();
    const proof = await ledger.proveConsistency(a, b);
    consistencyMs[k] = performance.now() - t1;
    verifyConsistency(a, b, independentRoot(levels, a), independentRoot(levels, b), proof);
  }

  // Every proof call first checks the requested size against the ledger's size; timed alone here so
  // that the proof figures can be read.
  const sizeMs = new Float64Array(50);
  for (let k = 0; k < sizeMs.length; k++) {
    const t1 = performance.now();
    await ledger.size();
    sizeMs[k] = performance.now() - t1;
  }
  await ledger.close();

  // Baseline: the root recomputed from all n leaf hashes, already in memory (reading them is not counted).
  const naiveMs = [];
  for (let round = 0; round < NAIVE_ROUNDS; round++) {
    const t1 = performance.now();
    const naiveRoot = naiveTreeHash(leafHashes, 0, n);
    naiveMs.push(performance.now() - t1);
    check(Buffer.from(naiveRoot).equals(Buffer.from(root)), 'the naive root differs from the ledger root');
  }
  const naive = median(naiveMs);
  const inclusion = latencySummary(inclusionMs);
  const consistency = latencySummary(consistencyMs);
  const sizeCall = latencySummary(sizeMs);
  Object.assign(results.proofs, {
    entries: n,
    proofs: sizes.proofs,
    inclusion,
    consistency,
    sizeCall,
    naiveRootMs: naive,
    naiveRootRounds: naiveMs,
    inclusionRatio: naive / inclusion.p50,
    consistencyRatio: naive / consistency.p50,
  });
  console.log(
    `  inclusion proofs, ${fmtInt(sizes.proofs)} random indices at size ${fmtInt(n)}, all verified: ` +
      `median ${ms(inclusion.p50)}, p99 ${ms(inclusion.p99)}`,
  );
  console.log(
    `  consistency proofs, ${fmtInt(sizes.proofs)} random pairs m < n <= ${fmtInt(n)}, all verified: ` +
      `median ${ms(consistency.p50)}, p99 ${ms(consistency.p99)}`,
  );
  console.log(
    `  of which: ledger.size() (run once per proof call, SELECT COUNT(*)), timed alone: ` +
      `median ${ms(sizeCall.p50)}, p99 ${ms(sizeCall.p99)}`,
  );
  console.log(
    `  baseline root recomputed from ${fmtInt(n)} in-memory leaf hashes (RFC 9162 §2.1.1), median of ` +
      `${NAIVE_ROUNDS}: ${ms(naive)}`,
  );
  console.log(
    `  ratio    inclusion ${ratio(results.proofs.inclusionRatio)}, consistency ` +
      `${ratio(results.proofs.consistencyRatio)} the baseline's speed (baseline time / median proof time)`,
  );
}

function printSummary() {
  const { appends, proofs, verify } = results;
  const rows = [
    ['measure', 'signet', 'baseline', 'ratio'],
    [
      `durable appends, ${fmtInt(appends.entries)} entries`,
      `${rate(appends.signet.perSecond)} entries/s`,
      `${rate(appends.baseline.perSecond)} entries/s (SQLite row + fsynced file)`,
      ratio(appends.ratio),
    ],
    [
      '  append latency p50 / p99',
      `${ms(appends.signet.p50)} / ${ms(appends.signet.p99)}`,
      `${ms(appends.baseline.p50)} / ${ms(appends.baseline.p99)}`,
      '',
    ],
    [
      `inclusion proof at ${fmtInt(proofs.entries)}, median / p99`,
      `${ms(proofs.inclusion.p50)} / ${ms(proofs.inclusion.p99)}`,
      `${ms(proofs.naiveRootMs)} (naive root)`,
      ratio(proofs.inclusionRatio),
    ],
    [
      `consistency proof at ${fmtInt(proofs.entries)}, median / p99`,
      `${ms(proofs.consistency.p50)} / ${ms(proofs.consistency.p99)}`,
      `${ms(proofs.naiveRootMs)} (naive root)`,
      ratio(proofs.consistencyRatio),
    ],
    [
      `signet verify, ${fmtInt(verify.home.entries)} entries`,
      `${rate(verify.home.perSecond)} entries/s`,
      verify.tool
        ? `${rate(verify.tool.perSecond)} entries/s (verify-log, ${fmtInt(verify.tool.entries)})`
        : 'skipped',
      verify.tool ? ratio(verify.homeRatio) : '',
    ],
    [
      `signet verify --export, ${fmtInt(verify.export.entries)} entries`,
      `${rate(verify.export.perSecond)} entries/s`,
      verify.tool ? `${rate(verify.tool.perSecond)} entries/s (verify-log, same export)` : 'skipped',
      verify.tool ? ratio(verify.exportRatio) : '',
    ],
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  console.log('\nsummary (ratio: signet speed / baseline speed; above 1x signet is faster)');
  for (const [i, row] of rows.entries()) {
    console.log(
      '  ' +
        row
          .map((cell, column) => cell.padEnd(widths[column]))
          .join('   ')
          .trimEnd(),
    );
    if (i === 0) console.log('  ' + widths.map((width) => '-'.repeat(width)).join('   '));
  }
  console.log(`  the ${fmtInt(proofs.entries)}-entry ledger: ${proofs.build.how}`);
  results.machine.loadEnd = loadavg();
  console.log(`  load average at end ${formatLoad()}`);
}

function noteDraft(i) {
  const digest = createHash('sha256').update(`bench note ${i}`).digest('hex');
  return {
    subject: [{ name: `note-${i}.txt`, digest: { sha256: digest } }],
    predicateType: PREDICATE_TYPE,
    predicate: { sequence: i, note: 'a small benchmark entry' },
  };
}

/**
 * levels[l] holds, packed 32 bytes apiece, the hash of every complete subtree of 2^l leaves aligned at a
 * multiple of 2^l (RFC 9162 §2.1.1): what a log stores so that it never rebuilds the tree.
 */
function perfectSubtrees(leaves, n) {
  const levels = [leaves.subarray(0, 32 * n)];
  for (let count = n; count >= 2; count = Math.floor(count / 2)) {
    const below = levels[levels.length - 1];
    const level = new Uint8Array(32 * Math.floor(count / 2));
    for (let i = 0; 2 * i + 1 < count; i++) {
      level.set(
        nodeHash(below.subarray(64 * i, 64 * i + 32), below.subarray(64 * i + 32, 64 * i + 64)),
        32 * i,
      );
    }
    levels.push(level);
  }
  return levels;
}

/** MTH of the first m leaves from the complete subtrees: one per set bit of m, folded right to left. */
function independentRoot(levels, m) {
  const parts = [];
  let offset = 0;
  for (let level = levels.length - 1; level >= 0; level--) {
    if ((m & (2 ** level)) === 0) continue;
    const index = offset / 2 ** level;
    parts.push(levels[level].subarray(32 * index, 32 * index + 32));
    offset += 2 ** level;
  }
  let root = parts.pop();
  while (parts.length > 0) root = nodeHash(parts.pop(), root);
  return Buffer.from(root);
}

function nodeHash(left, right) {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** MTH(D[lo:hi]) from leaf hashes (RFC 9162 §2.1.1), with no stored subtrees and none of Signet's code. */
function naiveTreeHash(leaves, lo, hi) {
  const count = hi - lo;
  if (count === 1) return leaves.subarray(32 * lo, 32 * lo + 32);
  let split = 1;
  while (split * 2 < count) split *= 2;
  const left = naiveTreeHash(leaves, lo, lo + split);
  const right = naiveTreeHash(leaves, lo + split, hi);
  return nodeHash(left, right);
}

function latencySummary(values) {
  const sorted = Float64Array.from(values).sort();
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    totalMs: total,
    perSecond: (sorted.length * 1000) / total,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
  };
}

/** Nearest rank. */
function percentile(sorted, p) {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

function median(values) {
  return percentile(Float64Array.from(values).sort(), 0.5);
}

function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  return result;
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

function fail(message) {
  console.error(`bench/ledger.mjs: ${message}`);
  process.exit(1);
}

function progress(text) {
  process.stderr.write(`  ${text}\n`);
}

function fmtInt(value) {
  return value.toLocaleString('en-US');
}

function rate(perSecond) {
  return fmtInt(Math.round(perSecond));
}

function ms(value) {
  return `${value < 1 ? value.toFixed(3) : value < 100 ? value.toFixed(2) : fmtInt(Math.round(value))} ms`;
}

function seconds(value) {
  return `${value.toFixed(2)} s`;
}

function ratio(value) {
  return `${value < 10 ? value.toFixed(2) : fmtInt(Math.round(value))}x`;
}

function formatLoad() {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

function firstLine(text) {
  return text.split('\n')[0].trim();
}
