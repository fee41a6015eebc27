#!/usr/bin/env node
// Benchmark: population-shift monitoring of a large traffic CSV, Signet against what a Python user would
// run — pandas `read_csv` plus numpy counts in the same reference bins, then PSI — on the same file in the
// same run, with both tools' results checked equal.
//
//   npm run build && node bench/psi.mjs      # a CSV of 1100 MB (>= 1 GiB, the issue's size)
//   node bench/psi.mjs --mb 50               # smoke run: a smaller CSV, targets reported, not enforced
//   node bench/psi.mjs --rounds 2            # best of 2 instead of 3 (quicker)
//   BENCH_DIR=/tmp/psi-bench node bench/psi.mjs   # inputs there (kept and reused), not in a temp dir
//
// Target (issue "bench/psi"): Signet's ingestion plus PSI at least 2x faster than pandas, in constant
// memory, on a CSV of at least 1 GiB with 20 numeric features.
//
// The input: a reference sample of 100,000 rows and a traffic CSV of a `ts` column (RFC 3339, spread
// evenly over 24 hours) and 20 numeric features f0..f19 of assorted shapes — normal, log-normal, uniform,
// small integers and halves (many values exactly on a bin edge), a mixture, one column with empty cells —
// of which several drift over the last 12 hours, so that PSI ranges from noise to material. The
// reference bins are computed by Signet's computeFeatureBins (deciles, numpy.quantile's default) on the
// sample and written to a JSON file that both sides read.
//
// The tools, each a child process of its own, rounds interleaved, best of --rounds after one untimed
// read of the CSV into the page cache. Wall time runs from spawn to exit (Node start-up and
// `import pandas` included); CPU time and peak RSS are what each child reports of itself (getrusage:
// user + system of every thread, ru_maxrss). On a machine shared with other work the wall times move with
// the load, the CPU times much less: both are printed.
// - Signet: `ingestFile` from dist/ (hourly windows from `ts`, the reference bins passed as data, as
//   `signet monitor ingest FILE` calls it): the file cut at line breaks into one range per thread (the
//   default: the cores available, at most 4), each range ingested by a worker thread, the reports
//   merged; then `assessWindow` (PSI, chi-square, p-value) per window and feature — what the command
//   does, minus storing the counts;
// - pandas: bench/psi_pandas.py under Debian's /usr/bin/python3 with python3-pandas (installed here
//   with apt-get when missing): `read_csv` of the whole file with the timestamps parsed by
//   `pandas.to_datetime` afterwards, and again with `read_csv(parse_dates=['ts'])`; then with
//   `chunksize=1000000`, the bounded-memory way. Hours by `dt.floor('h')`; per feature
//   `numpy.searchsorted` + `numpy.bincount` into Signet's bins; PSI with the same epsilon.
// The target is judged against the fastest pandas way. The counts per window and feature must be equal,
// and PSI within 1e-9, or the bench fails. MB/s = 10^6 bytes per second. Exits 1 naming a target missed
// (not with --mb below the issue's 1 GiB).
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const DEFAULT_MB = 1100;
const DEFAULT_ROUNDS = 3;
const SPEED_TARGET = 2;
// Peak RSS on the whole file at most this many times the peak on its first tenth: constant memory.
const MEMORY_GROWTH_LIMIT = 1.5;
const PSI_TOLERANCE = 1e-9;
const PANDAS_CHUNKSIZE = 1_000_000;
const REFERENCE_ROWS = 100_000;
const HOURS = 24;
// The Debian interpreter: the `python3` on PATH may be another build, without pandas.
const PYTHON = '/usr/bin/python3';
// Bump when the generator changes, so that inputs kept in BENCH_DIR are not reused.
const DATA_VERSION = 1;
const WRITE_CHUNK = 4 * MiB;
const FEATURES = Array.from({ length: 20 }, (_, i) => `f${i}`);
const START_MS = Date.parse('2026-03-02T00:00:00Z');

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.SIGNET_DIST ?? join(repo, 'dist');
const APP_MODULES = new Set(['ingest-file', 'ingest-worker']);
const moduleOf = (name) =>
  pathToFileURL(join(dist, APP_MODULES.has(name) ? 'app' : 'monitor', `${name}.js`)).href;

