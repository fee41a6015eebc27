// A ledger entry: a DSSE envelope over an in-toto Statement v1, signed by the log's Ed25519 key.
// The entry id is the SHA-256 of the stored envelope bytes; its Merkle leaf is SHA-256(0x00 ‖ those bytes).
//
// The log stamps every statement with its origin, the entry's index and the time the log assigned when it
// appended (`predicate.log`), so that the signed bytes themselves say where and when they were recorded.
// A client's time is never used (DESIGN invariant 7).
import { InputError, VerificationError } from '../errors.js';
import { canonicalize, parseJson } from '../signing/canonical-json.js';
import { digestOfBytes, isDigest, type Digest } from '../signing/digest.js';
import {
  PAYLOAD_TYPE_IN_TOTO,
  parseEnvelope,
  serializeEnvelope,
  signEnvelope,
  verifyEnvelope,
  type Envelope,
} from '../signing/dsse.js';
import type { Signer } from '../signing/keys.js';
import type { LogKeys } from './log-keys.js';
import { hashLeaf } from './merkle.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
const PREDICATE_TYPE_PATTERN = /^urn:signet:([a-z][a-z0-9-]*):v([1-9][0-9]*)$/;
/**
 * The envelope size a ledger entry may have; a larger one is refused before parsing (attacker-controlled).
 * Entries are small manifests: the bytes they seal live in the object store.
 */
export const MAX_ENTRY_BYTES = 4 * 1024 * 1024;

export interface Subject {
  readonly name: string;
  readonly digest: { readonly sha256: string };
}

export interface LogStamp {
  readonly origin: string;
  readonly index: number;
  /** RFC 3339 UTC with milliseconds, assigned by the log. */
  readonly time: string;
}

export type Predicate = Readonly<Record<string, unknown>>;

/** What a caller asks the log to append: the statement minus the log's stamp. */
export interface EntryDraft {
  readonly subject: readonly Subject[];
  readonly predicateType: string;
  readonly predicate: Predicate;
}

export interface Statement {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly Subject[];
  readonly predicateType: string;
  readonly predicate: Predicate & { readonly log: LogStamp };
}

export interface SealedEntry {
  readonly id: Digest;
  readonly index: number;
  readonly time: string;
  readonly kind: string;
  readonly envelope: Uint8Array;
  readonly leafHash: Uint8Array;
}

export interface OpenedEntry extends SealedEntry {
  readonly statement: Statement;
}

/** `urn:signet:model-promotion:v1` → `model-promotion`. */
export function kindOf(predicateType: string): string {
  const match = PREDICATE_TYPE_PATTERN.exec(predicateType);
  if (!match?.[1]) {
    throw new InputError(
      'INVALID_STATEMENT',
      `predicate type ${JSON.stringify(predicateType)} is not a Signet type`,
    );
  }
  return match[1];
}

export function predicateTypeOf(kind: string, version = 1): string {
  return `urn:signet:${kind}:v${version}`;
}

export function subjectOf(name: string, digest: Digest): Subject {
  return { name, digest: { sha256: digest.slice('sha256:'.length) } };
}

/** Builds, stamps and signs an entry. Pure: the stamp and the signer are given. */
export function sealEntry(draft: EntryDraft, stamp: LogStamp, logSigner: Signer): SealedEntry {
  assertDraft(draft);
  if ('log' in draft.predicate) {
    throw new InputError('INVALID_STATEMENT', 'predicate.log is reserved for the log stamp');
  }
  const statement: Statement = {
    _type: STATEMENT_TYPE,
    subject: draft.subject,
    predicateType: draft.predicateType,
    predicate: { ...draft.predicate, log: stamp },
  };
  const envelope = serializeEnvelope(signEnvelope(PAYLOAD_TYPE_IN_TOTO, canonicalize(statement), logSigner));
  return {
    id: digestOfBytes(envelope),
    index: stamp.index,
    time: stamp.time,
    kind: kindOf(draft.predicateType),
    envelope,
    leafHash: hashLeaf(envelope),
  };
}

/**
 * Parses stored envelope bytes (attacker-controlled: they may have been edited on disk), checks the log's
 * signature and the statement's shape, and returns the entry. Throws coded errors.
 *
 * `logKeys` is one key, or the log's keys by position (`LogKeys`, after a rotation): then the entry must
 * be signed by the key in force at the index its statement names — an entry signed by a retired key, or
 * by a key announced only after it, is BAD_SIGNATURE. (The caller that reads entry i checks that the
 * stamp says i; the log verifier does.)
 */
