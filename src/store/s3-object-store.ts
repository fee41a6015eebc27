// The S3 ObjectStore: `<prefix>sha256/<hex>` in a bucket with Object Lock, write-once, for large objects.
//
// The adapter's own guarantees (docs/s3-object-lock.md says which come from the bucket instead):
// - The key is the SHA-256 of the bytes, computed before the upload, so a put can only ever name the
//   bytes it carries.
// - Every PUT sends that SHA-256 twice, for the server to check before the object becomes visible: as
//   the SigV4 payload hash (`x-amz-content-sha256`, checked by every SigV4 server, AWS S3, MinIO and Ceph
//   alike) and as `x-amz-checksum-sha256` (stored with the object by AWS S3 and MinIO; Ceph 16.2 ignores
//   it). A PUT whose bytes differ on the way is refused and stores nothing. Giving the checksum up front
//   also keeps the SDK from its default for streams, an aws-chunked body with a trailing CRC32, which
//   Ceph 16.2 refuses (411 MissingContentLength).
// - Every PUT is conditional (`If-None-Match: *`): an existing key is never overwritten by this adapter;
//   412 Precondition Failed means "already there", and the stored bytes are then re-hashed before the put
//   reports `created: false`, as the filesystem store does. (Ceph 16.2 ignores the condition in a
//   versioned bucket: there a race between two puts of the same bytes stores them as two versions.)
// - Every PUT asks for COMPLIANCE-mode retention until now + retentionDays (a bucket without Object Lock
//   refuses it, so a misconfigured bucket fails loudly instead of storing unprotected objects).
// - Every read re-hashes the bytes and fails with DIGEST_MISMATCH at the end if they differ: whoever can
//   write to the bucket (a PUT without the condition adds a newer version) is detected, not trusted.
//
// Streams are spooled to a private temporary file while they are hashed, then sent in one PUT with a
// Content-Length. The key depends on the digest, which is known only at the end of the stream, and S3
// needs the key before the first byte; the alternatives are worse: a temporary key then a copy leaves an
// object under retention that cannot be deleted for retentionDays, and a multipart upload also needs its
// key first. One PUT is atomic on S3: the object is visible whole or not at all. Its limit is 5 GiB.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';

import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';

import { InputError, messageOf, SignetError, StoreError, VerificationError } from '../errors.js';
import { assertDigest, digestHex, equalDigests, toDigest, type Digest } from '../signing/digest.js';
import type { ObjectStore, PutResult } from './object-store.js';

const HASH_DIR = 'sha256/';
/** S3's limit for one PUT (AWS S3 and Ceph's default `rgw_max_put_size`). */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
/** AWS allows COMPLIANCE retention up to 100 years. */
const MAX_RETENTION_DAYS = 36_500;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_LIST_PAGE = 1000;
/** SigV4's signed payload hash: the server hashes the body it receives and refuses a mismatch. */
const PAYLOAD_SHA256_HEADER = 'x-amz-content-sha256';
/** AWS answers 409 ConditionalRequestConflict while another conditional write to the key is in flight. */
const CONFLICT_ATTEMPTS = 3;
const CONFLICT_BACKOFF_MS = 200;

export interface S3ObjectStoreOptions {
  /** An S3Client (shared, never destroyed by the store), or the configuration to create one. */
  readonly client: S3Client | S3ClientConfig;
  /** A bucket created with Object Lock enabled (which also enables versioning). */
  readonly bucket: string;
  /** Put before every key, e.g. `signet/`; empty by default. Keys are `<prefix>sha256/<hex>`. */
  readonly prefix?: string;
  /** Each object is retained in COMPLIANCE mode until the moment it is stored plus this many days. */
  readonly retentionDays: number;
  /** Where putStream spools a stream while hashing it; the system's temporary folder by default. */
  readonly tmpDir?: string;
  /** Keys asked for per ListObjectsV2 request, 1 to 1000 (the default). */
  readonly listPageSize?: number;
  /** The clock for retain-until dates; tests inject one. */
  readonly now?: () => Date;
}

