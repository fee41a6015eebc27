// The passkey routes of the HTTP API in process, with a software authenticator (keys made in the test):
// enrolment from an invite (/auth/enrol/*), sign-in (/auth/signin/*), and approving and rejecting with a
// passkey under /v1 — each route's errors: another origin, no or a used invite, a replayed challenge, no
// session, a malformed body, an unknown draft, another person's passkey, a closed draft. Every /v1
// response is checked against the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { inviteUser } from '../src/app/passkeys.js';
import { grantRole } from '../src/app/authority.js';
import { createApp } from '../src/server/app.js';
import { createServerConfig } from '../src/server/config.js';
import { decodeBase64UrlStrict } from '../src/webauthn/base64url.js';
import { createApiClient, codeOf, type ApiCall } from './helpers/api.js';
import { createApiFixture, type ApiFixture } from './helpers/api-fixture.js';
import { createSoftAuthenticator, type SoftAuthenticator } from './helpers/soft-authenticator.js';

const ORIGIN = 'http://localhost:8080';
let fixture: ApiFixture;
let app: ReturnType<typeof createApp>;
let call: ApiCall;

/** A request to a non-/v1 route (not in the OpenAPI document), as the browser sends it. */
async function auth(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; cookie?: string }> {
  const res = await app.request(
    new Request(ORIGIN + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: ORIGIN, ...headers },
      body: JSON.stringify(body),
    }),
  );
  const cookie = /signet_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    ...(cookie ? { cookie } : {}),
  };
}

/** Enrols a new authenticator for `identity`; returns it and the session cookie. */
async function enrol(identity: string): Promise<{ authenticator: SoftAuthenticator; cookie: string }> {
  const { secret } = await inviteUser(fixture.home, identity, fixture.people.admin);
  const authenticator = createSoftAuthenticator({ rpId: 'localhost', origin: ORIGIN, algorithm: 'ES256' });
  const options = await auth('/auth/enrol/options', { invite: secret });
  expect(options.status).toBe(200);
  const verified = await auth('/auth/enrol/verify', {
    invite: secret,
    response: authenticator.register(options.body['options'] as never),
  });
  expect(verified.status, JSON.stringify(verified.body)).toBe(201);
  return { authenticator, cookie: verified.cookie! };
}

const session = (cookie: string) => ({ Cookie: `signet_session=${cookie}`, Origin: ORIGIN });

let dave: { authenticator: SoftAuthenticator; cookie: string };
let erin: { authenticator: SoftAuthenticator; cookie: string };

beforeAll(async () => {
  fixture = await createApiFixture();
  app = createApp({
    home: fixture.home,
    config: createServerConfig({ host: 'localhost', port: 8080 }, { log: () => undefined }),
  });
  call = createApiClient(app, { origin: ORIGIN });
  dave = await enrol('dave');
  erin = await enrol('erin');
  await grantRole(fixture.home, { identity: 'dave', role: 'approver' }, fixture.people.admin);
  await grantRole(fixture.home, { identity: 'erin', role: 'approver' }, fixture.people.admin);
});

afterAll(async () => {
  await fixture.cleanup();
});

describe('/auth: enrolment and sign-in', () => {
  it('refuses another origin, a missing or unknown invite, a used invite, and an answer to another challenge', async () => {
    const { secret } = await inviteUser(fixture.home, 'frank', fixture.people.admin);
    expect(
      (await auth('/auth/enrol/options', { invite: secret }, { Origin: 'https://evil.example' })).status,
    ).toBe(403);
    expect((await auth('/auth/enrol/options', {})).status).toBe(401);
    expect((await auth('/auth/enrol/options', { invite: 'sgi_' + 'A'.repeat(43) })).status).toBe(401);
    const authenticator = createSoftAuthenticator({
      rpId: 'localhost',
      origin: ORIGIN,
      algorithm: 'Ed25519',
    });
    const first = await auth('/auth/enrol/options', { invite: secret });
    const second = await auth('/auth/enrol/options', { invite: secret });
    // Answering the first challenge twice: the second answer finds it used.
    const response = authenticator.register(first.body['options'] as never);
    const size = await fixture.home.ledger.size();
    expect((await auth('/auth/enrol/verify', { invite: secret, response })).status).toBe(201);
    expect(await fixture.home.ledger.size()).toBe(size + 1);
    const again = authenticator.register(second.body['options'] as never);
    const used = await auth('/auth/enrol/verify', { invite: secret, response: again });
    expect(used.status).toBe(401);
    expect(await fixture.home.ledger.size()).toBe(size + 1);
  });

  it('signs in with an enrolled passkey once per challenge; an unknown passkey is refused', async () => {
    const options = await auth('/auth/signin/options', {});
    const response = dave.authenticator.assert(options.body['options'] as never);
    const signedIn = await auth('/auth/signin/verify', { response });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body['identity']).toBe('dave');
    expect(signedIn.cookie).toMatch(/^sgs_/);
    expect((await auth('/auth/signin/verify', { response })).status).toBe(401);
    const stranger = createSoftAuthenticator({ rpId: 'localhost', origin: ORIGIN, algorithm: 'ES256' });
    const fresh = await auth('/auth/signin/options', {});
    expect(
      (await auth('/auth/signin/verify', { response: stranger.assert(fresh.body['options'] as never) }))
        .status,
    ).toBe(401);
    const whoami = await call('GET', '/v1/whoami', { headers: session(signedIn.cookie!) });
    expect(whoami.status).toBe(200);
  });
});

