// DSSE v1 (https://github.com/secure-systems-lab/dsse, protocol.md and envelope.md): the signature covers
// PAE(payloadType, payload), never the JSON around it, so the envelope can be re-encoded without
// breaking signatures, and the payload type cannot be swapped without breaking them.
//
// Signet writes envelopes as RFC 8785 canonical JSON with standard padded base64, so one entry has one
// byte form and one id. Parsing is strict about that form by default.
import { InputError, VerificationError } from '../errors.js';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { canonicalize, parseJson } from './canonical-json.js';
import { verifySignature, type Signer } from './keys.js';

/** The payload type of every ledger entry: an in-toto Statement v1. */
export const PAYLOAD_TYPE_IN_TOTO = 'application/vnd.in-toto+json';

/** Envelopes larger than this are refused before parsing (attacker-controlled input). */
export const MAX_ENVELOPE_BYTES = 16 * 1024 * 1024;
/** More signatures than this are refused: each costs a verification. */
export const MAX_ENVELOPE_SIGNATURES = 32;
const MAX_KEYID_LENGTH = 512;
const MAX_SIG_BASE64_LENGTH = 16 * 1024;

const PAE_PREFIX = 'DSSEv1';

export interface EnvelopeSignature {
  /** An unauthenticated hint naming the key (DSSE protocol.md: never used for security decisions); '' when absent. */
  readonly keyid: string;
  readonly sig: Uint8Array;
}

export interface Envelope {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  readonly signatures: readonly EnvelopeSignature[];
}

export interface ParseEnvelopeOptions {
  /** Also accept URL-safe base64, as DSSE verifiers must for envelopes from other tools. Default false. */
  readonly acceptUrlSafeBase64?: boolean;
  /** Default MAX_ENVELOPE_BYTES. */
  readonly maxBytes?: number;
}

export interface VerifyEnvelopeOptions {
  /** The payload types this verifier supports (DSSE: reject any other). Default: in-toto only. */
  readonly payloadTypes?: readonly string[];
  /** How many distinct trusted keys must have signed. Default 1. */
  readonly threshold?: number;
}

/**
 * The DSSE v1 Pre-Authentication Encoding, the bytes that are signed:
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, LEN being the ASCII decimal byte count.
 *
 * @example
 * pae('http://example.com/HelloWorld', utf8('hello world')); // "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = new TextEncoder().encode(payloadType);
  const head = new TextEncoder().encode(`${PAE_PREFIX} ${type.length} `);
  const middle = new TextEncoder().encode(` ${payload.length} `);
  const out = new Uint8Array(head.length + type.length + middle.length + payload.length);
  out.set(head, 0);
  out.set(type, head.length);
  out.set(middle, head.length + type.length);
  out.set(payload, head.length + type.length + middle.length);
  return out;
}

/** Signs `payload` as `payloadType` with one signature whose keyid is the signer's key id. */
export function signEnvelope(payloadType: string, payload: Uint8Array, signer: Signer): Envelope {
  assertWellFormedString(payloadType, 'payloadType');
  return {
    payloadType,
    payload: payload.slice(),
    signatures: [{ keyid: signer.keyId, sig: signer.sign(pae(payloadType, payload)) }],
  };
}

/**
 * The stored form: RFC 8785 canonical JSON of `{ payload, payloadType, signatures: [{ keyid, sig }] }`
 * with standard padded base64. An empty keyid is left out (DSSE envelope.md: empty fields may be omitted).
 */
export function serializeEnvelope(envelope: Envelope): Uint8Array {
  return canonicalize({
    payload: encodeBase64(envelope.payload),
    payloadType: envelope.payloadType,
    signatures: envelope.signatures.map(({ keyid, sig }) =>
      keyid === '' ? { sig: encodeBase64(sig) } : { keyid, sig: encodeBase64(sig) },
    ),
  });
}

/**
 * Parses envelope bytes (attacker-controlled: a stored entry, an upload). Exactly the fields
 * `payloadType`, `payload`, `signatures` at the top and `keyid` (optional), `sig` in each signature;
 * 1..MAX_ENVELOPE_SIGNATURES signatures; canonical base64 only. Anything else, including truncated or
 * non-JSON bytes, is InputError INVALID_ENVELOPE (with the JSON or UTF-8 error as its cause).
 * Checks form only: `verifyEnvelope` checks the signatures.
 */
