// The passkey script without a browser: it parses, never writes markup, and drives the approve, reject
// and sign-in ceremonies against a fake DOM, a fake fetch and a fake authenticator in a vm context.
// (passkey-client.browser.test.ts runs it in Chromium with a virtual authenticator.)
import { webcrypto } from 'node:crypto';
import { Script, createContext } from 'node:vm';

import { describe, expect, it } from 'vitest';

import { approvalStatementDigest, createApprovalStatement } from '../../promotion/draft.js';
import type { ApprovalStatement } from '../../promotion/types.js';
import { digestOfBytes, type Digest } from '../../signing/digest.js';
import { encodeBase64Url } from '../../webauthn/base64url.js';
import { challengeOf } from '../../webauthn/verify.js';
import { PASSKEY_CLIENT_JS } from './passkey-client.js';

const d = (name: string): Digest => digestOfBytes(new TextEncoder().encode(name));
const VIEW = d('view');

describe('the passkey script', () => {
  it('parses as a classic script', () => {
    expect(() => new Script(PASSKEY_CLIENT_JS, { filename: 'passkey.js' })).not.toThrow();
  });

  it('never writes markup or evaluates strings', () => {
    for (const sink of [
      'innerHTML',
      'outerHTML',
      'insertAdjacentHTML',
      'document.write',
      'eval(',
      'new Function',
    ]) {
      expect(PASSKEY_CLIENT_JS).not.toContain(sink);
    }
  });

  it('is what the TypeScript source says: no template literal was interpolated into it', () => {
    expect(PASSKEY_CLIENT_JS).not.toContain('`');
    expect(PASSKEY_CLIENT_JS).toContain("replace(/\\+/g, '-')");
  });
});

// ---- A fake DOM, just what the script touches ----

type Listener = (event: { preventDefault(): void }) => void;

class FakeElement {
  readonly attributes = new Map<string, string>();
  readonly listeners = new Map<string, Listener[]>();
  readonly children: FakeElement[] = [];
  disabled = false;
  readOnly = false;
  textContent = '';
  value = '';
  focused = false;

  constructor(
    readonly tagName: string,
    attributes: Record<string, string> = {},
  ) {
    for (const [name, value] of Object.entries(attributes)) this.attributes.set(name, value);
  }

  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }

  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  querySelectorAll(selector: string): FakeElement[] {
    expect(selector).toBe('button, textarea');
    return this.children.filter((c) => c.tagName === 'BUTTON' || c.tagName === 'TEXTAREA');
  }

  querySelector(selector: string): FakeElement | null {
    expect(selector).toBe('textarea[name="reason"]');
    return this.children.find((c) => c.tagName === 'TEXTAREA') ?? null;
  }

  focus(): void {
    this.focused = true;
  }

  dispatch(type: string): { defaultPrevented: boolean } {
    const state = { defaultPrevented: false };
    for (const listener of this.listeners.get(type) ?? []) {
      listener({ preventDefault: () => (state.defaultPrevented = true) });
    }
    return state;
  }
}

interface Call {
  readonly method: string;
  readonly url: string;
  readonly body: unknown;
  readonly init: { credentials?: string; headers?: Record<string, string> };
}

type Respond = (call: Call) => { status?: number; body: unknown };

const bytes = (...values: number[]): ArrayBuffer => new Uint8Array(values).buffer;

/** A fake assertion, as navigator.credentials.get resolves to. */
function fakeAssertion(): unknown {
  return {
    id: 'AQID',
    rawId: bytes(1, 2, 3),
    type: 'public-key',
    authenticatorAttachment: 'platform',
    response: {
      clientDataJSON: bytes(123, 125),
      authenticatorData: bytes(0xfb, 0xff),
      signature: bytes(0x30, 0x44),
      userHandle: bytes(9),
    },
    getClientExtensionResults: () => ({}),
  };
}

interface Harness {
  readonly calls: Call[];
  readonly gets: { publicKey: Record<string, unknown> }[];
  readonly status: FakeElement;
  readonly controls: FakeElement[];
  readonly location: { reloaded: number; assigned: string[] };
  settled(): Promise<void>;
}

