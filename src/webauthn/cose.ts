// COSE_Key (RFC 9052 §7, RFC 9053 §§2, 7) public keys of passkeys, read with a small strict CBOR reader
// (RFC 8949) rather than a general-purpose one: a credential public key is one map of integer labels to
// integers and byte strings, and a stored key must verify the same way years from now. The reader
// accepts exactly that: definite lengths, shortest-form heads (RFC 8949 §4.2.1), no duplicate labels, no
// trailing bytes. Only the three algorithms WebAuthn relying parties are told to offer (L3 pubKeyCredParams:
// -8, -7, -257) are accepted, each with exactly the labels its key type defines.
import {
  constants,
  createPublicKey,
  verify as cryptoVerify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';

import { InputError } from '../errors.js';
import { encodeBase64Url } from './base64url.js';

/** COSE algorithm identifiers (IANA COSE Algorithms registry). */
export const COSE_ALG_ES256 = -7;
export const COSE_ALG_EDDSA = -8;
export const COSE_ALG_RS256 = -257;

export type CoseAlgorithm = typeof COSE_ALG_ES256 | typeof COSE_ALG_EDDSA | typeof COSE_ALG_RS256;

export const COSE_ALGORITHM_NAMES: Readonly<Record<CoseAlgorithm, string>> = {
  [COSE_ALG_ES256]: 'ES256',
  [COSE_ALG_EDDSA]: 'EdDSA',
  [COSE_ALG_RS256]: 'RS256',
};

/** The COSE algorithms Signet registers and verifies, in order of preference. */
export const SUPPORTED_COSE_ALGORITHMS: readonly CoseAlgorithm[] = [
  COSE_ALG_EDDSA,
  COSE_ALG_ES256,
  COSE_ALG_RS256,
];

/** No honest COSE public key is larger (an RSA-8192 key is about 1,040 bytes). */
export const MAX_COSE_KEY_BYTES = 2048;

// Labels (RFC 9052 §7.1, RFC 9053 §§7.1.1, 7.2; RFC 8230 §4 for RSA).
const LABEL_KTY = 1;
const LABEL_ALG = 3;
const LABEL_CRV_OR_N = -1;
const LABEL_X_OR_E = -2;
const LABEL_Y = -3;
const KTY_OKP = 1;
const KTY_EC2 = 2;
const KTY_RSA = 3;
const CRV_P256 = 1;
const CRV_ED25519 = 6;
const MIN_RSA_MODULUS_BITS = 2048;

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_MAP = 5;
const MAX_MAP_ENTRIES = 16;

/** A decoded, supported credential public key. */
export interface CosePublicKey {
  readonly algorithm: CoseAlgorithm;
  readonly key: KeyObject;
}

type CoseValue = number | Uint8Array;

/**
 * Parses COSE_Key bytes into a key node:crypto can verify with. Throws InputError INVALID_KEY, the message
 * prefixed with `what`, for malformed CBOR, an unsupported algorithm, key type or curve, a missing,
 * unknown or ill-typed label, a point not on the curve, or an RSA modulus under 2048 bits.
 */
export function parseCosePublicKey(bytes: Uint8Array, what: string): CosePublicKey {
  if (bytes.length > MAX_COSE_KEY_BYTES) {
    throw invalidKey(what, `the COSE key has ${bytes.length} bytes, more than ${MAX_COSE_KEY_BYTES}`);
  }
  const cacheKey = Buffer.from(bytes).toString('hex');
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const map = decodeCoseMap(bytes, what);
  const kty = map.get(LABEL_KTY);
  const alg = map.get(LABEL_ALG);
  if (typeof alg !== 'number') throw invalidKey(what, 'the COSE key has no integer alg (label 3)');
  let parsed: CosePublicKey;
  switch (alg) {
    case COSE_ALG_ES256: {
      expectLabels(map, [LABEL_KTY, LABEL_ALG, LABEL_CRV_OR_N, LABEL_X_OR_E, LABEL_Y], 'an ES256', what);
      if (kty !== KTY_EC2) throw invalidKey(what, `an ES256 key must have kty 2 (EC2), got ${show(kty)}`);
      const crv = map.get(LABEL_CRV_OR_N);
      if (crv !== CRV_P256) throw invalidKey(what, `an ES256 key must be on P-256 (crv 1), got ${show(crv)}`);
      const x = bytesOf(map, LABEL_X_OR_E, 32, 'x', what);
      const y = bytesOf(map, LABEL_Y, 32, 'y', what);
      parsed = { algorithm: alg, key: importJwk({ kty: 'EC', crv: 'P-256', x: b64(x), y: b64(y) }, what) };
      break;
    }
    case COSE_ALG_EDDSA: {
      expectLabels(map, [LABEL_KTY, LABEL_ALG, LABEL_CRV_OR_N, LABEL_X_OR_E], 'an EdDSA', what);
      if (kty !== KTY_OKP) throw invalidKey(what, `an EdDSA key must have kty 1 (OKP), got ${show(kty)}`);
      const crv = map.get(LABEL_CRV_OR_N);
      // Ed448 (crv 7) is EdDSA too, but no browser-facing authenticator makes such keys.
      if (crv !== CRV_ED25519) {
        throw invalidKey(what, `an EdDSA key must be on Ed25519 (crv 6), got ${show(crv)}`);
      }
      const x = bytesOf(map, LABEL_X_OR_E, 32, 'x', what);
      parsed = { algorithm: alg, key: importJwk({ kty: 'OKP', crv: 'Ed25519', x: b64(x) }, what) };
      break;
    }
    case COSE_ALG_RS256: {
      expectLabels(map, [LABEL_KTY, LABEL_ALG, LABEL_CRV_OR_N, LABEL_X_OR_E], 'an RS256', what);
      if (kty !== KTY_RSA) throw invalidKey(what, `an RS256 key must have kty 3 (RSA), got ${show(kty)}`);
      const n = bytesOf(map, LABEL_CRV_OR_N, undefined, 'n', what);
      const e = bytesOf(map, LABEL_X_OR_E, undefined, 'e', what);
      const key = importJwk({ kty: 'RSA', n: b64(n), e: b64(e) }, what);
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < MIN_RSA_MODULUS_BITS) {
        throw invalidKey(what, `the RSA modulus has ${bits} bits, fewer than ${MIN_RSA_MODULUS_BITS}`);
      }
      parsed = { algorithm: alg, key };
      break;
    }
    default:
      throw invalidKey(
        what,
        `COSE algorithm ${alg} is not supported; passkeys must use ES256 (-7), EdDSA (-8) or RS256 (-257)`,
      );
  }
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(cacheKey, parsed);
  return parsed;
}