if (process.argv[2] === '--signet-child') {
  await runSignet(process.argv[3], process.argv[4]);
} else {
  await main();
}

async function main() {
  const megabytes = numberOption('--mb', DEFAULT_MB);
  const rounds = numberOption('--rounds', DEFAULT_ROUNDS);
  const fullSize = megabytes * 1e6 >= GiB;
  for (const name of ['ingest', 'ingest-file', 'ingest-worker', 'bins', 'reference', 'stats']) {
    if (!existsSync(fileURLToPath(moduleOf(name)))) {
      console.error(
        `bench/psi.mjs: ${fileURLToPath(moduleOf(name))} is missing; run \`npm run build\` first`,
      );
      process.exit(2);
    }
  }
  ensurePandas();

  const workDir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'signet-bench-psi-'));
  const keep = process.env.BENCH_DIR !== undefined;
  mkdirSync(workDir, { recursive: true });
  try {
    const csv = join(workDir, `traffic-v${DATA_VERSION}-${megabytes}MB.csv`);
    const referenceJson = join(workDir, `reference-v${DATA_VERSION}.json`);
    const t = performance.now();
    const generated = ensureTraffic(csv, megabytes * 1e6);
    const reference = await writeReference(join(workDir, `reference-v${DATA_VERSION}.csv`), referenceJson);
    const bytes = statSync(csv).size;
    if (bytes < megabytes * 1e6) throw new Error(`${csv} has ${bytes} bytes, fewer than ${megabytes * 1e6}`);
    if (fullSize && bytes < GiB) throw new Error(`${csv} has ${bytes} bytes, less than 1 GiB`);

    const versions = JSON.parse(
      run(PYTHON, [
        '-c',
        'import json, sys, numpy, pandas; print(json.dumps({"python": sys.version.split()[0], ' +
          '"pandas": pandas.__version__, "numpy": numpy.__version__}))',
      ]).stdout,
    );
    console.log('signet population-shift benchmark: ingestion + PSI against pandas read_csv + numpy');
    console.log(
      `${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / GiB).toFixed(0)} GiB RAM`,
    );
    console.log(
      `node ${process.version}; ${PYTHON} ${versions.python}, pandas ${versions.pandas}, numpy ${versions.numpy}`,
    );
    console.log(`load average at start: ${formatLoad()}`);
    console.log(
      `input: ${csv} (${generated ? 'generated' : 'reused'} in ${((performance.now() - t) / 1000).toFixed(1)} s)`,
    );
    console.log(
      `  ${formatInt(bytes)} bytes (${(bytes / GiB).toFixed(3)} GiB), ${formatInt(lineCount(csv) - 1)} rows: ` +
        `ts over ${HOURS} hours + ${FEATURES.length} numeric features`,
    );
    console.log(
      `  reference bins: computeFeatureBins over ${formatInt(REFERENCE_ROWS)} sample rows, ` +
        `${reference.features.map((f) => f.edges.length + 2).join('/')} bins per feature (missing bin included)`,
    );
    console.log(
      `timing: each tool a child process, wall clock spawn to exit, best of ${rounds} after reading the CSV ` +
        'once into the page cache; MB/s = 10^6 B/s',
    );

    // Into the page cache, so that every tool reads memory, not the disk; nothing timed yet.
    run('cat', [csv], { stdio: ['ignore', 'ignore', 'inherit'] });

    const pandas = (label, ...options) => ({
      label,
      argv: [PYTHON, join(repo, 'bench', 'psi_pandas.py'), referenceJson, csv, ...options],
    });
    const tools = [
      {
        label: 'Signet: ingestFile + PSI (node, dist/)',
        argv: [process.execPath, fileURLToPath(import.meta.url), '--signet-child', referenceJson, csv],
      },
      pandas('pandas: read_csv, to_datetime + numpy', '--dates', 'to_datetime'),
      pandas('pandas: read_csv(parse_dates) + numpy', '--dates', 'parse_dates'),
      pandas(
        `pandas: read_csv(chunksize=${PANDAS_CHUNKSIZE}) + numpy`,
        '--dates',
        'to_datetime',
        '--chunksize',
        String(PANDAS_CHUNKSIZE),
      ),
    ];
    for (let round = 0; round < rounds; round++) {
      for (const tool of tools) {
        const result = timedChild(tool.argv);
        tool.runs = [...(tool.runs ?? []), result];
        console.log(
          `  round ${round + 1}: ${tool.label.padEnd(44)} ${(result.wallMs / 1000).toFixed(2).padStart(7)} s`,
        );
      }
    }

    // Every run of every tool against Signet's first: same windows, same counts, PSI within tolerance.
    const signet = tools[0].runs[0];
    for (const tool of tools) {
      for (const result of tool.runs) checkAgreement(signet, result, tool.label);
    }

    // Constant memory: Signet again on the first tenth of the same file, for its peak RSS.
    const tenth = lineBoundaryAfter(csv, Math.floor(bytes / 10));
    const tenthCsv = writePrefix(csv, tenth);
    const small = timedChild([...tools[0].argv.slice(0, -1), tenthCsv]);

    console.log(
      `\nagreement: ${signet.results.length} windows x features (${countWindows(signet)} hourly windows x ` +
        `${FEATURES.length} features); counts equal and PSI within ${PSI_TOLERANCE} in every run of every tool`,
    );
    const levels = {};
    for (const r of signet.results) levels[r.level] = (levels[r.level] ?? 0) + 1;
    const psis = signet.results.map((r) => r.psi);
    console.log(
      `  PSI from ${Math.min(...psis).toFixed(5)} to ${Math.max(...psis).toFixed(3)}; levels (Signet's defaults): ` +
        Object.entries(levels)
          .map(([level, n]) => `${level} ${n}`)
          .join(', '),
    );
    console.log(
      `  rows: ${formatInt(signet.rows)} counted, ${signet.malformed} malformed, ${signet.untimed} untimed; ` +
        `empty cells (missing bin): ${formatInt(signet.missing)}`,
    );

    const best = tools.map((tool) => ({
      ...tool,
      best: tool.runs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a)),
      cpuMs: Math.min(...tool.runs.map((r) => r.cpuMs)),
      peakRss: Math.max(...tool.runs.map((r) => r.peakRss)),
    }));
    const signetMs = best[0].best.wallMs;
    const signetCpuMs = best[0].cpuMs;
    console.log(
      `\n${'tool'.padEnd(44)} ${'wall s'.padStart(7)} ${'MB/s'.padStart(6)} ${'CPU s'.padStart(7)} ` +
        `${'peak RSS'.padStart(9)}  ${'wall / Signet'.padStart(13)}  ${'CPU / Signet'.padStart(12)}`,
    );
    for (const tool of best) {
      const { wallMs } = tool.best;
      console.log(
        `${tool.label.padEnd(44)} ${seconds(wallMs).padStart(7)} ` +
          `${(bytes / 1e6 / (wallMs / 1000)).toFixed(1).padStart(6)} ${seconds(tool.cpuMs).padStart(7)} ` +
          `${formatMiB(tool.peakRss).padStart(9)}  ${`${(wallMs / signetMs).toFixed(2)}x`.padStart(13)}  ` +
          `${`${(tool.cpuMs / signetCpuMs).toFixed(2)}x`.padStart(12)}`,
      );
    }
    console.log(
      `Signet on the first tenth of the file (${formatInt(tenth)} bytes): ${(small.wallMs / 1000).toFixed(2)} s, ` +
        `peak RSS ${formatMiB(small.peakRss)}`,
    );
    const fastest = best.slice(1).reduce((a, b) => (b.best.wallMs < a.best.wallMs ? b : a));
    console.log(
      `in-process: Signet ingestFile on ${best[0].best.threads} threads ${seconds(best[0].best.ingestMs)} s + PSI and chi-square ` +
        `${best[0].best.psiMs.toFixed(1)} ms; ${fastest.label}: read and count ` +
        `${seconds(fastest.best.countMs)} s + PSI ${fastest.best.psiMs.toFixed(1)} ms`,
    );
    console.log(`load average at end: ${formatLoad()}\n`);

    const failures = [];
    const ratio = fastest.best.wallMs / signetMs;
    const fast = ratio >= SPEED_TARGET;
    console.log(
      `target: >= ${SPEED_TARGET}x faster than pandas, its fastest way here (${fastest.label}): ` +
        `${fast ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x)`,
    );
    if (!fast) failures.push(`${SPEED_TARGET}x pandas`);
    const growth = best[0].peakRss / small.peakRss;
    const constant = growth <= MEMORY_GROWTH_LIMIT;
    console.log(
      `target: constant memory (Signet's peak RSS on the whole file at most ${MEMORY_GROWTH_LIMIT}x the one on ` +
        `its first tenth): ${constant ? 'met' : 'NOT met'} (${formatMiB(best[0].peakRss)} against ` +
        `${formatMiB(small.peakRss)}, ${growth.toFixed(2)}x, for a ${formatMiB(bytes)} input)`,
    );
    if (!constant) failures.push('constant memory');
    if (!fullSize) {
      console.log(`\n--mb ${megabytes} is below the issue's 1 GiB: a smoke run, targets not enforced`);
    } else if (failures.length > 0) {
      console.log(`\nFAILED: ${failures.join('; ')}`);
      process.exitCode = 1;
    } else {
      console.log('\nok: every target met');
    }
  } finally {
    if (!keep) rmSync(workDir, { recursive: true, force: true });
  }
}

