import { describe, expect, it } from 'vitest';

import { SignetError } from '../errors.js';
import { readLargeObjectSettings } from './s3-config.js';

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    readLargeObjectSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('the settings were accepted');
}

describe('readLargeObjectSettings', () => {
  it('configures no bucket when none is named', () => {
    expect(readLargeObjectSettings({})).toEqual({ s3: undefined, maxDatabaseObjectBytes: undefined });
    expect(readLargeObjectSettings({ SIGNET_DB_MAX_OBJECT_BYTES: '1048576' })).toEqual({
      s3: undefined,
      maxDatabaseObjectBytes: 1048576,
    });
  });

  it('reads a bucket on MinIO or Ceph: path-style, the given credentials, us-east-1 by default', () => {
    const { s3 } = readLargeObjectSettings({
      SIGNET_S3_BUCKET: 'signet-objects',
      SIGNET_S3_RETENTION_DAYS: '2555',
      SIGNET_S3_PREFIX: 'signet/',
      SIGNET_S3_ENDPOINT: 'http://127.0.0.1:9000',
      SIGNET_S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      SIGNET_S3_SECRET_ACCESS_KEY: 'not-a-real-secret',
    });
    expect(s3).toEqual({
      bucket: 'signet-objects',
      retentionDays: 2555,
      prefix: 'signet/',
      client: {
        endpoint: 'http://127.0.0.1:9000',
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
      },
    });
  });

  it("leaves AWS S3 to the SDK's default region and credentials, virtual-hosted", () => {
    const { s3 } = readLargeObjectSettings({ SIGNET_S3_BUCKET: 'b', SIGNET_S3_RETENTION_DAYS: '30' });
    expect(s3).toEqual({ bucket: 'b', retentionDays: 30, client: { forcePathStyle: false } });
  });

  it('never guesses a retention period', () => {
    expect(refusal({ SIGNET_S3_BUCKET: 'b' })).toMatch(/SIGNET_S3_RETENTION_DAYS/);
    for (const bad of ['0', '-1', '1.5', 'ten', '1e3']) {
      expect(refusal({ SIGNET_S3_BUCKET: 'b', SIGNET_S3_RETENTION_DAYS: bad })).toMatch(
        /SIGNET_S3_RETENTION_DAYS must be a whole number/,
      );
    }
  });

  it('names every setting that is wrong', () => {
    expect(refusal({ SIGNET_S3_ENDPOINT: 'http://s3.local' })).toMatch(
      /SIGNET_S3_ENDPOINT is set but SIGNET_S3_BUCKET/,
    );
    const base = { SIGNET_S3_BUCKET: 'b', SIGNET_S3_RETENTION_DAYS: '1' };
    expect(refusal({ ...base, SIGNET_S3_ACCESS_KEY_ID: 'x' })).toMatch(/both SIGNET_S3_ACCESS_KEY_ID and/);
    expect(refusal({ ...base, SIGNET_S3_FORCE_PATH_STYLE: 'yes' })).toMatch(/SIGNET_S3_FORCE_PATH_STYLE/);
    expect(refusal({ ...base, SIGNET_S3_ENDPOINT: 's3.local:9000' })).toMatch(/http:\/\/ or https:\/\//);
    expect(refusal({ SIGNET_DB_MAX_OBJECT_BYTES: '16MiB' })).toMatch(/SIGNET_DB_MAX_OBJECT_BYTES/);
  });

  it('never puts the secret in an error', () => {
    const message = refusal({
      SIGNET_S3_BUCKET: 'b',
      SIGNET_S3_RETENTION_DAYS: '1',
      SIGNET_S3_SECRET_ACCESS_KEY: 'hunter2-secret',
    });
    expect(message).not.toContain('hunter2');
  });
});
