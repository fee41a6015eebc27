// The passkey script in Chromium, against the pages as rendered and Signet's own WebAuthn server side:
// a virtual authenticator (Chrome DevTools Protocol) enrols a passkey, signs in, approves and rejects,
// and every response the script posts is checked with src/webauthn — the approval's signature with the
// offline verifier, over the challenge derived from the statement digest. Every page is served under the
// production Content-Security-Policy; any violation fails the test. Needs Debian's chromium
// (test/helpers/browser.ts): without it the test fails saying what to install.
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { addVirtualAuthenticator, launchBrowser, newPage } from '../../../test/helpers/browser.js';
import { approvalStatementDigest, createApprovalStatement } from '../../promotion/draft.js';
import type { ApprovalStatement } from '../../promotion/types.js';
import { digestOfBytes, type Digest } from '../../signing/digest.js';
import { encodeBase64Url } from '../../webauthn/base64url.js';
import {
  authenticationOptions,
  registrationOptions,
  toWebAuthnSignature,
  verifyRegistration,
  verifySignIn,
} from '../../webauthn/enrol.js';
import type { PasskeyCredential } from '../../webauthn/types.js';
import { challengeOf, verifyWebAuthnSignature } from '../../webauthn/verify.js';
import { renderEnrolPage } from './enrol.js';
import { SIGNET_CSS } from './layout.js';
import { PASSKEY_CLIENT_JS } from './passkey-client.js';
import { renderReviewPage, type ReviewDraft } from './review.js';
import { renderSignInPage } from './sign-in.js';

const ORIGIN = 'http://localhost';
const RP_ID = 'localhost';
const IDENTITY = 'bob@bank.example';
const INVITE = 'invite-token-1';
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
// What /views/{digest} needs: the stored document's inline CSS and data: images, framed by our pages
// only, and sandboxed even when opened on its own.
const VIEW_CSP =
  "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";
const VIEW_BYTES = new TextEncoder().encode(
  '<!doctype html><html><head><meta charset="utf-8"><style>h1{color:#333}</style></head><body><h1>The stored review document</h1></body></html>',
);
const VIEW = digestOfBytes(VIEW_BYTES);
const d = (name: string): Digest => digestOfBytes(new TextEncoder().encode(name));

interface Reply {
  readonly status?: number;
  readonly type?: string;
  readonly csp?: string;
  readonly body: string | Uint8Array;
}
type Handler = (body: unknown, url: URL) => Promise<Reply> | Reply;

const json = (value: unknown, status = 200): Reply => ({
  status,
  type: 'application/json',
  body: JSON.stringify(value),
});
const html = (text: string): Reply => ({ type: 'text/html; charset=utf-8', csp: PAGE_CSP, body: text });

/** A fake Signet server: the pages, the assets, and the ceremony endpoints the script calls. */
class FakeServer {
  credential: PasskeyCredential | undefined;
  challenge = '';
  /** The statement the next approval-statement request answers with (tests make it lie). */
  statementView: Digest = VIEW;
  approvalError: { status: number; code: string; message: string } | undefined;
  readonly received: { path: string; body: unknown; contentType: string | undefined }[] = [];
  readonly signed: { decision: string; keyId: string }[] = [];
  readonly draft: ReviewDraft = {
    id: 'draft-1',
    status: 'open',
    view: VIEW,
    requester: 'alice@bank.example',
    model: 'credit-scorecard',
    context: 'retail-credit/uk',
    route: 'material',
    tier: 'high',
    requirement: '2 approvals by distinct holders of model-risk',
    approvals: [],
  };

  statement(decision: 'approve' | 'reject'): ApprovalStatement {
    const facts = {
      draft: this.draft.id,
      view: this.statementView,
      model: d('model'),
      request: d('request'),
      context: this.draft.context,
    };
    return createApprovalStatement(decision, facts, IDENTITY, 42);
  }

