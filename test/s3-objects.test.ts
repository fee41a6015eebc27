// Large objects in a real S3 bucket with Object Lock (Ceph's RADOS Gateway, started by the test), small
// ones in PostgreSQL: the built `signet` configured only by the environment, as an operator would.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import {
  CreateBucketCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CEPH_START_MS, startCeph, type RunningS3 } from './helpers/ceph.js';
import { createTempHome, expectNoStackTrace, type TempHome } from './helpers/cli.js';
import { asSuperuser, createTestDatabase, type TestDatabase } from './helpers/postgres.js';

const DATABASE_LIMIT = 64 * 1024;
const PREFIX = 'signet/';

let s3: RunningS3;
let raw: S3Client;
let db: TestDatabase;
let home: TempHome;
let env: NodeJS.ProcessEnv;
const bucket = `signet-cli-${randomBytes(6).toString('hex')}`;

async function ok(args: readonly string[], extra: NodeJS.ProcessEnv = {}): Promise<string> {
  const result = await home.run(args, { env: { ...env, ...extra } });
  expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
  expectNoStackTrace(result);
  return result.stdout;
}

async function put(name: string, bytes: Uint8Array): Promise<{ digest: string; created: boolean }> {
  const file = path.join(home.root, name);
  await writeFile(file, bytes);
  return JSON.parse(await ok(['object', 'put', file, '--json'])) as { digest: string; created: boolean };
}

const keyOf = (digest: string): string => `${PREFIX}sha256/${digest.slice('sha256:'.length)}`;

async function inDatabase(digest: string): Promise<boolean> {
  return asSuperuser(db.url, async (client) => {
    const { rows } = await client.query('SELECT 1 FROM objects WHERE digest = $1', [digest]);
    return rows.length === 1;
  });
}

beforeAll(async () => {
  s3 = await startCeph();
  raw = new S3Client({ ...s3.config, maxAttempts: 1 });
  await raw.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  db = await createTestDatabase();
  home = await createTempHome('signet-s3-');
  env = {
    SIGNET_DATABASE_URL: db.url,
    ...s3.env,
    SIGNET_S3_BUCKET: bucket,
    SIGNET_S3_RETENTION_DAYS: '1',
    SIGNET_S3_PREFIX: PREFIX,
    SIGNET_DB_MAX_OBJECT_BYTES: String(DATABASE_LIMIT),
  };
  await ok(['keys', 'create', '--identity', 'admin']);
  const adminKey = path.join(home.root, 'config', 'signet', 'keys', 'admin.pub.pem');
  await ok(['init', '--admin', 'admin', '--admin-key', adminKey]);
}, CEPH_START_MS);

afterAll(async () => {
  raw?.destroy();
  await home?.cleanup();
  await db?.drop();
  await s3?.stop();
}, CEPH_START_MS);

describe('objects on PostgreSQL with an S3 bucket for large ones', () => {
  it('keeps a small object in the database and a large one in the bucket, under COMPLIANCE retention', async () => {
    const small = await put('small.bin', randomBytes(1000));
    const large = await put('large.bin', randomBytes(DATABASE_LIMIT * 4));
    expect(await inDatabase(small.digest)).toBe(true);
    expect(await inDatabase(large.digest)).toBe(false);

    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOf(large.digest) }));
    expect(head.ContentLength).toBe(DATABASE_LIMIT * 4);
    const retention = await raw.send(
      new GetObjectRetentionCommand({ Bucket: bucket, Key: keyOf(large.digest) }),
    );
    expect(retention.Retention?.Mode).toBe('COMPLIANCE');
    await expect(
      raw.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOf(small.digest) })),
    ).rejects.toThrow();

    const out = path.join(home.root, 'large.out');
    await ok(['object', 'get', large.digest, '--output', out]);
    expect(Buffer.compare(await readFile(out), await readFile(path.join(home.root, 'large.bin')))).toBe(0);
    expect(await ok(['object', 'verify'])).toMatch(/ok: \d+ object\(s\) intact/);
    // The same bytes again: already stored, nothing new.
    expect((await put('large-again.bin', await readFile(path.join(home.root, 'large.bin')))).created).toBe(
      false,
    );
  });

  it('detects bytes replaced in the bucket behind its back (a newer version under the same key)', async () => {
    const large = await put('victim.bin', randomBytes(DATABASE_LIMIT * 2));
    await raw.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: keyOf(large.digest),
        Body: randomBytes(DATABASE_LIMIT * 2),
      }),
    );
    const result = await home.run(
      ['object', 'get', large.digest, '--output', path.join(home.root, 'x.out')],
      {
        env,
      },
    );
    expect(result.code).not.toBe(0);
    expectNoStackTrace(result);
    expect(result.stderr).toMatch(/DIGEST_MISMATCH|does not match/);
    const verify = await home.run(['object', 'verify', large.digest], { env });
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`BAD ${large.digest}`);
  });

  it('refuses S3 settings without a database, and a bucket without a retention period', async () => {
    const embedded = { SIGNET_DATABASE_URL: '', SIGNET_HOME: path.join(home.root, 'embedded') };
    const withoutS3 = Object.fromEntries(
      Object.keys(env)
        .filter((k) => k.startsWith('SIGNET_S3_') || k.startsWith('SIGNET_DB_'))
        .map((k) => [k, '']),
    );
    const adminKey = path.join(home.root, 'config', 'signet', 'keys', 'admin.pub.pem');
    await ok(['init', '--admin', 'admin', '--admin-key', adminKey], { ...embedded, ...withoutS3 });
    const refused = await home.run(['log', 'checkpoint'], { env: { ...env, ...embedded } });
    expect(refused.code).not.toBe(0);
    expectNoStackTrace(refused);
    expect(refused.stderr).toMatch(/SIGNET_S3_BUCKET.* only with SIGNET_DATABASE_URL/);
    expect(await ok(['log', 'checkpoint'], { ...embedded, ...withoutS3 })).toContain('signet');

    const noRetention = await home.run(['object', 'verify'], {
      env: { ...env, SIGNET_S3_RETENTION_DAYS: '' },
    });
    expect(noRetention.code).not.toBe(0);
    expectNoStackTrace(noRetention);
    expect(noRetention.stderr).toContain('SIGNET_S3_BUCKET needs SIGNET_S3_RETENTION_DAYS');
  });
});
