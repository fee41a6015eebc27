// The approver's screen and the auditor's replay, end to end in Debian's chromium against a real
// `signet serve` listener over a real home, with a virtual WebAuthn authenticator (DevTools protocol):
// enrol from an admin's invite link, sign out and sign in with the passkey, open a review and check the
// iframe's bytes hash to the view digest shown, approve with the passkey, see the event sealed, open the
// event page as an auditor and get the same bytes, verified offline; reject with a reason; an approval
// posted for another view digest is refused; requests without a valid session are refused. Screenshots of
// the review and event pages go to test-artifacts/screenshots. Needs Debian's chromium (.ci/run installs it).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bindIdentity, grantRole } from '../src/app/authority.js';
import type { Home } from '../src/app/home.js';
import { initHome } from '../src/app/init.js';
import { inviteUser } from '../src/app/passkeys.js';
import { propose, type Actor } from '../src/app/promote.js';
import { registerDataset, registerModel } from '../src/app/register.js';
import { verifyHome } from '../src/app/verify.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { createSigner, generateKeyPair } from '../src/signing/keys.js';
import { addVirtualAuthenticator, launchBrowser, screenshot } from './helpers/browser.js';
import { EXPLANATION_SVG, REQUEST_MARKDOWN } from './helpers/promotion-fixture.js';

const CONTEXT = 'retail-credit/uk';

let root: string;
let home: Home;
let server: RunningServer;
let browser: Browser;
let base: string;
let alice: Actor;
let drafts: { approve: string; reject: string; stale: string };

function actor(identity: string): Actor {
  return { identity, signer: createSigner(generateKeyPair().privatePem) };
}

