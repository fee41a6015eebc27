// The built `signet` on PostgreSQL (`SIGNET_DATABASE_URL`), connecting as the application role that has
// no UPDATE or DELETE on the ledger: a promotion from init to gate and verify, `init` refused on a
// database that already holds a log; then four `signet serve` processes over one database, each
// answering 500 gate requests at once (each gate decision is a ledger entry), and afterwards
// `signet verify` passes with every acknowledged entry at its index and no gap or duplicate.
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTempHome, expectNoStackTrace, SIGNET_BIN, type TempHome } from './helpers/cli.js';
import pg from 'pg';

import { createTestDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from './helpers/postgres.js';
import { EXPLANATION_SVG, REQUEST_MARKDOWN } from './helpers/promotion-fixture.js';

const CONTEXT = 'retail-credit/uk';
const SERVERS = 4;
const GATES_PER_SERVER = 500;

let db: TestDatabase;
let home: TempHome;
let env: NodeJS.ProcessEnv;
let model: string;
const homes: TempHome[] = [];

async function ok(target: TempHome, args: readonly string[]): Promise<string> {
  const result = await target.run(args, { env });
  expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
  expectNoStackTrace(result);
  return result.stdout;
}

function firstDigest(stdout: string): string {
  const match = /^(sha256:[0-9a-f]{64})\s/.exec(stdout);
  if (!match?.[1]) throw new Error(`no digest at the start of:\n${stdout}`);
  return match[1];
}

beforeAll(async () => {
  db = await createTestDatabase({ roles: true });
  env = { SIGNET_DATABASE_URL: db.appUrl };
  home = await createTempHome('signet-pg-');
  homes.push(home);
  const keys = path.join(home.root, 'config', 'signet', 'keys');
  for (const id of ['admin', 'alice', 'bob']) await ok(home, ['keys', 'create', '--identity', id]);
  await ok(home, ['init', '--admin', 'admin', '--admin-key', path.join(keys, 'admin.pub.pem')]);
  for (const id of ['alice', 'bob']) {
    await ok(home, ['identity', 'bind', id, '--key', path.join(keys, `${id}.pub.pem`), '--as', 'admin']);
  }
  await ok(home, ['roles', 'grant', 'bob', 'approver', '--model', 'credit', '--as', 'admin']);
  const dir = path.join(home.root, 'inputs');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'baseline.json'), '{"w":[0.1]}\n');
  await writeFile(path.join(dir, 'candidate.json'), '{"w":[0.4]}\n');
  await writeFile(path.join(dir, 'eval.csv'), 'age,income,default\n31,42000,0\n23,18000,1\n45,61000,0\n');
  await writeFile(path.join(dir, 'request.md'), REQUEST_MARKDOWN);
  await writeFile(path.join(dir, 'importance.svg'), EXPLANATION_SVG);
  const register = async (file: string) =>
    firstDigest(await ok(home, ['model', 'register', path.join(dir, file), '--name', 'credit']));
  const baseline = await register('baseline.json');
  model = await register('candidate.json');
  const dataset = firstDigest(
    await ok(home, ['dataset', 'register', path.join(dir, 'eval.csv'), '--label', 'eval']),
  );
  await writeFile(
    path.join(dir, 'metrics.json'),
    JSON.stringify({ dataset, candidate: { auc: 0.81 }, challenger: { auc: 0.78 } }),
  );
  const proposed = JSON.parse(
    await ok(home, [
      'propose',
      '--model',
      model,
      '--challenger',
      baseline,
      '--dataset',
      dataset,
      '--metrics',
      path.join(dir, 'metrics.json'),
      '--explanation',
      path.join(dir, 'importance.svg'),
      '--request',
      path.join(dir, 'request.md'),
      '--context',
      CONTEXT,
      '--as',
      'alice',
      '--json',
    ]),
  ) as { draft: string };
  await ok(home, ['approve', proposed.draft, '--as', 'bob']);
}, 120_000);

afterAll(async () => {
  await Promise.all(homes.map((h) => h.cleanup()));
  await db?.drop();
});

describe('the CLI on PostgreSQL', () => {
  it('seals, gates and verifies with the ledger in the database; the home folder holds only its keys', async () => {
    const allowed = JSON.parse(
      await ok(home, ['gate', '--model', model, '--context', CONTEXT, '--json']),
    ) as { allow: boolean };
    expect(allowed.allow).toBe(true);
    const verified = await ok(home, ['verify']);
    expect(verified).toMatch(/ok/);
    // Nothing of the ledger in the folder: it is all in the database.
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(home.dir)).sort();
    expect(files.filter((f) => f !== 'objects')).toEqual(['config.json', 'log-key.pem', 'log-key.pub.pem']);
    if (files.includes('objects')) expect(await readdir(path.join(home.dir, 'objects'))).toEqual([]);
  });

  it('refuses init on a database that already holds a log, and leaves no half home behind', async () => {
    const other = await createTempHome('signet-pg-other-');
    homes.push(other);
    const result = await other.run(['init'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[HOME_EXISTS]');
    expect(result.stderr).toContain('already holds a log');
    expectNoStackTrace(result);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(other.dir).catch(() => [])).toEqual([]);
  });
});

