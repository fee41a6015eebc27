// Digests are `sha256:<64 lowercase hex>` everywhere (OCI style). A digest string arriving from outside
// (a CLI argument, a URL, a ledger entry) is attacker-controlled: validate it before it becomes a path.
import { createHash, timingSafeEqual } from 'node:crypto';

import { InputError } from '../errors.js';

export const DIGEST_ALGORITHM = 'sha256';
export const DIGEST_PREFIX = 'sha256:';
const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** A validated `sha256:<hex>` string. */
export type Digest = string & { readonly __brand: 'Digest' };

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

/** Validates untrusted input; the error names the bad value (truncated) so the user can find it. */
export function assertDigest(value: unknown, what = 'digest'): asserts value is Digest {
  if (!isDigest(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
    throw new InputError(
      'INVALID_DIGEST',
      `${what} must be "sha256:" followed by 64 lowercase hex digits, got ${shown}`,
    );
  }
}

export function parseDigest(value: unknown, what = 'digest'): Digest {
  assertDigest(value, what);
  return value;
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

export function digestOfBytes(bytes: Uint8Array): Digest {
  return toDigest(sha256(bytes));
}

export function toDigest(hash: Uint8Array): Digest {
  if (hash.length !== 32)
    throw new InputError('INVALID_DIGEST', `a SHA-256 hash has 32 bytes, got ${hash.length}`);
  return (DIGEST_PREFIX + Buffer.from(hash).toString('hex')) as Digest;
}

export function digestHex(digest: Digest): string {
  return digest.slice(DIGEST_PREFIX.length);
}

export function digestBytes(digest: Digest): Uint8Array {
  return new Uint8Array(Buffer.from(digestHex(digest), 'hex'));
}

/** Constant-time equality for hashes and digests (sigstore merkle.ts). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function equalDigests(a: Digest, b: Digest): boolean {
  return equalBytes(Buffer.from(a), Buffer.from(b));
}