function run(
  elements: FakeElement[],
  respond: Respond,
  options: { search?: string; passkeys?: boolean } = {},
): Harness {
  const status = new FakeElement('P', { id: 'signet-status' });
  const calls: Call[] = [];
  const gets: { publicKey: Record<string, unknown> }[] = [];
  const location = {
    reloaded: 0,
    assigned: [] as string[],
    search: options.search ?? '',
    origin: 'https://signet.example',
    reload() {
      this.reloaded += 1;
    },
    assign(url: string) {
      this.assigned.push(url);
    },
  };
  let pending = 0;
  const fetch = async (
    url: string,
    init: Call['init'] & { method: string; body?: string },
  ): Promise<unknown> => {
    pending += 1;
    try {
      const call: Call = {
        method: init.method,
        url,
        body: init.body === undefined ? undefined : JSON.parse(init.body),
        init,
      };
      calls.push(call);
      const reply = respond(call);
      const status = reply.status ?? 200;
      return { ok: status < 400, status, text: async () => JSON.stringify(reply.body) };
    } finally {
      pending -= 1;
    }
  };
  const credentials = {
    get: async (request: { publicKey: Record<string, unknown> }) => {
      gets.push(request);
      return fakeAssertion();
    },
    create: async () => {
      throw new Error('not in these tests');
    },
  };
  const document = {
    readyState: 'complete',
    getElementById: (id: string) => (id === 'signet-status' ? status : null),
    querySelectorAll: (selector: string) => {
      expect(selector).toBe('[data-signet-action]');
      return elements;
    },
    addEventListener: () => undefined,
  };
  const window: Record<string, unknown> = {
    location,
    crypto: webcrypto,
    ...(options.passkeys === false ? {} : { PublicKeyCredential: function PublicKeyCredential() {} }),
  };
  const context = createContext({
    window,
    document,
    navigator: { credentials },
    fetch,
    TextEncoder,
    URL,
    URLSearchParams,
    btoa,
    atob,
  });
  new Script(PASSKEY_CLIENT_JS).runInContext(context);
  const controls = elements.flatMap((e) => (e.tagName === 'FORM' ? e.children : [e]));
  return {
    calls,
    gets,
    status,
    controls,
    location,
    // Until the ceremony has finished: reloaded, redirected or reported an error.
    async settled() {
      for (let i = 0; i < 200; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const done =
          location.reloaded > 0 ||
          location.assigned.length > 0 ||
          status.getAttribute('data-kind') === 'error';
        if (done && pending === 0) return;
      }
      throw new Error(`the ceremony did not finish; status: ${status.textContent}`);
    },
  };
}

function approveButton(view: string = VIEW): FakeElement {
  return new FakeElement('BUTTON', {
    'data-signet-action': 'approve',
    'data-draft': 'draft 1/ä',
    'data-view': view,
    'data-rp-id': 'signet.example',
  });
}

function rejectForm(reason: string): { form: FakeElement; textarea: FakeElement; submit: FakeElement } {
  const form = new FakeElement('FORM', {
    'data-signet-action': 'reject',
    'data-draft': 'draft 1/ä',
    'data-view': VIEW,
    'data-rp-id': 'signet.example',
  });
  const textarea = new FakeElement('TEXTAREA', { name: 'reason' });
  textarea.value = reason;
  const submit = new FakeElement('BUTTON', { type: 'submit' });
  form.children.push(textarea, submit);
  return { form, textarea, submit };
}

function statementFor(decision: 'approve' | 'reject', view: Digest = VIEW): ApprovalStatement {
  const facts = {
    draft: 'draft 1/ä',
    view,
    model: d('model'),
    request: d('request'),
    context: 'retail-credit/uk',
  };
  return createApprovalStatement(decision, facts, 'bob@bank.example', 7);
}