/**
 * An ObjectStore in an S3 bucket with Object Lock: keys by digest, conditional writes, SHA-256 checked
 * by the server on the way in and re-hashed on the way out, COMPLIANCE retention on every object.
 *
 * @example
 * ```ts
 * const objects = createS3ObjectStore({
 *   client: { region: 'eu-west-1' },
 *   bucket: 'acme-signet-objects',
 *   prefix: 'signet/',
 *   retentionDays: 2555,
 * });
 * const { digest, created } = await objects.put(bytes); // key signet/sha256/<hex>
 * await objects.get(digest); // the bytes, re-hashed
 * ```
 */
export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const { bucket, retentionDays } = options;
  if (typeof bucket !== 'string' || bucket === '') {
    throw new InputError('INVALID_ARGUMENT', 'the S3 object store needs a bucket name');
  }
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > MAX_RETENTION_DAYS) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `retentionDays must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, got ${String(retentionDays)}`,
    );
  }
  const listPageSize = options.listPageSize ?? MAX_LIST_PAGE;
  if (!Number.isInteger(listPageSize) || listPageSize < 1 || listPageSize > MAX_LIST_PAGE) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `listPageSize must be from 1 to ${MAX_LIST_PAGE}, got ${String(listPageSize)}`,
    );
  }
  const client = options.client instanceof S3Client ? options.client : new S3Client(options.client);
  return new S3ObjectStore({
    client,
    bucket,
    prefix: options.prefix ?? '',
    retentionDays,
    tmpDir: options.tmpDir ?? tmpdir(),
    listPageSize,
    now: options.now ?? (() => new Date()),
  });
}

interface Settings {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly retentionDays: number;
  readonly tmpDir: string;
  readonly listPageSize: number;
  readonly now: () => Date;
}

/** What a put uploads: the bytes in memory, or a fresh read of the spooled file for each attempt. */
type Payload =
  { readonly kind: 'bytes'; readonly bytes: Uint8Array } | { readonly kind: 'file'; readonly file: string };

class S3ObjectStore implements ObjectStore {
  constructor(private readonly s: Settings) {}

  /** The key of a digest; the digest is validated first, as it may come from outside. */
  private keyOf(digest: Digest): string {
    assertDigest(digest);
    return `${this.s.prefix}${HASH_DIR}${digestHex(digest)}`;
  }

  async put(bytes: Uint8Array): Promise<PutResult> {
    if (bytes.length > MAX_PUT_BYTES) throw tooLarge();
    const hash = createHash('sha256').update(bytes).digest();
    // A copy: the caller may change its buffer while the upload is in flight.
    return this.store(toDigest(hash), bytes.length, { kind: 'bytes', bytes: new Uint8Array(bytes) });
  }

