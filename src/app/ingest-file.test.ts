// Parallel ingestion of a file gives exactly what `ingest` gives on the same bytes: random CSVs with
// malformed, untimed and too-long rows, blank lines, CRLF, a BOM, with and without a final line break,
// cut into 2, 3 and 4 ranges (a tiny minimum size forces the cut); quotes and the window bound send the
// file back to one thread with the same result; failures reject with a coded error and stop every worker.
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildWorker, type WorkerBuild } from '../../test/helpers/worker-build.js';
import { ingest, REPORTED_ROWS, type IngestReport } from '../monitor/ingest.js';
import { ingestFile, type IngestFileOptions, type IngestFileTuning } from './ingest-file.js';
import type { FeatureBins } from '../monitor/types.js';

const REFERENCE: Record<string, FeatureBins> = {
  x: { name: 'x', kind: 'numeric', edges: [0, 10], counts: [0, 0, 0, 0] },
  colour: { name: 'colour', kind: 'categorical', categories: ['blue', 'red'], counts: [0, 0, 0, 0] },
  score: { name: 'score', kind: 'numeric', edges: [0.5], counts: [0, 0, 0] },
};
const bins = (column: string): FeatureBins => REFERENCE[column]!;
const OPTIONS: IngestFileOptions = {
  format: 'csv',
  features: ['x', 'colour', 'absent'],
  score: 'score',
  bins: (column) => REFERENCE[column] ?? { name: column, kind: 'numeric', edges: [], counts: [0, 0] },
  window: 'hour',
  timestampColumn: 'ts',
  maxRecordBytes: 64,
};

let dir: string;
let tuning: IngestFileTuning;
let files = 0;

// The worker runs in a thread of its own, outside vitest's TypeScript transform: it is transpiled, with
// the modules it imports, from the sources under test.
let worker: WorkerBuild;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'signet-parallel-'));
  worker = buildWorker('app/ingest-worker.ts');
  tuning = { minParallelBytes: 0, chunkBytes: 64, workerUrl: worker.url };
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  worker.remove();
});

function fileOf(bytes: Uint8Array | string): string {
  const path = join(dir, `traffic-${files++}.csv`);
  writeFileSync(path, bytes);
  return path;
}

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** `ingest` over the same bytes, in one thread. */
function expected(bytes: Uint8Array, options: IngestFileOptions = OPTIONS): Promise<IngestReport> {
  return ingest({ ...options, source: chunksOf(bytes, 100) });
}

async function parallel(
  path: string,
  threads: number,
  options: IngestFileOptions = OPTIONS,
): Promise<{ report: IngestReport; threads: number }> {
  const { threads: used, ...report } = await ingestFile(path, { ...options, threads }, tuning);
  return { report, threads: used };
}

