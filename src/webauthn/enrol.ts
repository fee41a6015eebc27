// The server side of the passkey ceremonies, as thin wrappers over @simplewebauthn/server: enrolling a
// passkey (registration), signing in, and asking for an approval signature, whose challenge is the
// approval statement's digest. Signet's choices are made here once: attestation "none", user
// verification required, and only the algorithms the offline verifier supports (cose.ts). Library
// errors never escape alone: each is wrapped in a coded Signet error that says which ceremony failed,
// with the library's error as the cause.
//
// Browser responses arrive over HTTP and are attacker-controlled: their shape is checked here before
// the library sees them.
import type * as SimpleWebAuthn from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

import { InputError, VerificationError } from '../errors.js';
import { decodeBase64UrlStrict, encodeBase64Url } from './base64url.js';
import { SUPPORTED_COSE_ALGORITHMS, parseCosePublicKey } from './cose.js';
import type { PasskeyCredential, WebAuthnSignature } from './types.js';
import { keyIdOfCose } from './verify.js';

/** @simplewebauthn/server, imported on the first ceremony: it takes ~200 ms to load, and most commands that
 * import this module never run one. */
const simpleWebAuthn = (): Promise<typeof SimpleWebAuthn> => import('@simplewebauthn/server');

/** L3 PublicKeyCredentialUserEntity.id: a user handle is at most 64 bytes. */
const MAX_USER_HANDLE_BYTES = 64;
/** L3 "credential ID": at most 1023 bytes. */
const MAX_CREDENTIAL_ID_BYTES = 1023;
/** L3 #sctn-cryptographic-challenges: challenges SHOULD be at least 16 bytes. */
const MIN_CHALLENGE_BYTES = 16;
const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;

/** A credential to name in excludeCredentials or allowCredentials. */
export type CredentialDescriptor = Pick<PasskeyCredential, 'credentialId' | 'transports'>;

export interface RegistrationOptionsInput {
  readonly rpId: string;
  /** Shown by the browser ("Signet"). */
  readonly rpName: string;
  /** The Signet identity enrolling the passkey. It is never put into the user handle (L3 #sctn-user-handle-privacy). */
  readonly userId: string;
  /** The account name the authenticator shows; default `userId`. */
  readonly userName?: string;
  /** Default `userName`. */
  readonly userDisplayName?: string;
  /**
   * The WebAuthn user handle, 1–64 bytes, which must not hold personal data (L3 #sctn-user-handle-privacy). Pass the handle
   * stored with the account so a person's passkeys share it; when absent, 32 random bytes are chosen
   * and returned for the caller to store.
   */
  readonly userHandle?: Uint8Array;
  /** The person's passkeys already enrolled, so the authenticator does not make a second one. */
  readonly excludeCredentials?: readonly CredentialDescriptor[];
  /** Default 5 minutes. */
  readonly timeoutMs?: number;
}

export interface RegistrationOptions {
  /** Send to the browser, for navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) }). */
  readonly options: PublicKeyCredentialCreationOptionsJSON;
  /** The random challenge, base64url: keep it server-side for `verifyRegistration`. */
  readonly challenge: string;
  /** The user handle used, base64url. */
  readonly userHandle: string;
}

export interface CeremonyExpectations {
  /** The challenge sent, as bytes or as the base64url string in the options. */
  readonly expectedChallenge: Uint8Array | string;
  /** The origin (or origins) the browser must report, such as "https://signet.example.org". */
  readonly origin: string | readonly string[];
  readonly rpId: string;
}

/**
 * Options for enrolling a passkey: attestation "none", user verification required, a discoverable
 * credential preferred, and only ES256, EdDSA and RS256 offered.
 */
export async function registrationOptions(input: RegistrationOptionsInput): Promise<RegistrationOptions> {
  assertText(input.rpId, 'rpId');
  assertText(input.rpName, 'rpName');
  assertText(input.userId, 'userId');
  const userName = input.userName ?? input.userId;
  if (input.userHandle !== undefined) {
    const n = input.userHandle.length;
    if (!(input.userHandle instanceof Uint8Array) || n < 1 || n > MAX_USER_HANDLE_BYTES) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `a user handle has 1 to ${MAX_USER_HANDLE_BYTES} bytes, got ${n}`,
      );
    }
  }
  const webauthn = await simpleWebAuthn();
  const options = await wrapLibrary('the passkey registration options', 'options', () =>
    webauthn.generateRegistrationOptions({
      rpID: input.rpId,
      rpName: input.rpName,
      userName,
      userDisplayName: input.userDisplayName ?? userName,
      ...(input.userHandle === undefined ? {} : { userID: input.userHandle.slice() }),
      attestationType: 'none',
      excludeCredentials: descriptors(input.excludeCredentials ?? []),
      // A fresh object each time: the library mutates the one it is given (and its own default).
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      supportedAlgorithmIDs: [...SUPPORTED_COSE_ALGORITHMS],
      timeout: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    }),
  );
  return { options, challenge: options.challenge, userHandle: options.user.id };
}