/**
 * Whether `signature` is `publicKey`'s signature of `message`: ES256 with an ASN.1 DER signature (WebAuthn
 * L3 #sctn-signature-attestation-types), Ed25519, or RSASSA-PKCS1-v1_5 with SHA-256. The signature is attacker-controlled: anything
 * malformed is simply false.
 */
export function verifyCoseSignature(
  publicKey: CosePublicKey,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    switch (publicKey.algorithm) {
      case COSE_ALG_ES256:
        return cryptoVerify('sha256', message, { key: publicKey.key, dsaEncoding: 'der' }, signature);
      case COSE_ALG_EDDSA:
        return signature.length === 64 && cryptoVerify(null, message, publicKey.key, signature);
      case COSE_ALG_RS256:
        return cryptoVerify(
          'sha256',
          message,
          { key: publicKey.key, padding: constants.RSA_PKCS1_PADDING },
          signature,
        );
    }
  } catch {
    return false;
  }
}

// Building a KeyObject costs about as much as a signature check, and a ledger holds many approvals by a
// few passkeys (the same cache as signing/keys.ts). Keyed by the bytes, so later mutation cannot poison it.
const KEY_CACHE_SIZE = 64;
const keyCache = new Map<string, CosePublicKey>();

/** The strict reader: one CBOR map of integer labels to integers and byte strings, nothing else. */
function decodeCoseMap(bytes: Uint8Array, what: string): Map<number, CoseValue> {
  let pos = 0;
  const fail = (reason: string): InputError =>
    invalidKey(what, `the COSE key is not well-formed CBOR of the expected shape: ${reason} at byte ${pos}`);

  const readHead = (): { major: number; value: number } => {
    const initial = bytes[pos];
    if (initial === undefined) throw fail('the bytes end early');
    pos += 1;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (info < 24) return { major, value: info };
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 0;
    // 27 (64-bit arguments) is far beyond any COSE key; 28-30 are reserved, 31 is an indefinite length.
    if (size === 0) throw fail(`unsupported additional information ${info}`);
    if (pos + size > bytes.length) throw fail('the bytes end early');
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + (bytes[pos + i] ?? 0);
    pos += size;
    const smallest = size === 1 ? 24 : size === 2 ? 0x100 : 0x10000;
    if (value < smallest) throw fail('an integer or length not in its shortest form');
    return { major, value };
  };

  const readInteger = (kind: string): number => {
    const { major, value } = readHead();
    if (major === MAJOR_UNSIGNED) return value;
    if (major === MAJOR_NEGATIVE) return -1 - value;
    throw fail(`${kind} must be an integer, got CBOR major type ${major}`);
  };

  const head = readHead();
  if (head.major !== MAJOR_MAP) throw fail(`a COSE key is a CBOR map, got major type ${head.major}`);
  if (head.value > MAX_MAP_ENTRIES) throw fail(`${head.value} entries`);
  const map = new Map<number, CoseValue>();
  for (let i = 0; i < head.value; i++) {
    const label = readInteger('a label');
    if (map.has(label)) throw fail(`duplicate label ${label}`);
    const valueStart = pos;
    const { major, value } = readHead();
    if (major === MAJOR_UNSIGNED) map.set(label, value);
    else if (major === MAJOR_NEGATIVE) map.set(label, -1 - value);
    else if (major === MAJOR_BYTES) {
      if (pos + value > bytes.length) throw fail('a byte string runs past the end');
      map.set(label, bytes.slice(pos, pos + value));
      pos += value;
    } else {
      pos = valueStart;
      throw fail(`label ${label} has a value of CBOR major type ${major}`);
    }
  }
  if (pos !== bytes.length) throw fail(`${bytes.length - pos} trailing bytes`);
  return map;
}

