// The large-object store of a deployment on PostgreSQL, from the environment: objects up to
// `SIGNET_DB_MAX_OBJECT_BYTES` (16 MiB by default) live in the database, larger ones (model weights,
// datasets) in an S3 bucket with Object Lock (s3-object-store.ts), write-once and retained in COMPLIANCE
// mode. Nothing here is needed for the embedded default, which keeps every object in the home folder.
//
// Credentials: SIGNET_S3_ACCESS_KEY_ID and SIGNET_S3_SECRET_ACCESS_KEY when both are set, otherwise the AWS
// SDK's default chain (AWS_ACCESS_KEY_ID…, a profile, an instance or task role). They are never printed.
import type { S3ClientConfig } from '@aws-sdk/client-s3';

import { InputError } from '../errors.js';
import type { S3ObjectStoreOptions } from './s3-object-store.js';

export const S3_ENV = {
  bucket: 'SIGNET_S3_BUCKET',
  retentionDays: 'SIGNET_S3_RETENTION_DAYS',
  prefix: 'SIGNET_S3_PREFIX',
  endpoint: 'SIGNET_S3_ENDPOINT',
  region: 'SIGNET_S3_REGION',
  forcePathStyle: 'SIGNET_S3_FORCE_PATH_STYLE',
  accessKeyId: 'SIGNET_S3_ACCESS_KEY_ID',
  secretAccessKey: 'SIGNET_S3_SECRET_ACCESS_KEY',
  maxDatabaseObjectBytes: 'SIGNET_DB_MAX_OBJECT_BYTES',
} as const;

export interface LargeObjectSettings {
  /** The S3 store's options, or undefined when no bucket is configured (large objects are refused). */
  readonly s3: S3ObjectStoreOptions | undefined;
  /** The largest object kept in the database, when SIGNET_DB_MAX_OBJECT_BYTES sets it. */
  readonly maxDatabaseObjectBytes: number | undefined;
}

/**
 * Reads the large-object settings. Throws InputError INVALID_ARGUMENT naming the variable that is wrong:
 * a bucket without a retention period (COMPLIANCE retention cannot be shortened once set, so it is never
 * guessed), a retention or size that is not a whole positive number, or S3 settings without a bucket.
 *
 * @example
 * ```ts
 * // SIGNET_S3_BUCKET=acme-signet SIGNET_S3_RETENTION_DAYS=2555
 * const { s3 } = readLargeObjectSettings(process.env);
 * if (s3) largeObjects = createS3ObjectStore(s3);
 * ```
 */
export function readLargeObjectSettings(env: NodeJS.ProcessEnv): LargeObjectSettings {
  const value = (name: string): string | undefined => {
    const text = env[name]?.trim();
    return text === undefined || text === '' ? undefined : text;
  };
  const maxText = value(S3_ENV.maxDatabaseObjectBytes);
  const maxDatabaseObjectBytes =
    maxText === undefined ? undefined : wholeNumber(S3_ENV.maxDatabaseObjectBytes, maxText, 1);
  const bucket = value(S3_ENV.bucket);
  if (bucket === undefined) {
    const stray = Object.values(S3_ENV).filter(
      (name) => name !== S3_ENV.maxDatabaseObjectBytes && value(name) !== undefined,
    );
    if (stray.length > 0) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set but ${S3_ENV.bucket} is not: ` +
          'name the bucket that keeps large objects, or unset them',
      );
    }
    return { s3: undefined, maxDatabaseObjectBytes };
  }
  const retentionText = value(S3_ENV.retentionDays);
  if (retentionText === undefined) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${S3_ENV.bucket} needs ${S3_ENV.retentionDays}: the days each object is retained in COMPLIANCE mode ` +
        '(it cannot be shortened once set, so Signet never picks it for you)',
    );
  }
  const retentionDays = wholeNumber(S3_ENV.retentionDays, retentionText, 1);
  const endpoint = value(S3_ENV.endpoint);
  const region = value(S3_ENV.region);
  const accessKeyId = value(S3_ENV.accessKeyId);
  const secretAccessKey = value(S3_ENV.secretAccessKey);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `set both ${S3_ENV.accessKeyId} and ${S3_ENV.secretAccessKey}, or neither (the AWS SDK's default credentials)`,
    );
  }
  const pathStyleText = value(S3_ENV.forcePathStyle);
  if (pathStyleText !== undefined && pathStyleText !== 'true' && pathStyleText !== 'false') {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${S3_ENV.forcePathStyle} must be true or false, got ${JSON.stringify(pathStyleText)}`,
    );
  }
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${S3_ENV.endpoint} must be an http:// or https:// URL, got ${JSON.stringify(endpoint)}`,
    );
  }
  // MinIO and Ceph are usually reached by path (http://host:9000/bucket/key): the default with an endpoint.
  const forcePathStyle = pathStyleText === undefined ? endpoint !== undefined : pathStyleText === 'true';
  const client: S3ClientConfig = {
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(region !== undefined ? { region } : endpoint !== undefined ? { region: 'us-east-1' } : {}),
    forcePathStyle,
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? { credentials: { accessKeyId, secretAccessKey } }
      : {}),
  };
  const prefix = value(S3_ENV.prefix);
  return {
    s3: { client, bucket, retentionDays, ...(prefix !== undefined ? { prefix } : {}) },
    maxDatabaseObjectBytes,
  };
}

function wholeNumber(name: string, text: string, min: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${name} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}