function challengeFor(statement: ApprovalStatement): string {
  return encodeBase64Url(challengeOf(approvalStatementDigest(statement)));
}

const DRAFT_URL = '/v1/drafts/draft%201%2F%C3%A4';

describe('the approve ceremony', () => {
  it('enables the controls, checks the statement, signs its digest and posts the assertion', async () => {
    const button = approveButton();
    button.disabled = true;
    const statement = statementFor('approve');
    const h = run([button], (call) => {
      if (call.url === `${DRAFT_URL}/approval-statement`)
        return { body: { statement, challenge: challengeFor(statement) } };
      if (call.url === '/auth/credentials')
        return { body: { allowCredentials: [{ id: 'AQID', type: 'public-key', transports: ['internal'] }] } };
      return { body: { ok: true } };
    });
    expect(button.disabled).toBe(false);
    button.dispatch('click');
    await h.settled();

    expect(h.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `GET ${DRAFT_URL}/approval-statement`,
      'POST /auth/credentials',
      `POST ${DRAFT_URL}/passkey-approvals`,
    ]);
    for (const call of h.calls) {
      expect(call.init.credentials).toBe('same-origin');
      expect(call.init.headers?.['Content-Type']).toBe('application/json');
    }
    // The challenge the authenticator signs is the statement digest's 32 bytes.
    const publicKey = h.gets[0]!.publicKey;
    expect(new Uint8Array(publicKey['challenge'] as ArrayBuffer)).toEqual(
      challengeOf(approvalStatementDigest(statement)),
    );
    expect(publicKey['rpId']).toBe('signet.example');
    expect(publicKey['userVerification']).toBe('required');
    const allow = publicKey['allowCredentials'] as { id: ArrayBuffer; type: string; transports: string[] }[];
    expect(allow.map((c) => [Array.from(new Uint8Array(c.id)), c.type, c.transports])).toEqual([
      [[1, 2, 3], 'public-key', ['internal']],
    ]);
    expect(h.calls[2]!.body).toEqual({
      statement,
      response: {
        id: 'AQID',
        rawId: 'AQID',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: '-_8', signature: 'MEQ', userHandle: 'CQ' },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      },
    });
    expect(h.location.reloaded).toBe(1);
  });

  it('lets the authenticator choose when no credential is listed', async () => {
    const statement = statementFor('approve');
    const h = run([approveButton()], (call) =>
      call.url.endsWith('/approval-statement')
        ? { body: { statement, challenge: challengeFor(statement) } }
        : { body: call.url === '/auth/credentials' ? { allowCredentials: [] } : {} },
    );
    h.controls[0]!.dispatch('click');
    await h.settled();
    expect(h.gets[0]!.publicKey['allowCredentials']).toEqual([]);
    expect(h.location.reloaded).toBe(1);
  });

  it('refuses a statement about another view: nothing is signed', async () => {
    const statement = statementFor('approve', d('another view'));
    const h = run([approveButton()], () => ({ body: { statement, challenge: challengeFor(statement) } }));
    h.controls[0]!.dispatch('click');
    await h.settled();
    expect(h.gets).toEqual([]);
    expect(h.status.textContent).toMatch(/not about the review document shown on this page/);
    expect(h.controls[0]!.disabled).toBe(false);
  });

  it('refuses a challenge that is not the digest of the statement: nothing is signed', async () => {
    const statement = statementFor('approve');
    const other = statementFor('reject');
    const h = run([approveButton()], () => ({ body: { statement, challenge: challengeFor(other) } }));
    h.controls[0]!.dispatch('click');
    await h.settled();
    expect(h.gets).toEqual([]);
    expect(h.status.textContent).toMatch(/challenge is not the digest of the statement/);
  });

  it("shows the server's error message as text", async () => {
    const statement = statementFor('approve');
    const message = '<img src=x onerror=alert(1)> may not approve their own request';
    const h = run([approveButton()], (call) =>
      call.url.endsWith('/passkey-approvals')
        ? { status: 403, body: { error: { code: 'SELF_APPROVAL', message } } }
        : {
            body: call.url.endsWith('/approval-statement')
              ? { statement, challenge: challengeFor(statement) }
              : [],
          },
    );
    h.controls[0]!.dispatch('click');
    await h.settled();
    expect(h.status.textContent).toBe(message);
    expect(h.status.getAttribute('data-kind')).toBe('error');
    expect(h.location.reloaded).toBe(0);
  });
});

