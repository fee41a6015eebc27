// A person acting through the log (binding a key, granting a role, revoking a promotion, rejecting a
// draft) signs what they ask for. The signature covers the canonical JSON of the action statement —
// kind, predicate (without the signature itself) and the ledger size the person saw — and is carried
// in the entry as `predicate.actor`, so anyone can check later who asked for it, with which key.
import { InputError, VerificationError } from '../errors.js';
import { decodeBase64Strict, encodeBase64 } from '../signing/base64.js';
import { canonicalize } from '../signing/canonical-json.js';
import { keyIdOf, verifySignature, type Signer } from '../signing/keys.js';
import { isRecord, type Predicate } from '../ledger/entry.js';

export const ACTION_STATEMENT_TYPE = 'signet-action/v1';
const IDENTITY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

export interface ActorSignature {
  readonly identity: string;
  readonly keyId: string;
  /** The ledger size the actor saw when signing: their authority is judged at this position. */
  readonly ledgerSize: number;
  /** Ed25519 over the canonical action statement, base64. */
  readonly signature: string;
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

function actionStatement(
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
    typeof actor['signature'] !== 'string' ||
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
      signature: actor['signature'],
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
  const signature = decodeBase64Strict(actor.signature);
  if (!signature) throw new VerificationError('BAD_SIGNATURE', 'the actor signature is not canonical base64');
  if (!verifySignature(publicKey, message, signature)) {
    throw new VerificationError('BAD_SIGNATURE', `the signature of ${actor.identity} does not verify`);
  }
  return actor;
}
