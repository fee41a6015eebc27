// WebAuthn's JSON forms (L3 PublicKeyCredential toJSON(), and every browser library) spell bytes as base64url without
// padding (RFC 4648 §5, §3.2). A stored passkey signature is attacker-controlled: each byte string has
// exactly one accepted spelling here, the one `encodeBase64Url` writes, so a record cannot be re-spelled
// without changing its bytes.
import { decodeBase64Strict } from '../signing/base64.js';

const BASE64URL_ALPHABET = /^[A-Za-z0-9\-_]*$/;

/** URL-safe alphabet, no padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Decodes canonical unpadded base64url: URL-safe alphabet only, no `=`, trailing bits zero. Returns
 * undefined for anything else, so the caller raises the error that names its field.
 */
export function decodeBase64UrlStrict(text: string): Uint8Array | undefined {
  if (!BASE64URL_ALPHABET.test(text) || text.length % 4 === 1) return undefined;
  // The padded form goes through the shared strict decoder, which checks the trailing bits.
  return decodeBase64Strict(text + '='.repeat((4 - (text.length % 4)) % 4), { urlSafe: true });
}
