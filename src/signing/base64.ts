// Strict base64 (RFC 4648 §4, and §5 where a format allows it). Signatures, payloads and root hashes
// arrive base64-encoded from outside (attacker-controlled): Node's decoder silently skips characters
// outside the alphabet, accepts missing padding and ignores non-zero trailing bits, so one byte string
// would have many accepted spellings. Here each byte string has exactly one accepted spelling per
// alphabet: the one `encodeBase64` writes.

const STD_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_PATTERN = /^(?:[A-Za-z0-9\-_]{4})*(?:[A-Za-z0-9\-_]{2}==|[A-Za-z0-9\-_]{3}=)?$/;

/** Standard alphabet, padded (RFC 4648 §4). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Decodes canonical base64: standard alphabet, padded, trailing bits zero; with `urlSafe`, the URL-safe
 * alphabet (RFC 4648 §5, padded) is accepted too, but never a mix of both. Returns undefined when `text`
 * is not canonical, so the caller raises the error that fits its format.
 */
export function decodeBase64Strict(
  text: string,
  options: { urlSafe?: boolean } = {},
): Uint8Array | undefined {
  let std = text;
  if (!STD_PATTERN.test(text)) {
    if (options.urlSafe !== true || !URL_PATTERN.test(text)) return undefined;
    std = text.replace(/-/g, '+').replace(/_/g, '/');
  }
  const bytes = Buffer.from(std, 'base64');
  // Re-encoding catches non-zero bits in the last character before the padding.
  if (bytes.toString('base64') !== std) return undefined;
  // A copy: Buffer.from may return a view into Node's shared pool.
  return new Uint8Array(bytes);
}
