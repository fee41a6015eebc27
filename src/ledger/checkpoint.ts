// Checkpoints (signed tree heads) in the C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint),
// signed as C2SP signed notes with the log's Ed25519 key, so that sumdb/sigstore-style tooling can check
// them:
//
//   <origin>\n<tree size, decimal>\n<root hash, base64>\n[<extension line>\n]...
//
// A checkpoint read back from disk or received from a log is attacker-controlled: parse strictly.
import { InputError, VerificationError } from '../errors.js';
import { decodeBase64Strict, encodeBase64 } from '../signing/base64.js';
import type { Signer } from '../signing/keys.js';
import { signNote, verifyNote } from '../signing/note.js';
import type { LogKeys } from './log-keys.js';

/** RFC 6962 / RFC 9162 root hashes are SHA-256. */
export const ROOT_HASH_BYTES = 32;

export interface Checkpoint {
  /** The log's identity, e.g. `example.com/log42`. */
  readonly origin: string;
  /** The number of leaves; at most Number.MAX_SAFE_INTEGER here. */
  readonly size: number;
  /** The RFC 9162 Merkle tree root at `size`, 32 bytes. */
  readonly rootHash: Uint8Array;
  /** Opaque extension lines (NOT RECOMMENDED by the spec; Signet writes none). */
  readonly extensions?: readonly string[];
}

// Control characters are forbidden in a signed note (c2sp.org/signed-note); newline ends a line.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001F]/;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const SIZE_PATTERN = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * The checkpoint note text. Throws INVALID_CHECKPOINT for a value that has no valid text: an empty
 * origin or one with a control character, a size that is not a safe non-negative integer, a root hash
 * that is not 32 bytes, or an empty extension line.
 *
 * @example
 * formatCheckpoint({ origin: 'example.com/log', size: 10, rootHash }); // 'example.com/log\n10\n<base64>\n'
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (!isLine(origin)) throw invalid('the origin must be a non-empty line without control characters');
  if (!Number.isSafeInteger(size) || size < 0) {
    throw invalid(`tree size ${size} is not a non-negative safe integer`);
  }
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== ROOT_HASH_BYTES) {
    throw invalid(`the root hash must be ${ROOT_HASH_BYTES} bytes`);
  }
  for (const line of extensions) {
    if (!isLine(line)) throw invalid('an extension line must be non-empty without control characters');
  }
  return [origin, String(size), encodeBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
}

/**
 * Parses checkpoint note text (attacker-controlled; call it on text whose signature was verified, or
 * only to learn which origin to expect). Strict: at least three non-empty lines each ending in a newline;
 * the size in decimal without leading zeros and at most Number.MAX_SAFE_INTEGER; the root hash 32 bytes
 * of canonical standard base64. InputError INVALID_CHECKPOINT otherwise.
 */
export function parseCheckpointBody(text: string): Checkpoint {
  if (typeof text !== 'string' || !text.endsWith('\n')) {
    throw invalid('the checkpoint text must end with a newline');
  }
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw invalid('a checkpoint has an origin, a tree size and a root hash line');
  const [origin = '', sizeLine = '', rootLine = '', ...extensions] = lines;
  if (!isLine(origin)) throw invalid('the origin line is empty or holds a control character');
  if (!SIZE_PATTERN.test(sizeLine)) {
    throw invalid('the tree size is not a decimal number without leading zeros');
  }
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw invalid('the tree size is too large');
  const rootHash = decodeBase64Strict(rootLine);
  if (rootHash === undefined || rootHash.length !== ROOT_HASH_BYTES) {
    throw invalid(`the root hash is not ${ROOT_HASH_BYTES} bytes of canonical base64`);
  }
  for (const line of extensions) {
    if (!isLine(line)) throw invalid('an extension line is empty or holds a control character');
  }
  return extensions.length > 0 ? { origin, size, rootHash, extensions } : { origin, size, rootHash };
}

/** The signed checkpoint note: `formatCheckpoint(checkpoint)` signed as key `name` (by convention, the origin). */
export function signCheckpoint(checkpoint: Checkpoint, name: string, signer: Signer): Uint8Array {
  return signNote(formatCheckpoint(checkpoint), name, signer);
}

/**
 * Verifies a signed checkpoint (attacker-controlled bytes) against the log's key name and its Ed25519
 * public key, then parses its body. Throws VerificationError BAD_SIGNATURE when no signature by that
 * key verifies (or one fails), InputError INVALID_CHECKPOINT / INVALID_UTF8 when the note or body is
 * malformed. The caller checks that the origin is the log it expects.
 *
 * With the log's keys by position (`LogKeys`, after a rotation), the checkpoint must be signed by the key
 * in force at the last entry it covers (`checkpointKey(size)`): one signed by a retired key, or by a key
 * announced only later, is BAD_SIGNATURE.
 */
export function openCheckpoint(bytes: Uint8Array, name: string, logKeys: Uint8Array | LogKeys): Checkpoint {
  // The note text is not looked at until its signature has verified (c2sp.org/signed-note).
  if (logKeys instanceof Uint8Array) return parseCheckpointBody(verifyNote(bytes, name, logKeys));
  // Newest key first; the size that picks the key in force is read from text a log key signed.
  for (const epoch of [...logKeys.epochs].reverse()) {
    let text: string;
    try {
      text = verifyNote(bytes, name, epoch.publicKey);
    } catch (error) {
      if (error instanceof VerificationError && error.code === 'BAD_SIGNATURE') continue;
      throw error;
    }
    const checkpoint = parseCheckpointBody(text);
    const inForce = logKeys.checkpointKey(checkpoint.size);
    if (inForce.keyId !== epoch.keyId) {
      try {
        verifyNote(bytes, name, inForce.publicKey);
      } catch (error) {
        if (!(error instanceof VerificationError)) throw error;
        throw new VerificationError(
          'BAD_SIGNATURE',
          `the checkpoint of size ${checkpoint.size} is signed by log key ${epoch.keyId}, but ` +
            `${inForce.keyId} is the key in force at its last entry`,
          { details: { size: checkpoint.size, signedBy: epoch.keyId, inForce: inForce.keyId } },
        );
      }
    }
    return checkpoint;
  }
  throw new VerificationError('BAD_SIGNATURE', `the checkpoint has no signature by a key of log ${name}`);
}

function isLine(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !CONTROL.test(value) && !LONE_SURROGATE.test(value);
}

function invalid(message: string): InputError {
  return new InputError('INVALID_CHECKPOINT', message);
}
