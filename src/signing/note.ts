// C2SP signed notes (https://c2sp.org/signed-note), Ed25519 signatures only: text ending in a newline, a
// blank line, then one or more lines "— <key name> base64(key ID ‖ signature)". Checkpoints are signed
// notes; golang.org/x/mod/sumdb/note is the reference implementation.
//
// There is no INVALID_NOTE code: a malformed note is INVALID_CHECKPOINT, since checkpoints are the only
// notes Signet reads.
import { InputError, VerificationError } from '../errors.js';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { sha256 } from './digest.js';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, verifySignature, type Signer } from './keys.js';

/** The signature type byte of Ed25519 in key IDs and verifier keys (c2sp.org/signed-note, "Signature types"). */
export const NOTE_SIGNATURE_TYPE_ED25519 = 0x01;
/** Notes larger than this are refused before parsing (attacker-controlled input). */
export const MAX_NOTE_BYTES = 256 * 1024;
/** The spec asks verifiers to accept at least 16; golang.org/x/mod/sumdb/note stops at 100. */
export const MAX_NOTE_SIGNATURES = 100;

const SIGNATURE_LINE_PREFIX = '\u2014 '; // em dash, space
const KEY_ID_BYTES = 4;
// ASCII control characters other than newline are forbidden anywhere in a note.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CONTROL = /[\u0000-\u0009\u000B-\u001F]/;
// Unicode White_Space (Go's unicode.IsSpace, which the reference uses) plus U+FEFF, which JS counts in \s.
const SPACE = /[\s\u0085]/u;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export interface NoteSignature {
  readonly name: string;
  /** The 4-byte key ID as 8 lowercase hex digits. */
  readonly keyIdHex: string;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
}

export interface Note {
  /** The signed text, with its final newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Key names are non-empty, with no Unicode space and no '+' (c2sp.org/signed-note, "Format"). */
export function isValidKeyName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    !SPACE.test(name) &&
    !name.includes('+') &&
    !FORBIDDEN_CONTROL.test(name) &&
    !LONE_SURROGATE.test(name)
  );
}

/** The 4-byte key ID of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte key)[:4]. */
export function noteKeyId(name: string, publicKeyRaw: Uint8Array): Uint8Array {
  assertKeyName(name);
  assertPublicKey(publicKeyRaw);
  const nameBytes = new TextEncoder().encode(name);
  const input = new Uint8Array(nameBytes.length + 2 + publicKeyRaw.length);
  input.set(nameBytes, 0);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = NOTE_SIGNATURE_TYPE_ED25519;
  input.set(publicKeyRaw, nameBytes.length + 2);
  return sha256(input).slice(0, KEY_ID_BYTES);
}

/**
 * The verifier key string that names and pins an Ed25519 note key, as golang.org/x/mod/sumdb/note
 * writes it: `<name>+<key ID hex>+<base64(0x01 ‖ key)>`.
 *
 * @example
 * verifierKey('PeterNeumann', key); // 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
 */
export function verifierKey(name: string, publicKeyRaw: Uint8Array): string {
  const typed = new Uint8Array(1 + ED25519_PUBLIC_KEY_BYTES);
  typed[0] = NOTE_SIGNATURE_TYPE_ED25519;
  typed.set(publicKeyRaw, 1);
  return `${name}+${hex(noteKeyId(name, publicKeyRaw))}+${encodeBase64(typed)}`;
}

/**
 * Reads a verifier key string (attacker-controlled if it came from outside): the name must be valid, the
 * key an Ed25519 key, and the key ID the one computed from both. InputError INVALID_KEY otherwise.
 */
export function parseVerifierKey(vkey: string): { readonly name: string; readonly publicKey: Uint8Array } {
  const match = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(typeof vkey === 'string' ? vkey : '');
  const [, name = '', keyIdHex = '', b64 = ''] = match ?? [];
  const typed = match ? decodeBase64Strict(b64) : undefined;
  if (!match || !isValidKeyName(name) || typed === undefined) {
    throw new InputError('INVALID_KEY', 'not a verifier key of the form <name>+<8 hex>+<base64 key>');
  }
  if (typed.length !== 1 + ED25519_PUBLIC_KEY_BYTES || typed[0] !== NOTE_SIGNATURE_TYPE_ED25519) {
    throw new InputError('INVALID_KEY', 'the verifier key is not an Ed25519 key');
  }
  const publicKey = typed.slice(1);
  if (hex(noteKeyId(name, publicKey)) !== keyIdHex) {
    throw new InputError('INVALID_KEY', 'the verifier key ID does not match its name and key');
  }
  return { name, publicKey };
}

/**
 * Signs `text` (which must end in a newline) as key `name` and returns the note bytes: the text, a blank
 * line, and one signature line "— name base64(keyID ‖ sig)".
 */
