// A person acting through the log (binding a key, granting a role, revoking a promotion, rejecting a
// draft) signs what they ask for. The signature covers the canonical JSON of the action statement —
// kind, predicate (without the signature itself) and the ledger size the person saw — and is carried
// in the entry as `predicate.actor`, so anyone can check later who asked for it, with which key.
import { InputError, VerificationError } from '../errors.js';
import { decodeBase64Strict, encodeBase64 } from '../signing/base64.js';
import { canonicalize } from '../signing/canonical-json.js';
import { keyIdOf, verifySignature, type Signer } from '../signing/keys.js';
import { isRecord, type Predicate } from '../ledger/entry.js';
import { digestOfBytes } from '../signing/digest.js';
import type { WebAuthnSignature } from '../webauthn/types.js';
import { challengeOf, verifyWebAuthnSignature } from '../webauthn/verify.js';

export const ACTION_STATEMENT_TYPE = 'signet-action/v1';
const IDENTITY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

export interface ActorSignature {
  readonly identity: string;
  readonly keyId: string;
  /** The ledger size the actor saw when signing: their authority is judged at this position. */
  readonly ledgerSize: number;
  /** Ed25519 over the canonical action statement, base64 (absent when signed with a passkey). */
  readonly signature?: string;
  /** A passkey assertion whose challenge is the SHA-256 of the canonical action statement. */
  readonly webauthn?: WebAuthnSignature;
}

export function isIdentityId(value: unknown): value is string {
  return typeof value === 'string' && IDENTITY_PATTERN.test(value);
}

export function assertIdentityId(value: unknown, what = 'identity'): asserts value is string {
  if (!isIdentityId(value)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${what} ${JSON.stringify(value)} must be 1–128 characters of letters, digits and . _ @ + - (starting with a letter or digit)`,
    );
  }
}

/** The canonical action statement a person signs (Ed25519) or whose digest a passkey signs. */
export function actionStatement(
  kind: string,
  predicate: Predicate,
  identity: string,
  ledgerSize: number,
): Uint8Array {
  return canonicalize({ type: ACTION_STATEMENT_TYPE, kind, predicate, identity, ledgerSize });
}

/** Returns the predicate with `actor` added, signed by the identity's key. */
export function signAction(
  kind: string,
  predicate: Predicate,
  identity: string,
  ledgerSize: number,
  signer: Signer,
): Predicate {
  assertIdentityId(identity);
  if ('actor' in predicate) throw new InputError('INVALID_STATEMENT', 'predicate.actor is reserved');
  const signature = signer.sign(actionStatement(kind, predicate, identity, ledgerSize));
  const actor: ActorSignature = {
    identity,
    keyId: signer.keyId,
    ledgerSize,
    signature: encodeBase64(signature),
  };
  return { ...predicate, actor };
}

/** Reads `predicate.actor` (attacker-controlled) and returns it with the signed predicate part. */
export function readActor(predicate: Predicate): { actor: ActorSignature; signed: Predicate } {
  const actor = predicate['actor'];
  if (
    !isRecord(actor) ||
    !isIdentityId(actor['identity']) ||
    typeof actor['keyId'] !== 'string' ||
    (typeof actor['signature'] === 'string') === isRecord(actor['webauthn']) ||
    typeof actor['ledgerSize'] !== 'number' ||
    !Number.isSafeInteger(actor['ledgerSize']) ||
    actor['ledgerSize'] < 0
  ) {
    throw new VerificationError('BAD_SIGNATURE', 'the entry has no well-formed actor signature');
  }
  const signed: Record<string, unknown> = { ...predicate };
  delete signed['actor'];
  delete signed['log'];
  return {
    actor: {
      identity: actor['identity'],
      keyId: actor['keyId'],
      ledgerSize: actor['ledgerSize'],
      ...(typeof actor['signature'] === 'string' ? { signature: actor['signature'] } : {}),
      ...(isRecord(actor['webauthn']) ? { webauthn: actor['webauthn'] as unknown as WebAuthnSignature } : {}),
    },
    signed,
  };
}

/** Checks the actor's signature with the public key the caller found bound to them. */
export function verifyActorSignature(
  kind: string,
  predicate: Predicate,
  publicKey: Uint8Array,
): ActorSignature {
  const { actor, signed } = readActor(predicate);
  if (keyIdOf(publicKey) !== actor.keyId) {
    throw new VerificationError('BAD_SIGNATURE', `the actor's key id ${actor.keyId} is not the key given`);
  }
  const message = actionStatement(kind, signed, actor.identity, actor.ledgerSize);
  if (actor.signature === undefined) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `the action of ${actor.identity} is not signed with an Ed25519 key`,
    );
  }
  const signature = decodeBase64Strict(actor.signature);
  if (!signature) throw new VerificationError('BAD_SIGNATURE', 'the actor signature is not canonical base64');
  if (!verifySignature(publicKey, message, signature)) {
    throw new VerificationError('BAD_SIGNATURE', `the signature of ${actor.identity} does not verify`);
  }
  return actor;
}

/**
 * Returns the predicate with `actor` added, signed by a passkey: `webauthn` is an assertion whose
 * challenge is the SHA-256 of the canonical action statement. The assertion is verified here; whether the
 * passkey is bound to `identity` is the caller's check (the authority state).
 */
export function passkeyAction(
  kind: string,
  predicate: Predicate,
  identity: string,
  ledgerSize: number,
  webauthn: WebAuthnSignature,
): Predicate {
  assertIdentityId(identity);
  if ('actor' in predicate) throw new InputError('INVALID_STATEMENT', 'predicate.actor is reserved');
  const digest = digestOfBytes(actionStatement(kind, predicate, identity, ledgerSize));
  verifyWebAuthnSignature(webauthn, challengeOf(digest), `the ${kind} by ${identity} (passkey)`);
  const actor: ActorSignature = { identity, keyId: webauthn.keyId, ledgerSize, webauthn };
  return { ...predicate, actor };
}

/**
 * Checks an actor signature of either scheme against the key bound to the actor (found by the caller
 * from the authority state by `actor.keyId`): Ed25519 over the statement, or a passkey assertion over its
 * digest made for the relying party the passkey was enrolled for.
 */
export function verifyActor(
  kind: string,
  predicate: Predicate,
  binding: {
    readonly scheme: 'ed25519' | 'webauthn';
    readonly publicKey: Uint8Array;
    readonly rpId?: string;
  },
): ActorSignature {
  const { actor, signed } = readActor(predicate);
  if (binding.scheme === 'ed25519') return verifyActorSignature(kind, predicate, binding.publicKey);
  if (actor.webauthn === undefined) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `the action of ${actor.identity} is not signed with its passkey`,
    );
  }
  if (actor.webauthn.rpId !== binding.rpId || actor.webauthn.keyId !== actor.keyId) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `the passkey signature of ${actor.identity} is not by the bound passkey`,
    );
  }
  const digest = digestOfBytes(actionStatement(kind, signed, actor.identity, actor.ledgerSize));
  verifyWebAuthnSignature(actor.webauthn, challengeOf(digest), `the ${kind} by ${actor.identity} (passkey)`);
  return actor;
}
