// Ed25519 keys (RFC 8032) through node:crypto. Keys are always passed in: nothing here reads a key from
// a file, the environment or a global. Private keys travel as PKCS#8 PEM, public keys as SPKI PEM or as
// the raw 32 bytes of RFC 8032 §5.1.5, which is what signatures, key ids and verifier keys are built on.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';

import { InputError } from '../errors.js';
import { digestOfBytes, type Digest } from './digest.js';

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SEED_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

// DER prefixes that wrap a raw key into the ASN.1 structures node:crypto imports (RFC 8410 §§4, 7):
// SubjectPublicKeyInfo { id-Ed25519 (1.3.101.112), BIT STRING key } and
// OneAsymmetricKey { version 0, id-Ed25519, OCTET STRING { OCTET STRING seed } }.
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The signing port: pure code gets one of these and never sees the private key. */
export interface Signer {
  /** `keyIdOf(publicKey)`. */
  readonly keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** A 64-byte Ed25519 signature over `message` (deterministic, RFC 8032 §5.1.6). */
  sign(message: Uint8Array): Uint8Array;
}

export interface GeneratedKeyPair {
  /** PKCS#8 PEM: keep it secret. */
  readonly privatePem: string;
  /** SPKI PEM. */
  readonly publicPem: string;
  /** The raw 32-byte public key. */
  readonly publicKey: Uint8Array;
}

/** A fresh Ed25519 key pair from the operating system's CSPRNG. */
export function generateKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKey: rawPublicKey(publicKey),
  };
}

/**
 * The PKCS#8 PEM of the Ed25519 private key with this 32-byte seed (RFC 8032 §5.1.5 "private key").
 * For published test vectors and imported keys; new keys come from `generateKeyPair`.
 */
