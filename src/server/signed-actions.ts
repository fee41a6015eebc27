// Rejecting a draft and revoking a promotion are actions a person signs (the CLI signs them with the
// person's key). Over HTTP the key stays with the caller: a prepare call runs the app function with a
// signer that captures the exact statement it would sign and stops there (nothing is appended), and a
// submit call runs it again with a signer that hands back the caller's signature, but only for that
// very statement and only once the signature verifies with the key bound to the caller. The statement
// names the ledger size, so if the log moves between the two calls the statement changes and the
// submit is refused (STALE_STATEMENT): prepare again.
import type { Actor } from '../app/promote.js';
import type { Home } from '../app/home.js';
import { loadAuthority } from '../app/authority.js';
import { AuthorityError, InputError, VerificationError } from '../errors.js';
import { parseJson } from '../signing/canonical-json.js';
import { decodeBase64Strict, encodeBase64 } from '../signing/base64.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import { verifySignature, type Signer } from '../signing/keys.js';

export interface PreparedAction {
  readonly statement: unknown;
  /** The exact bytes to sign, base64. */
  readonly bytes: string;
  readonly digest: Digest;
  readonly keyId: Digest;
  readonly ledgerSize: number;
}

export interface SignedAction {
  readonly keyId: Digest;
  readonly statementDigest: Digest;
  /** Ed25519 over the statement bytes, base64. */
  readonly signature: string;
}

/** Carries the bytes the app function asked to have signed, out of it, before anything is appended. */
class StatementCaptured extends Error {
  constructor(readonly bytes: Uint8Array) {
    super('statement captured');
  }
}

/** The statement `act` would have `identity` sign now, with their bound Ed25519 key `keyId`. */
export async function prepareAction(
  home: Home,
  identity: string,
  keyId: string | undefined,
  act: (actor: Actor) => Promise<unknown>,
): Promise<PreparedAction> {
  const key = await boundKey(home, identity, keyId);
  const signer: Signer = {
    keyId: key.keyId,
    publicKey: key.publicKey,
    sign(message: Uint8Array): Uint8Array {
      throw new StatementCaptured(message);
    },
  };
  try {
    await act({ identity, signer });
  } catch (error) {
    if (!(error instanceof StatementCaptured)) throw error;
    const statement = parseJson(error.bytes, 'the action statement') as { ledgerSize?: unknown };
    return {
      statement,
      bytes: encodeBase64(error.bytes),
      digest: digestOfBytes(error.bytes),
      keyId: key.keyId,
      ledgerSize: typeof statement.ledgerSize === 'number' ? statement.ledgerSize : 0,
    };
  }
  throw new Error('the action completed without asking for a signature');
}

/** Runs `act` as `identity` with the signature they made over the prepared statement. */
export async function submitAction<T>(
  home: Home,
  identity: string,
  signed: SignedAction,
  act: (actor: Actor) => Promise<T>,
): Promise<T> {
  const key = await boundKey(home, identity, signed.keyId);
  const signature = decodeBase64Strict(signed.signature);
  if (!signature || signature.length !== 64) {
    throw new VerificationError('BAD_SIGNATURE', 'the signature is not 64 bytes of canonical base64');
  }
  const signer: Signer = {
    keyId: key.keyId,
    publicKey: key.publicKey,
    sign(message: Uint8Array): Uint8Array {
      if (digestOfBytes(message) !== signed.statementDigest) {
        throw new AuthorityError(
          'STALE_STATEMENT',
          'the statement to sign is not the one you signed (the log has moved on, or the reason differs): prepare it again and sign that',
          { details: { statement: digestOfBytes(message), signed: signed.statementDigest } },
        );
      }
      if (!verifySignature(key.publicKey, message, signature)) {
        throw new VerificationError(
          'BAD_SIGNATURE',
          `the signature of ${identity} does not verify with key ${key.keyId}`,
        );
      }
      return signature;
    },
  };
  return act({ identity, signer });
}

/** The caller's Ed25519 key bound now: the one named, or their only one. */
async function boundKey(
  home: Home,
  identity: string,
  keyId: string | undefined,
): Promise<{ keyId: Digest; publicKey: Uint8Array }> {
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  const keys = authority.keysOf(identity, { size }).filter((k) => k.scheme === 'ed25519');
  const chosen = keyId === undefined ? keys : keys.filter((k) => k.keyId === keyId);
  if (chosen.length === 0) {
    throw new AuthorityError(
      'KEY_NOT_BOUND',
      keyId === undefined
        ? `${identity} has no bound Ed25519 key to sign with`
        : `the key ${keyId} is not an Ed25519 key bound to ${identity}`,
    );
  }
  const distinct = new Set(chosen.map((k) => k.keyId));
  if (distinct.size > 1) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${identity} has several bound keys: name the one that signs (keyId)`,
      {
        details: { keys: [...distinct] },
      },
    );
  }
  const key = chosen[0]!;
  return { keyId: key.keyId as Digest, publicKey: key.publicKey };
}