describe('signet db', () => {
  it('provisions the roles and the database, migrates, and the app role cannot rewrite the ledger', async () => {
    const suffix = `${process.pid}_${Date.now().toString(36)}`;
    const names = {
      database: `signet_cli_${suffix}`,
      app: `signet_cli_app_${suffix}`,
      migrator: `signet_cli_mig_${suffix}`,
    };
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      const args = [
        'db',
        'provision',
        '--admin-url',
        POSTGRES_ADMIN_URL,
        '--database',
        names.database,
        '--app-role',
        names.app,
        '--migrator-role',
        names.migrator,
        '--json',
      ];
      const provisioned = JSON.parse(await ok(home, args)) as {
        appUrl: string;
        migration: { to: number; applied: number[] };
      };
      expect(provisioned.migration.applied.length).toBeGreaterThan(0);
      // Again: nothing to do.
      const again = JSON.parse(await ok(home, args)) as { migration: { applied: number[] } };
      expect(again.migration.applied).toEqual([]);
      const migrated = await home.run(['db', 'migrate', '--json'], {
        env: { SIGNET_DATABASE_URL: provisioned.appUrl },
      });
      expect(migrated.code, migrated.stderr).toBe(0);
      expect((JSON.parse(migrated.stdout) as { applied: number[] }).applied).toEqual([]);
      // A fresh home on it, as the app role; then try to rewrite history as that role.
      const fresh = await createTempHome('signet-pg-provisioned-');
      homes.push(fresh);
      const init = await fresh.run(['init'], { env: { SIGNET_DATABASE_URL: provisioned.appUrl } });
      expect(init.code, init.stderr).toBe(0);
      const app = new pg.Client({ connectionString: provisioned.appUrl });
      await app.connect();
      try {
        await expect(app.query('UPDATE ledger_entries SET kind = $1', ['forged'])).rejects.toThrow(
          /permission denied/,
        );
        await expect(app.query('DELETE FROM ledger_entries')).rejects.toThrow(/permission denied/);
      } finally {
        await app.end();
      }
      const bad = await home.run([
        'db',
        'provision',
        '--admin-url',
        POSTGRES_ADMIN_URL,
        '--app-role',
        'Robert"; DROP',
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--app-role');
      expectNoStackTrace(bad);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(names.database)} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(names.app)}`);
      await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(names.migrator)}`);
      await admin.end();
    }
  }, 60_000);
});

describe('four servers, one tree', () => {
  const children: ChildProcess[] = [];

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it(`serialises ${SERVERS} × ${GATES_PER_SERVER} concurrent appends through the HTTP API: verify passes, every acknowledged entry is there`, async () => {
    const token = JSON.parse(
      await ok(home, ['tokens', 'create', 'admin', '--name', 'load', '--as', 'admin', '--json']),
    ) as { secret: string };
    const before = JSON.parse(await ok(home, ['log', 'checkpoint', '--json'])) as { size: number };
    const urls: string[] = [];
    for (let i = 0; i < SERVERS; i += 1) {
      // Each server has its own copy of the home folder (config and log key), as on separate machines.
      const copy = await createTempHome('signet-pg-server-');
      homes.push(copy);
      await cp(home.dir, copy.dir, { recursive: true });
      const child = spawn(process.execPath, [SIGNET_BIN, 'serve', '--port', '0', '--json'], {
        env: { ...process.env, ...env, SIGNET_HOME: copy.dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      urls.push(
        await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout!.on('data', (chunk: Buffer) => {
            out += chunk.toString('utf8');
            const line = out.split('\n').find((l) => l.startsWith('{'));
            if (line) resolve((JSON.parse(line) as { url: string }).url.replace(/\/$/, ''));
          });
          child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
        }),
      );
    }
    const acknowledged: { index: number; id: string }[] = [];
    await Promise.all(
      urls.map(async (url) => {
        // A few requests in flight per server, as a load balancer would spread them.
        const lanes = Array.from({ length: 4 }, async (_, lane) => {
          for (let i = lane; i < GATES_PER_SERVER; i += 4) {
            const response = await fetch(`${url}/v1/gate`, {
              method: 'POST',
              headers: { Authorization: `Bearer ${token.secret}`, 'Content-Type': 'application/json' },
              body: JSON.stringify({ model, context: CONTEXT }),
            });
            expect(response.status).toBe(200);
            const body = (await response.json()) as {
              allow: boolean;
              deployment: string;
              deploymentIndex: number;
            };
            expect(body.allow).toBe(true);
            acknowledged.push({ index: body.deploymentIndex, id: body.deployment });
          }
        });
        await Promise.all(lanes);
      }),
    );
    expect(acknowledged).toHaveLength(SERVERS * GATES_PER_SERVER);
    // No two acknowledgements share an index, and together they fill the range exactly: no gap.
    const indices = acknowledged.map((a) => a.index).sort((a, b) => a - b);
    expect(new Set(indices).size).toBe(indices.length);
    expect(indices[0]).toBe(before.size);
    expect(indices.at(-1)).toBe(before.size + SERVERS * GATES_PER_SERVER - 1);
    const verify = JSON.parse(await ok(home, ['verify', '--json'])) as { size: number };
    expect(verify.size).toBe(before.size + SERVERS * GATES_PER_SERVER);
    for (const a of acknowledged.filter((_, i) => i % 97 === 0)) {
      const entry = JSON.parse(await ok(home, ['log', 'entry', String(a.index), '--json'])) as { id: string };
      expect(entry.id).toBe(a.id);
    }
  }, 240_000);
});
