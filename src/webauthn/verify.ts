// Offline verification of a stored passkey signature (WebAuthn L3 §7.2 "Verifying an Authentication
// Assertion", the steps that need no server state). The record comes out of a ledger entry and is
// attacker-controlled: every field is type-checked and strictly decoded before use, and every failure
// names what failed. Deliberately not checked, because a verifier years later cannot know them: the
// signature counter (a clone signal that needs the last value seen), and whether the
// credential id belongs to the user (the caller binds `keyId` to an identity through the ledger).
import { InputError, VerificationError } from '../errors.js';
import { parseJson } from '../signing/canonical-json.js';
import {
  assertDigest,
  digestBytes,
  digestOfBytes,
  equalBytes,
  equalDigests,
  isDigest,
  sha256,
  type Digest,
} from '../signing/digest.js';
import { decodeBase64UrlStrict, encodeBase64Url } from './base64url.js';
import { COSE_ALGORITHM_NAMES, MAX_COSE_KEY_BYTES, parseCosePublicKey, verifyCoseSignature } from './cose.js';

/** Authenticator data flags (L3 §6.1). */
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;

/** rpIdHash (32) + flags (1) + signCount (4): authenticator data without extensions (L3 §6.1). */
const MIN_AUTHENTICATOR_DATA_BYTES = 37;

// Limits on attacker-controlled sizes, far above anything an honest authenticator or browser produces.
const MAX_CREDENTIAL_ID_BYTES = 1023; // L3 "credential ID": at most 1023 bytes
const MAX_AUTHENTICATOR_DATA_BYTES = 4096;
const MAX_CLIENT_DATA_BYTES = 16 * 1024;
const MAX_SIGNATURE_BYTES = 1024;
const MAX_RP_ID_LENGTH = 253; // a DNS name
const MAX_ORIGIN_LENGTH = 2048;

const RECORD_FIELDS = [
  'scheme',
  'keyId',
  'credentialId',
  'publicKey',
  'authenticatorData',
  'clientDataJSON',
  'signature',
  'rpId',
  'origin',
] as const;

export interface VerifyWebAuthnOptions {
  /** When given, the record's rpId must be exactly this. */
  readonly rpId?: string;
  /** When given, the record's origin must be one of these (exact string match). */
  readonly origins?: readonly string[];
  /** Require the UV flag (L3 §7.2). Default true. */
  readonly requireUserVerification?: boolean;
}

export interface VerifiedWebAuthn {
  /** The record's keyId, checked against the key. */
  readonly keyId: Digest;
  /** The COSE_Key bytes that verified the signature. */
  readonly publicKey: Uint8Array;
}

/**
 * Verifies a stored passkey signature (a `WebAuthnSignature` record from a ledger entry) over
 * `expectedChallenge`, which for an approval is `challengeOf(statementDigest)`. Checks, in the order of
 * L3 §7.2: the record's shape and strict base64url; keyId = SHA-256 of the COSE key; clientDataJSON is
 * I-JSON with type "webauthn.get", challenge = base64url(expectedChallenge) exactly, origin = record.origin
 * (and in `options.origins`), not cross-origin; rpIdHash = SHA-256(record.rpId) (and record.rpId =
 * `options.rpId`); UP set, UV set unless `requireUserVerification: false`; and the signature over
 * `authenticatorData || SHA-256(clientDataJSON)` with the COSE key (ES256/DER, Ed25519, RS256).
 *
 * Throws InputError INVALID_ARGUMENT for a malformed record, INVALID_JSON/INVALID_UTF8 for unreadable
 * clientDataJSON, INVALID_KEY for an unusable COSE key, and VerificationError BAD_SIGNATURE for a
 * well-formed record that does not attest this challenge. Every message starts with `what`.
 *
 * @example
 * const { keyId } = verifyWebAuthnSignature(approval.signature, challengeOf(statementDigest),
 *   'the passkey signature', { rpId: 'signet.example.org', origins: ['https://signet.example.org'] });
 */