async function write(name: string, content: string): Promise<string> {
  const file = path.join(root, 'inputs', name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A person's own browser: a context, a page and a virtual authenticator holding their passkey. */
interface Person {
  readonly context: BrowserContext;
  readonly page: Page;
}

async function enrolInBrowser(identity: string): Promise<Person> {
  const { secret } = await inviteUser(home, identity, admin);
  const context = await browser.newContext();
  const page = await context.newPage();
  await addVirtualAuthenticator(page);
  await page.goto(`${base}/enrol#${secret}`);
  const button = page.locator('[data-signet-action="enrol"]:enabled');
  await button.waitFor();
  await Promise.all([page.waitForURL(`${base}/inbox`), button.click()]);
  return { context, page };
}

let admin: Actor;

async function proposeDraft(): Promise<string> {
  return (
    await propose(home, {
      model: digests.model,
      challenger: digests.baseline,
      dataset: digests.dataset,
      metricsFile: files.metrics,
      explanationFiles: [files.svg],
      requestFile: files.request,
      context: CONTEXT,
      as: alice,
    })
  ).draft;
}

let indexOf: Map<string, number>;
/** The index of a sealed entry (looked up once per test run). */
function entryIndex(id: string): number {
  const index = indexOf.get(id);
  if (index === undefined) throw new Error(`no index for ${id}`);
  return index;
}

let digests: { model: string; baseline: string; dataset: string };
let files: { metrics: string; request: string; svg: string };
let bob: Person;
let carol: Person;

describe('in the browser', () => {
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'signet-browser-'));
    admin = actor('admin@bank.example');
    ({ home } = await initHome(path.join(root, 'home'), {
      admin: { identity: admin.identity, publicKey: admin.signer.publicKey },
    }));
    alice = actor('alice@bank.example');
    await bindIdentity(home, alice.identity, alice.signer.publicKey, admin);
    const contract = await write(
      'contract.json',
      JSON.stringify({ features: [{ name: 'age', type: 'integer' }] }),
    );
    const register = async (name: string, weights: number[]) =>
      (
        await registerModel(home, await write(`${name}.json`, JSON.stringify({ weights })), {
          name: 'credit',
          class: 'logistic-regression',
          inputContractFile: contract,
        })
      ).record.digest;
    const dataset = (
      await registerDataset(home, await write('eval.csv', 'age,default\n31,0\n23,1\n'), { label: 'eval' })
    ).record.digest;
    digests = { model: await register('v1', [0.4]), baseline: await register('v0', [0.1]), dataset };
    files = {
      metrics: await write(
        'metrics.json',
        JSON.stringify({ dataset, candidate: { auc: 0.81 }, challenger: { auc: 0.78 } }),
      ),
      request: await write('request.md', REQUEST_MARKDOWN),
      svg: await write('importance.svg', EXPLANATION_SVG),
    };
    drafts = { approve: await proposeDraft(), reject: await proposeDraft(), stale: await proposeDraft() };

    server = await startServer({ home, host: 'localhost', port: 0, log: () => undefined });
    base = server.url.replace(/\/$/, '');
    browser = await launchBrowser();
    bob = await enrolInBrowser('bob@bank.example');
    carol = await enrolInBrowser('carol@bank.example');
    await grantRole(home, { identity: 'bob@bank.example', role: 'approver' }, admin);
    await grantRole(home, { identity: 'carol@bank.example', role: 'approver' }, admin);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('enrolment bound each passkey to its identity with an identity-key entry; sign out and sign in again by passkey', async () => {
    const { page } = bob;
    expect(await page.locator('nav').innerText()).toContain('bob@bank.example');
    const signedOut = await page.evaluate(async () => {
      const response = await fetch('/auth/signout', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
      });
      return response.status;
    });
    expect(signedOut).toBe(200);
    await page.goto(`${base}/inbox`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    const button = page.locator('[data-signet-action="signin"]');
    await expect.poll(() => button.isEnabled()).toBe(true);
    await Promise.all([page.waitForURL(`${base}/inbox`), button.click()]);
    expect(await page.locator('main').innerText()).toContain(drafts.approve);
    await screenshot(page, 'inbox');
    // The browsable API documentation, public.
    await page.goto(`${base}/v1/docs`);
    expect(await page.locator('body').innerText()).toContain('/v1/drafts/{id}/passkey-approvals');
    await screenshot(page, 'api-docs', { fullPage: false });
  });

  it('the review page frames the stored document byte for byte, its digest shown beside it; approving with the passkey seals the event', async () => {
    const { page } = bob;
    await page.goto(`${base}/drafts/${drafts.approve}`);
    const shown = (await page.locator('#view-digest').innerText()).trim();
    const stored = await home.drafts.getDraft(drafts.approve);
    expect(shown).toBe(stored!.view);
    const src = await page.locator('iframe').getAttribute('src');
    const framed = await page.request.get(`${base}${src}`);
    expect(sha256(await framed.body())).toBe(shown);
    expect(framed.headers()['content-security-policy']).toContain('sandbox');
    // What the frame actually holds is that document.
    const frame = page.frameLocator('iframe');
    expect(await frame.locator('h1').first().innerText()).toBe('credit');
    await screenshot(page, 'review');

    const approve = page.locator('[data-signet-action="approve"]');
    await expect.poll(() => approve.isEnabled()).toBe(true);
    await Promise.all([page.waitForEvent('load'), approve.click()]);
    await expect.poll(async () => (await home.drafts.getDraft(drafts.approve))?.status).toBe('sealed');
    const sealed = (await home.drafts.getDraft(drafts.approve))!.closedBy!;
    const entry = await home.ledger.find(sealed as never);
    expect(entry).toBeDefined();
    const report = await verifyHome(home);
    expect(report.ok).toBe(true);
  });

  it('an auditor opens the event: verified, the approver signed with a passkey, and the replay shows the same bytes', async () => {
    const { page } = carol;
    const sealed = (await home.drafts.getDraft(drafts.approve))!;
    indexOf = new Map([[sealed.closedBy!, (await home.ledger.find(sealed.closedBy! as never))!.index]]);
    await page.goto(`${base}/ledger/${encodeURIComponent(sealed.closedBy!)}`);
    const text = await page.locator('main').innerText();
    expect(text).toContain('bob@bank.example');
    expect(text).toMatch(/webauthn/);
    expect(text).toMatch(/identical/i);
    expect(text).not.toMatch(/\bfailed\b/i);
    const src = await page.locator('iframe').first().getAttribute('src');
    const framed = await page.request.get(`${base}${src}`);
    expect(sha256(await framed.body())).toBe(sealed.view);
    // The replay shows the stored screen itself.
    await page.locator('iframe').first().scrollIntoViewIfNeeded();
    expect(await page.frameLocator('iframe').first().locator('h1').first().innerText()).toBe('credit');
    await screenshot(page, 'event');
    // The other pages an auditor uses: models with their events and deployments, the ledger with a
    // proof on request, the policy.
    await page.goto(`${base}/models`);
    const models = await page.locator('main').innerText();
    expect(models).toContain('credit');
    expect(models).toContain(digests.model);
    expect(models).toContain(`#${entryIndex(sealed.closedBy!)}`);
    await page.goto(`${base}/ledger?prove=${entryIndex(sealed.closedBy!)}`);
    const ledger = await page.locator('main').innerText();
    expect(ledger).toContain('model-promotion');
    expect(ledger).toMatch(/inclusion/i);
    expect(await page.locator('pre').first().innerText()).toContain(home.config.origin);
    const policy = await page.goto(`${base}/policy`);
    expect(policy?.status()).toBe(200);
  });

  it('rejecting asks for a reason and signs the rejection with the passkey', async () => {
    const { page } = carol;
    await page.goto(`${base}/drafts/${drafts.reject}`);
    const form = page.locator('form[data-signet-action="reject"]');
    await form.locator('textarea[name="reason"]').fill('The holdout is from the wrong quarter.');
    const submit = form.locator('button');
    await expect.poll(() => submit.isEnabled()).toBe(true);
    await Promise.all([page.waitForEvent('load'), submit.click()]);
    await expect.poll(async () => (await home.drafts.getDraft(drafts.reject))?.status).toBe('rejected');
    expect(await page.locator('main').innerText()).toContain('The holdout is from the wrong quarter.');
    expect((await verifyHome(home)).ok).toBe(true);
  });

  it('an approval posted for a different view digest is refused, and nothing is recorded', async () => {
    const { page } = bob;
    await page.goto(`${base}/drafts/${drafts.stale}`);
    const result = await page.evaluate(async (draft) => {
      const b64url = (bytes: ArrayBuffer): string =>
        btoa(String.fromCharCode(...new Uint8Array(bytes)))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      const canonical = (value: Record<string, unknown>): string =>
        '{' +
        Object.keys(value)
          .sort()
          .map((k) => JSON.stringify(k) + ':' + JSON.stringify(value[k]))
          .join(',') +
        '}';
      const got = (await (await fetch(`/v1/drafts/${draft}/approval-statement`)).json()) as {
        statement: Record<string, unknown>;
      };
      const statement = { ...got.statement, view: 'sha256:' + '0'.repeat(64) };
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical(statement)));
      // Typed by hand: the test's tsconfig has no DOM library.
      interface Assertion {
        id: string;
        rawId: ArrayBuffer;
        type: string;
        response: {
          clientDataJSON: ArrayBuffer;
          authenticatorData: ArrayBuffer;
          signature: ArrayBuffer;
          userHandle: ArrayBuffer | null;
        };
      }
      const credentials = (
        globalThis as unknown as { navigator: { credentials: { get(options: unknown): Promise<unknown> } } }
      ).navigator.credentials;
      const credential = (await credentials.get({
        publicKey: { challenge: digest, rpId: 'localhost', userVerification: 'required' },
      })) as Assertion;
      const r = credential.response;
      const response = {
        id: credential.id,
        rawId: b64url(credential.rawId),
        type: credential.type,
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(r.clientDataJSON),
          authenticatorData: b64url(r.authenticatorData),
          signature: b64url(r.signature),
          ...(r.userHandle ? { userHandle: b64url(r.userHandle) } : {}),
        },
      };
      const posted = await fetch(`/v1/drafts/${draft}/passkey-approvals`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ statement, response }),
      });
      return { status: posted.status, body: (await posted.json()) as { code: string } };
    }, drafts.stale);
    expect(result.status).toBe(409);
    expect(result.body.code).toBe('STALE_VIEW');
    expect(await home.drafts.listApprovals(drafts.stale)).toEqual([]);
  });

  it('without a valid session: pages redirect to sign-in and the API answers 401', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/drafts/${drafts.stale}`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    for (const [method, url] of [
      ['GET', '/v1/drafts'],
      ['GET', `/v1/drafts/${drafts.stale}/approval-statement`],
      ['POST', `/v1/drafts/${drafts.stale}/passkey-approvals`],
    ] as const) {
      const response = await page.request.fetch(`${base}${url}`, {
        method,
        headers: { 'Content-Type': 'application/json', Cookie: 'signet_session=sgs_forged' },
        ...(method === 'POST' ? { data: '{}' } : {}),
      });
      expect(response.status(), `${method} ${url}`).toBe(401);
    }
    const views = await page.request.get(
      `${base}/views/${encodeURIComponent((await home.drafts.getDraft(drafts.stale))!.view)}`,
      {
        maxRedirects: 0,
      },
    );
    expect(views.status()).toBe(303);
    await context.close();
  });
});
