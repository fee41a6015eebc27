// Passkey ceremonies over HTTP. Enrolment from an admin's invite link and sign-in live under /auth (no
// session yet); approving and rejecting with a passkey live under /v1/drafts (a session is needed, and
// the signed-in person is the one who signs). Challenges are single-use rows of the auth store, found by
// the challenge the authenticator signed (in clientDataJSON), consumed once for their purpose.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

import {
  approveWithPasskey,
  enrolPasskey,
  findOpenInvite,
  passkeysOf,
  rejectionStatementToSign,
  rejectWithPasskey,
  signInWithPasskey,
  type RelyingParty,
} from '../../app/passkeys.js';
import { hashSecret, isSecretOf, startSession } from '../../app/tokens.js';
import { AuthorityError, InputError } from '../../errors.js';
import { isRecord } from '../../ledger/entry.js';
import type { ApprovalStatement } from '../../promotion/types.js';
import { parseJson } from '../../signing/canonical-json.js';
import { authenticationOptions, registrationOptions } from '../../webauthn/enrol.js';
import { decodeBase64UrlStrict } from '../../webauthn/base64url.js';
import { callerOf, SESSION_COOKIE, type AppEnv } from '../auth.js';
import type { ServerConfig } from '../config.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { approveResultView } from './drafts.js';
import { draftIdParam, readJsonBody } from '../http.js';

/** How long a ceremony's challenge is good for. */
const CHALLENGE_MS = 5 * 60 * 1000;
/** How long a session lasts. */
export const SESSION_HOURS = 8;

export function relyingPartyOf(config: ServerConfig): RelyingParty {
  return { rpId: new URL(config.origin).hostname, rpName: 'Signet', origin: config.origin };
}

export function registerPasskeyRoutes(app: ApiApp, deps: RouteDeps): void {
  const { home, config } = deps;
  const rp = relyingPartyOf(config);

  const newChallenge = async (purpose: string, challenge: string, identity?: string): Promise<void> => {
    const now = Date.now();
    await home.auth.createChallenge({
      id: challenge,
      purpose,
      challenge,
      ...(identity !== undefined ? { identity } : {}),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + CHALLENGE_MS).toISOString(),
    });
  };
  const consume = async (purpose: string, response: unknown): Promise<string> => {
    const challenge = challengeOfResponse(response);
    const row = await home.auth.consumeChallenge(challenge, purpose, new Date().toISOString());
    if (!row) {
      throw new AuthorityError(
        'UNAUTHENTICATED',
        'this passkey answer is for a challenge that is unknown, used or expired: start again',
      );
    }
    return row.challenge;
  };
  const signIn = async (c: Context<AppEnv>, identity: string): Promise<void> => {
    const secret = await startSession(home, identity, SESSION_HOURS * 3600 * 1000);
    setCookie(c, SESSION_COOKIE, secret, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: config.origin.startsWith('https:'),
      path: '/',
      maxAge: SESSION_HOURS * 3600,
    });
  };

  app.post('/auth/enrol/options', async (c) => {
    assertOrigin(c, config);
    const invite = await findOpenInvite(home, inviteOf(await readJsonBody(c, config.maxJsonBytes)));
    const existing = await passkeysOf(home, invite.identity);
    const options = await registrationOptions({
      rpId: rp.rpId,
      rpName: rp.rpName,
      userId: invite.identity,
      excludeCredentials: existing.map((k) => ({ credentialId: k.credentialId })),
    });
    await newChallenge('enrol', options.challenge, invite.identity);
    return c.json({ options: options.options, identity: invite.identity, expires: invite.expires });
  });

  app.post('/auth/enrol/verify', async (c) => {
    assertOrigin(c, config);
    const body = await readJsonBody(c, config.maxJsonBytes);
    const secret = inviteOf(body);
    const response = isRecord(body) ? body['response'] : undefined;
    const invite = await findOpenInvite(home, secret);
    const challenge = await consume('enrol', response);
    // One invite, one binding, even when two browsers race with it through this server.
    const now = new Date().toISOString();
    if (!(await home.auth.findInviteByHash(hashSecret(secret)))) {
      await home.auth.createInvite({
        id: invite.entry,
        tokenHash: hashSecret(secret),
        identity: invite.identity,
        createdBy: invite.invitedBy,
        createdAt: now,
        expiresAt: invite.expires,
      });
    }
    if (!(await home.auth.consumeInvite(invite.entry, now))) {
      throw new AuthorityError('UNAUTHENTICATED', 'this invitation was used already');
    }
    const enrolled = await enrolPasskey(home, secret, response, challenge, rp);
    await signIn(c, enrolled.identity);
    return c.json(
      { identity: enrolled.identity, entry: enrolled.entry.id, keyId: enrolled.credential.keyId },
      201,
    );
  });

  app.post('/auth/signin/options', async (c) => {
    assertOrigin(c, config);
    const options = await authenticationOptions({ rpId: rp.rpId });
    await newChallenge('signin', options.challenge);
    return c.json({ options: options.options });
  });

  app.post('/auth/signin/verify', async (c) => {
    assertOrigin(c, config);
    const body = await readJsonBody(c, config.maxJsonBytes);
    const response = isRecord(body) ? body['response'] : undefined;
    const challenge = await consume('signin', response);
    const identity = await signInWithPasskey(home, response, challenge, rp);
    await signIn(c, identity);
    return c.json({ identity });
  });

  app.post('/auth/signout', async (c) => {
    assertOrigin(c, config);
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie !== undefined && isSecretOf('session', cookie)) {
      await home.auth.revokeSession(hashSecret(cookie), new Date().toISOString());
    }
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ signedOut: true });
  });

  // The signed-in person's passkeys, so the browser offers one of theirs.
  app.post('/auth/credentials', async (c) => {
    assertOrigin(c, config);
    const identity = await sessionIdentity(c, deps);
    const passkeys = await passkeysOf(home, identity);
    return c.json({ allowCredentials: passkeys.map((k) => ({ id: k.credentialId, type: 'public-key' })) });
  });

  app.post('/v1/drafts/:id/passkey-approvals', async (c) => {
    const caller = callerOf(c);
    const body = await readJsonBody(c, config.maxJsonBytes);
    if (!isRecord(body) || !isRecord(body['statement']) || !isRecord(body['response'])) {
      throw new InputError('INVALID_JSON', 'the body must be { statement, response }');
    }
    const result = await approveWithPasskey(
      home,
      draftIdParam(c),
      caller.identity,
      body['statement'] as unknown as ApprovalStatement,
      body['response'],
      rp,
    );
    return c.json(approveResultView(result), 201);
  });

  app.post('/v1/drafts/:id/rejection-statement', async (c) => {
    const caller = callerOf(c);
    const body = await readJsonBody(c, config.maxJsonBytes);
    const reason = isRecord(body) && typeof body['reason'] === 'string' ? body['reason'] : '';
    return c.json(await rejectionStatementToSign(home, draftIdParam(c), caller.identity, reason));
  });

  app.post('/v1/drafts/:id/passkey-rejections', async (c) => {
    const caller = callerOf(c);
    const body = await readJsonBody(c, config.maxJsonBytes);
    const statement = isRecord(body) ? body['statement'] : undefined;
    const predicate = isRecord(statement) ? statement['predicate'] : undefined;
    if (
      !isRecord(statement) ||
      !isRecord(predicate) ||
      typeof predicate['reason'] !== 'string' ||
      typeof statement['ledgerSize'] !== 'number' ||
      statement['identity'] !== caller.identity
    ) {
      throw new InputError(
        'INVALID_JSON',
        "the body must be { statement, response } with the caller's rejection statement",
      );
    }
    const entry = await rejectWithPasskey(
      home,
      draftIdParam(c),
      caller.identity,
      predicate['reason'],
      statement['ledgerSize'],
      isRecord(body) ? body['response'] : undefined,
      rp,
    );
    return c.json({ rejected: true, entry: entry.id, index: entry.index }, 201);
  });
}

