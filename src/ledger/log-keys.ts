// Log key rotation. A log starts with the key its genesis entry names; a `log-key` entry, signed by the
// key in force, announces the next one, which signs every entry and checkpoint after it. The chain of
// announcements is read from the log itself, so a verifier who trusts the genesis key (or any key of the
// chain) learns every later key without trusting anything else.
//
// Which key is in force at position i:
//   - the genesis key for entries 0 … R₁ (R₁ = the index of the first rotation entry, which it signs);
//   - the key announced by rotation entry Rₖ for entries Rₖ + 1 … Rₖ₊₁;
//   - a checkpoint of size s is signed by the key in force at entry s − 1, the last entry it covers, so
//     the checkpoint of the batch that ends with a rotation entry is still signed by the old key.
//
// The announcement carries a proof of possession: the NEW key's Ed25519 signature over a statement that
// names the log, both key ids and a tree head the rotation extends, so nobody can announce a key they do
// not hold, and a proof cannot be replayed on another log or another part of this one. The signed bytes
// are a DSSE PAE with a payload type of their own, so they can never be mistaken for an entry (in-toto
// payload type) or a checkpoint note.
//
// Pure: the caller supplies the entries (already opened with the key in force) and tree roots.
import { InputError, VerificationError } from '../errors.js';
import { decodeBase64Strict, encodeBase64 } from '../signing/base64.js';
import { canonicalize } from '../signing/canonical-json.js';
import { equalBytes, type Digest } from '../signing/digest.js';
import { pae, parseEnvelope } from '../signing/dsse.js';
import { ED25519_PUBLIC_KEY_BYTES, keyIdOf, verifySignature, type Signer } from '../signing/keys.js';
import { ROOT_HASH_BYTES } from './checkpoint.js';
import {
  isRecord,
  MAX_ENTRY_BYTES,
  parseStatement,
  predicateTypeOf,
  subjectOf,
  type EntryDraft,
  type OpenedEntry,
} from './entry.js';

export const LOG_KEY_KIND = 'log-key';
export const LOG_KEY_PREDICATE_TYPE = predicateTypeOf(LOG_KEY_KIND);
/** The DSSE payload type of the proof-of-possession statement (never an entry's payload type). */
export const POSSESSION_PAYLOAD_TYPE = 'application/vnd.signet.log-key-possession+json';
export const POSSESSION_STATEMENT_TYPE = 'urn:signet:log-key-possession:v1';

/** One key of the log and the entries it signs. */
export interface LogKeyEpoch {
  /** `keyIdOf(publicKey)`: `sha256:` of the raw key. */
  readonly keyId: Digest;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The first entry this key signs: 0 for the genesis key, the rotation entry's index + 1 after. */
  readonly firstIndex: number;
  /** The last entry it signs (the rotation entry that retired it); absent for the key in force now. */
  readonly lastIndex?: number;
  /** The rotation entry that announced it; absent for the genesis key. */
  readonly announcedBy?: { readonly index: number; readonly id: Digest };
}

/**
 * The log's keys by position. Immutable: `withRotation` returns a new value.
 *
 * @example
 * const keys = LogKeys.fromGenesisKey(genesisKey).withRotation({ index: 7, id, publicKey: next });
 * keys.keyAt(7).keyId === keyIdOf(genesisKey); keys.keyAt(8).keyId === keyIdOf(next);
 */
export class LogKeys {
  private constructor(readonly epochs: readonly LogKeyEpoch[]) {}

  static fromGenesisKey(publicKey: Uint8Array): LogKeys {
    return new LogKeys([{ keyId: keyIdOf(publicKey), publicKey: publicKey.slice(), firstIndex: 0 }]);
  }

  get genesis(): LogKeyEpoch {
    return this.epochs[0]!;
  }

  /** The key in force for the next entry. */
  get current(): LogKeyEpoch {
    return this.epochs[this.epochs.length - 1]!;
  }

  /** The key that must sign entry `index`. */
  keyAt(index: number): LogKeyEpoch {
    for (let i = this.epochs.length - 1; i > 0; i -= 1) {
      const epoch = this.epochs[i]!;
      if (index >= epoch.firstIndex) return epoch;
    }
    return this.genesis;
  }

  /** The key that must sign a checkpoint of `size` entries: the one in force at its last entry. */
  checkpointKey(size: number): LogKeyEpoch {
    return this.keyAt(Math.max(size - 1, 0));
  }

  find(keyId: string): LogKeyEpoch | undefined {
    return this.epochs.find((epoch) => epoch.keyId === keyId);
  }

  /** The keys after rotation entry `index` (signed by the current key) announced `publicKey`. */
  withRotation(rotation: { index: number; id: Digest; publicKey: Uint8Array }): LogKeys {
    const current = this.current;
    const retired: LogKeyEpoch = { ...current, lastIndex: rotation.index };
    return new LogKeys([
      ...this.epochs.slice(0, -1),
      retired,
      {
        keyId: keyIdOf(rotation.publicKey),
        publicKey: rotation.publicKey.slice(),
        firstIndex: rotation.index + 1,
        announcedBy: { index: rotation.index, id: rotation.id },
      },
    ]);
  }
}

