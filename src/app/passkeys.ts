// Passkeys: an admin invites a person (an admin-signed `identity-invite` entry naming the identity, the
// SHA-256 of a one-time secret and an expiry); the person opens the link, their authenticator makes a
// passkey, and the server appends the `identity-key` entry binding it, which reveals the secret so any
// verifier can check it consumed that invite. Approving and rejecting in the browser are passkey
// assertions over the digest of the canonical statement, stored in the event with everything an offline
// verifier needs. Sign-in is a passkey assertion over a random challenge: no password anywhere.
import { passkeyAction } from '../authority/actor.js';
import { assertIdentityId } from '../authority/actor.js';
import { INVITE_KIND, type Invite, type KeyBinding } from '../authority/state.js';
import { AuthorityError, InputError } from '../errors.js';
import { predicateTypeOf, subjectOf, type SealedEntry } from '../ledger/entry.js';
import { createPasskeyApproval } from '../promotion/approval.js';
import { approvalStatementDigest, createApprovalStatement } from '../promotion/draft.js';
import type { ApprovalStatement } from '../promotion/types.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import { encodeBase64Url } from '../webauthn/base64url.js';
import { parseCosePublicKey } from '../webauthn/cose.js';
import { toWebAuthnSignature, verifyRegistration, verifySignIn } from '../webauthn/enrol.js';
import type { PasskeyCredential } from '../webauthn/types.js';
import { challengeOf } from '../webauthn/verify.js';
import { appendAdminAction, loadAuthority } from './authority.js';
import { createSecret, hashSecret } from './tokens.js';
import { rejectionToSign, rejectSigned, submitApproval, type ApproveResult } from './decide.js';
import { decisionFactsOf, openAnyDraft } from './draft-kinds.js';
import type { Home } from './home.js';
import { requirementOfSealedRoute } from './policy.js';
import { identityRef, type Actor } from './promote.js';
import { actionStatement } from '../authority/actor.js';

/** The relying party a server speaks for: the passkey's rpId, its name, the origin browsers report. */
export interface RelyingParty {
  readonly rpId: string;
  readonly rpName: string;
  readonly origin: string;
}

/** Default lifetime of an invitation. */
export const INVITE_HOURS = 72;
/** A binding must land this long before its invite expires (the log stamps the time after the check). */
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

export interface InviteResult {
  readonly entry: SealedEntry;
  /** The one-time secret: it goes only into the link handed to the person. */
  readonly secret: string;
  readonly expires: string;
}

/** `signet users invite ID --as ADMIN`: an admin-signed invitation for `identity` to enrol a passkey. */
export async function inviteUser(
  home: Home,
  identity: string,
  as: Actor,
  options: { hours?: number; now?: number } = {},
): Promise<InviteResult> {
  assertIdentityId(identity);
  const hours = options.hours ?? INVITE_HOURS;
  if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 30) {
    throw new InputError('INVALID_ARGUMENT', '--hours must be a number of hours between 0 and 720');
  }
  const secret = createSecret('invite');
  const expires = new Date((options.now ?? Date.now()) + hours * 3600 * 1000).toISOString();
  const entry = await appendAdminAction(
    home,
    INVITE_KIND,
    identity,
    { identity, secretHash: hashSecret(secret), expires },
    as.identity,
    as.signer,
  );
  return { entry, secret, expires };
}

/** The open invitation for a secret, or a clear refusal (unknown, used or expired). */
export async function findOpenInvite(home: Home, secret: string, now = Date.now()): Promise<Invite> {
  const authority = await loadAuthority(home);
  const invite = authority.openInvite(hashSecret(secret), new Date(now + EXPIRY_MARGIN_MS).toISOString());
  if (!invite) {
    throw new AuthorityError(
      'UNAUTHENTICATED',
      'this invitation is unknown, already used or expired: ask an admin for a new one',
    );
  }
  return invite;
}

/** The passkeys bound to `identity` so far, as credentials (for excludeCredentials / allowCredentials). */
export async function passkeysOf(home: Home, identity: string): Promise<PasskeyCredential[]> {
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  return authority
    .keysOf(identity, { size })
    .filter((k) => k.scheme === 'webauthn')
    .map(credentialOf);
}

/**
 * Completes an enrolment: verifies the registration response against the challenge sent, checks the
 * invite is still open, and appends the identity-key entry binding the passkey (which consumes the
 * invite). The caller must have consumed the challenge once (so one invite cannot race into two
 * bindings through one server); the fold refuses a second binding of an invite in any case.
 */
export async function enrolPasskey(
  home: Home,
  secret: string,
  response: unknown,
  expectedChallenge: string,
  rp: RelyingParty,
): Promise<{ identity: string; entry: SealedEntry; credential: PasskeyCredential }> {
  const invite = await findOpenInvite(home, secret);
  const credential = await verifyRegistration(response, {
    expectedChallenge,
    origin: rp.origin,
    rpId: rp.rpId,
  });
  const authority = await loadAuthority(home);
  if (authority.passkeys().some((k) => k.keyId === credential.keyId)) {
    throw new InputError('INVALID_ARGUMENT', 'this passkey is already enrolled');
  }
  const entry = await home.ledger.append({
    subject: [subjectOf(invite.identity, credential.keyId)],
    predicateType: predicateTypeOf('identity-key'),
    predicate: {
      identity: invite.identity,
      key: {
        scheme: 'webauthn',
        keyId: credential.keyId,
        publicKey: credential.publicKey,
        credentialId: credential.credentialId,
        algorithm: credential.algorithm,
        rpId: rp.rpId,
        origin: rp.origin,
      },
      invite: invite.entry,
      secret,
    },
  });
  return { identity: invite.identity, entry, credential };
}

