// A software WebAuthn authenticator plus the browser around it, for tests: it answers registration and
// authentication options the way navigator.credentials.create()/get() would, with the JSON a browser's
// `toJSON()` gives (WebAuthn L3). Keys are generated per authenticator in the test process and
// never written anywhere. Overrides let a test produce a *correctly signed* assertion that is wrong in
// one specific way (another type, origin, rpId, flags), so the check under test is the one that fails.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

export type SoftAlgorithm = 'ES256' | 'Ed25519' | 'RS256';

/** Authenticator data flags (L3 §6.1). */
export const FLAG_UP = 0x01;
export const FLAG_UV = 0x04;
export const FLAG_BE = 0x08;
export const FLAG_BS = 0x10;
export const FLAG_AT = 0x40;
export const FLAG_ED = 0x80;

type Cbor = Parameters<typeof isoCBOR.encode>[0];

const COSE_ALG: Record<SoftAlgorithm, number> = { ES256: -7, Ed25519: -8, RS256: -257 };

export interface SoftAuthenticatorOptions {
  readonly rpId: string;
  readonly origin: string;
  readonly algorithm: SoftAlgorithm;
  /** Default: 16 random bytes. */
  readonly credentialId?: Uint8Array;
}

/** Ways to make one assertion wrong while still signing it correctly. */
export interface AssertOverrides {
  /** clientDataJSON.type; default "webauthn.get". */
  readonly type?: string;
  /** clientDataJSON.origin; default the authenticator's origin. */
  readonly origin?: string;
  /** The rpId hashed into authenticatorData; default the authenticator's rpId. */
  readonly rpId?: string;
  /** The flags byte; default UP | UV. */
  readonly flags?: number;
  /** The signature counter; default 0 (as synced passkeys report). */
  readonly counter?: number;
  readonly crossOrigin?: boolean;
  /** Extra clientDataJSON members, added after the standard ones (browsers add such members). */
  readonly extraClientData?: Readonly<Record<string, unknown>>;
  /** Bytes appended to authenticatorData (extension outputs, with FLAG_ED). */
  readonly extensions?: Uint8Array;
}

/** Ways to make one registration wrong while still producing it consistently. */
export interface RegisterOverrides {
  /** clientDataJSON.type; default "webauthn.create". */
  readonly type?: string;
  /** clientDataJSON.origin; default the authenticator's origin. */
  readonly origin?: string;
  /** The flags byte; default UP | UV | AT. */
  readonly flags?: number;
}

export interface SoftAuthenticator {
  readonly rpId: string;
  readonly origin: string;
  readonly algorithm: SoftAlgorithm;
  readonly coseAlgorithm: number;
  /** base64url. */
  readonly credentialId: string;
  /** The COSE_Key bytes of the credential public key. */
  readonly cosePublicKey: Uint8Array;
  /** navigator.credentials.create() with attestation "none": flags UP | UV | AT, counter 0. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    overrides?: RegisterOverrides,
  ): RegistrationResponseJSON;
  /** navigator.credentials.get() over raw challenge bytes or options JSON (whose challenge is base64url). */
  assert(
    challenge: Uint8Array | PublicKeyCredentialRequestOptionsJSON,
    overrides?: AssertOverrides,
  ): AuthenticationResponseJSON;
}