  readonly routes: Readonly<Record<string, Handler>> = {
    'GET /assets/signet.css': () => ({ type: 'text/css', body: SIGNET_CSS }),
    'GET /assets/passkey.js': () => ({ type: 'text/javascript', body: PASSKEY_CLIENT_JS }),
    'GET /': () => html('<!doctype html><title>home</title><p>home</p>'),
    'GET /inbox': () => html('<!doctype html><title>inbox</title><p>inbox</p>'),
    [`GET /views/${encodeURIComponent(VIEW)}`]: () => ({
      type: 'text/html; charset=utf-8',
      csp: VIEW_CSP,
      body: VIEW_BYTES,
    }),
    'GET /enrol': () =>
      html(renderEnrolPage({ identity: IDENTITY, expiresAt: '2026-11-03T09:00:00Z', invite: INVITE })),
    'GET /signin': () => html(renderSignInPage()),
    'GET /drafts/draft-1': () =>
      html(renderReviewPage({ identity: IDENTITY, rpId: RP_ID, draft: this.draft })),
    'POST /auth/enrol/options': async (body) => {
      expect(body).toEqual({ invite: INVITE });
      const { options, challenge } = await registrationOptions({
        rpId: RP_ID,
        rpName: 'Signet',
        userId: IDENTITY,
      });
      this.challenge = challenge;
      return json(options);
    },
    'POST /auth/enrol/verify': async (body) => {
      const { invite, response } = body as { invite: string; response: unknown };
      expect(invite).toBe(INVITE);
      this.credential = await verifyRegistration(response, {
        expectedChallenge: this.challenge,
        origin: ORIGIN,
        rpId: RP_ID,
      });
      return json({ ok: true });
    },
    'POST /auth/signin/options': async () => {
      const { options, challenge } = await authenticationOptions({ rpId: RP_ID });
      this.challenge = challenge;
      return json(options);
    },
    'POST /auth/signin/verify': async (body) => {
      const { response } = body as { response: unknown };
      await verifySignIn(response, this.credential!, {
        expectedChallenge: this.challenge,
        origin: ORIGIN,
        rpId: RP_ID,
      });
      return json({ ok: true });
    },
    'POST /auth/credentials': () =>
      json({
        allowCredentials: [
          {
            type: 'public-key',
            id: this.credential!.credentialId,
            transports: this.credential!.transports ?? [],
          },
        ],
      }),
    'GET /v1/drafts/draft-1/approval-statement': () => {
      const statement = this.statement('approve');
      return json({ statement, challenge: encodeBase64Url(challengeOf(approvalStatementDigest(statement))) });
    },
    'POST /v1/drafts/draft-1/rejection-statement': (body) => {
      expect(body).toEqual({ reason: 'KS below the floor <b>' });
      const statement = this.statement('reject');
      return json({ statement, challenge: encodeBase64Url(challengeOf(approvalStatementDigest(statement))) });
    },
    'POST /v1/drafts/draft-1/passkey-approvals': (body) => this.verifyDecision(body, 'approve'),
    'POST /v1/drafts/draft-1/passkey-rejections': (body) => this.verifyDecision(body, 'reject'),
  };

  verifyDecision(body: unknown, decision: 'approve' | 'reject'): Reply {
    if (this.approvalError !== undefined) {
      const { status, code, message } = this.approvalError;
      return json({ error: { code, message } }, status);
    }
    const { statement, response } = body as { statement: ApprovalStatement; response: unknown };
    expect(statement.decision).toBe(decision);
    const record = toWebAuthnSignature(response, this.credential!, { rpId: RP_ID, origin: ORIGIN });
    // The offline verifier's check: the passkey signed the statement's digest, nothing else.
    const { keyId } = verifyWebAuthnSignature(
      record,
      challengeOf(approvalStatementDigest(statement)),
      'the approval',
      {
        rpId: RP_ID,
        origins: [ORIGIN],
      },
    );
    this.signed.push({ decision, keyId });
    return json({ ok: true });
  }

  async handle(route: Route): Promise<void> {
    const request = route.request();
    const url = new URL(request.url());
    const key = `${request.method()} ${url.pathname}`;
    const raw = request.postData();
    const body: unknown = raw === null ? undefined : JSON.parse(raw);
    if (url.pathname.startsWith('/auth/') || url.pathname.startsWith('/v1/')) {
      this.received.push({ path: key, body, contentType: request.headers()['content-type'] });
    }
    const handler = this.routes[key];
    const reply =
      handler === undefined
        ? json({ error: { code: 'NOT_FOUND', message: key } }, 404)
        : await handler(body, url);
    await route.fulfill({
      status: reply.status ?? 200,
      headers: {
        'content-type': reply.type ?? 'text/plain',
        ...(reply.csp === undefined ? {} : { 'content-security-policy': reply.csp }),
      },
      body: typeof reply.body === 'string' ? reply.body : Buffer.from(reply.body),
    });
  }
}