/** The Signet child: ingestion as `signet monitor ingest FILE` runs it, then the statistics per window. */
async function runSignet(referenceJson, csv) {
  const { ingestFile } = await import(moduleOf('ingest-file'));
  const { assessWindow } = await import(moduleOf('stats'));
  const t = performance.now();
  const reference = JSON.parse(readFileSync(referenceJson, 'utf8'));
  const byColumn = new Map(reference.features.map((bins) => [bins.name, bins]));
  // The bins as src/app/monitor.ts hands them to ingestFile: looked up once per column.
  const binsOf = (column) => {
    const bins = byColumn.get(column);
    if (!bins) throw new Error(`no reference bins for ${JSON.stringify(column)}`);
    return bins;
  };
  const report = await ingestFile(csv, {
    format: 'csv',
    features: reference.features.map((bins) => bins.name),
    bins: binsOf,
    window: 'hour',
    timestampColumn: 'ts',
  });
  const ingested = performance.now();
  const results = report.counts.map((item) => {
    const assessment = assessWindow({ expected: binsOf(item.feature).counts, actual: item.counts });
    return {
      window: item.window,
      feature: item.feature,
      counts: item.counts,
      psi: assessment.psi,
      level: assessment.level,
    };
  });
  const done = performance.now();
  const cpu = process.cpuUsage();
  process.stdout.write(
    JSON.stringify({
      ms: done - t,
      threads: report.threads,
      ingestMs: ingested - t,
      psiMs: done - ingested,
      rows: report.totals.rows,
      counted: report.totals.counted,
      malformed: report.totals.malformed.count,
      untimed: report.totals.untimed.count,
      missing: report.columns.reduce((sum, column) => sum + column.missing + column.unparsable, 0),
      // The whole process's (every thread's), start-up included, as for pandas.
      cpuMs: (cpu.user + cpu.system) / 1000,
      // maxRSS is in KiB.
      peakRss: process.resourceUsage().maxRSS * 1024,
      results,
    }),
  );
}