describe('the reject ceremony', () => {
  it('requires a reason, then posts it, signs the rejection statement and reloads', async () => {
    const empty = rejectForm('   ');
    const h1 = run([empty.form], () => ({ body: {} }));
    expect(empty.submit.disabled).toBe(false);
    expect(empty.form.dispatch('submit').defaultPrevented).toBe(true);
    expect(h1.calls).toEqual([]);
    expect(empty.textarea.focused).toBe(true);

    const { form } = rejectForm('  KS below the floor  ');
    const statement = statementFor('reject');
    const h = run([form], (call) => {
      if (call.url.endsWith('/rejection-statement'))
        return { body: { statement, challenge: challengeFor(statement) } };
      return { body: {} };
    });
    form.dispatch('submit');
    await h.settled();
    expect(
      h.calls.map((c) => [c.method, c.url, c.body === undefined ? undefined : Object.keys(c.body as object)]),
    ).toEqual([
      ['POST', `${DRAFT_URL}/rejection-statement`, ['reason']],
      ['POST', '/auth/credentials', []],
      ['POST', `${DRAFT_URL}/passkey-rejections`, ['statement', 'response']],
    ]);
    expect(h.calls[0]!.body).toEqual({ reason: 'KS below the floor' });
    expect(h.location.reloaded).toBe(1);
  });
});

describe('sign-in', () => {
  const signIn = (search: string): Promise<Harness> => {
    const button = new FakeElement('BUTTON', { 'data-signet-action': 'signin' });
    const h = run(
      [button],
      (call) =>
        call.url === '/auth/signin/options'
          ? {
              body: {
                challenge: 'AAECAwQFBgcICQoLDA0ODw',
                rpId: 'signet.example',
                allowCredentials: [],
                userVerification: 'required',
              },
            }
          : { body: { ok: true } },
      { search },
    );
    button.dispatch('click');
    return h.settled().then(() => h);
  };

  it('posts the assertion and returns to a same-origin next', async () => {
    const h = await signIn('?next=%2Fdrafts%2Fd1%3Fx%3D1');
    expect(h.calls.map((c) => c.url)).toEqual(['/auth/signin/options', '/auth/signin/verify']);
    expect(Object.keys(h.calls[1]!.body as object)).toEqual(['response']);
    expect(new Uint8Array(h.gets[0]!.publicKey['challenge'] as ArrayBuffer)).toEqual(
      new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]),
    );
    expect(h.location.assigned).toEqual(['https://signet.example/drafts/d1?x=1']);
  });

  it.each([
    ['no next', ''],
    ['another site', '?next=https%3A%2F%2Fevil.example%2F'],
    ['a protocol-relative URL', '?next=%2F%2Fevil.example%2F'],
    ['a backslash', '?next=%2F%5Cevil.example%2F'],
    ['a javascript: URL', '?next=javascript%3Aalert(1)'],
  ])('goes to /inbox for %s', async (_name, search) => {
    const h = await signIn(search);
    expect(h.location.assigned).toEqual(['/inbox']);
  });

  it('keeps a dot-segment trick on this origin', async () => {
    const h = await signIn('?next=%2F.%2F%2Fevil.example%2F');
    expect(new URL(h.location.assigned[0]!).origin).toBe('https://signet.example');
  });
});

describe('without passkeys', () => {
  it('leaves the controls disabled and says why', () => {
    const button = approveButton();
    button.disabled = true;
    const h = run([button], () => ({ body: {} }), { passkeys: false });
    expect(button.disabled).toBe(true);
    expect(h.status.textContent).toMatch(/cannot use passkeys/);
  });
});