describe('/v1 passkey decisions', () => {
  it("approve: no session 401, malformed body 400, unknown draft 404, another person's passkey 403, then sealed 201, then closed 409", async () => {
    const draft = await fixture.propose();
    const statementOf = async (cookie: string) =>
      (await call('GET', `/v1/drafts/${draft}/approval-statement`, { headers: session(cookie) })).body as {
        statement: Record<string, unknown>;
        challenge: string;
      };
    const { statement, challenge } = await statementOf(dave.cookie);
    // Prepared before the draft is sealed, posted after: the draft is closed by then.
    const late = await statementOf(erin.cookie);
    const response = dave.authenticator.assert(decodeBase64UrlStrict(challenge)!);
    expect(
      (await call('POST', `/v1/drafts/${draft}/passkey-approvals`, { json: { statement, response } })).status,
    ).toBe(401);
    const malformed = await call('POST', `/v1/drafts/${draft}/passkey-approvals`, {
      json: { statement },
      headers: session(dave.cookie),
    });
    expect(malformed.status).toBe(400);
    const unknown = await call('POST', '/v1/drafts/draft-0000000000000000/passkey-approvals', {
      json: { statement, response },
      headers: session(dave.cookie),
    });
    expect(unknown.status).toBe(404);
    // erin's passkey answering a statement made for dave, posted in dave's session
    const byErin = erin.authenticator.assert(decodeBase64UrlStrict(challenge)!);
    const wrong = await call('POST', `/v1/drafts/${draft}/passkey-approvals`, {
      json: { statement, response: byErin },
      headers: session(dave.cookie),
    });
    expect(wrong.status).toBe(403);
    expect(codeOf(wrong)).toBe('KEY_NOT_BOUND');
    const ok = await call('POST', `/v1/drafts/${draft}/passkey-approvals`, {
      json: { statement, response },
      headers: session(dave.cookie),
    });
    expect(ok.status, ok.text).toBe(201);
    expect((ok.body as { sealed?: unknown }).sealed).toBeDefined();
    const afterSeal = await call('GET', `/v1/drafts/${draft}/approval-statement`, {
      headers: session(erin.cookie),
    });
    expect(afterSeal.status).toBe(409);
    const closed = await call('POST', `/v1/drafts/${draft}/passkey-approvals`, {
      json: {
        statement: late.statement,
        response: erin.authenticator.assert(decodeBase64UrlStrict(late.challenge)!),
      },
      headers: session(erin.cookie),
    });
    expect(closed.status).toBe(409);
    expect(codeOf(closed)).toBe('DRAFT_CLOSED');
  });

  it('reject: an empty reason 400, a statement of someone else 400, another reason 422, then rejected 201', async () => {
    const draft = await fixture.propose();
    const empty = await call('POST', `/v1/drafts/${draft}/rejection-statement`, {
      json: { reason: '   ' },
      headers: session(erin.cookie),
    });
    expect(empty.status).toBe(400);
    const prepared = (
      await call('POST', `/v1/drafts/${draft}/rejection-statement`, {
        json: { reason: 'wrong quarter' },
        headers: session(erin.cookie),
      })
    ).body as { statement: Record<string, unknown>; challenge: string };
    const response = erin.authenticator.assert(decodeBase64UrlStrict(prepared.challenge)!);
    const foreign = await call('POST', `/v1/drafts/${draft}/passkey-rejections`, {
      json: { statement: { ...prepared.statement, identity: 'dave' }, response },
      headers: session(erin.cookie),
    });
    expect(foreign.status).toBe(400);
    const otherReason = await call('POST', `/v1/drafts/${draft}/passkey-rejections`, {
      json: {
        statement: {
          ...prepared.statement,
          predicate: { ...(prepared.statement['predicate'] as object), reason: 'another reason' },
        },
        response,
      },
      headers: session(erin.cookie),
    });
    expect(otherReason.status).toBe(422);
    expect(codeOf(otherReason)).toBe('BAD_SIGNATURE');
    const ok = await call('POST', `/v1/drafts/${draft}/passkey-rejections`, {
      json: { statement: prepared.statement, response },
      headers: session(erin.cookie),
    });
    expect(ok.status, ok.text).toBe(201);
    expect((await fixture.home.drafts.getDraft(draft))?.status).toBe('rejected');
  });
});
