#!/usr/bin/env node
// Benchmark: ingestion of scoring traffic (src/monitor/ingest.ts) on a generated CSV of a timestamp and
// 20 numeric columns, and on the same rows as NDJSON, with `wc -l` on the same file for scale.
//
//   npm run build && node bench/psi-ingest.mjs          # 200 MB inputs
//   node bench/psi-ingest.mjs --mb 1100                  # larger inputs (the issue's bench is >= 1 GiB)
//   BENCH_DIR=/somewhere node bench/psi-ingest.mjs       # inputs there (kept and reused), not in a temp dir
//   SIGNET_DIST=/other/dist node bench/psi-ingest.mjs    # compiled modules from elsewhere than dist/
//
// Ingestion calls binOf for every value, so its cost shows: two are measured, both as bins.ts would
// answer, one bisecting the edges (mispredicted branches on random values), one counting the edges below
// the value. Each variant runs in a child process of its own, best of 3 after one untimed pass (page cache, JIT),
// so that its peak RSS is its own. MB/s = 10^6 bytes per second. The comparison with pandas read_csv +
// numpy histograms is bench/psi's job; this one tracks the reader and the binning on their own.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROUNDS = 3;
const FEATURES = Array.from({ length: 20 }, (_, i) => `f${i}`);
// Deciles of the generated values (uniform on [-20, 80)): what reference bins would hold.
const EDGES = Float64Array.from({ length: 9 }, (_, i) => -10 + 10 * i);
const CHUNK = 1 << 20;

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.SIGNET_DIST ?? join(repo, 'dist');

if (process.argv[2] === '--variant') {
  await runVariant(process.argv[3], process.argv[4]);
} else {
  await main();
}

async function main() {
  const mbIndex = process.argv.indexOf('--mb');
  const megabytes = mbIndex === -1 ? 200 : Number(process.argv[mbIndex + 1]);
  if (!existsSync(join(dist, 'monitor', 'ingest.js'))) {
    console.error(
      `bench/psi-ingest.mjs: ${join(dist, 'monitor', 'ingest.js')} is missing; run \`npm run build\` first`,
    );
    process.exit(2);
  }
  const workDir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'signet-bench-psi-ingest-'));
  const keep = process.env.BENCH_DIR !== undefined;
  mkdirSync(workDir, { recursive: true });
  try {
    const csv = join(workDir, `traffic-${megabytes}MB.csv`);
    const ndjson = join(workDir, `traffic-${megabytes}MB.ndjson`);
    const rows = ensureInputs(csv, ndjson, megabytes * 1e6);
    console.log(`psi ingestion benchmark: node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`);
    console.log(
      `${rows} rows of a timestamp + ${FEATURES.length} numeric columns; best of ${ROUNDS}, MB/s = 10^6 B/s`,
    );

    const csvBytes = statSync(csv).size;
    const ndjsonBytes = statSync(ndjson).size;
    const wc = best(() => {
      const t = performance.now();
      const result = spawnSync('wc', ['-l', csv], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`wc -l failed: ${result.stderr}`);
      return { ms: performance.now() - t, rows: Number(result.stdout.trim().split(/\s+/)[0]) - 1 };
    });
    const results = [
      ['wc -l (same CSV)', csvBytes, wc],
      ['CSV reader: every field read (decimal)', csvBytes, variant('csv-read', csv)],
      ['ingest CSV: binOf bisects', csvBytes, variant('ingest-csv', csv)],
      ['ingest CSV: binOf counts edges below', csvBytes, variant('ingest-csv-count', csv)],
      ['ingest CSV: binOf bisects, no numeric hint', csvBytes, variant('ingest-csv-text', csv)],
      ['ingest NDJSON: hour windows', ndjsonBytes, variant('ingest-ndjson', ndjson)],
    ];
    console.log(`\nCSV ${(csvBytes / 1e6).toFixed(0)} MB, NDJSON ${(ndjsonBytes / 1e6).toFixed(0)} MB`);
    for (const [label, bytes, result] of results) {
      if (result.rows !== rows) throw new Error(`${label}: ${result.rows} rows, expected ${rows}`);
      const rss =
        result.peakRss === undefined ? '' : `   peak RSS ${(result.peakRss / 2 ** 20).toFixed(0)} MiB`;
      console.log(
        `  ${label.padEnd(44)} ${(bytes / 1e6 / (result.ms / 1000)).toFixed(0).padStart(6)} MB/s ` +
          `${(result.ms / 1000).toFixed(3).padStart(8)} s${rss}`,
      );
    }
  } finally {
    if (!keep) rmSync(workDir, { recursive: true, force: true });
  }
}