export function verifyWebAuthnSignature(
  record: unknown,
  expectedChallenge: Uint8Array,
  what: string,
  options: VerifyWebAuthnOptions = {},
): VerifiedWebAuthn {
  if (!(expectedChallenge instanceof Uint8Array) || expectedChallenge.length === 0) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${what}: the expected challenge must be a non-empty Uint8Array`,
    );
  }
  if (options.origins !== undefined && options.origins.length === 0) {
    throw new InputError('INVALID_ARGUMENT', `${what}: options.origins is empty, so no origin could match`);
  }
  const fields = readRecord(record, what);
  const bad = (message: string, details?: Record<string, unknown>): VerificationError =>
    new VerificationError('BAD_SIGNATURE', `${what}: ${message}`, details === undefined ? {} : { details });

  // The key, and the keyId that names it (the ledger binds keyIds to identities).
  const coseKey = parseCosePublicKey(fields.publicKey, what);
  const actualKeyId = digestOfBytes(fields.publicKey);
  if (!equalDigests(fields.keyId, actualKeyId)) {
    throw bad(`keyId ${fields.keyId} is not the digest of the public key (${actualKeyId})`, {
      keyId: fields.keyId,
      actual: actualKeyId,
    });
  }
  if (options.rpId !== undefined && fields.rpId !== options.rpId) {
    throw bad(`rpId ${JSON.stringify(fields.rpId)} is not the expected ${JSON.stringify(options.rpId)}`);
  }

  // L3 §7.2, first the client data.
  const clientData = parseJson(fields.clientDataJSON, `${what}: clientDataJSON`);
  if (!isPlainObject(clientData)) {
    throw new InputError('INVALID_JSON', `${what}: clientDataJSON is not a JSON object`);
  }
  const { type, challenge, origin, crossOrigin, topOrigin } = clientData;
  if (type !== 'webauthn.get') {
    throw bad(
      `clientDataJSON.type is ${showValue(type)}, not "webauthn.get": this is not an authentication assertion`,
    );
  }
  if (typeof challenge !== 'string' || challenge !== encodeBase64Url(expectedChallenge)) {
    throw bad("the challenge is not this approval statement's digest", {
      expected: encodeBase64Url(expectedChallenge),
      actual: typeof challenge === 'string' ? challenge.slice(0, 200) : typeof challenge,
    });
  }
  if (typeof origin !== 'string' || origin !== fields.origin) {
    throw bad(
      `clientDataJSON.origin ${showValue(origin)} is not the recorded origin ${JSON.stringify(fields.origin)}`,
    );
  }
  if (options.origins !== undefined && !options.origins.includes(fields.origin)) {
    throw bad(
      `origin ${JSON.stringify(fields.origin)} is not one of the allowed origins (${options.origins.join(', ')})`,
    );
  }
  // A signature made inside a cross-origin iframe was asked for by another site's page.
  if (crossOrigin !== undefined && typeof crossOrigin !== 'boolean') {
    throw bad(`clientDataJSON.crossOrigin is ${showValue(crossOrigin)}, not a boolean`);
  }
  if (crossOrigin === true || topOrigin !== undefined) {
    throw bad('the assertion was made in a cross-origin frame, which approvals do not allow');
  }

  // Then the authenticator data.
  const authData = fields.authenticatorData;
  if (authData.length < MIN_AUTHENTICATOR_DATA_BYTES) {
    throw bad(`authenticatorData has ${authData.length} bytes, fewer than ${MIN_AUTHENTICATOR_DATA_BYTES}`);
  }
  if (!equalBytes(authData.subarray(0, 32), sha256(new TextEncoder().encode(fields.rpId)))) {
    throw bad(`rpIdHash does not match rpId ${fields.rpId}`);
  }
  const flags = authData[32] ?? 0;
  if ((flags & FLAG_UP) === 0) throw bad('the user-present (UP) flag is not set');
  if ((options.requireUserVerification ?? true) && (flags & FLAG_UV) === 0) {
    throw bad('the user-verified (UV) flag is not set, and user verification is required');
  }
  if ((flags & FLAG_BS) !== 0 && (flags & FLAG_BE) === 0) {
    throw bad('the backup-state (BS) flag is set without backup-eligible (BE)');
  }
  if ((flags & FLAG_AT) !== 0) {
    throw bad('the attested-credential-data (AT) flag is set, which only a registration may do');
  }
  // Extension outputs, when present, are covered by the signature; they are not interpreted here.
  if ((flags & FLAG_ED) === 0 && authData.length !== MIN_AUTHENTICATOR_DATA_BYTES) {
    throw bad(
      `authenticatorData has ${authData.length - MIN_AUTHENTICATOR_DATA_BYTES} bytes after the counter but no extension data (ED) flag`,
    );
  }
  if ((flags & FLAG_ED) !== 0 && authData.length === MIN_AUTHENTICATOR_DATA_BYTES) {
    throw bad('the extension data (ED) flag is set but authenticatorData has no extension data');
  }

  // Last, the signature over authenticatorData || SHA-256(clientDataJSON).
  const clientDataHash = sha256(fields.clientDataJSON);
  const signed = new Uint8Array(authData.length + clientDataHash.length);
  signed.set(authData, 0);
  signed.set(clientDataHash, authData.length);
  if (!verifyCoseSignature(coseKey, signed, fields.signature)) {
    throw bad(
      `the ${COSE_ALGORITHM_NAMES[coseKey.algorithm]} signature does not verify with the public key ${fields.keyId}`,
      {
        keyId: fields.keyId,
      },
    );
  }
  return { keyId: fields.keyId, publicKey: fields.publicKey.slice() };
}

/**
 * The WebAuthn challenge for an approval: the 32 raw bytes of the statement's `sha256:<hex>` digest.
 * Throws InputError INVALID_DIGEST for anything that is not a digest.
 *
 * @example
 * challengeOf(digestOfBytes(canonicalize(statement))); // Uint8Array(32)
 */
export function challengeOf(statementDigest: Digest): Uint8Array {
  assertDigest(statementDigest, 'the approval statement digest');
  return digestBytes(statementDigest);
}

/** The key id of a passkey: `sha256:<hex>` of its COSE_Key bytes, exactly as stored in `publicKey`. */
export function keyIdOfCose(coseBytes: Uint8Array): Digest {
  if (!(coseBytes instanceof Uint8Array)) {
    throw new InputError('INVALID_ARGUMENT', 'a COSE key must be given as a Uint8Array');
  }
  return digestOfBytes(coseBytes);
}

interface RecordFields {
  readonly keyId: Digest;
  readonly credentialId: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly authenticatorData: Uint8Array;
  readonly clientDataJSON: Uint8Array;
  readonly signature: Uint8Array;
  readonly rpId: string;
  readonly origin: string;
}

/** Shape and encoding checks: exactly the record's fields, each of its type, byte strings canonical. */
function readRecord(record: unknown, what: string): RecordFields {
  const invalid = (message: string): InputError => new InputError('INVALID_ARGUMENT', `${what}: ${message}`);
  if (!isPlainObject(record)) {
    throw invalid(`the record is ${showValue(record)}, not a JSON object`);
  }
  for (const field of RECORD_FIELDS) {
    if (!Object.hasOwn(record, field)) throw invalid(`the record has no ${field}`);
  }
  for (const field of Object.keys(record)) {
    if (!(RECORD_FIELDS as readonly string[]).includes(field)) {
      throw invalid(`the record has an unknown field ${JSON.stringify(field.slice(0, 80))}`);
    }
  }
  if (record['scheme'] !== 'webauthn') {
    throw invalid(`scheme is ${showValue(record['scheme'])}, not "webauthn"`);
  }
  const keyId = record['keyId'];
  if (!isDigest(keyId)) throw invalid('keyId must be "sha256:" followed by 64 lowercase hex digits');
  const bytes = (field: (typeof RECORD_FIELDS)[number], maxBytes: number): Uint8Array => {
    const value = record[field];
    if (typeof value !== 'string')
      throw invalid(`${field} must be a base64url string, got ${showValue(value)}`);
    if (value.length === 0) throw invalid(`${field} is empty`);
    // 4 characters carry 3 bytes: refuse oversized input before decoding it.
    if (value.length > Math.ceil((maxBytes * 4) / 3))
      throw invalid(`${field} is longer than ${maxBytes} bytes`);
    const decoded = decodeBase64UrlStrict(value);
    if (decoded === undefined) {
      throw invalid(`${field} is not canonical unpadded base64url (RFC 4648 §5)`);
    }
    return decoded;
  };
  const text = (field: 'rpId' | 'origin', maxLength: number): string => {
    const value = record[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
      throw invalid(`${field} must be a string of 1 to ${maxLength} characters, got ${showValue(value)}`);
    }
    return value;
  };
  return {
    keyId,
    credentialId: bytes('credentialId', MAX_CREDENTIAL_ID_BYTES),
    publicKey: bytes('publicKey', MAX_COSE_KEY_BYTES),
    authenticatorData: bytes('authenticatorData', MAX_AUTHENTICATOR_DATA_BYTES),
    clientDataJSON: bytes('clientDataJSON', MAX_CLIENT_DATA_BYTES),
    signature: bytes('signature', MAX_SIGNATURE_BYTES),
    rpId: text('rpId', MAX_RP_ID_LENGTH),
    origin: text('origin', MAX_ORIGIN_LENGTH),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short, safe description of an attacker-controlled value for an error message. */
function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 80));
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return `a ${typeof value}`;
  if (isPlainObject(value)) return 'an object';
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? `a ${name}` : 'an object';
}
