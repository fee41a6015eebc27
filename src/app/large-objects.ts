// Where a deployment on PostgreSQL keeps its large objects: the S3 bucket named in the environment
// (src/store/s3-config.ts), joined to the database's object table, which keeps objects up to a size.
import { InputError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { readLargeObjectSettings, S3_ENV } from '../store/s3-config.js';

export interface LargeObjects {
  /** For openPostgresStores: the S3 store and the database's size limit, when configured. */
  readonly options: { readonly largeObjects?: ObjectStore; readonly maxObjectBytes?: number };
  /** Closes the S3 client's connections (none without a bucket). */
  close(): void;
}

/**
 * The large-object settings for a home. Without a database, any S3 setting is refused: the embedded
 * default keeps every object in the home folder, and a bucket silently ignored would be worse.
 */
export async function openLargeObjects(env: NodeJS.ProcessEnv, onDatabase: boolean): Promise<LargeObjects> {
  if (!onDatabase) {
    const set = Object.values(S3_ENV).filter((name) => (env[name] ?? '').trim() !== '');
    if (set.length > 0) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `${set.join(', ')} ${set.length === 1 ? 'applies' : 'apply'} only with SIGNET_DATABASE_URL: ` +
          'the embedded default keeps every object in the home folder',
      );
    }
    return { options: {}, close: () => undefined };
  }
  const settings = readLargeObjectSettings(env);
  const max = settings.maxDatabaseObjectBytes;
  if (settings.s3 === undefined) {
    return { options: max !== undefined ? { maxObjectBytes: max } : {}, close: () => undefined };
  }
  // Loaded only when a bucket is configured: the AWS SDK takes ~100 ms to import.
  const [{ S3Client }, { createS3ObjectStore }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../store/s3-object-store.js'),
  ]);
  const client = new S3Client(settings.s3.client);
  return {
    options: {
      largeObjects: createS3ObjectStore({ ...settings.s3, client }),
      ...(max !== undefined ? { maxObjectBytes: max } : {}),
    },
    close: () => client.destroy(),
  };
}