  async putStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<PutResult> {
    let dir: string | undefined;
    let handle: FileHandle | undefined;
    try {
      dir = await mkdtemp(path.join(this.s.tmpDir, 'signet-s3-'));
      const file = path.join(dir, 'object');
      handle = await open(file, 'wx', 0o600);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of source) {
        size += chunk.length;
        if (size > MAX_PUT_BYTES) throw tooLarge();
        hash.update(chunk);
        await handle.write(chunk);
      }
      await handle.close();
      handle = undefined;
      return await this.store(toDigest(hash.digest()), size, { kind: 'file', file });
    } catch (error) {
      if (error instanceof SignetError) throw error;
      throw new StoreError('STORE_FAILURE', `could not spool the object to upload: ${messageOf(error)}`, {
        cause: error,
      });
    } finally {
      await handle?.close().catch(() => undefined);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async store(digest: Digest, size: number, payload: Payload): Promise<PutResult> {
    const key = this.keyOf(digest);
    const hex = digestHex(digest);
    for (let attempt = 1; ; attempt++) {
      // A HEAD first saves uploading a large object that is already there; the conditional PUT below
      // still settles a race between two puts of the same bytes.
      if (await this.headExists(key, digest)) return this.alreadyStored(digest, size);
      const body = payload.kind === 'bytes' ? payload.bytes : createReadStream(payload.file);
      const command = new PutObjectCommand({
        Bucket: this.s.bucket,
        Key: key,
        Body: body,
        ContentLength: size,
        ContentType: 'application/octet-stream',
        ChecksumSHA256: Buffer.from(hex, 'hex').toString('base64'),
        IfNoneMatch: '*',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: new Date(this.s.now().getTime() + this.s.retentionDays * DAY_MS),
      });
      signPayloadHash(command, hex);
      try {
        await this.s.client.send(command);
        return { digest, size, created: true };
      } catch (error) {
        const { status, code } = describeS3Error(error);
        if (status === 412 || code === 'PreconditionFailed') return this.alreadyStored(digest, size);
        if ((status === 409 || code === 'ConditionalRequestConflict') && attempt < CONFLICT_ATTEMPTS) {
          await sleep(CONFLICT_BACKOFF_MS * attempt);
          continue;
        }
        throw this.failure('PutObject', key, error, digest);
      } finally {
        if (typeof body === 'object' && 'destroy' in body) (body as Readable).destroy();
      }
    }
  }

  /** Already stored: a no-op, but never vouch for bytes that have changed since (as the fs store). */
  private async alreadyStored(digest: Digest, size: number): Promise<PutResult> {
    for await (const chunk of this.getStream(digest)) void chunk;
    return { digest, size, created: false };
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.getStream(digest)) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  async *getStream(digest: Digest): AsyncIterable<Uint8Array> {
    const key = this.keyOf(digest);
    let body: unknown;
    try {
      body = (await this.s.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: key }))).Body;
    } catch (error) {
      throw this.failure('GetObject', key, error, digest);
    }
    if (!isAsyncIterable(body)) {
      throw new StoreError(
        'STORE_FAILURE',
        `S3 GetObject of ${this.s.bucket}/${key} returned no body stream`,
        {
          details: { digest, key },
        },
      );
    }
    const hash = createHash('sha256');
    try {
      for await (const chunk of body) {
        const bytes = chunk instanceof Uint8Array ? chunk : Buffer.from(String(chunk));
        hash.update(bytes);
        yield bytes;
      }
    } catch (error) {
      throw this.failure('GetObject', key, error, digest);
    } finally {
      // Frees the connection if the caller stopped early; a no-op after a full read.
      (body as { destroy?: () => void }).destroy?.();
    }
    // Attacker-controlled bytes: whoever can write to the bucket can add a newer version under the key.
    const actual = toDigest(hash.digest());
    if (!equalDigests(actual, digest)) {
      throw new VerificationError(
        'DIGEST_MISMATCH',
        `object ${digest} is corrupt: the bytes under s3://${this.s.bucket}/${key} hash to ${actual}`,
        { details: { digest, actual, key } },
      );
    }
  }

  async has(digest: Digest): Promise<boolean> {
    return this.headExists(this.keyOf(digest), digest);
  }

  async *list(): AsyncIterable<Digest> {
    const listPrefix = `${this.s.prefix}${HASH_DIR}`;
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.s.client.send(
          new ListObjectsV2Command({
            Bucket: this.s.bucket,
            Prefix: listPrefix,
            MaxKeys: this.s.listPageSize,
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        throw this.failure('ListObjectsV2', listPrefix, error);
      }
      for (const { Key } of page.Contents ?? []) {
        // A stray key under the prefix is yielded as is, for the verifier to report as a bad digest.
        if (Key !== undefined) yield `sha256:${Key.slice(listPrefix.length)}` as Digest;
      }
      if (page.IsTruncated === true && page.NextContinuationToken === undefined) {
        throw new StoreError(
          'STORE_FAILURE',
          `S3 ListObjectsV2 of ${this.s.bucket}/${listPrefix} was cut short`,
        );
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  private async headExists(key: string, digest: Digest): Promise<boolean> {
    try {
      await this.s.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissingKey(error)) return false;
      throw this.failure('HeadObject', key, error, digest);
    }
  }

  /** A coded error for a failed S3 call: NOT_FOUND for a missing key, STORE_FAILURE otherwise. */
  private failure(operation: string, key: string, error: unknown, digest?: Digest): SignetError {
    if (error instanceof SignetError) return error;
    const where = `s3://${this.s.bucket}/${key}`;
    if (digest !== undefined && isMissingKey(error)) {
      // Also when a delete marker hides the key: its locked versions are still in the bucket.
      return new InputError('NOT_FOUND', `object ${digest} is not in the store`, {
        details: { digest, key },
      });
    }
    const { code, status, requestId, message } = describeS3Error(error);
    const hint =
      HINTS[code] ?? (operation === 'PutObject' && code === 'InvalidRequest' ? BUCKET_HINT : undefined);
    const said = message !== '' && message !== code && message !== 'UnknownError' ? `: ${message}` : '';
    return new StoreError(
      'STORE_FAILURE',
      `S3 ${operation} of ${where} failed: ${code}${status === undefined ? '' : ` (HTTP ${status})`}${said}` +
        (hint === undefined ? '' : ` — ${hint}`),
      {
        cause: error,
        details: {
          operation,
          bucket: this.s.bucket,
          key,
          s3Code: code,
          ...(status === undefined ? {} : { httpStatus: status }),
          ...(requestId === undefined ? {} : { requestId }),
          ...(digest === undefined ? {} : { digest }),
        },
      },
    );
  }
}

const REFUSED_BYTES =
  'the server hashed the bytes it received and they do not match the SHA-256 sent with them: nothing was stored';
const BUCKET_HINT = 'does the bucket have Object Lock enabled? (docs/s3-object-lock.md)';
const HINTS: Readonly<Record<string, string>> = {
  XAmzContentSHA256Mismatch: REFUSED_BYTES,
  BadDigest: REFUSED_BYTES,
  NoSuchBucket: 'the bucket does not exist',
  AccessDenied: 'check the credentials and the bucket policy; a locked object cannot be changed or deleted',
  InvalidAccessKeyId: 'check the access key',
  SignatureDoesNotMatch: 'check the secret key and the region',
};

/** Adds the payload's SHA-256 as the signed `x-amz-content-sha256` of this one command (not the client). */
function signPayloadHash(command: PutObjectCommand, hex: string): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers !== undefined) request.headers[PAYLOAD_SHA256_HEADER] = hex;
      return next(args);
    },
    { step: 'build', name: 'signetPayloadSha256' },
  );
}

interface S3ErrorFacts {
  readonly code: string;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly message: string;
}

/** The facts of an SDK error (a service exception, or a network error with a Node `code`). */
function describeS3Error(error: unknown): S3ErrorFacts {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  // A service exception is named by its S3 code (NoSuchKey); a network error is an Error with a Node code.
  const code =
    typeof e.name === 'string' && e.name !== 'Error' ? e.name : typeof e.code === 'string' ? e.code : 'Error';
  return {
    code,
    status: e.$metadata?.httpStatusCode,
    requestId: e.$metadata?.requestId,
    message: typeof e.message === 'string' ? e.message : String(error),
  };
}

function isMissingKey(error: unknown): boolean {
  const { code, status } = describeS3Error(error);
  return code === 'NoSuchKey' || (code === 'NotFound' && status === 404);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function tooLarge(): InputError {
  return new InputError(
    'PAYLOAD_TOO_LARGE',
    `an S3 object is stored in one PUT, at most ${MAX_PUT_BYTES} bytes (5 GiB)`,
    { details: { limit: MAX_PUT_BYTES } },
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