function timedChild(argv) {
  const t = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 256 * MiB });
  const wallMs = performance.now() - t;
  if (result.status !== 0) {
    throw new Error(`${argv.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}`);
  }
  return { ...JSON.parse(result.stdout), wallMs };
}

function checkAgreement(signet, other, label) {
  const problems = [];
  if (other.rows !== signet.rows) problems.push(`${other.rows} rows, Signet ${signet.rows}`);
  if (signet.counted !== signet.rows)
    problems.push(`Signet counted ${signet.counted} of ${signet.rows} rows`);
  const key = (r) => `${r.window} ${r.feature}`;
  const theirs = new Map(other.results.map((r) => [key(r), r]));
  if (theirs.size !== signet.results.length) {
    problems.push(`${theirs.size} windows x features, Signet ${signet.results.length}`);
  }
  for (const mine of signet.results) {
    const their = theirs.get(key(mine));
    if (their === undefined) {
      problems.push(`${key(mine)}: missing`);
    } else if (their.counts.join() !== mine.counts.join()) {
      problems.push(`${key(mine)}: counts [${their.counts}], Signet [${mine.counts}]`);
    } else if (!(Math.abs(their.psi - mine.psi) <= PSI_TOLERANCE)) {
      problems.push(`${key(mine)}: PSI ${their.psi}, Signet ${mine.psi}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `${label} disagrees with Signet in ${problems.length} places:\n  ${problems.slice(0, 20).join('\n  ')}`,
    );
  }
}

function ensurePandas() {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: the pandas side needs Debian's python3`);
  const probe = () => spawnSync(PYTHON, ['-c', 'import pandas, numpy'], { stdio: 'ignore' }).status === 0;
  if (probe()) return;
  console.log(`${PYTHON} has no pandas: installing Debian's python3-pandas with apt-get`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptGet = (...args) => {
    const [command, ...rest] = [...sudo, 'apt-get', ...args];
    return spawnSync(command, rest, { stdio: 'inherit', env }).status === 0;
  };
  if (!aptGet('install', '-y', '--no-install-recommends', 'python3-pandas')) {
    // The package lists may be missing or stale: fetch them once and try again.
    if (!aptGet('update') || !aptGet('install', '-y', '--no-install-recommends', 'python3-pandas')) {
      throw new Error('apt-get install python3-pandas failed');
    }
  }
  if (!probe()) throw new Error(`${PYTHON} still cannot import pandas after installing python3-pandas`);
}

// --- The input -------------------------------------------------------------------------------------------

// mulberry32: a small seeded generator, good enough for test data and the same on every run.
function createRandom(seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  let spare = NaN;
  // Box-Muller, the second value kept for the next call.
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const value = spare;
      spare = NaN;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return { uniform, normal };
}

/**
 * The 20 features as text, each from `random` and `drift` (0 for the first 12 hours, then rising to 1 at
 * the last hour): what the reference sample (drift 0) and the traffic are made of.
 */
function featureValues(random, drift) {
  const { uniform, normal } = random;
  return [
    (normal() + 0.6 * drift).toFixed(4), // f0: the mean moves by 0.6 sd
    (50 + 10 * normal()).toFixed(3),
    (-3 + 0.5 * (1 + 0.5 * drift) * normal()).toFixed(4), // f2: the spread widens
    (1000 + 200 * normal()).toFixed(2),
    Math.exp(normal()).toFixed(3),
    Math.exp(3 + 0.3 * drift + 0.5 * normal()).toFixed(2), // f5: log-normal, moving up
    Math.exp(-1 + 0.8 * normal()).toFixed(5),
    Math.exp(8 + normal()).toFixed(1),
    uniform().toFixed(6),
    (200 * uniform() - 100).toFixed(2),
    ((1 + 0.5 * drift) * uniform()).toFixed(4), // f10: the range stretches
    (uniform() ** 2).toFixed(4),
    String(Math.floor(-3 * Math.log(1 - uniform()))), // f12: small integers, values on the edges
    String(Math.max(0, Math.round(5 + drift + 2 * normal()))), // f13: integers, the mean moves by 1
    String(1 + Math.floor(6 * uniform())), // f14: a die
    (Math.round(2 * (20 + 3 * normal())) / 2).toFixed(1), // f15: halves
    (uniform() < 0.3 + 0.2 * drift ? 5 + normal() : normal()).toFixed(3), // f16: a mixture, reweighted
    (100 * Math.sqrt(uniform())).toFixed(2),
    (1 / (1 + Math.exp(-2 * normal() - 0.5 * drift))).toFixed(6), // f18: a score, drifting up
    uniform() < 0.01 + 0.02 * drift ? '' : (100 + 15 * normal()).toFixed(1), // f19: empty cells, more later
  ];
}

/** Writes the traffic CSV unless it is there; returns whether it was written. */
function ensureTraffic(csv, bytes) {
  if (existsSync(csv) && existsSync(`${csv}.done`)) return false;
  const fd = openSync(csv, 'w');
  const random = createRandom(20261128);
  let text = `ts,${FEATURES.join(',')}\n`;
  let written = 0;
  const dayMs = HOURS * 3_600_000;
  while (written + text.length < bytes) {
    // Time advances with the bytes written, so that the rows spread evenly over the hours.
    const ms = START_MS + Math.floor(((written + text.length) / bytes) * dayMs);
    const hour = Math.floor((ms - START_MS) / 3_600_000);
    const drift = Math.max(0, (hour - 11) / (HOURS - 12));
    text += `${new Date(ms).toISOString()},${featureValues(random, drift).join(',')}\n`;
    if (text.length >= WRITE_CHUNK) {
      written += writeSync(fd, text);
      text = '';
    }
  }
  // Past the size asked for by less than a row: the file is at least `bytes` long.
  text += `${new Date(START_MS + dayMs - 1).toISOString()},${featureValues(random, 1).join(',')}\n`;
  writeSync(fd, text);
  closeSync(fd);
  writeFileSync(`${csv}.done`, '');
  return true;
}

/** The reference sample (a CSV beside the traffic, for the record) and its bins, as JSON both sides read. */
async function writeReference(sampleCsv, referenceJson) {
  const { computeFeatureBins } = await import(moduleOf('reference'));
  const random = createRandom(7);
  const columns = FEATURES.map(() => []);
  let text = `${FEATURES.join(',')}\n`;
  for (let row = 0; row < REFERENCE_ROWS; row++) {
    const values = featureValues(random, 0);
    values.forEach((value, i) => columns[i].push(value === '' ? null : value));
    text += `${values.join(',')}\n`;
  }
  writeFileSync(sampleCsv, text);
  const reference = {
    features: FEATURES.map((name, i) => computeFeatureBins(name, columns[i], 'numeric')),
  };
  writeFileSync(referenceJson, JSON.stringify(reference, null, 1));
  return reference;
}

/** The offset just past the first newline at or after `offset`. */
function lineBoundaryAfter(file, offset) {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(MiB);
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    const newline = buffer.subarray(0, read).indexOf(10);
    if (newline < 0) throw new Error(`no line ends within 1 MiB after byte ${offset} of ${file}`);
    return offset + newline + 1;
  } finally {
    closeSync(fd);
  }
}

/** The first `bytes` bytes of `file`, as a file beside it (kept, like the input). */
function writePrefix(file, bytes) {
  const prefix = file.replace(/\.csv$/, `-first-${bytes}.csv`);
  if (existsSync(prefix) && statSync(prefix).size === bytes) return prefix;
  const from = openSync(file, 'r');
  const to = openSync(`${prefix}.tmp`, 'w');
  try {
    const buffer = Buffer.alloc(WRITE_CHUNK);
    for (let at = 0; at < bytes;) {
      const read = readSync(from, buffer, 0, Math.min(buffer.length, bytes - at), at);
      if (read === 0) throw new Error(`${file} ends before byte ${bytes}`);
      writeSync(to, buffer, 0, read);
      at += read;
    }
  } finally {
    closeSync(from);
    closeSync(to);
  }
  renameSync(`${prefix}.tmp`, prefix);
  return prefix;
}

function lineCount(file) {
  return Number(run('wc', ['-l', file]).stdout.trim().split(/\s+/)[0]);
}

function countWindows(result) {
  return new Set(result.results.map((r) => r.window)).size;
}

// --- Small helpers ---------------------------------------------------------------------------------------

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * MiB, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr ?? ''}`);
  return result;
}

function numberOption(name, fallback) {
  const index = process.argv.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) {
    console.error(`bench/psi.mjs: ${name} needs a positive integer`);
    process.exit(2);
  }
  return value;
}

function seconds(ms) {
  return (ms / 1000).toFixed(2);
}

function formatInt(n) {
  return n.toLocaleString('en-US');
}

function formatMiB(bytes) {
  return `${(bytes / MiB).toFixed(0)} MiB`;
}

function formatLoad() {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
