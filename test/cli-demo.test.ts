// The README's first command: `npm start` runs `signet demo`, the whole story in a fresh folder. The
// demo makes its own home in that folder; like every command it keeps the log in the database named by
// SIGNET_DATABASE_URL when one is set, so it runs on each backend of the test project (helpers/cli.ts).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';

import { createTempHome, SIGNET_BIN, type TempHome } from './helpers/cli.js';

let home: TempHome;
let dir: string;

beforeEach(async () => {
  home = await createTempHome('signet-demo-test-');
  dir = path.join(home.root, 'demo');
});
afterEach(async () => {
  await home.cleanup();
});

it('the demo seals, gates, refuses a changed byte, replays identically and verifies', async () => {
  const result = await home.run(['demo', '--dir', dir]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/sealed as entry \d+ sha256:[0-9a-f]{64}/);
  expect(result.stdout).toMatch(/allow: candidate in retail-credit\/uk/);
  expect(result.stdout).toMatch(/deny: the same model with one changed byte/);
  expect(result.stdout).toMatch(/replay: identical/);
  expect(result.stdout).toMatch(/verify: ok/);
  const view = /review document \(the approver's screen\) (sha256:[0-9a-f]{64})/.exec(result.stdout)?.[1];
  const replayed = await readFile(path.join(dir, 'replay', 'review.html'));
  expect('sha256:' + createHash('sha256').update(replayed).digest('hex')).toBe(view);
  // The demo's people keep their keys in the demo folder, never in the user's config folder.
  await readFile(path.join(dir, 'keys', 'morgan.risk@bank.example.key.pem'));
  // The log is in the demo folder on the embedded default, in the database otherwise.
  expect(existsSync(path.join(dir, 'home', 'ledger.sqlite'))).toBe(home.backend === 'embedded');
});

it('demo --serve leaves a second draft waiting, prints the UI and an invite link, and stops on SIGINT', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [SIGNET_BIN, 'demo', '--dir', dir, '--serve', '--port', '0'], {
    env: home.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await expect.poll(() => stdout, { timeout: 60_000, interval: 200 }).toContain('Press Ctrl-C to stop.');
    expect(stdout).toMatch(/A second draft waits for approval/);
    const url = /The web UI: (http:\/\/localhost:\d+)/.exec(stdout)?.[1];
    expect(url).toBeDefined();
    expect(stdout).toMatch(new RegExp(`${url}/enrol#sgi_[A-Za-z0-9_-]{43}`));
    const signin = await fetch(`${url}/signin`);
    expect(signin.status).toBe(200);
    expect(signin.headers.get('content-security-policy')).toContain("script-src 'self'");
    const inbox = await fetch(`${url}/inbox`, { redirect: 'manual' });
    expect(inbox.status).toBe(303);
    expect((await fetch(`${url}/v1/drafts`)).status).toBe(401);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}, 90_000);