/** The enrolled passkey with this credential id, if any. */
export async function findPasskey(
  home: Home,
  credentialId: string,
): Promise<{ identity: string; credential: PasskeyCredential; binding: KeyBinding } | undefined> {
  const authority = await loadAuthority(home);
  const binding = authority.passkeys().find((k) => k.credentialId === credentialId);
  return binding ? { identity: binding.identity, credential: credentialOf(binding), binding } : undefined;
}

/** Verifies a sign-in assertion; returns who signed in. */
export async function signInWithPasskey(
  home: Home,
  response: unknown,
  expectedChallenge: string,
  rp: RelyingParty,
): Promise<string> {
  const id = responseId(response);
  const found = await findPasskey(home, id);
  if (!found || found.binding.rpId !== rp.rpId) {
    throw new AuthorityError('UNAUTHENTICATED', 'this passkey is not enrolled here');
  }
  await verifySignIn(response, found.credential, { expectedChallenge, origin: rp.origin, rpId: rp.rpId });
  return found.identity;
}

/** The approval statement `identity` would sign for the draft now, its digest and the passkey challenge. */
export async function approvalToSign(
  home: Home,
  draftId: string,
  identity: string,
): Promise<{ statement: ApprovalStatement; digest: Digest; challenge: string }> {
  const opened = await openAnyDraft(home, draftId);
  const statement = createApprovalStatement(
    'approve',
    decisionFactsOf(opened),
    identity,
    await home.ledger.size(),
  );
  const digest = approvalStatementDigest(statement);
  return { statement, digest, challenge: encodeBase64Url(challengeOf(digest)) };
}

/**
 * Records a passkey approval: the assertion must be by a passkey bound to `identity` (the signed-in
 * person) over the digest of `statement`, and the statement must be about this draft and its current
 * view (submitApproval checks the rest: authority, requester, quorum; STALE_VIEW for an older view).
 */
export async function approveWithPasskey(
  home: Home,
  draftId: string,
  identity: string,
  statement: ApprovalStatement,
  response: unknown,
  rp: RelyingParty,
): Promise<ApproveResult> {
  const found = await findPasskey(home, responseId(response));
  if (!found || found.identity !== identity) {
    throw new AuthorityError('KEY_NOT_BOUND', `this passkey is not bound to ${identity}`);
  }
  if (statement === null || typeof statement !== 'object' || statement.identity !== identity) {
    throw new AuthorityError('NOT_AUTHORISED', `the statement is not one ${identity} may sign`);
  }
  const opened = await openAnyDraft(home, draftId);
  const signature = toWebAuthnSignature(response, found.credential, { rpId: rp.rpId, origin: rp.origin });
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  const requirement = await requirementOfSealedRoute(home, opened.route, opened.subject.name);
  const approval = createPasskeyApproval(statement, signature, identityRef(home, identity), {
    authority,
    modelName: opened.subject.name,
    requester: opened.draft.requester,
    roles: requirement.roles,
    position: { size, time: new Date().toISOString() },
  });
  return submitApproval(home, draftId, approval);
}

/** The rejection statement `identity` would sign for the draft now, and its passkey challenge. */
export async function rejectionStatementToSign(
  home: Home,
  draftId: string,
  identity: string,
  reason: string,
): Promise<{ statement: Record<string, unknown>; digest: Digest; challenge: string }> {
  assertIdentityId(identity);
  const { predicate, ledgerSize } = await rejectionToSign(home, draftId, reason);
  const bytes = actionStatement('rejection', predicate, identity, ledgerSize);
  const digest = digestOfBytes(bytes);
  return {
    statement: JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>,
    digest,
    challenge: encodeBase64Url(challengeOf(digest)),
  };
}

/** Appends a rejection signed by `identity`'s passkey over the statement's digest. */
export async function rejectWithPasskey(
  home: Home,
  draftId: string,
  identity: string,
  reason: string,
  ledgerSize: number,
  response: unknown,
  rp: RelyingParty,
): Promise<SealedEntry> {
  const found = await findPasskey(home, responseId(response));
  if (!found || found.identity !== identity) {
    throw new AuthorityError('KEY_NOT_BOUND', `this passkey is not bound to ${identity}`);
  }
  if (!Number.isSafeInteger(ledgerSize) || ledgerSize < 0) {
    throw new InputError('INVALID_ARGUMENT', 'the statement names no valid ledger size');
  }
  const signature = toWebAuthnSignature(response, found.credential, { rpId: rp.rpId, origin: rp.origin });
  return rejectSigned(home, draftId, reason, {
    identity,
    keyId: found.credential.keyId,
    ledgerSize,
    signed: (predicate) => passkeyAction('rejection', predicate, identity, ledgerSize, signature),
  });
}

function credentialOf(binding: KeyBinding): PasskeyCredential {
  return {
    credentialId: binding.credentialId ?? '',
    publicKey: encodeBase64Url(binding.publicKey),
    keyId: binding.keyId as Digest,
    algorithm: parseCosePublicKey(binding.publicKey, 'the enrolled passkey').algorithm,
  };
}

function responseId(response: unknown): string {
  if (
    response === null ||
    typeof response !== 'object' ||
    typeof (response as { id?: unknown }).id !== 'string'
  ) {
    throw new InputError('INVALID_JSON', 'the passkey response has no credential id');
  }
  return (response as { id: string }).id;
}