/** A tree head the rotation extends: the log's state when the new key proved possession. */
export interface TreeHead {
  readonly size: number;
  readonly rootHash: Uint8Array;
}

export interface LogKeyRotationInput {
  readonly origin: string;
  /** The key in force, which will sign the rotation entry. */
  readonly previousKey: Uint8Array;
  /** The new key: it signs the proof of possession here and every entry after the rotation. */
  readonly next: Signer;
  /** The latest tree head the rotation is made against (normally the latest checkpoint). */
  readonly extends: TreeHead;
}

/** The rotation entry's draft, with the new key's proof of possession. */
export function createLogKeyRotationDraft(input: LogKeyRotationInput): EntryDraft {
  const previousKeyId = keyIdOf(input.previousKey);
  const keyId = keyIdOf(input.next.publicKey);
  if (previousKeyId === keyId) {
    throw new InputError('INVALID_KEY', 'the new log key is the key in force');
  }
  const signature = input.next.sign(
    possessionMessage({ origin: input.origin, previousKeyId, keyId, extends: input.extends }),
  );
  return {
    subject: [subjectOf(LOG_KEY_KIND, keyId)],
    predicateType: LOG_KEY_PREDICATE_TYPE,
    predicate: {
      origin: input.origin,
      logKey: keyField(input.next.publicKey),
      previousKey: keyField(input.previousKey),
      extends: { size: input.extends.size, rootHash: encodeBase64(input.extends.rootHash) },
      proofOfPossession: { payloadType: POSSESSION_PAYLOAD_TYPE, signature: encodeBase64(signature) },
    },
  };
}

/**
 * The bytes the new key signs: PAE(POSSESSION_PAYLOAD_TYPE, the RFC 8785 JSON of
 * `{ type, origin, previousKeyId, keyId, extends: { size, rootHash (base64) } }`).
 */
export function possessionMessage(fields: {
  origin: string;
  previousKeyId: string;
  keyId: string;
  extends: TreeHead;
}): Uint8Array {
  return pae(
    POSSESSION_PAYLOAD_TYPE,
    canonicalize({
      type: POSSESSION_STATEMENT_TYPE,
      origin: fields.origin,
      previousKeyId: fields.previousKeyId,
      keyId: fields.keyId,
      extends: { size: fields.extends.size, rootHash: encodeBase64(fields.extends.rootHash) },
    }),
  );
}

/** A rotation entry's predicate, read strictly. */
export interface LogKeyRotation {
  readonly origin: string;
  readonly publicKey: Uint8Array;
  readonly keyId: Digest;
  readonly previousKey: Uint8Array;
  readonly previousKeyId: Digest;
  readonly extends: TreeHead;
  readonly signature: Uint8Array;
}

/**
 * Reads a `log-key` entry (attacker-controlled; it was opened with the key in force, but a key holder
 * can sign nonsense): both keys 32 bytes whose digests match what the entry says, the subject naming
 * the new key, a tree head of 1 … index entries, a proof of possession of the right type.
 * VerificationError INCONSISTENT_LOG otherwise.
 */
export function readLogKeyRotation(entry: OpenedEntry): LogKeyRotation {
  const fail = (message: string): never => {
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `entry ${entry.index} (log-key ${entry.id}): ${message}`,
      { details: { index: entry.index, id: entry.id } },
    );
  };
  if (entry.statement.predicateType !== LOG_KEY_PREDICATE_TYPE) {
    fail(`predicate type ${entry.statement.predicateType} is not ${LOG_KEY_PREDICATE_TYPE}`);
  }
  const p = entry.statement.predicate;
  const origin = p['origin'];
  if (typeof origin !== 'string' || origin !== entry.statement.predicate.log.origin) {
    fail('its origin is not the origin of its log stamp');
  }
  const next = readKeyField(p['logKey']) ?? fail('logKey is not an Ed25519 key with its digest');
  const previous =
    readKeyField(p['previousKey']) ?? fail('previousKey is not an Ed25519 key with its digest');
  const subject = entry.statement.subject;
  if (
    subject.length !== 1 ||
    subject[0]!.name !== LOG_KEY_KIND ||
    `sha256:${subject[0]!.digest.sha256}` !== next.keyId
  ) {
    fail('its subject must be the new log key alone');
  }
  const head = p['extends'];
  const size = isRecord(head) ? head['size'] : undefined;
  const root =
    isRecord(head) && typeof head['rootHash'] === 'string' ? decodeBase64Strict(head['rootHash']) : undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1 || size > entry.index) {
    fail('extends.size must be a tree size from 1 to the entry’s own index');
  }
  if (root === undefined || root.length !== ROOT_HASH_BYTES) {
    fail(`extends.rootHash must be ${ROOT_HASH_BYTES} bytes of base64`);
  }
  const proof = p['proofOfPossession'];
  const signature =
    isRecord(proof) &&
    proof['payloadType'] === POSSESSION_PAYLOAD_TYPE &&
    typeof proof['signature'] === 'string'
      ? decodeBase64Strict(proof['signature'])
      : undefined;
  if (signature === undefined) {
    fail(`proofOfPossession must be { payloadType: ${POSSESSION_PAYLOAD_TYPE}, signature: base64 }`);
  }
  return {
    origin: origin as string,
    publicKey: next.publicKey,
    keyId: next.keyId,
    previousKey: previous.publicKey,
    previousKeyId: previous.keyId,
    extends: { size: size as number, rootHash: root as Uint8Array },
    signature: signature as Uint8Array,
  };
}

