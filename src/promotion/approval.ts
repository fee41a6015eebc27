// Approvals: an approver signs the canonical approval statement with their key. An approval counts only
// if the signature verifies, the key was bound to the approver at the ledger size they signed at, they
// held a role the route accepts (the approver role before any policy; the on-call role of the low path;
// a committee role of the material path) for the model there and still where the promotion is sealed,
// the statement is about this very draft and view, and they are not the requester. The approval's role
// is the role that authorised it. Pure: the authority state is given.
import type { AuthorityState } from '../authority/state.js';
import { AuthorityError, VerificationError } from '../errors.js';
import type { Signer } from '../signing/keys.js';
import {
  approvalStatementDigest,
  assertStatementMatches,
  serializeApprovalStatement,
  signEd25519,
  verifyEd25519,
  type DecisionFacts,
} from './draft.js';
import { isRecord } from '../ledger/entry.js';
import type { WebAuthnSignature } from '../webauthn/types.js';
import { challengeOf, verifyWebAuthnSignature } from '../webauthn/verify.js';
import type { Approval, ApprovalStatement, Ed25519Signature, IdentityRef } from './types.js';

export interface ApprovalContext {
  readonly authority: AuthorityState;
  readonly modelName: string;
  readonly requester: string;
  /** The roles the route accepts (its requirement's roles); an approval is authorised by one of them. */
  readonly roles: readonly string[];
  /** Where the decision is recorded (the promotion entry's index, or the current size before sealing). */
  readonly position: { readonly size: number; readonly time?: string };
}

/**
 * Signs `statement` and returns the approval as it will be sealed, after checking the signer may approve:
 * its role is the first of the route's roles the signer holds.
 */
export function createApproval(
  statement: ApprovalStatement,
  signer: Signer,
  identity: IdentityRef,
  context: ApprovalContext,
): Approval {
  const { key, grant } = authorise(statement, signer.keyId, context, context.roles);
  return {
    identity,
    roles: [grant.role],
    grant: grant.entry,
    key: key.entry,
    statement: approvalStatementDigest(statement),
    statementBody: statement,
    signature: signEd25519(serializeApprovalStatement(statement), signer),
  };
}

/** Verifies a sealed or submitted approval (attacker-controlled) against the decision it claims. */
export function verifyApproval(approval: Approval, facts: DecisionFacts, context: ApprovalContext): void {
  const statement = approval.statementBody;
  if (approvalStatementDigest(statement) !== approval.statement) {
    throw new VerificationError('BAD_SIGNATURE', 'the approval statement does not hash to its digest');
  }
  assertStatementMatches(statement, facts, 'approve');
  if (approval.identity.subject !== statement.identity) {
    throw new VerificationError('BAD_SIGNATURE', 'the approval names another identity than its statement');
  }
  const scheme = verifyApprovalSignature(approval, statement);
  // The signature covers the statement only: every claim beside it must be what the log says. The role
  // claimed must be one the route accepts, and the log must show the approver holding it.
  assertNotRequester(statement, context);
  const claimed: unknown = Array.isArray(approval.roles) ? approval.roles[0] : undefined;
  if (typeof claimed === 'string' && !context.roles.includes(claimed)) {
    throw new AuthorityError(
      'NOT_AUTHORISED',
      `the approval of ${statement.identity} is in the role ${claimed}, which this route does not accept (it accepts ${context.roles.join(', ')})`,
    );
  }
  const { key, grant } = authorise(
    statement,
    approval.signature.keyId,
    context,
    typeof claimed === 'string' ? [claimed] : context.roles,
  );
  if (key.scheme !== scheme) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `the approval of ${statement.identity} is a ${scheme} signature, but the key ${key.keyId} was bound as ${key.scheme}`,
    );
  }
  if (scheme === 'webauthn' && key.rpId !== (approval.signature as WebAuthnSignature).rpId) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `the passkey approval of ${statement.identity} was made for ${(approval.signature as WebAuthnSignature).rpId}, but the passkey was enrolled for ${String(key.rpId)}`,
    );
  }
  const claims: string[] = [];
  if (approval.grant !== grant.entry)
    claims.push(`grant ${String(approval.grant)} (the log's is ${grant.entry})`);
  if (approval.key !== key.entry)
    claims.push(`key entry ${String(approval.key)} (the log's is ${key.entry})`);
  if (!Array.isArray(approval.roles) || approval.roles.length !== 1 || approval.roles[0] !== grant.role) {
    claims.push(`roles ${JSON.stringify(approval.roles)} (the log's are ["${grant.role}"])`);
  }
  if (approval.identity.issuer !== context.authority.issuer) {
    claims.push(
      `issuer ${JSON.stringify(approval.identity.issuer)} (the log's is ${JSON.stringify(context.authority.issuer)})`,
    );
  }
  if (approval.identity.name !== undefined) claims.push('a display name the log did not bind');
  if (claims.length > 0) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `the approval of ${statement.identity} claims ${claims.join('; ')}`,
    );
  }
}

/**
 * Checks the approval's signature over its statement: Ed25519 over the canonical statement bytes, or a
 * passkey (WebAuthn) assertion whose challenge is the statement's digest. Returns the scheme.
 */
function verifyApprovalSignature(approval: Approval, statement: ApprovalStatement): 'ed25519' | 'webauthn' {
  const what = `the approval of ${statement.identity}`;
  const signature: unknown = approval.signature;
  if (isRecord(signature) && signature['scheme'] === 'webauthn') {
    verifyWebAuthnSignature(signature, challengeOf(approval.statement), `${what} (passkey)`);
    return 'webauthn';
  }
  verifyEd25519(approval.signature as Ed25519Signature, serializeApprovalStatement(statement), what);
  return 'ed25519';
}

/**
 * The approval as it will be sealed, from a passkey assertion over the statement's digest, after checking
 * the signature and that the signer may approve (as `createApproval` does for an Ed25519 key).
 */
export function createPasskeyApproval(
  statement: ApprovalStatement,
  signature: WebAuthnSignature,
  identity: IdentityRef,
  context: ApprovalContext,
): Approval {
  const digest = approvalStatementDigest(statement);
  verifyWebAuthnSignature(signature, challengeOf(digest), `the approval of ${statement.identity} (passkey)`);
  const { key, grant } = authorise(statement, signature.keyId, context, context.roles);
  if (key.scheme !== 'webauthn' || key.rpId !== signature.rpId) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `the passkey ${signature.keyId} is not a passkey enrolled for ${signature.rpId}`,
    );
  }
  return {
    identity,
    roles: [grant.role],
    grant: grant.entry,
    key: key.entry,
    statement: digest,
    statementBody: statement,
    signature,
  };
}

function authorise(
  statement: ApprovalStatement,
  keyId: string,
  context: ApprovalContext,
  roles: readonly string[],
) {
  assertNotRequester(statement, context);
  return context.authority.authoriseAny(
    { identity: statement.identity, keyId, ledgerSize: statement.ledgerSize },
    roles,
    context.modelName,
    context.position,
  );
}

function assertNotRequester(statement: ApprovalStatement, context: ApprovalContext): void {
  if (statement.identity === context.requester) {
    throw new AuthorityError(
      'SELF_APPROVAL',
      `${statement.identity} requested this promotion and cannot approve it`,
    );
  }
}
