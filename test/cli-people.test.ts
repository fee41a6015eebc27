// People, keys and roles through the CLI, and the attacks on them: a non-admin acting as admin, an
// unbound key, another identity's key, a revoked admin, a key file inside the home.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createTempHome, expectNoStackTrace, type TempHome } from './helpers/cli.js';

let home: TempHome;
const keyDir = (): string => path.join(home.root, 'config', 'signet', 'keys');
const pub = (id: string): string => path.join(keyDir(), `${id}.pub.pem`);

beforeEach(async () => {
  home = await createTempHome('signet-people-');
});
afterEach(async () => {
  await home.cleanup();
});

async function ok(args: string[]): Promise<string> {
  const result = await home.run(args);
  expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

async function setUp(): Promise<void> {
  for (const id of ['admin', 'alice', 'bob']) await ok(['keys', 'create', '--identity', id]);
  await ok(['init', '--admin', 'admin', '--admin-key', pub('admin')]);
}

describe('keys, identities and roles', () => {
  it('keys live in the config folder with mode 0600; a second key for the same identity is refused', async () => {
    const out = JSON.parse(await ok(['keys', 'create', '--identity', 'carol@bank.example', '--json'])) as {
      privateKeyFile: string;
    };
    expect(out.privateKeyFile.startsWith(keyDir())).toBe(true);
    expect((await stat(out.privateKeyFile)).mode & 0o777).toBe(0o600);
    const again = await home.run(['keys', 'create', '--identity', 'carol@bank.example']);
    expect(again.code).toBe(2);
    const inside = await home.run(['keys', 'create', '--identity', 'dave'], {
      env: { SIGNET_KEYS_DIR: path.join(home.dir, 'keys') },
    });
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('inside the Signet home');
    const bad = await home.run(['keys', 'create', '--identity', '../../etc/x']);
    expect(bad.code).toBe(2);
    expectNoStackTrace(bad);
  });

  it('the genesis admin binds identities and grants and revokes roles; verify checks every signature', async () => {
    await setUp();
    await ok(['identity', 'bind', 'alice', '--key', pub('alice'), '--as', 'admin']);
    await ok(['roles', 'grant', 'alice', 'approver', '--model', 'credit-scorecard', '--as', 'admin']);
    await ok(['roles', 'revoke', 'alice', 'approver', '--model', 'credit-scorecard', '--as', 'admin']);
    const verified = JSON.parse(await ok(['verify', '--json'])) as { kinds: Record<string, number> };
    expect(verified.kinds).toEqual({ genesis: 1, 'identity-key': 1, 'role-grant': 1, 'role-revoke': 1 });
    const entry = JSON.parse(await ok(['log', 'entry', '2', '--json'])) as {
      statement: { predicate: { actor: { identity: string; signature: string } } };
    };
    expect(entry.statement.predicate.actor.identity).toBe('admin');
    expect(entry.statement.predicate.actor.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('attack: a person without the admin role cannot bind or grant', async () => {
    await setUp();
    await ok(['identity', 'bind', 'alice', '--key', pub('alice'), '--as', 'admin']);
    const bind = await home.run(['identity', 'bind', 'bob', '--key', pub('bob'), '--as', 'alice']);
    expect(bind.code).toBe(1);
    expect(bind.stderr).toContain('NOT_AUTHORISED');
    const grant = await home.run(['roles', 'grant', 'alice', 'admin', '--as', 'alice']);
    expect(grant.code).toBe(1);
    expectNoStackTrace(grant);
  });

  it('attack: acting with a key that is not bound to the identity is refused', async () => {
    await setUp();
    // bob has a key on disk but no identity-key entry.
    const unbound = await home.run(['identity', 'bind', 'alice', '--key', pub('alice'), '--as', 'bob']);
    expect(unbound.code).toBe(1);
    expect(unbound.stderr).toContain('KEY_NOT_BOUND');
    // bob's key file copied over the admin's: the admin identity signed with another identity's key.
    const { copyFile, chmod } = await import('node:fs/promises');
    await chmod(path.join(keyDir(), 'admin.key.pem'), 0o600);
    await copyFile(path.join(keyDir(), 'bob.key.pem'), path.join(keyDir(), 'admin.key.pem'));
    const stolen = await home.run(['identity', 'bind', 'alice', '--key', pub('alice'), '--as', 'admin']);
    expect(stolen.code).toBe(1);
    expect(stolen.stderr).toContain('KEY_NOT_BOUND');
  });

  it('attack: an admin whose admin role was revoked can no longer act', async () => {
    await setUp();
    await ok(['identity', 'bind', 'alice', '--key', pub('alice'), '--as', 'admin']);
    await ok(['roles', 'grant', 'alice', 'admin', '--as', 'admin']);
    await ok(['roles', 'revoke', 'alice', 'admin', '--as', 'admin']);
    const result = await home.run(['identity', 'bind', 'bob', '--key', pub('bob'), '--as', 'alice']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('NOT_AUTHORISED');
  });

  it('bad input: unknown role revoke, malformed times, half of --admin', async () => {
    await setUp();
    expect((await home.run(['roles', 'revoke', 'alice', 'approver', '--as', 'admin'])).code).toBe(2);
    await ok(['identity', 'bind', 'alice', '--key', pub('alice'), '--as', 'admin']);
    const badTime = await home.run([
      'roles',
      'grant',
      'alice',
      'oncall',
      '--from',
      'yesterday',
      '--as',
      'admin',
    ]);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain('--from');
    const other = await createTempHome();
    try {
      const half = await other.run(['init', '--admin', 'admin']);
      expect(half.code).toBe(2);
    } finally {
      await other.cleanup();
    }
  });
});

describe('users invite', () => {
  it('an admin invites a person: an identity-invite entry with only the secret hash, and a one-time link', async () => {
    await setUp();
    const out = JSON.parse(
      await ok([
        'users',
        'invite',
        'bob@bank.example',
        '--as',
        'admin',
        '--url',
        'https://signet.example',
        '--json',
      ]),
    ) as { entry: string; expires: string; link: string };
    const match = /^https:\/\/signet\.example\/enrol#(sgi_[A-Za-z0-9_-]{43})$/.exec(out.link);
    expect(match, out.link).not.toBeNull();
    const secret = match![1]!;
    expect(Date.parse(out.expires) - Date.now()).toBeGreaterThan(71 * 3600 * 1000);
    const entry = JSON.parse(await ok(['log', 'entry', out.entry, '--json'])) as {
      statement: { predicate: Record<string, unknown> };
    };
    const { createHash } = await import('node:crypto');
    expect(entry.statement.predicate['secretHash']).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(entry)).not.toContain(secret);
    const verified = JSON.parse(await ok(['verify', '--json'])) as { kinds: Record<string, number> };
    expect(verified.kinds['identity-invite']).toBe(1);
  });

  it('attack and bad input: a non-admin cannot invite; a bad --url or --hours is refused; nothing appended', async () => {
    await setUp();
    await ok(['identity', 'bind', 'alice', '--key', pub('alice'), '--as', 'admin']);
    const byAlice = await home.run(['users', 'invite', 'mallory', '--as', 'alice']);
    expect(byAlice.code).toBe(1);
    expect(byAlice.stderr).toContain('[NOT_AUTHORISED]');
    for (const args of [
      ['--url', 'ftp://x'],
      ['--hours', '0'],
      ['--hours', 'soon'],
    ]) {
      const result = await home.run(['users', 'invite', 'bob', '--as', 'admin', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expectNoStackTrace(result);
    }
    const verified = JSON.parse(await ok(['verify', '--json'])) as { size: number };
    expect(verified.size).toBe(2);
  });
});