// One data line of a random CSV: a good row, or one of the things that can go wrong with a row.
const line = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        hour: fc.integer({ min: 0, max: 3 }),
        minute: fc.constantFrom('00', '29', '59'),
        offset: fc.constantFrom('Z', '+01:00', '-05:30', '+00:00'),
        x: fc.constantFrom('-1', '0', '5', '10', '10.5', '', 'abc', '1e1', ' 3'),
        colour: fc.constantFrom('red', 'blue', 'green', '', 'é'),
        score: fc.constantFrom('0.1', '0.5', '0.9', '', 'x'),
      })
      .map((r) => `2026-03-01T0${r.hour}:${r.minute}:00${r.offset},${r.x},${r.colour},${r.score}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ',1,red,0.2', 'soon,1,red,0.2', '2026-03-01T01:00:00,1,red,0.2'),
  },
  { weight: 1, arbitrary: fc.constantFrom('2026-03-01T01:00:00Z,1,red', '2026-03-01T01:00:00Z,1,red,0.2,9') },
  { weight: 1, arbitrary: fc.constant(`2026-03-01T01:00:00Z,${'9'.repeat(60)},red,0.2`) },
);

interface CsvFile {
  readonly bom: boolean;
  readonly blankBefore: boolean;
  readonly crlf: boolean;
  readonly finalBreak: boolean;
  readonly lines: readonly string[];
  readonly invalidUtf8: boolean;
}

const csvFile: fc.Arbitrary<CsvFile> = fc.record({
  bom: fc.boolean(),
  blankBefore: fc.boolean(),
  crlf: fc.boolean(),
  finalBreak: fc.boolean(),
  lines: fc.array(line, { maxLength: 60 }),
  invalidUtf8: fc.boolean(),
});

function bytesOf(file: CsvFile): Buffer {
  const eol = file.crlf ? '\r\n' : '\n';
  const lines = [...(file.blankBefore ? ['', ''] : []), 'ts,x,colour,score', ...file.lines];
  let text = lines.join(eol) + (file.finalBreak ? eol : '');
  if (file.bom) text = `\ufeff${text}`;
  const bytes = Buffer.from(text);
  // A byte that is not UTF-8, somewhere in the data.
  if (file.invalidUtf8 && file.lines.length > 0) bytes[bytes.length - 3] = 0xff;
  return bytes;
}

describe('ingestFile', () => {
  it('gives what ingest gives on random CSVs, on 2, 3 and 4 threads (seeded)', async () => {
    let split = 0;
    await fc.assert(
      fc.asyncProperty(csvFile, fc.constantFrom(2, 3, 4), async (file, threads) => {
        const bytes = bytesOf(file);
        const path = fileOf(bytes);
        const result = await parallel(path, threads);
        expect(result.report).toEqual(await expected(bytes));
        if (result.threads > 1) split++;
      }),
      { seed: 4180, numRuns: 40 },
    );
    // The property is about the parallel path: most files must have been cut.
    expect(split).toBeGreaterThan(30);
  });

  it('cuts a file into as many ranges as threads, with lines numbered as in the whole file', async () => {
    const rows = Array.from({ length: 80 }, (_, i) =>
      i % 7 === 3 ? 'soon,1,red,0.1' : `2026-03-01T0${i % 4}:00:00Z,${i % 3 === 0 ? 'x,y' : '1'},red,0.1`,
    );
    const bytes = Buffer.from(['\ufeff', 'ts,x,colour,score', ...rows, ''].join('\r\n'));
    const path = fileOf(bytes);
    const whole = await expected(bytes);
    expect(whole.totals.malformed.count).toBeGreaterThan(REPORTED_ROWS);
    expect(whole.totals.untimed.count).toBeGreaterThan(REPORTED_ROWS);
    for (const threads of [2, 3, 4]) {
      const result = await parallel(path, threads);
      expect(result.threads).toBe(threads);
      expect(result.report).toEqual(whole);
    }
  });

  it('reads a header-only file, a file without a final line break and a tiny one', async () => {
    for (const text of [
      'ts,x,colour,score\n',
      'ts,x,colour,score',
      '\n\nts,x,colour,score\n\n',
      'ts,x,colour,score\n2026-03-01T01:00:00Z,1,red,0.2',
      'ts,x,colour,score\n2026-03-01T01:00:00Z,1,red,0.2\n2026-03-01T02:00:00Z,11,blue,0.7',
      '',
    ]) {
      const bytes = Buffer.from(text);
      const result = await parallel(fileOf(bytes), 4);
      expect(result.report, JSON.stringify(text)).toEqual(await expected(bytes));
    }
  });

  it('reads a file with a quote on one thread, with the same result', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `2026-03-01T0${i % 3}:00:00Z,${i},red,0.1`);
    for (const at of [0, 15, 29]) {
      // A quoted field with a line break: cut at that line break, a range would see a broken record.
      const quoted = [...rows];
      quoted[at] = `2026-03-01T01:00:00Z,"1\n2",red,0.2`;
      const bytes = Buffer.from(['ts,x,colour,score', ...quoted].join('\n'));
      const result = await parallel(fileOf(bytes), 3);
      expect(result.threads).toBe(1);
      expect(result.report).toEqual(await expected(bytes));
    }
    // A quote in the header: its line may not end the header.
    const bytes = Buffer.from(['ts,"x",colour,score', ...rows].join('\n'));
    const result = await parallel(fileOf(bytes), 3);
    expect(result.threads).toBe(1);
    expect(result.report).toEqual(await expected(bytes));
  });

  it('keeps to the window bound, reading again on one thread past it', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `2026-03-0${1 + (i % 5)}T0${i % 7}:00:00Z,1,red,0.1`);
    const bytes = Buffer.from(['ts,x,colour,score', ...rows].join('\n'));
    const path = fileOf(bytes);
    for (const maxWindows of [3, 20, 34]) {
      const options = { ...OPTIONS, maxWindows };
      const result = await parallel(path, 4, options);
      expect(result.report).toEqual(await expected(bytes, options));
      expect(result.report.totals.untimed.count).toBeGreaterThan(0);
      expect(result.threads).toBe(1);
    }
    // Rows refused in each range, yet the ranges open no more windows than the bound: still cut.
    // 20 rows of one length on 2 threads: rows 1-10, then 11-20; each range opens hours 1 and 2 first.
    const hours = [1, 2, 3, 1, 3, 2, 3, 1, 2, 3];
    const refusing = Buffer.from(
      ['ts,x,colour,score', ...[...hours, ...hours].map((h) => `2026-03-01T0${h}:00:00Z,1,red,0.1`), ''].join(
        '\n',
      ),
    );
    const bounded = { ...OPTIONS, maxWindows: 2 };
    const cut = await parallel(fileOf(refusing), 2, bounded);
    expect(cut.threads).toBe(2);
    expect(cut.report).toEqual(await expected(refusing, bounded));
    expect(cut.report.totals.untimed.count).toBe(8);
    // 35 windows in all, fewer in each range: the bound is not reached.
    const roomy = await parallel(path, 4, { ...OPTIONS, maxWindows: 35 });
    expect(roomy.threads).toBe(4);
    expect(roomy.report).toEqual(await expected(bytes, { ...OPTIONS, maxWindows: 35 }));
  });

  it('reads NDJSON, arrival windows and one thread asked for on one thread', async () => {
    const ndjson = Buffer.from('{"ts":"2026-03-01T01:00:00Z","x":1}\n{"ts":"2026-03-01T02:00:00Z","x":20}\n');
    const options: IngestFileOptions = { ...OPTIONS, format: 'ndjson' };
    const result = await parallel(fileOf(ndjson), 4, options);
    expect(result.threads).toBe(1);
    expect(result.report).toEqual(await expected(ndjson, options));

    const csv = Buffer.from(`x,colour,score\n${'1,red,0.1\n'.repeat(20)}`);
    const byArrival: IngestFileOptions = {
      format: 'csv',
      features: ['x', 'colour'],
      bins: OPTIONS.bins,
      window: 'day',
      arrival: () => new Date(0),
    };
    const arrival = await parallel(fileOf(csv), 4, byArrival);
    expect(arrival.threads).toBe(1);
    expect(arrival.report).toEqual(await expected(csv, byArrival));

    const one = await parallel(fileOf(Buffer.from(`ts,x\n${'2026-03-01T01:00:00Z,1\n'.repeat(20)}`)), 1);
    expect(one.threads).toBe(1);
  });

  it('keeps one thread for a small file by default or without a worker entry, and reports progress to the end', async () => {
    const bytes = Buffer.from(`ts,x,colour,score\n${'2026-03-01T01:00:00Z,1,red,0.1\n'.repeat(50)}`);
    const path = fileOf(bytes);
    const small = await ingestFile(path, { ...OPTIONS, threads: 4 }, { workerUrl: tuning.workerUrl! });
    expect(small.threads).toBe(1);
    // Run from the sources, beside which there is no ingest-worker.js.
    const sources = await ingestFile(path, { ...OPTIONS, threads: 4 }, { minParallelBytes: 0 });
    expect(sources.threads).toBe(1);
    expect(sources.totals.counted).toBe(50);
    const seen: [number, number][] = [];
    const report = await ingestFile(
      path,
      { ...OPTIONS, threads: 2, onProgress: (bytes, rows) => seen.push([bytes, rows]) },
      tuning,
    );
    expect(report.threads).toBe(2);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toEqual([statSync(path).size, 50]);
  });

  it('rejects with the error ingest throws, or a coded one for a path it cannot read', async () => {
    const noTimestamp = fileOf(`x,colour\n${'1,red\n'.repeat(20)}`);
    await expect(parallel(noTimestamp, 2)).rejects.toMatchObject({
      name: 'InputError',
      code: 'INVALID_ARGUMENT',
    });
    await expect(parallel(join(dir, 'missing.csv'), 2)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(parallel(dir, 2)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(parallel(noTimestamp, 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Bins that are not bins (here: none for `absent`), checked in each worker.
    await expect(
      parallel(fileOf(`ts,x\n${'2026-03-01T01:00:00Z,1\n'.repeat(20)}`), 2, { ...OPTIONS, bins }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('stops every worker when one fails', async () => {
    const path = fileOf(`ts,x\n${'2026-03-01T01:00:00Z,1\n'.repeat(40)}`);
    const beat = `${path}.beat`;
    // The first range fails as a read would; the others would run forever, writing a heartbeat.
    const script = `
      import { appendFileSync, existsSync } from 'node:fs';
      import { parentPort, workerData } from 'node:worker_threads';
      if (workerData.start === workerData.prelude.length) {
        const wait = setInterval(() => {
          if (!existsSync(${JSON.stringify(beat)})) return;
          clearInterval(wait);
          parentPort.postMessage({ kind: 'error', error: {
            name: 'Error', message: 'EIO: i/o error, read', code: 'EIO', signet: false } });
        }, 5);
      } else {
        setInterval(() => appendFileSync(${JSON.stringify(beat)}, '.'), 5);
      }`;
    const workerUrl = new URL(`data:text/javascript,${encodeURIComponent(script)}`);
    await expect(
      ingestFile(path, { ...OPTIONS, threads: 3 }, { ...tuning, workerUrl }),
    ).rejects.toMatchObject({
      name: 'SignetError',
      code: 'INTERNAL',
      message: expect.stringContaining('EIO'),
    });
    const size = statSync(beat).size;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(statSync(beat).size).toBe(size);

    // Bins that cannot cross to a worker: no worker is left behind.
    const unclonable = {
      ...OPTIONS,
      bins: (column: string) => ({ ...OPTIONS.bins(column), clone: () => 0 }) as unknown as FeatureBins,
    };
    await expect(ingestFile(path, { ...unclonable, threads: 2 }, tuning)).rejects.toMatchObject({
      code: 'INTERNAL',
    });

    const crash = new URL(`data:text/javascript,${encodeURIComponent('throw new Error("boom")')}`);
    await expect(
      ingestFile(path, { ...OPTIONS, threads: 2 }, { ...tuning, workerUrl: crash }),
    ).rejects.toMatchObject({
      code: 'INTERNAL',
    });
  });
});