/**
 * Verifies a browser's registration response (navigator.credentials.create() as JSON) and returns the
 * credential to store. Requires the challenge, origin and rpId, the UP and UV flags, an attestation
 * statement that verifies (format "none" is accepted), and a key the offline verifier can use.
 * Throws InputError INVALID_ARGUMENT for a malformed response, INVALID_KEY for an unusable key, and
 * VerificationError BAD_SIGNATURE for a registration that does not verify.
 */
export async function verifyRegistration(
  response: unknown,
  expected: CeremonyExpectations,
): Promise<PasskeyCredential> {
  const what = 'the passkey registration';
  const parsed = readRegistrationResponse(response, what);
  const webauthn = await simpleWebAuthn();
  const result = await wrapLibrary(what, 'verify', () =>
    webauthn.verifyRegistrationResponse({
      response: parsed,
      expectedChallenge: challengeString(expected.expectedChallenge),
      expectedOrigin: typeof expected.origin === 'string' ? expected.origin : [...expected.origin],
      // Always given: without it the library does not check the rpIdHash at all.
      expectedRPID: expected.rpId,
      expectedType: 'webauthn.create',
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: [...SUPPORTED_COSE_ALGORITHMS],
    }),
  );
  if (!result.verified) {
    throw new VerificationError('BAD_SIGNATURE', `${what}: the attestation statement does not verify`);
  }
  const { credential } = result.registrationInfo;
  // The library takes the credential id from the authenticator data and does not compare it with the
  // id the browser reported; a mismatch means a confused or tampered response.
  if (credential.id !== parsed.id) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `${what}: the response names credential ${parsed.id}, the authenticator data ${credential.id}`,
    );
  }
  const credentialIdBytes = decodeBase64UrlStrict(credential.id);
  if (credentialIdBytes === undefined || credentialIdBytes.length > MAX_CREDENTIAL_ID_BYTES) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${what}: the credential id is longer than ${MAX_CREDENTIAL_ID_BYTES} bytes`,
    );
  }
  const publicKey = new Uint8Array(credential.publicKey);
  // Refuse now, not years later, a key the offline verifier would not accept.
  const { algorithm } = parseCosePublicKey(publicKey, what);
  return {
    credentialId: credential.id,
    publicKey: encodeBase64Url(publicKey),
    keyId: keyIdOfCose(publicKey),
    algorithm,
    ...(credential.transports === undefined ? {} : { transports: [...credential.transports] }),
  };
}

export interface AuthenticationOptionsInput {
  readonly rpId: string;
  /**
   * For an approval, `challengeOf(statementDigest)`; for sign-in, omit it and 32 random bytes are chosen
   * (keep the returned challenge server-side).
   */
  readonly challenge?: Uint8Array;
  /** The passkeys that may answer; empty or absent lets the browser offer any discoverable one. */
  readonly allowCredentials?: readonly CredentialDescriptor[];
  /** Default 5 minutes. */
  readonly timeoutMs?: number;
}

export interface AuthenticationOptions {
  /** Send to the browser, for navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) }). */
  readonly options: PublicKeyCredentialRequestOptionsJSON;
  /** base64url. */
  readonly challenge: string;
}

/** Options for an approval signature or a sign-in, with user verification required. */
export async function authenticationOptions(
  input: AuthenticationOptionsInput,
): Promise<AuthenticationOptions> {
  assertText(input.rpId, 'rpId');
  if (input.challenge !== undefined) {
    if (!(input.challenge instanceof Uint8Array) || input.challenge.length < MIN_CHALLENGE_BYTES) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `a WebAuthn challenge has at least ${MIN_CHALLENGE_BYTES} bytes`,
      );
    }
  }
  const webauthn = await simpleWebAuthn();
  const options = await wrapLibrary('the passkey authentication options', 'options', () =>
    webauthn.generateAuthenticationOptions({
      rpID: input.rpId,
      // Bytes, never a string: the library would take a string as UTF-8 text, not base64url.
      ...(input.challenge === undefined ? {} : { challenge: input.challenge.slice() }),
      allowCredentials: descriptors(input.allowCredentials ?? []),
      userVerification: 'required',
      timeout: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    }),
  );
  return { options, challenge: options.challenge };
}

/**
 * Verifies a sign-in assertion by an enrolled passkey. Resolves to true; every failure throws
 * (InputError for a malformed response or stored credential, VerificationError BAD_SIGNATURE for an
 * assertion that does not verify). The signature counter is not tracked: synced passkeys always report 0.
 */
export async function verifySignIn(
  response: unknown,
  credential: PasskeyCredential,
  expected: CeremonyExpectations,
): Promise<true> {
  const what = 'the passkey sign-in';
  const parsed = readAuthenticationResponse(response, what);
  const publicKey = readCredentialKey(credential, what);
  // The library verifies with whatever credential it is handed and does not compare ids.
  if (parsed.id !== credential.credentialId) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `${what}: the assertion is by credential ${parsed.id}, not the enrolled ${credential.credentialId}`,
    );
  }
  const webauthn = await simpleWebAuthn();
  const result = await wrapLibrary(what, 'verify', () =>
    webauthn.verifyAuthenticationResponse({
      response: parsed,
      expectedChallenge: challengeString(expected.expectedChallenge),
      expectedOrigin: typeof expected.origin === 'string' ? expected.origin : [...expected.origin],
      expectedRPID: expected.rpId,
      expectedType: 'webauthn.get',
      // Counter 0 turns the library's counter check off for counter-less (synced) passkeys.
      credential: { id: credential.credentialId, publicKey: publicKey.slice(), counter: 0 },
      requireUserVerification: true,
    }),
  );
  if (!result.verified) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `${what}: the signature does not verify with the public key ${credential.keyId}`,
    );
  }
  return true;
}

/**
 * Builds the record stored in a ledger event from a browser's assertion over an approval statement
 * (navigator.credentials.get() as JSON) and the enrolled credential that made it. It checks the shape
 * and that the assertion names this credential, but not the signature: verify the result with
 * `verifyWebAuthnSignature(record, challengeOf(statementDigest), ...)` before storing it.
 */
export function toWebAuthnSignature(
  response: unknown,
  credential: PasskeyCredential,
  context: { readonly rpId: string; readonly origin: string },
): WebAuthnSignature {
  const what = 'the passkey approval';
  assertText(context.rpId, 'rpId');
  assertText(context.origin, 'origin');
  const parsed = readAuthenticationResponse(response, what);
  readCredentialKey(credential, what);
  if (parsed.id !== credential.credentialId) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `${what}: the assertion is by credential ${parsed.id}, not the enrolled ${credential.credentialId}`,
    );
  }
  return {
    scheme: 'webauthn',
    keyId: credential.keyId,
    credentialId: credential.credentialId,
    publicKey: credential.publicKey,
    authenticatorData: parsed.response.authenticatorData,
    clientDataJSON: parsed.response.clientDataJSON,
    signature: parsed.response.signature,
    rpId: context.rpId,
    origin: context.origin,
  };
}

/** The COSE key of a stored credential, checked against its keyId and algorithm. */
function readCredentialKey(credential: PasskeyCredential, what: string): Uint8Array {
  const publicKey = decodeBase64UrlStrict(
    typeof credential.publicKey === 'string' ? credential.publicKey : '',
  );
  if (publicKey === undefined || publicKey.length === 0) {
    throw new InputError('INVALID_KEY', `${what}: the enrolled credential's publicKey is not base64url`);
  }
  const { algorithm } = parseCosePublicKey(publicKey, what);
  if (keyIdOfCose(publicKey) !== credential.keyId) {
    throw new InputError(
      'INVALID_KEY',
      `${what}: the enrolled credential's keyId is not the digest of its publicKey`,
    );
  }
  if (algorithm !== credential.algorithm) {
    throw new InputError(
      'INVALID_KEY',
      `${what}: the enrolled credential says algorithm ${credential.algorithm}, its key is ${algorithm}`,
    );
  }
  return publicKey;
}