function best(once) {
  once();
  let fastest;
  let peakRss;
  for (let round = 0; round < ROUNDS; round++) {
    const result = once();
    if (fastest === undefined || result.ms < fastest.ms) fastest = result;
    if (result.peakRss !== undefined) peakRss = Math.max(peakRss ?? 0, result.peakRss);
  }
  return { ...fastest, peakRss };
}

function variant(name, file) {
  return best(() => {
    const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--variant', name, file], {
      encoding: 'utf8',
      env: { ...process.env, SIGNET_DIST: dist },
    });
    if (result.status !== 0) throw new Error(`${name} failed:\n${result.stderr}`);
    return JSON.parse(result.stdout);
  });
}

async function runVariant(name, file) {
  const { createCsvReader } = await import(pathToFileURL(join(dist, 'monitor', 'csv.js')).href);
  const { ingest } = await import(pathToFileURL(join(dist, 'monitor', 'ingest.js')).href);
  const source = () => createReadStream(file, { highWaterMark: CHUNK });
  const edges = new Map(FEATURES.map((feature) => [feature, [...EDGES]]));
  // What binIndex over reference bins does: find the feature's bins, read the value, bisect the edges.
  const bisect = (feature, raw) => {
    const featureEdges = edges.get(feature);
    const value = typeof raw === 'number' ? raw : readNumber(raw);
    if (!Number.isFinite(value)) return featureEdges.length + 1;
    let low = 0;
    let high = featureEdges.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (featureEdges[middle] < value) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  // The same bin as a count of the edges below the value: no branch to mispredict on random values.
  const count = (feature, raw) => {
    const featureEdges = edges.get(feature);
    const value = typeof raw === 'number' ? raw : readNumber(raw);
    if (!Number.isFinite(value)) return featureEdges.length + 1;
    let bin = 0;
    for (let i = 0; i < featureEdges.length; i++) bin += Number(featureEdges[i] < value);
    return bin;
  };
  const common = {
    features: FEATURES,
    binOf: name === 'ingest-csv-count' ? count : bisect,
    binCount: () => EDGES.length + 2,
    window: 'hour',
    timestampColumn: 'ts',
  };
  const t = performance.now();
  let rows;
  if (name === 'csv-read') {
    const reader = createCsvReader();
    let sum = 0;
    rows = 0;
    const drain = () => {
      for (let item = reader.next(); item !== undefined; item = reader.next()) {
        if (item.kind !== 'record') continue;
        rows++;
        sum += item.text(0).length;
        for (let i = 1; i < item.length; i++) sum += item.decimal(i);
      }
    };
    for await (const chunk of source()) {
      reader.push(chunk);
      drain();
    }
    reader.end();
    drain();
    if (Number.isNaN(sum)) throw new Error('a field did not read as a number');
  } else {
    const report = await ingest({
      ...common,
      source: source(),
      format: name === 'ingest-ndjson' ? 'ndjson' : 'csv',
      ...(name === 'ingest-csv-text' ? {} : { kindOf: () => 'numeric' }),
    });
    if (report.totals.counted !== report.totals.rows)
      throw new Error(`not every row counted: ${JSON.stringify(report.totals)}`);
    rows = report.totals.rows;
  }
  const ms = performance.now() - t;
  process.stdout.write(JSON.stringify({ ms, rows, peakRss: process.resourceUsage().maxRSS * 1024 }));
}

function readNumber(text) {
  if (text === null || text === undefined) return NaN;
  const trimmed = text.trim();
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : NaN;
}

/** Writes both inputs (the same rows) unless they are there; returns the number of rows. */
function ensureInputs(csv, ndjson, bytes) {
  const marker = `${csv}.rows`;
  if (existsSync(csv) && existsSync(ndjson) && existsSync(marker)) {
    return Number(readFileSync(marker, 'utf8'));
  }
  const csvFd = openSync(csv, 'w');
  const ndjsonFd = openSync(ndjson, 'w');
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const start = Date.parse('2026-01-01T00:00:00Z');
  let csvText = `ts,${FEATURES.join(',')}\n`;
  let ndjsonText = '';
  let written = 0;
  let rows = 0;
  while (written < bytes) {
    const ts = new Date(start + rows * 100).toISOString();
    const values = FEATURES.map(() => (random() * 100 - 20).toFixed(4));
    csvText += `${ts},${values.join(',')}\n`;
    ndjsonText += `{"ts":"${ts}",${FEATURES.map((f, i) => `"${f}":${values[i]}`).join(',')}}\n`;
    rows++;
    if (csvText.length >= CHUNK) {
      written += csvText.length;
      writeSync(csvFd, csvText);
      writeSync(ndjsonFd, ndjsonText);
      csvText = '';
      ndjsonText = '';
    }
  }
  writeSync(csvFd, csvText);
  writeSync(ndjsonFd, ndjsonText);
  closeSync(csvFd);
  closeSync(ndjsonFd);
  writeFileSync(marker, String(rows));
  return rows;
}