export function createSoftAuthenticator(options: SoftAuthenticatorOptions): SoftAuthenticator {
  const { rpId, origin, algorithm } = options;
  const credentialIdBytes = options.credentialId ?? new Uint8Array(randomBytes(16));
  const credentialId = b64url(credentialIdBytes);
  const { privateKey, publicKey } = generateKeys(algorithm);
  const cosePublicKey = coseKeyOf(algorithm, publicKey);
  let userHandle: string | undefined;

  const signData = (data: Uint8Array): Uint8Array => {
    switch (algorithm) {
      case 'ES256':
        return new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }));
      case 'Ed25519':
        return new Uint8Array(sign(null, data, privateKey));
      case 'RS256':
        return new Uint8Array(sign('sha256', data, privateKey));
    }
  };

  return {
    rpId,
    origin,
    algorithm,
    coseAlgorithm: COSE_ALG[algorithm],
    credentialId,
    cosePublicKey,

    register(
      creation: PublicKeyCredentialCreationOptionsJSON,
      overrides: RegisterOverrides = {},
    ): RegistrationResponseJSON {
      if (creation.rp.id !== undefined && creation.rp.id !== rpId) {
        throw new Error(`SecurityError: rp.id ${creation.rp.id} is not this authenticator's ${rpId}`);
      }
      if (!creation.pubKeyCredParams.some((p) => p.alg === COSE_ALG[algorithm])) {
        throw new Error(`NotSupportedError: ${algorithm} is not among pubKeyCredParams`);
      }
      if (creation.excludeCredentials?.some((c) => c.id === credentialId)) {
        throw new Error('InvalidStateError: this credential is excluded');
      }
      userHandle = creation.user.id;
      const clientDataJSON = utf8(
        JSON.stringify({
          type: overrides.type ?? 'webauthn.create',
          challenge: creation.challenge,
          origin: overrides.origin ?? origin,
          crossOrigin: false,
        }),
      );
      const attestedCredentialData = concat(
        new Uint8Array(16), // AAGUID: all zero, as for attestation "none"
        uint16(credentialIdBytes.length),
        credentialIdBytes,
        cosePublicKey,
      );
      const authData = concat(
        sha256(utf8(rpId)),
        Uint8Array.of(overrides.flags ?? FLAG_UP | FLAG_UV | FLAG_AT),
        uint32(0),
        attestedCredentialData,
      );
      // CTAP2 canonical key order: "fmt", "attStmt", "authData" (shorter keys first).
      const attestationObject = isoCBOR.encode(
        new Map<string, Cbor>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]),
      );
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: b64url(clientDataJSON),
          attestationObject: b64url(attestationObject),
          authenticatorData: b64url(authData),
          transports: ['internal'],
          publicKeyAlgorithm: COSE_ALG[algorithm],
          publicKey: b64url(publicKey.export({ format: 'der', type: 'spki' })),
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },

    assert(
      challengeOrOptions: Uint8Array | PublicKeyCredentialRequestOptionsJSON,
      overrides: AssertOverrides = {},
    ): AuthenticationResponseJSON {
      let challenge: string;
      if (challengeOrOptions instanceof Uint8Array) {
        challenge = b64url(challengeOrOptions);
      } else {
        if (challengeOrOptions.rpId !== undefined && challengeOrOptions.rpId !== rpId) {
          throw new Error(
            `SecurityError: rpId ${challengeOrOptions.rpId} is not this authenticator's ${rpId}`,
          );
        }
        const allowed = challengeOrOptions.allowCredentials ?? [];
        if (allowed.length > 0 && !allowed.some((c) => c.id === credentialId)) {
          throw new Error('NotAllowedError: this credential is not in allowCredentials');
        }
        challenge = challengeOrOptions.challenge;
      }
      const clientDataJSON = utf8(
        JSON.stringify({
          type: overrides.type ?? 'webauthn.get',
          challenge,
          origin: overrides.origin ?? origin,
          crossOrigin: overrides.crossOrigin ?? false,
          ...overrides.extraClientData,
        }),
      );
      const authData = concat(
        sha256(utf8(overrides.rpId ?? rpId)),
        Uint8Array.of(overrides.flags ?? FLAG_UP | FLAG_UV),
        uint32(overrides.counter ?? 0),
        overrides.extensions ?? new Uint8Array(0),
      );
      const signature = signData(concat(authData, sha256(clientDataJSON)));
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: b64url(clientDataJSON),
          authenticatorData: b64url(authData),
          signature: b64url(signature),
          ...(userHandle === undefined ? {} : { userHandle }),
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
  };
}

function generateKeys(algorithm: SoftAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (algorithm) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'Ed25519':
      return generateKeyPairSync('ed25519');
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

/** The credential public key as a COSE_Key (RFC 9053 §7), labels in CTAP2 canonical order. */
function coseKeyOf(algorithm: SoftAlgorithm, publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const bytes = (field: string | undefined): Uint8Array =>
    new Uint8Array(Buffer.from(field ?? '', 'base64url'));
  let entries: [number, Cbor][];
  switch (algorithm) {
    case 'ES256':
      entries = [
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, bytes(jwk.x)],
        [-3, bytes(jwk.y)],
      ];
      break;
    case 'Ed25519':
      entries = [
        [1, 1], // kty: OKP
        [3, -8], // alg: EdDSA
        [-1, 6], // crv: Ed25519
        [-2, bytes(jwk.x)],
      ];
      break;
    case 'RS256':
      entries = [
        [1, 3], // kty: RSA
        [3, -257], // alg: RS256
        [-1, bytes(jwk.n)],
        [-2, bytes(jwk.e)],
      ];
      break;
  }
  return isoCBOR.encode(new Map(entries));
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

function uint16(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}

function uint32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