function readRegistrationResponse(response: unknown, what: string): RegistrationResponseJSON {
  const record = readCredentialResponse(response, what);
  const inner = record['response'] as Record<string, unknown>;
  const clientDataJSON = readBase64Url(inner, 'clientDataJSON', what);
  const attestationObject = readBase64Url(inner, 'attestationObject', what);
  const transports = inner['transports'];
  if (
    transports !== undefined &&
    !(Array.isArray(transports) && transports.every((t) => typeof t === 'string'))
  ) {
    throw new InputError('INVALID_ARGUMENT', `${what}: response.transports must be an array of strings`);
  }
  return {
    id: record['id'] as string,
    rawId: record['rawId'] as string,
    type: 'public-key',
    response: {
      clientDataJSON,
      attestationObject,
      ...(transports === undefined ? {} : { transports: [...(transports as string[])] }),
    },
    clientExtensionResults: {},
  };
}

function readAuthenticationResponse(response: unknown, what: string): AuthenticationResponseJSON {
  const record = readCredentialResponse(response, what);
  const inner = record['response'] as Record<string, unknown>;
  const userHandle = inner['userHandle'];
  if (userHandle !== undefined && userHandle !== null && typeof userHandle !== 'string') {
    throw new InputError('INVALID_ARGUMENT', `${what}: response.userHandle must be a string`);
  }
  return {
    id: record['id'] as string,
    rawId: record['rawId'] as string,
    type: 'public-key',
    response: {
      clientDataJSON: readBase64Url(inner, 'clientDataJSON', what),
      authenticatorData: readBase64Url(inner, 'authenticatorData', what),
      signature: readBase64Url(inner, 'signature', what),
      ...(typeof userHandle === 'string' ? { userHandle } : {}),
    },
    clientExtensionResults: {},
  };
}

