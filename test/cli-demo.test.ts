// The README's first command: `npm start` runs `signet demo`, the whole story in a fresh folder.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';

import { SIGNET_BIN } from './helpers/cli.js';
import { runNode } from './helpers/dist.js';

it('the demo seals, gates, refuses a changed byte, replays identically and verifies', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'signet-demo-test-'));
  try {
    const result = await runNode([SIGNET_BIN, 'demo', '--dir', dir]);
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
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
