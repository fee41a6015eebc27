// A real S3 for tests: Ceph's RADOS Gateway on a one-node cluster that scripts/s3-test-server.sh starts
// in a temporary folder (about 13 s on this machine kind). Never skipped: without radosgw the tests fail
// saying what to install.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import type { S3ClientConfig } from '@aws-sdk/client-s3';

import { PROJECT_ROOT } from './dist.js';

const RADOSGW = '/usr/bin/radosgw';
const SERVER_SCRIPT = path.join(PROJECT_ROOT, 'scripts', 's3-test-server.sh');
/** How long starting (or stopping) the cluster may take. */
export const CEPH_START_MS = 120_000;

export interface RunningS3 {
  readonly implementation: string;
  readonly config: S3ClientConfig;
  /** The settings a `signet` process reads (src/store/s3-config.ts), bucket and retention aside. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** Refuses, with what to install, when Ceph is missing: these tests never skip. */
export function requireCeph(): void {
  if (!existsSync(RADOSGW)) {
    throw new Error(
      `the S3 store tests need Ceph's RADOS Gateway at ${RADOSGW}: run \`bash scripts/s3-test-server.sh install\` ` +
        '(apt-get install radosgw ceph-mon ceph-osd), or set SIGNET_S3_ENDPOINT, SIGNET_S3_ACCESS_KEY_ID and ' +
        'SIGNET_S3_SECRET_ACCESS_KEY to test against another S3 (docs/s3-object-lock.md)',
    );
  }
}

export async function startCeph(): Promise<RunningS3> {
  requireCeph();
  const dir = await mkdtemp(path.join(tmpdir(), 'signet-ceph-'));
  const run = (...args: string[]) =>
    promisify(execFile)('bash', [SERVER_SCRIPT, ...args], { timeout: CEPH_START_MS, encoding: 'utf8' });
  let env: {
    implementation: string;
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  try {
    env = JSON.parse((await run('start', dir)).stdout) as typeof env;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`scripts/s3-test-server.sh could not start Ceph (logs in ${dir}/log):\n${stderr}`, {
      cause: error,
    });
  }
  // The expectations below are Ceph 16.2's: a newer Ceph must be checked against them before use.
  if (!env.implementation.startsWith('Ceph RADOS Gateway 16.2.')) {
    await run('stop', dir);
    throw new Error(`expected Ceph 16.2 (Debian 12), found ${env.implementation}: review the expectations`);
  }
  return {
    implementation: env.implementation,
    env: {
      SIGNET_S3_ENDPOINT: env.endpoint,
      SIGNET_S3_REGION: env.region,
      SIGNET_S3_ACCESS_KEY_ID: env.accessKeyId,
      SIGNET_S3_SECRET_ACCESS_KEY: env.secretAccessKey,
    },
    config: {
      endpoint: env.endpoint,
      region: env.region,
      forcePathStyle: true,
      credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    },
    stop: async () => {
      await run('stop', dir);
    },
  };
}