/** The common part: an object with id = rawId (base64url), type "public-key" and a response object. */
function readCredentialResponse(response: unknown, what: string): Record<string, unknown> {
  const invalid = (message: string): InputError => new InputError('INVALID_ARGUMENT', `${what}: ${message}`);
  if (!isObject(response)) throw invalid('the response is not a JSON object');
  const { id, rawId, type } = response;
  if (typeof id !== 'string' || id.length === 0 || decodeBase64UrlStrict(id) === undefined) {
    throw invalid('id must be a non-empty base64url string');
  }
  if (rawId !== id) throw invalid('rawId must equal id');
  if (type !== 'public-key') {
    throw invalid(
      `type must be "public-key", got ${typeof type === 'string' ? JSON.stringify(type.slice(0, 80)) : typeof type}`,
    );
  }
  if (!isObject(response['response'])) throw invalid('response.response is not an object');
  return response;
}

function readBase64Url(record: Record<string, unknown>, field: string, what: string): string {
  const value = record[field];
  if (typeof value !== 'string' || value.length === 0 || decodeBase64UrlStrict(value) === undefined) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${what}: response.${field} must be canonical unpadded base64url`,
    );
  }
  return value;
}

function descriptors(credentials: readonly CredentialDescriptor[]): { id: string; transports?: string[] }[] {
  return credentials.map(({ credentialId, transports }) => {
    if (typeof credentialId !== 'string' || decodeBase64UrlStrict(credentialId) === undefined) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `credential id ${JSON.stringify(credentialId)} is not base64url`,
      );
    }
    return transports === undefined
      ? { id: credentialId }
      : { id: credentialId, transports: [...transports] };
  });
}

function challengeString(challenge: Uint8Array | string): string {
  if (challenge instanceof Uint8Array) return encodeBase64Url(challenge);
  if (typeof challenge !== 'string' || decodeBase64UrlStrict(challenge) === undefined) {
    throw new InputError('INVALID_ARGUMENT', 'the expected challenge must be bytes or a base64url string');
  }
  return challenge;
}

function assertText(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InputError('INVALID_ARGUMENT', `${name} must be a non-empty string`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Runs a library call; any exception becomes a coded error that names the ceremony, the cause kept:
 * BAD_SIGNATURE when verifying a response, INVALID_ARGUMENT when making options.
 */
async function wrapLibrary<T>(what: string, kind: 'verify' | 'options', call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (kind === 'options') {
      throw new InputError('INVALID_ARGUMENT', `${what} could not be made: ${reason}`, { cause: error });
    }
    throw new VerificationError('BAD_SIGNATURE', `${what} does not verify: ${reason}`, { cause: error });
  }
}
