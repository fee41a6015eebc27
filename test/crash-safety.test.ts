// Crash safety on both backends: a process appends entries and puts objects (some of them streamed
// slowly, so that a kill lands mid-write) in a loop — on the embedded default every other round through the
// ledger's append worker thread, as `signet serve` appends — printing each one only once it is acknowledged;
// it is killed with SIGKILL at a random moment, many times over. Afterwards `signet verify` passes,
// every acknowledged entry is at its index with its id, every acknowledged object is readable, and no
// object that is listed fails its digest: no partial object is ever readable.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';

import { createTempHome, expectNoStackTrace, type TempHome } from './helpers/cli.js';
import { distModule, runNodeScript } from './helpers/dist.js';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.js';

const ROUNDS = 12;
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** The writer: appends and puts forever, printing `entry <index> <id>` / `object <digest>` once acknowledged. */
function writerScript(): string {
  return `
    const { openHome } = await import(${JSON.stringify(distModule('app/home.js'))});
    const { subjectOf, predicateTypeOf } = await import(${JSON.stringify(distModule('ledger/entry.js'))});
    const { digestOfBytes } = await import(${JSON.stringify(distModule('signing/digest.js'))});
    const { randomBytes } = await import('node:crypto');
    // Odd rounds append as \`signet serve\` does, through the ledger's append worker (embedded default).
    const home = await openHome(process.env.SIGNET_HOME, {
      appendInWorker: process.env.SIGNET_TEST_APPEND_IN_WORKER === '1',
    });
    const say = (line) => new Promise((resolve) => process.stdout.write(line + '\\n', resolve));
    await say('ready');
    for (let n = 0; ; n += 1) {
      const nonce = randomBytes(8).toString('hex');
      const entry = await home.ledger.append({
        subject: [subjectOf('crash-test', digestOfBytes(new TextEncoder().encode(nonce)))],
        predicateType: predicateTypeOf('crash-test'),
        predicate: { n, nonce, pid: process.pid },
      });
      await say('entry ' + entry.index + ' ' + entry.id);
      if (n % 3 === 0) {
        // An object of 256 KiB to 2 MiB, streamed in 64 KiB chunks with pauses: a kill often lands mid-put.
        const size = (4 + Math.floor(Math.random() * 28)) * 65536;
        const bytes = randomBytes(size);
        async function* slow() {
          for (let i = 0; i < size; i += 65536) {
            yield bytes.subarray(i, i + 65536);
            await new Promise((r) => setTimeout(r, 2));
          }
        }
        const put = await home.objects.putStream(slow());
        await say('object ' + put.digest);
      }
    }
  `;
}

interface Acknowledged {
  readonly entries: Map<number, string>;
  readonly objects: Set<string>;
}

/** Runs the writer and kills it (SIGKILL) at a random moment after it is ready; returns what it acknowledged. */
function runAndKill(env: NodeJS.ProcessEnv, into: Acknowledged): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', writerScript()], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let killer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (killer === undefined && out.includes('ready\n')) {
        killer = setTimeout(() => child.kill('SIGKILL'), randomInt(50, 700));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`the writer stopped by itself (${code}): ${stderr}`));
        return;
      }
      // Only whole lines were acknowledged: a line cut by the kill is not.
      for (const line of out.split('\n').slice(0, -1)) {
        const [what, a, b] = line.split(' ');
        if (what === 'entry') into.entries.set(Number(a), b!);
        else if (what === 'object') into.objects.add(a!);
      }
      resolve();
    });
  });
}

async function checkAfterCrashes(home: TempHome, env: NodeJS.ProcessEnv, acknowledged: Acknowledged) {
  const verify = await home.run(['verify', '--json'], { env });
  expect(verify.code, verify.stderr).toBe(0);
  expectNoStackTrace(verify);
  const size = (JSON.parse(verify.stdout) as { size: number }).size;
  expect(size).toBeGreaterThan(Math.max(...acknowledged.entries.keys()));
  const check = await runNodeScript(
    `
    const { openHome } = await import(${JSON.stringify(distModule('app/home.js'))});
    const home = await openHome(process.env.SIGNET_HOME);
    const entries = ${JSON.stringify([...acknowledged.entries])};
    const objects = ${JSON.stringify([...acknowledged.objects])};
    const problems = [];
    for (const [index, id] of entries) {
      const stored = await home.ledger.read(index);
      if (stored.id !== id) problems.push('entry ' + index + ' is ' + stored.id + ', acknowledged as ' + id);
    }
    for (const digest of objects) {
      if (!(await home.objects.has(digest))) problems.push('object ' + digest + ' is missing');
    }
    let listed = 0;
    for await (const digest of home.objects.list()) {
      listed += 1;
      try { await home.objects.get(digest); } catch (error) { problems.push('object ' + digest + ': ' + error.message); }
    }
    await home.close();
    console.log(JSON.stringify({ problems, listed }));
    `,
    { ...process.env, ...env, SIGNET_HOME: home.dir },
  );
  expect(check.code, check.stderr).toBe(0);
  const result = JSON.parse(check.stdout) as { problems: string[]; listed: number };
  expect(result.problems).toEqual([]);
  expect(result.listed).toBeGreaterThanOrEqual(acknowledged.objects.size);
}

async function crashLoop(env: NodeJS.ProcessEnv): Promise<void> {
  const home = await createTempHome('signet-crash-');
  cleanups.push(() => home.cleanup());
  const init = await home.run(['init'], { env });
  expect(init.code, init.stderr).toBe(0);
  const acknowledged: Acknowledged = { entries: new Map(), objects: new Set() };
  for (let round = 0; round < ROUNDS; round += 1) {
    await runAndKill(
      { ...env, SIGNET_HOME: home.dir, SIGNET_TEST_APPEND_IN_WORKER: round % 2 === 1 ? '1' : '0' },
      acknowledged,
    );
  }
  // The loop must have done real work for the test to mean anything.
  expect(acknowledged.entries.size).toBeGreaterThan(ROUNDS);
  expect(acknowledged.objects.size).toBeGreaterThan(0);
  await checkAfterCrashes(home, env, acknowledged);
  // And the log still takes appends after all those kills.
  const after = await home.run(['log', 'checkpoint', '--json'], { env });
  expect(after.code, after.stderr).toBe(0);
}

describe('SIGKILL at random moments, many times over', () => {
  it(`the embedded default (SQLite and files): ${ROUNDS} kills, nothing acknowledged lost, nothing partial readable`, async () => {
    await crashLoop({ SIGNET_DATABASE_URL: '' });
  }, 180_000);

  it(`PostgreSQL: ${ROUNDS} kills, nothing acknowledged lost, nothing partial readable`, async () => {
    const db: TestDatabase = await createTestDatabase({ roles: true });
    cleanups.push(() => db.drop());
    await crashLoop({ SIGNET_DATABASE_URL: db.appUrl });
  }, 180_000);
});