function expectLabels(
  map: Map<number, CoseValue>,
  labels: readonly number[],
  kind: string,
  what: string,
): void {
  for (const label of labels) {
    if (!map.has(label)) throw invalidKey(what, `${kind} COSE key has no label ${label}`);
  }
  for (const label of map.keys()) {
    if (!labels.includes(label)) throw invalidKey(what, `${kind} COSE key has an unexpected label ${label}`);
  }
}

function bytesOf(
  map: Map<number, CoseValue>,
  label: number,
  length: number | undefined,
  name: string,
  what: string,
): Uint8Array {
  const value = map.get(label);
  if (!(value instanceof Uint8Array) || value.length === 0) {
    throw invalidKey(what, `the COSE key's ${name} (label ${label}) must be a non-empty byte string`);
  }
  if (length !== undefined && value.length !== length) {
    throw invalidKey(
      what,
      `the COSE key's ${name} (label ${label}) has ${value.length} bytes, not ${length}`,
    );
  }
  return value;
}

function importJwk(jwk: JsonWebKey, what: string): KeyObject {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    // For EC keys this is where a point that is not on the curve is refused.
    const reason = error instanceof Error ? `: ${error.message}` : '';
    throw new InputError('INVALID_KEY', `${what}: the COSE key is not a valid public key${reason}`, {
      cause: error,
    });
  }
}

function b64(bytes: Uint8Array): string {
  return encodeBase64Url(bytes);
}

function show(value: CoseValue | undefined): string {
  return value instanceof Uint8Array ? 'a byte string' : String(value);
}

function invalidKey(what: string, reason: string): InputError {
  return new InputError('INVALID_KEY', `${what}: ${reason}`);
}
