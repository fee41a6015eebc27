// What a passkey (WebAuthn) approval stores, and what the server keeps of an enrolled passkey.
import type { Digest } from '../signing/digest.js';

/**
 * A passkey's signature over an approval statement, as stored in a ledger event. It holds everything an
 * offline verifier needs, years later and with no server state: the authenticator signed
 * `authenticatorData || SHA-256(clientDataJSON)` (WebAuthn L3 §6.3.3), and clientDataJSON carries the
 * challenge, which is the 32-byte SHA-256 digest of the canonical approval statement. Byte strings are
 * unpadded base64url, exactly as the browser's `toJSON()` writes them.
 */
export interface WebAuthnSignature {
  readonly scheme: 'webauthn';
  /** `sha256:` + hex of SHA-256 over the COSE public key bytes in `publicKey`. */
  readonly keyId: Digest;
  /** The credential id, base64url. Not signed (L3 #sctn-credentialIdSecurity): a hint only. */
  readonly credentialId: string;
  /** The COSE_Key bytes of the credential public key, base64url. */
  readonly publicKey: string;
  /** base64url. */
  readonly authenticatorData: string;
  /** The exact bytes the browser produced, base64url: the signature covers their hash, never a re-encoding. */
  readonly clientDataJSON: string;
  /** base64url; ASN.1 DER for ES256, raw 64 bytes for Ed25519, PKCS#1 v1.5 for RS256. */
  readonly signature: string;
  /** The relying party id whose SHA-256 is the authenticator data's rpIdHash. */
  readonly rpId: string;
  /** The origin the browser reported in clientDataJSON. */
  readonly origin: string;
}

/** An enrolled passkey, as the server keeps it after registration. */
export interface PasskeyCredential {
  /** base64url. */
  readonly credentialId: string;
  /** The COSE_Key bytes, base64url. */
  readonly publicKey: string;
  /** `keyIdOfCose(publicKey bytes)`. */
  readonly keyId: Digest;
  /** The COSE algorithm: -7 ES256, -8 EdDSA, -257 RS256. */
  readonly algorithm: number;
  /** What the browser reported (`usb`, `internal`, `hybrid`, ...), to pass back in allowCredentials. */
  readonly transports?: readonly string[];
}