export function signNote(text: string, name: string, signer: Signer): Uint8Array {
  assertKeyName(name);
  if (typeof text !== 'string' || !text.endsWith('\n')) {
    throw new InputError('INVALID_ARGUMENT', 'note text must end with a newline');
  }
  if (FORBIDDEN_CONTROL.test(text) || LONE_SURROGATE.test(text)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      'note text must be valid Unicode with no control characters but newline',
    );
  }
  const textBytes = new TextEncoder().encode(text);
  const signature = signer.sign(textBytes);
  const keyed = new Uint8Array(KEY_ID_BYTES + signature.length);
  keyed.set(noteKeyId(name, signer.publicKey), 0);
  keyed.set(signature, KEY_ID_BYTES);
  return new TextEncoder().encode(`${text}\n${SIGNATURE_LINE_PREFIX}${name} ${encodeBase64(keyed)}\n`);
}

/**
 * Parses note bytes (attacker-controlled) without verifying anything: valid UTF-8 (else INVALID_UTF8),
 * at most MAX_NOTE_BYTES, no control characters but newline, the text ending in a newline and separated
 * from the signatures by the last blank line, and every line after it "— <name> <base64>" with a valid
 * name and canonical base64 of a key ID plus at least one signature byte (else INVALID_CHECKPOINT).
 * The text must be ignored until `verifyNote` has checked a signature.
 */
export function parseNote(bytes: Uint8Array): Note {
  if (bytes.length > MAX_NOTE_BYTES) {
    throw malformed(`the note has ${bytes.length} bytes, more than the limit of ${MAX_NOTE_BYTES}`);
  }
  let message: string;
  try {
    message = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new InputError('INVALID_UTF8', 'the note is not valid UTF-8', { cause: error });
  }
  if (FORBIDDEN_CONTROL.test(message)) {
    throw malformed('the note holds a control character other than newline');
  }
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw malformed('the note has no blank line before its signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) {
    throw malformed('the signature block is empty or does not end with a newline');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw malformed(`the note has ${lines.length} signatures, more than ${MAX_NOTE_SIGNATURES}`);
  }
  const signatures = lines.map((line, i): NoteSignature => {
    if (!line.startsWith(SIGNATURE_LINE_PREFIX)) {
      throw malformed(`signature line ${i + 1} does not start with an em dash and a space`);
    }
    const rest = line.slice(SIGNATURE_LINE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const decoded = space < 0 ? undefined : decodeBase64Strict(rest.slice(space + 1));
    if (!isValidKeyName(name)) throw malformed(`signature line ${i + 1} has an invalid key name`);
    if (decoded === undefined || decoded.length <= KEY_ID_BYTES) {
      throw malformed(`signature line ${i + 1} is not "— <name> <base64 of key ID and signature>"`);
    }
    return { name, keyIdHex: hex(decoded.subarray(0, KEY_ID_BYTES)), signature: decoded.slice(KEY_ID_BYTES) };
  });
  return { text, signatures };
}

/**
 * Verifies a note (attacker-controlled bytes) against one trusted Ed25519 key and returns its text.
 * Signatures by other keys are ignored (c2sp.org/signed-note: a key is known by name *and* key ID).
 * Every signature line of the trusted key must verify — a failing one rejects the note, as the spec
 * recommends — and there must be at least one: VerificationError BAD_SIGNATURE otherwise.
 */
export function verifyNote(bytes: Uint8Array, name: string, publicKeyRaw: Uint8Array): string {
  const note = parseNote(bytes);
  const keyIdHex = hex(noteKeyId(name, publicKeyRaw));
  const textBytes = new TextEncoder().encode(note.text);
  let verified = 0;
  for (const signature of note.signatures) {
    if (signature.name !== name || signature.keyIdHex !== keyIdHex) continue;
    if (
      signature.signature.length !== ED25519_SIGNATURE_BYTES ||
      !verifySignature(publicKeyRaw, textBytes, signature.signature)
    ) {
      throw new VerificationError(
        'BAD_SIGNATURE',
        `a signature by ${name}+${keyIdHex} on the note does not verify`,
      );
    }
    verified += 1;
  }
  if (verified === 0) {
    throw new VerificationError('BAD_SIGNATURE', `the note has no signature by ${name}+${keyIdHex}`);
  }
  return note.text;
}

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `key name ${JSON.stringify(name)} is empty or holds a space or '+'`,
    );
  }
}

function assertPublicKey(publicKeyRaw: Uint8Array): void {
  if (!(publicKeyRaw instanceof Uint8Array) || publicKeyRaw.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new InputError('INVALID_KEY', `an Ed25519 public key has ${ED25519_PUBLIC_KEY_BYTES} bytes`);
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function malformed(message: string): InputError {
  return new InputError('INVALID_CHECKPOINT', `malformed signed note: ${message}`);
}