export function privateKeyPemFromSeed(seed: Uint8Array): string {
  if (seed.length !== ED25519_SEED_BYTES) {
    throw new InputError(
      'INVALID_KEY',
      `an Ed25519 seed has ${ED25519_SEED_BYTES} bytes, got ${seed.length}`,
    );
  }
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * A Signer over a PKCS#8 PEM Ed25519 private key. Throws InputError INVALID_KEY for anything else: a
 * public key, an encrypted key, another algorithm, or text that is not PEM.
 *
 * @example
 * const signer = createSigner(generateKeyPair().privatePem);
 * verifySignature(signer.publicKey, message, signer.sign(message)); // true
 */
export function createSigner(privateKeyPem: string): Signer {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch (error) {
    throw new InputError('INVALID_KEY', 'not a readable, unencrypted PEM private key', { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new InputError(
      'INVALID_KEY',
      `the private key is ${privateKey.asymmetricKeyType ?? 'of no known type'}, not Ed25519`,
    );
  }
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return Object.freeze({
    keyId: keyIdOf(publicKey),
    get publicKey(): Uint8Array {
      return publicKey.slice();
    },
    sign(message: Uint8Array): Uint8Array {
      return new Uint8Array(cryptoSign(null, message, privateKey));
    },
  });
}

/** The raw 32-byte key in an SPKI PEM Ed25519 public key; InputError INVALID_KEY for anything else. */
export function publicKeyFromPem(pem: string): Uint8Array {
  let key: KeyObject;
  try {
    // A private key PEM would be accepted by createPublicKey (it derives the public half); an input that
    // claims to be a public key must be one.
    if (!/^\s*-----BEGIN PUBLIC KEY-----/.test(pem)) throw new Error('not a PUBLIC KEY PEM block');
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new InputError('INVALID_KEY', 'not a readable SPKI PEM public key', { cause: error });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new InputError(
      'INVALID_KEY',
      `the public key is ${key.asymmetricKeyType ?? 'of no known type'}, not Ed25519`,
    );
  }
  return rawPublicKey(key);
}

/** The SPKI PEM of a raw 32-byte Ed25519 public key. */
export function publicKeyToPem(publicKeyRaw: Uint8Array): string {
  return publicKeyObject(publicKeyRaw).export({ format: 'pem', type: 'spki' }).toString();
}

/**
 * Whether `signature` is a valid Ed25519 signature of `message` by `publicKeyRaw`. The signature is
 * attacker-controlled and any malformed one is simply `false`; a public key that is not 32 bytes of a
 * valid Ed25519 key is a configuration error: InputError INVALID_KEY.
 */
export function verifySignature(
  publicKeyRaw: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key = publicKeyObject(publicKeyRaw);
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  const memo = verificationDigest(publicKeyRaw, message, signature);
  if (verified.has(memo)) return true;
  let valid: boolean;
  try {
    verificationsRun += 1;
    valid = cryptoVerify(null, message, key, signature);
  } catch {
    return false;
  }
  if (valid) {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.values().next().value as string);
    verified.add(memo);
  }
  return valid;
}

// Ed25519 verification is a pure function of (key, message, signature), and a server checks the same
// signatures again and again: every full gate check folds the log's authority entries and opens its
// promotions, every approval and inbox view folds the authority again. The latest successes are
// remembered by the SHA-256 of the three (key and signature have fixed lengths, so key ‖ signature ‖
// message is unambiguous): checking one again costs a hash of the message instead of a verification,
// about a third of the time. Only successes are kept; a changed byte anywhere is another digest, and a
// signature that failed is checked again every time.
const VERIFIED_CACHE_SIZE = 65_536;
const verified = new Set<string>();
let verificationsRun = 0;

function verificationDigest(publicKeyRaw: Uint8Array, message: Uint8Array, signature: Uint8Array): string {
  return createHash('sha256').update(publicKeyRaw).update(signature).update(message).digest('base64');
}

/** How many signatures were verified by Ed25519 (not answered from the cache of successes) so far. */
export function ed25519VerificationsRun(): number {
  return verificationsRun;
}

/**
 * The key id of an Ed25519 public key: `sha256:<64 lowercase hex>` of the raw 32-byte key (RFC 8032
 * §5.1.5), the same digest format as everything else in Signet. It names the key in DSSE `keyid` and in
 * stored configuration; it is a hint to pick a key, never a reason to trust one. (Signed notes use their
 * own 4-byte key id, see `noteKeyId` in note.ts.)
 */
export function keyIdOf(publicKeyRaw: Uint8Array): Digest {
  assertPublicKeyLength(publicKeyRaw);
  return digestOfBytes(publicKeyRaw);
}

// Building a KeyObject costs about as much as the signature check itself, and a log verifies thousands
// of signatures by a handful of keys: the last few keys are kept. Keyed by the raw bytes (hex), so a
// caller mutating its array afterwards cannot poison the cache.
const KEY_CACHE_SIZE = 64;
const keyCache = new Map<string, KeyObject>();

function publicKeyObject(publicKeyRaw: Uint8Array): KeyObject {
  assertPublicKeyLength(publicKeyRaw);
  const cacheKey = Buffer.from(publicKeyRaw).toString('hex');
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, publicKeyRaw]),
      format: 'der',
      type: 'spki',
    });
  } catch (error) {
    throw new InputError('INVALID_KEY', 'not a valid Ed25519 public key', { cause: error });
  }
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(cacheKey, key);
  return key;
}

function assertPublicKeyLength(publicKeyRaw: Uint8Array): void {
  if (!(publicKeyRaw instanceof Uint8Array) || publicKeyRaw.length !== ED25519_PUBLIC_KEY_BYTES) {
    const got = publicKeyRaw instanceof Uint8Array ? `${publicKeyRaw.length} bytes` : typeof publicKeyRaw;
    throw new InputError(
      'INVALID_KEY',
      `an Ed25519 public key has ${ED25519_PUBLIC_KEY_BYTES} bytes, got ${got}`,
    );
  }
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' });
  if (
    der.length !== SPKI_ED25519_PREFIX.length + ED25519_PUBLIC_KEY_BYTES ||
    !der.subarray(0, 12).equals(SPKI_ED25519_PREFIX)
  ) {
    throw new InputError('INVALID_KEY', 'unexpected SPKI encoding of an Ed25519 key');
  }
  return new Uint8Array(der.subarray(SPKI_ED25519_PREFIX.length));
}