export function openEntry(envelopeBytes: Uint8Array, logKeys: Uint8Array | LogKeys): OpenedEntry {
  const envelope: Envelope = parseEnvelope(envelopeBytes, { maxBytes: MAX_ENTRY_BYTES });
  if (envelope.payloadType !== PAYLOAD_TYPE_IN_TOTO) {
    throw new InputError(
      'INVALID_ENVELOPE',
      `payload type ${JSON.stringify(envelope.payloadType)} is not in-toto`,
    );
  }
  const statement =
    logKeys instanceof Uint8Array
      ? parseStatement(verifyEnvelope(envelope, [logKeys]))
      : openWithKeyInForce(envelope, logKeys);
  return {
    id: digestOfBytes(envelopeBytes),
    index: statement.predicate.log.index,
    time: statement.predicate.log.time,
    kind: kindOf(statement.predicateType),
    envelope: envelopeBytes,
    leafHash: hashLeaf(envelopeBytes),
    statement,
  };
}

// The statement is read only after a log key has verified it, so the index it names — which picks the
// key that must have signed — is itself signed. Newest key first: most entries of a log that rotated
// were signed by a later key.
function openWithKeyInForce(envelope: Envelope, logKeys: LogKeys): Statement {
  for (const epoch of [...logKeys.epochs].reverse()) {
    let payload: Uint8Array;
    try {
      payload = verifyEnvelope(envelope, [epoch.publicKey]);
    } catch (error) {
      if (error instanceof VerificationError && error.code === 'BAD_SIGNATURE') continue;
      throw error;
    }
    const statement = parseStatement(payload);
    const index = statement.predicate.log.index;
    const inForce = logKeys.keyAt(index);
    if (inForce.keyId === epoch.keyId) return statement;
    try {
      verifyEnvelope(envelope, [inForce.publicKey]);
      return statement;
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      throw new VerificationError(
        'BAD_SIGNATURE',
        `entry ${index} is signed by log key ${epoch.keyId}, but ${inForce.keyId} is the key in force at ${index}`,
        { details: { index, signedBy: epoch.keyId, inForce: inForce.keyId } },
      );
    }
  }
  throw new VerificationError('BAD_SIGNATURE', 'no signature on the entry verifies with a log key');
}

const TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function parseStatement(payload: Uint8Array): Statement {
  const value = parseJson(payload, 'statement');
  if (!isRecord(value)) throw invalid('the statement is not a JSON object');
  const { _type, subject, predicateType, predicate } = value;
  if (_type !== STATEMENT_TYPE) throw invalid(`_type must be ${STATEMENT_TYPE}`);
  if (typeof predicateType !== 'string') throw invalid('predicateType must be a string');
  kindOf(predicateType);
  if (!isRecord(predicate)) throw invalid('predicate must be an object');
  const log = predicate['log'];
  if (!isRecord(log)) throw invalid('predicate.log (the log stamp) is missing');
  const { origin, index, time } = log;
  if (typeof origin !== 'string' || origin.length === 0)
    throw invalid('predicate.log.origin must be a string');
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw invalid('predicate.log.index must be a non-negative integer');
  }
  if (typeof time !== 'string' || !TIME_PATTERN.test(time) || Number.isNaN(Date.parse(time))) {
    throw invalid('predicate.log.time must be an RFC 3339 UTC time with milliseconds');
  }
  const draft = { subject, predicateType, predicate } as EntryDraft;
  assertDraft(draft);
  return value as unknown as Statement;
}

function assertDraft(draft: EntryDraft): void {
  kindOf(draft.predicateType);
  if (!Array.isArray(draft.subject) || draft.subject.length === 0)
    throw invalid('subject must be a non-empty list');
  for (const [i, s] of draft.subject.entries()) {
    if (!isRecord(s) || typeof s['name'] !== 'string' || !isRecord(s['digest'])) {
      throw invalid(`subject[${i}] must have a name and a digest`);
    }
    if (!isDigest(`sha256:${String(s['digest']['sha256'])}`)) {
      throw invalid(`subject[${i}].digest.sha256 must be 64 lowercase hex digits`);
    }
  }
  if (!isRecord(draft.predicate)) throw invalid('predicate must be an object');
}

/** Formats a log time: RFC 3339 UTC with milliseconds, independent of TZ and locale. */
export function formatLogTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): InputError {
  return new InputError('INVALID_STATEMENT', message);
}