describe('the passkey script in Chromium', () => {
  let browser: Browser;
  let page: Page;
  const server = new FakeServer();
  const violations: string[] = [];
  const status = (): Promise<string> => page.locator('#signet-status').innerText();

  beforeAll(async () => {
    browser = await launchBrowser();
    ({ page } = await newPage(browser));
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
    await page.route('**/*', (route) => server.handle(route));
    await addVirtualAuthenticator(page);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('enrols a passkey from the invitation page, then lands on /', async () => {
    await page.goto(`${ORIGIN}/enrol`);
    const button = page.getByRole('button', { name: 'Create a passkey' });
    await expect.poll(() => button.isEnabled()).toBe(true);
    await Promise.all([page.waitForURL(`${ORIGIN}/`), button.click()]);
    expect(server.credential?.keyId).toMatch(/^sha256:/);
    const verify = server.received.find((r) => r.path === 'POST /auth/enrol/verify');
    expect(verify?.contentType).toBe('application/json');
    const response = (verify?.body as { response: { response: Record<string, unknown> } }).response;
    expect(Object.keys(response.response)).toEqual(
      expect.arrayContaining(['clientDataJSON', 'attestationObject', 'authenticatorData', 'transports']),
    );
    expect(violations).toEqual([]);
  });

  it('signs in and follows a same-origin next, never another site', async () => {
    await page.goto(`${ORIGIN}/signin?next=${encodeURIComponent('/drafts/draft-1')}`);
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await expect.poll(() => button.isEnabled()).toBe(true);
    await Promise.all([page.waitForURL(`${ORIGIN}/drafts/draft-1`), button.click()]);

    await page.goto(`${ORIGIN}/signin?next=${encodeURIComponent('/.//evil.example/x')}`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL((url) => url.pathname !== '/signin');
    expect(new URL(page.url()).origin).toBe(ORIGIN);

    await page.goto(`${ORIGIN}/signin?next=${encodeURIComponent('https://evil.example/')}`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${ORIGIN}/inbox`);
    expect(violations).toEqual([]);
  });

  it('shows the stored document in the sandboxed frame under the CSP', async () => {
    await page.goto(`${ORIGIN}/drafts/draft-1`);
    const frame = page.frameLocator('iframe[title="Review document"]');
    await expect.poll(() => frame.locator('h1').innerText()).toBe('The stored review document');
    // Its own inline style applies inside the sandbox.
    const color = await frame.locator('h1').evaluate((h1) => {
      // The browser's global, which this Node project's lib does not declare.
      const view = h1.ownerDocument.defaultView as unknown as {
        getComputedStyle(e: unknown): { color: string };
      };
      return view.getComputedStyle(h1).color;
    });
    expect(color).toBe('rgb(51, 51, 51)');
    expect(await page.locator('#view-digest').innerText()).toBe(VIEW);
    expect(violations).toEqual([]);
  });

  it('refuses to sign a statement about another view, and signs nothing', async () => {
    server.statementView = d('another view');
    await page.goto(`${ORIGIN}/drafts/draft-1`);
    const approve = page.getByRole('button', { name: 'Approve' });
    await expect.poll(() => approve.isEnabled()).toBe(true);
    await approve.click();
    await expect.poll(status).toMatch(/not about the review document shown on this page/);
    expect(await approve.isEnabled()).toBe(true);
    expect(server.signed).toEqual([]);
    server.statementView = VIEW;
  });

  it("shows the server's error message when the approval is refused", async () => {
    server.approvalError = {
      status: 403,
      code: 'SELF_APPROVAL',
      message: 'You cannot approve <your own> request.',
    };
    await page.goto(`${ORIGIN}/drafts/draft-1`);
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(status).toBe('You cannot approve <your own> request.');
    expect(await page.locator('#signet-status').getAttribute('data-kind')).toBe('error');
    server.approvalError = undefined;
  });

  it('approves: the signature verifies offline over the statement digest, then the page reloads', async () => {
    await page.goto(`${ORIGIN}/drafts/draft-1`);
    const approve = page.getByRole('button', { name: 'Approve' });
    await expect.poll(() => approve.isEnabled()).toBe(true);
    await Promise.all([page.waitForEvent('load'), approve.click()]);
    expect(server.signed).toEqual([{ decision: 'approve', keyId: server.credential?.keyId }]);
    const paths = server.received.map((r) => r.path);
    expect(paths.slice(paths.lastIndexOf('GET /v1/drafts/draft-1/approval-statement'))).toEqual([
      'GET /v1/drafts/draft-1/approval-statement',
      'POST /auth/credentials',
      'POST /v1/drafts/draft-1/passkey-approvals',
    ]);
    expect(server.received.every((r) => r.contentType === 'application/json')).toBe(true);
    expect(violations).toEqual([]);
  });

  it('rejects with a reason: required, posted, signed', async () => {
    await page.goto(`${ORIGIN}/drafts/draft-1`);
    const reject = page.getByRole('button', { name: 'Reject' });
    await expect.poll(() => reject.isEnabled()).toBe(true);
    await page.getByLabel('Reason for rejecting').fill('KS below the floor <b>');
    await Promise.all([page.waitForEvent('load'), reject.click()]);
    expect(server.signed.at(-1)).toEqual({ decision: 'reject', keyId: server.credential?.keyId });
    expect(violations).toEqual([]);
  });
});