/** The identity of the browser session on a non-/v1 route (the /v1 middleware does this for the API). */
async function sessionIdentity(c: Context<AppEnv>, deps: RouteDeps): Promise<string> {
  const { findLiveSession } = await import('../../app/tokens.js');
  const cookie = getCookie(c, SESSION_COOKIE);
  const session = cookie === undefined ? undefined : await findLiveSession(deps.home, cookie);
  if (!session) throw new AuthorityError('UNAUTHENTICATED', 'sign in first');
  return session.identity;
}

/** Ceremonies are started and finished only from the server's own pages. */
function assertOrigin(c: Context, config: ServerConfig): void {
  if (c.req.header('origin') !== config.origin) {
    throw new AuthorityError('NOT_AUTHORISED', `passkey ceremonies must come from ${config.origin}`);
  }
}

function inviteOf(body: unknown): string {
  const invite = isRecord(body) ? body['invite'] : undefined;
  if (typeof invite !== 'string' || !isSecretOf('invite', invite)) {
    throw new AuthorityError(
      'UNAUTHENTICATED',
      'the invitation link is incomplete: open it again from the message',
    );
  }
  return invite;
}

/** The challenge the authenticator answered, read from the response's clientDataJSON. */
function challengeOfResponse(response: unknown): string {
  const data =
    isRecord(response) && isRecord(response['response']) ? response['response']['clientDataJSON'] : undefined;
  const bytes = typeof data === 'string' ? decodeBase64UrlStrict(data) : undefined;
  const parsed: unknown = bytes ? parseJson(bytes, 'clientDataJSON') : undefined;
  const challenge = isRecord(parsed) ? parsed['challenge'] : undefined;
  if (typeof challenge !== 'string' || challenge.length === 0 || challenge.length > 128) {
    throw new InputError('INVALID_JSON', 'the passkey response carries no challenge');
  }
  return challenge;
}
