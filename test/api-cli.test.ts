// `signet tokens` and `signet serve` through the built CLI (dist/), as an admin and a pipeline would use
// them: a token made on the command line authenticates API calls until it is revoked on the command
// line; the server started by `signet serve --port 0` says where it listens, answers, and stops cleanly
// on SIGTERM.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openHome } from '../src/app/home.js';
import { createApp } from '../src/server/app.js';
import { createServerConfig } from '../src/server/config.js';
import { createApiClient } from './helpers/api.js';
import { createTempHome, expectNoStackTrace, SIGNET_BIN, type TempHome } from './helpers/cli.js';

let home: TempHome;
const keys = (identity: string) => path.join(home.root, 'config', 'signet', 'keys', `${identity}.pub.pem`);

async function ok(args: readonly string[]): Promise<string> {
  const result = await home.run(args);
  expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
  expectNoStackTrace(result);
  return result.stdout;
}

beforeAll(async () => {
  home = await createTempHome('signet-api-cli-');
  for (const id of ['admin', 'ci']) await ok(['keys', 'create', '--identity', id]);
  await ok(['init', '--admin', 'admin', '--admin-key', keys('admin')]);
  await ok(['identity', 'bind', 'ci', '--key', keys('ci'), '--as', 'admin']);
});

afterAll(async () => {
  await home?.cleanup();
});

/** Calls the API in process over the same home the CLI writes. */
async function whoami(secret: string): Promise<{ status: number; body: unknown }> {
  const opened = await openHome(home.dir);
  try {
    const app = createApp({
      home: opened,
      config: createServerConfig({ host: '127.0.0.1', port: 8080 }, { log: () => undefined }, {}),
    });
    const response = await createApiClient(app)('GET', '/v1/whoami', { token: secret });
    return { status: response.status, body: response.body };
  } finally {
    await opened.close();
  }
}

describe('signet tokens', () => {
  it('creates a token (secret printed once), lists it without the secret, and revokes it', async () => {
    const created = await home.run(['tokens', 'create', 'ci', '--as', 'admin', '--name', 'nightly']);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^sgt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown once');
    const tokenId = /(tok-[0-9a-f]{16})/.exec(created.stderr)![1]!;

    expect(await whoami(secret)).toEqual({ status: 200, body: { identity: 'ci', via: 'token', tokenId } });

    const listed = JSON.parse(await ok(['tokens', 'list', '--json'])) as {
      tokens: Record<string, unknown>[];
    };
    expect(listed.tokens).toEqual([
      expect.objectContaining({ id: tokenId, identity: 'ci', name: 'nightly', createdBy: 'admin' }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(await ok(['tokens', 'list'])).toContain(`${tokenId}  ci  "nightly"`);

    // Only the SHA-256 of the secret is in the database.
    const db = new Database(path.join(home.dir, 'ledger.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM api_tokens').all() as Record<string, unknown>[];
      expect(JSON.stringify(rows)).not.toContain(secret.slice(4));
      expect(rows[0]!['token_hash']).toBe(createHash('sha256').update(secret).digest('hex'));
    } finally {
      db.close();
    }

    const revoked = JSON.parse(await ok(['tokens', 'revoke', tokenId, '--as', 'admin', '--json'])) as {
      changed: boolean;
      revokedAt: string;
    };
    expect(revoked.changed).toBe(true);
    expect(revoked.revokedAt).toBeTruthy();
    const refused = await whoami(secret);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await ok(['tokens', 'revoke', tokenId, '--as', 'admin'])).toContain('already revoked');
  });

  it('refuses a non-admin, an identity without a key and an unknown token, as coded errors', async () => {
    const notAdmin = await home.run(['tokens', 'create', 'ci', '--as', 'ci', '--json']);
    expect(notAdmin.code).toBe(1);
    expect(JSON.parse(notAdmin.stdout)).toMatchObject({ error: { code: 'NOT_AUTHORISED' } });
    const noKey = await home.run(['tokens', 'create', 'nobody', '--as', 'admin']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('INVALID_ARGUMENT');
    const unknown = await home.run(['tokens', 'revoke', 'tok-0000000000000000', '--as', 'admin']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('NOT_FOUND');
    for (const result of [notAdmin, noKey, unknown]) expectNoStackTrace(result);
  });
});

describe('signet serve', () => {
  it('prints where it listens as a JSON line, serves, and stops on SIGTERM with the home closed', async () => {
    const child = spawn(process.execPath, [SIGNET_BIN, 'serve', '--port', '0', '--json'], {
      cwd: home.root,
      env: { ...process.env, SIGNET_HOME: home.dir, XDG_CONFIG_HOME: path.join(home.root, 'config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('close', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    const started = JSON.parse(line) as { url: string; origin: string; home: string };
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*\/$/);
    expect(started.origin).toBe(started.url.slice(0, -1));
    expect(started.home).toBe(home.dir);

    const health = await fetch(new URL('/v1/health', started.url));
    expect(health.status).toBe(200);
    const denied = await fetch(new URL('/v1/log/checkpoint', started.url));
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ code: 'UNAUTHENTICATED' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM');
    // The home was closed cleanly: the CLI opens it again at once.
    expect(await ok(['log', 'checkpoint', '--json'])).toContain('"size"');
  });

  it('refuses a bad port or origin before listening', async () => {
    const port = await home.run(['serve', '--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('OUT_OF_RANGE');
    const origin = await home.run(['serve', '--port', '0', '--origin', 'http://example.com/path']);
    expect(origin.code).toBe(2);
    expect(origin.stderr).toContain('INVALID_ARGUMENT');
  });
});