/**
 * Applies a rotation entry to the keys known before it. The entry must already have been opened with
 * `keys.keyAt(entry.index)` (the key in force signs the announcement); `rootAtExtends` is the root of
 * the log's first `rotation.extends.size` entries, recomputed by the caller from the entries. Refuses
 * (VerificationError): a previous key that is not the key in force (INCONSISTENT_LOG), a key the log has
 * used before — re-announcing a retired key would let it sign again (INCONSISTENT_LOG), a tree head that
 * is not this log's (ROOT_MISMATCH), a proof of possession that does not verify with the new key
 * (BAD_SIGNATURE).
 */
export function applyLogKeyRotation(
  keys: LogKeys,
  entry: OpenedEntry,
  rotation: LogKeyRotation,
  rootAtExtends: Uint8Array,
): LogKeys {
  const where = `entry ${entry.index} (log-key ${entry.id})`;
  const details = { index: entry.index, id: entry.id };
  const inForce = keys.keyAt(entry.index);
  if (inForce !== keys.current) {
    throw new VerificationError('INCONSISTENT_LOG', `${where}: comes before the last known rotation`, {
      details,
    });
  }
  if (rotation.previousKeyId !== inForce.keyId || !equalBytes(rotation.previousKey, inForce.publicKey)) {
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `${where}: names ${rotation.previousKeyId} as the previous key, but ${inForce.keyId} is in force`,
      { details },
    );
  }
  if (keys.find(rotation.keyId)) {
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `${where}: announces ${rotation.keyId}, a key this log has already used`,
      { details },
    );
  }
  if (!equalBytes(rotation.extends.rootHash, rootAtExtends)) {
    throw new VerificationError(
      'ROOT_MISMATCH',
      `${where}: the tree head it extends (size ${rotation.extends.size}) is not this log's`,
      { details },
    );
  }
  const message = possessionMessage({
    origin: rotation.origin,
    previousKeyId: rotation.previousKeyId,
    keyId: rotation.keyId,
    extends: rotation.extends,
  });
  if (!verifySignature(rotation.publicKey, message, rotation.signature)) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `${where}: the proof of possession does not verify with the announced key ${rotation.keyId}`,
      { details },
    );
  }
  return keys.withRotation({ index: entry.index, id: entry.id, publicKey: rotation.publicKey });
}

/** A key as the genesis and rotation entries write it: `{ algorithm, publicKey (base64), digest }`. */
function keyField(publicKey: Uint8Array): Record<string, string> {
  return { algorithm: 'ed25519', publicKey: encodeBase64(publicKey), digest: keyIdOf(publicKey) };
}

function readKeyField(value: unknown): { publicKey: Uint8Array; keyId: Digest } | undefined {
  if (!isRecord(value) || value['algorithm'] !== 'ed25519' || typeof value['publicKey'] !== 'string') {
    return undefined;
  }
  const publicKey = decodeBase64Strict(value['publicKey']);
  if (publicKey === undefined || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return undefined;
  const keyId = keyIdOf(publicKey);
  return value['digest'] === keyId ? { publicKey, keyId } : undefined;
}

/**
 * The key id a stored `log-key` entry announces, read without checking its signature: for the ledger
 * adapters, which must stop signing with a key the log has retired (the entry came from their own store,
 * through their own append path; verifiers check the signature and the proof of possession).
 */
export function announcedKeyIdOf(envelopeBytes: Uint8Array): Digest {
  const statement = parseStatement(parseEnvelope(envelopeBytes, { maxBytes: MAX_ENTRY_BYTES }).payload);
  const subject = statement.subject;
  if (
    statement.predicateType !== LOG_KEY_PREDICATE_TYPE ||
    subject.length !== 1 ||
    subject[0]!.name !== LOG_KEY_KIND
  ) {
    throw new InputError('INVALID_STATEMENT', 'the stored log-key entry does not name one new log key');
  }
  return `sha256:${subject[0]!.digest.sha256}` as Digest;
}