export function parseEnvelope(bytes: Uint8Array, options: ParseEnvelopeOptions = {}): Envelope {
  const maxBytes = options.maxBytes ?? MAX_ENVELOPE_BYTES;
  if (bytes.length > maxBytes) {
    throw invalid(`the envelope has ${bytes.length} bytes, more than the limit of ${maxBytes}`);
  }
  let value: unknown;
  try {
    value = parseJson(bytes, 'DSSE envelope');
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unreadable';
    throw new InputError('INVALID_ENVELOPE', reason, { cause: error });
  }
  if (!isRecord(value)) throw invalid('the envelope is not a JSON object');
  assertExactKeys(value, ['payload', 'payloadType', 'signatures'], [], 'the envelope');
  const { payload, payloadType, signatures } = value;
  if (typeof payloadType !== 'string') throw invalid('payloadType must be a string');
  if (typeof payload !== 'string') throw invalid('payload must be a base64 string');
  const urlSafe = options.acceptUrlSafeBase64 === true;
  const payloadBytes = decodeBase64Strict(payload, { urlSafe });
  if (payloadBytes === undefined) throw invalid('payload is not canonical base64');
  if (!Array.isArray(signatures)) throw invalid('signatures must be an array');
  if (signatures.length === 0) throw invalid('the envelope has no signatures');
  if (signatures.length > MAX_ENVELOPE_SIGNATURES) {
    throw invalid(`the envelope has ${signatures.length} signatures, more than ${MAX_ENVELOPE_SIGNATURES}`);
  }
  const parsed = signatures.map((entry: unknown, i): EnvelopeSignature => {
    const where = `signatures[${i}]`;
    if (!isRecord(entry)) throw invalid(`${where} is not a JSON object`);
    assertExactKeys(entry, ['sig'], ['keyid'], where);
    const { keyid = '', sig } = entry;
    if (typeof keyid !== 'string' || keyid.length > MAX_KEYID_LENGTH) {
      throw invalid(`${where}.keyid must be a string of at most ${MAX_KEYID_LENGTH} characters`);
    }
    if (typeof sig !== 'string' || sig.length === 0 || sig.length > MAX_SIG_BASE64_LENGTH) {
      throw invalid(`${where}.sig must be a non-empty base64 string`);
    }
    const sigBytes = decodeBase64Strict(sig, { urlSafe });
    if (sigBytes === undefined) throw invalid(`${where}.sig is not canonical base64`);
    return { keyid, sig: sigBytes };
  });
  return { payloadType, payload: payloadBytes, signatures: parsed };
}

/**
 * Verifies an envelope against trusted raw Ed25519 public keys and returns the payload bytes (DSSE
 * protocol.md, multi-signature verification): at least `threshold` distinct trusted keys must each have
 * a valid signature over PAE(payloadType, payload). The keyid is only a hint and is not consulted, so a
 * forged keyid changes nothing. Throws VerificationError BAD_SIGNATURE when too few verify, InputError
 * INVALID_ENVELOPE when the payload type is not supported.
 */
export function verifyEnvelope(
  envelope: Envelope,
  publicKeys: Uint8Array | readonly Uint8Array[],
  options: VerifyEnvelopeOptions = {},
): Uint8Array {
  const payloadTypes = options.payloadTypes ?? [PAYLOAD_TYPE_IN_TOTO];
  if (!payloadTypes.includes(envelope.payloadType)) {
    throw invalid(`payload type ${JSON.stringify(envelope.payloadType)} is not supported here`);
  }
  const keys = distinctKeys(publicKeys instanceof Uint8Array ? [publicKeys] : publicKeys);
  const threshold = options.threshold ?? 1;
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > keys.length) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `threshold ${threshold} needs between 1 and ${keys.length} trusted keys`,
    );
  }
  const message = pae(envelope.payloadType, envelope.payload);
  const accepted = new Set<number>();
  for (const { sig } of envelope.signatures) {
    for (const [k, key] of keys.entries()) {
      if (!accepted.has(k) && verifySignature(key, message, sig)) {
        accepted.add(k);
        break;
      }
    }
    if (accepted.size >= threshold) return envelope.payload.slice();
  }
  throw new VerificationError(
    'BAD_SIGNATURE',
    threshold === 1
      ? 'no signature on the envelope verifies with a trusted key'
      : `${accepted.size} of the required ${threshold} trusted keys signed the envelope`,
    { details: { verified: accepted.size, threshold } },
  );
}

function distinctKeys(keys: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const key of keys) {
    const hex = Buffer.from(key).toString('hex');
    if (!seen.has(hex)) {
      seen.add(hex);
      out.push(key);
    }
  }
  return out;
}

function assertExactKeys(
  value: Record<string, unknown>,
  required: readonly string[],
  optional: readonly string[],
  what: string,
): void {
  for (const key of required) {
    if (!Object.hasOwn(value, key)) throw invalid(`${what} has no ${key}`);
  }
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) {
      throw invalid(`${what} has an unexpected field ${JSON.stringify(key)}`);
    }
  }
}

function assertWellFormedString(value: string, what: string): void {
  if (typeof value !== 'string' || /[\uD800-\uDFFF]/u.test(value)) {
    throw new InputError('INVALID_ARGUMENT', `${what} must be a string without lone surrogates`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): InputError {
  return new InputError('INVALID_ENVELOPE', message);
}
