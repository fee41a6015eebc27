// Proposing over the HTTP API: the server prepares the proposal for the caller and freezes its inputs,
// the caller signs the request statement with their own Ed25519 key (here with node:crypto alone, as the
// docs show a pipeline doing it), and the submit makes the draft. The server never signs for a person.
// Every response is checked against the OpenAPI document. The tests run in order on one home: each adds
// to the log what the next one expects.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bindIdentity } from '../src/app/authority.js';
import { approve } from '../src/app/decide.js';
import type { Home } from '../src/app/home.js';
import { applyPolicy } from '../src/app/policy.js';
import { DEFAULT_ROUTE } from '../src/app/promote.js';
import { createApiToken } from '../src/app/tokens.js';
import { verifyRequestSignature } from '../src/promotion/draft.js';
import { GENERATED_REQUEST_MARKER } from '../src/promotion/request.js';
import type { Ed25519Signature } from '../src/promotion/types.js';
import { createApp } from '../src/server/app.js';
import { createServerConfig } from '../src/server/config.js';
import { canonicalize, parseJson } from '../src/signing/canonical-json.js';
import type { Digest } from '../src/signing/digest.js';
import { codeOf, createApiClient, type ApiCall, type ApiResponse } from './helpers/api.js';
import { CONTEXT, createApiFixture, REQUEST, SVG, type ApiFixture } from './helpers/api-fixture.js';

const ORIGIN = 'http://127.0.0.1:8080';
const POLICY_YAML = `version: 1
defaults:
  bands:
    auc: { absolute: { down: 0.02, up: 0.05 } }
  psi: { warn: 0.1, material: 0.25 }
  tier: standard
  oncallRole: oncall
  contexts: [${CONTEXT}]
tiers:
  standard:
    committee: { roles: [approver], quorum: 1 }
`;

interface Prepared {
  readonly draft: string;
  readonly inputsDigest: Digest;
  readonly inputs: { readonly requester: { subject: string }; readonly route: unknown } & Record<
    string,
    unknown
  >;
  readonly toSign: string;
  readonly route: { materiality: string; policy?: Digest };
  readonly requirement: unknown;
}

/** Dana's key, made here with node:crypto: the server only ever sees the public half. */
let dana: { privateKey: KeyObject; publicKey: Buffer; keyId: Digest; token: string };
let fx: ApiFixture;
let home: Home;
let call: ApiCall;
let objects: { request: Digest; svg: Digest };

function sha256(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

function expectError(response: ApiResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(codeOf(response), response.text).toBe(code);
}

async function upload(bytes: Uint8Array | string): Promise<Digest> {
  const body = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : new Uint8Array(bytes);
  const digest = sha256(body);
  const put = await call('PUT', `/v1/objects/${digest}`, { token: dana.token, body });
  expect([200, 201]).toContain(put.status);
  return digest;
}

/** A proposal of the candidate against the baseline, as a pipeline would send it. */
function proposal(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: fx.digests.candidate,
    dataset: fx.digests.dataset,
    metrics: { dataset: fx.digests.dataset, candidate: { auc: 0.81 }, challenger: { auc: 0.78 } },
    explanations: [{ name: 'importance.svg', digest: objects.svg }],
    request: objects.request,
    context: CONTEXT,
    challenger: fx.digests.baseline,
    ...extra,
  };
}

async function prepare(body: Record<string, unknown> = proposal(), token = dana.token): Promise<Prepared> {
  const response = await call('POST', '/v1/drafts/prepare', { token, json: body });
  expect(response.status, response.text).toBe(200);
  return response.body as Prepared;
}

/** What the docs show: Ed25519 over the decoded `toSign` bytes with crypto.sign, and the key's id. */
function signToSign(toSign: string, key = dana): Ed25519Signature {
  return {
    scheme: 'ed25519',
    keyId: key.keyId,
    publicKey: key.publicKey.toString('base64'),
    signature: sign(null, Buffer.from(toSign, 'base64'), key.privateKey).toString('base64'),
  };
}

function submit(inputsDigest: string, signature: unknown, token = dana.token): Promise<ApiResponse> {
  return call('POST', '/v1/drafts', { token, json: { inputsDigest, signature } });
}

async function draftCount(): Promise<number> {
  return (await home.drafts.listDrafts()).length;
}

beforeAll(async () => {
  fx = await createApiFixture();
  home = fx.home;
  const config = createServerConfig({ host: '127.0.0.1', port: 8080 }, { log: () => undefined }, {});
  call = createApiClient(createApp({ home, config }), { origin: ORIGIN });
  // As a pipeline holds it: the PKCS#8 PEM that `signet keys create` writes; the public half from it.
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
  const privateKey = createPrivateKey(pem);
  const publicKey = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url');
  await bindIdentity(home, 'dana', publicKey, fx.people.admin);
  dana = {
    privateKey,
    publicKey,
    keyId: sha256(publicKey),
    token: (await createApiToken(home, { identity: 'dana', name: 'dana-ci', as: fx.people.admin })).secret,
  };
  objects = { request: await upload(REQUEST), svg: await upload(SVG) };
});

afterAll(async () => {
  await fx?.cleanup();
});

describe('proposing over HTTP', () => {
  it('prepares for the caller, who signs with their own key; the submit makes the draft and its review document', async () => {
    const before = await draftCount();
    const prepared = await prepare();
    expect(prepared.inputs).toMatchObject({
      type: 'signet-draft/v1',
      draft: prepared.draft,
      requester: { subject: 'dana' },
      request: objects.request,
      context: CONTEXT,
    });
    expect(prepared.route).toEqual(DEFAULT_ROUTE);
    expect(prepared.requirement).toEqual({ kind: 'approver', roles: ['approver'], quorum: 1 });
    // The inputs are stored, canonical, under their digest; toSign is the request statement over them.
    const stored = await call('GET', `/v1/objects/${prepared.inputsDigest}`, { token: dana.token });
    expect(parseJson(stored.bytes, 'inputs')).toEqual(prepared.inputs);
    expect(Buffer.from(stored.bytes).equals(Buffer.from(canonicalize(prepared.inputs)))).toBe(true);
    expect(Buffer.from(prepared.toSign, 'base64').toString('utf8')).toBe(
      `{"inputs":"${prepared.inputsDigest}","type":"signet-request/v1"}`,
    );
    // Nothing to approve yet.
    expect(await draftCount()).toBe(before);
    expectError(await call('GET', `/v1/drafts/${prepared.draft}`, { token: dana.token }), 404, 'NOT_FOUND');

    // The log moving on without changing the route, the bands or the incumbent leaves it current.
    await call('POST', '/v1/gate', {
      token: dana.token,
      json: { model: fx.digests.candidate, context: CONTEXT },
    });
    const submitted = await submit(prepared.inputsDigest, signToSign(prepared.toSign));
    expect(submitted.status, submitted.text).toBe(201);
    expect(submitted.body).toEqual({
      draft: prepared.draft,
      view: expect.stringMatching(/^sha256:/),
      inputs: prepared.inputsDigest,
      challenger: { kind: 'baseline', digest: fx.digests.baseline },
      route: DEFAULT_ROUTE,
      requirement: { kind: 'approver', roles: ['approver'], quorum: 1 },
    });
    const { view } = submitted.body as { view: Digest };

    const detail = await call('GET', `/v1/drafts/${prepared.draft}`, { token: fx.tokens.bob });
    expect(detail.body).toMatchObject({
      draft: { id: prepared.draft, status: 'open', requester: 'dana', view, waitingForMe: true },
      inputs: prepared.inputs,
    });
    const review = await call('GET', `/v1/drafts/${prepared.draft}/review`, { token: fx.tokens.bob });
    expect(review.status).toBe(200);
    expect(sha256(review.bytes)).toBe(view);
    expect(review.text).toContain('dana');
    // The request signature stored is dana's, over these inputs.
    const row = (await home.drafts.getDraft(prepared.draft))!;
    const signature = parseJson(
      await home.objects.get(row.requestSignature),
      'signature',
    ) as Ed25519Signature;
    expect(signature).toEqual(signToSign(prepared.toSign));
    expect(Buffer.from(verifyRequestSignature(prepared.inputsDigest, signature)).equals(dana.publicKey)).toBe(
      true,
    );

    // Approved and sealed like any draft, the promotion verifies with dana as its requester.
    const sealed = (await approve(home, prepared.draft, fx.people.bob)).sealed!;
    const shown = await call('GET', `/v1/promotions/${sealed.index}`, { token: dana.token });
    expect(shown.body).toMatchObject({ verified: true, reasons: [] });
    const gate = await call('POST', '/v1/gate', {
      token: dana.token,
      json: { model: fx.digests.candidate, context: CONTEXT },
    });
    expect(gate.body).toMatchObject({ allow: true, promotion: sealed.id });
  });

  it('refuses a signature by another key, another caller, a digest of no prepared proposal, a forged inputs object, and a second submit', async () => {
    const prepared = await prepare();
    const before = await draftCount();
    const bytes = Buffer.from(prepared.toSign, 'base64');
    const genuine = signToSign(prepared.toSign);
    const mallory = fx.people.mallory.signer;

    // Mallory's key signed it: it verifies, but the key is not bound to dana.
    const byMallory: Ed25519Signature = {
      scheme: 'ed25519',
      keyId: mallory.keyId as Digest,
      publicKey: Buffer.from(mallory.publicKey).toString('base64'),
      signature: Buffer.from(mallory.sign(bytes)).toString('base64'),
    };
    expectError(await submit(prepared.inputsDigest, byMallory), 403, 'KEY_NOT_BOUND');
    // Dana's key named, Mallory's signature: it does not verify.
    expectError(
      await submit(prepared.inputsDigest, { ...genuine, signature: byMallory.signature }),
      422,
      'BAD_SIGNATURE',
    );
    // Dana's key over other bytes (the digest itself, say).
    expectError(
      await submit(prepared.inputsDigest, signToSign(Buffer.from(prepared.inputsDigest).toString('base64'))),
      422,
      'BAD_SIGNATURE',
    );
    // A key id that is not the public key's.
    expectError(
      await submit(prepared.inputsDigest, { ...genuine, keyId: sha256('another key') }),
      422,
      'BAD_SIGNATURE',
    );
    expectError(await submit(prepared.inputsDigest, { ...genuine, scheme: 'rsa' }), 400, 'INVALID_ARGUMENT');
    // Bob's token with dana's signed proposal: it was prepared for dana, and only she submits it.
    expectError(await submit(prepared.inputsDigest, genuine, fx.tokens.bob), 403, 'NOT_AUTHORISED');
    // Another proposal's signature, or a digest that is no prepared proposal.
    const other = await prepare();
    expectError(await submit(prepared.inputsDigest, signToSign(other.toSign)), 422, 'BAD_SIGNATURE');
    expectError(await submit(sha256('no such object'), genuine), 404, 'NOT_FOUND');
    expectError(await submit(objects.svg, genuine), 404, 'NOT_FOUND');
    expectError(await submit('sha256:1234', genuine), 400, 'INVALID_ARGUMENT');

    // An inputs object uploaded by hand (anyone may upload objects) and signed by dana: the
    // explanation's kind and the candidate's metric are not what preparing gives.
    const forged = {
      ...prepared.inputs,
      explanations: [
        { ...(prepared.inputs['explanations'] as object[])[0], kind: 'png', mediaType: 'image/png' },
      ],
    };
    const forgedDigest = await upload(canonicalize(forged));
    const forgedToSign = Buffer.from(`{"inputs":"${forgedDigest}","type":"signet-request/v1"}`).toString(
      'base64',
    );
    const refused = await submit(forgedDigest, signToSign(forgedToSign));
    expectError(refused, 422, 'DIGEST_MISMATCH');
    expect((refused.body as { details: { differs: string[] } }).details.differs).toEqual(['explanations']);
    // A draft id that is not one.
    const badId = await upload(canonicalize({ ...prepared.inputs, draft: '../../etc' }));
    const badIdToSign = Buffer.from(`{"inputs":"${badId}","type":"signet-request/v1"}`).toString('base64');
    expectError(await submit(badId, signToSign(badIdToSign)), 404, 'NOT_FOUND');
    expect(await draftCount()).toBe(before);

    const made = await submit(prepared.inputsDigest, genuine);
    expect(made.status, made.text).toBe(201);
    expect(await draftCount()).toBe(before + 1);
    const again = await submit(prepared.inputsDigest, genuine);
    expectError(again, 409, 'DRAFT_EXISTS');
    expect(again.body).toMatchObject({ details: { draft: prepared.draft } });
    expect(await draftCount()).toBe(before + 1);
  });

  it('refuses a proposal prepared before the log moved its incumbent or its route (409), and takes it prepared again', async () => {
    // Two proposals prepared now; sealing the first one makes it the incumbent the second would name.
    const first = await prepare();
    const second = await prepare();
    expect(await submit(first.inputsDigest, signToSign(first.toSign))).toMatchObject({ status: 201 });
    expect((await approve(home, first.draft, fx.people.bob)).sealed).toBeDefined();
    const before = await draftCount();
    const moved = await submit(second.inputsDigest, signToSign(second.toSign));
    expectError(moved, 409, 'STALE_STATEMENT');
    expect((moved.body as { details: { differs: string[] } }).details.differs).toEqual(['previous']);

    // A policy comes into force: the same proposal is routed by it now.
    const stale = await prepare();
    expect(stale.route).toEqual(DEFAULT_ROUTE);
    const file = path.join(fx.root, 'policy.yaml');
    await writeFile(file, POLICY_YAML);
    await applyPolicy(home, file, fx.people.admin);
    const refused = await submit(stale.inputsDigest, signToSign(stale.toSign));
    expectError(refused, 409, 'STALE_STATEMENT');
    const details = (refused.body as { details: { differs: string[]; route: { policy?: Digest } } }).details;
    expect(details.differs).toEqual(['route', 'bandsForNext']);
    expect(details.route.policy).toMatch(/^sha256:/);
    expect(await draftCount()).toBe(before);

    const again = await prepare();
    expect(again.route.policy).toBe(details.route.policy);
    const made = await submit(again.inputsDigest, signToSign(again.toSign));
    expect(made.status, made.text).toBe(201);
    expect((made.body as { route: unknown }).route).toEqual(again.route);
  });

  it('lists every problem of a prepare at once, each naming the member of the body it is about', async () => {
    const before = await draftCount();
    const notAnExplanation = await upload('just some text\n');
    const response = await call('POST', '/v1/drafts/prepare', {
      token: dana.token,
      json: proposal({
        model: sha256('not registered'),
        metrics: { dataset: fx.digests.dataset, candidate: { auc: 'high' }, challenger: { auc: 0.78 } },
        explanations: [
          { name: 'importance.svg', digest: objects.svg },
          { name: 'notes.txt', digest: notAnExplanation },
        ],
        request: undefined,
        requestText: '# A request\n\n## Justification\nBetter.\n',
      }),
    });
    expectError(response, 400, 'INVALID_ARGUMENT');
    const problems = (response.body as { details: { problems: { source: string; path: string }[] } }).details
      .problems;
    expect([...new Set(problems.map((p) => p.source))].sort()).toEqual([
      '/explanations/1',
      '/metrics',
      '/model',
      '/requestText',
    ]);
    expect(problems).toContainEqual(expect.objectContaining({ source: '/metrics', path: '/candidate/auc' }));

    // Objects not uploaded are listed together (404), and the request is given exactly once.
    const missing = await call('POST', '/v1/drafts/prepare', {
      token: dana.token,
      json: proposal({
        request: sha256('never uploaded'),
        explanations: [
          { name: 'importance.svg', digest: objects.svg },
          { name: 'shap.json', digest: sha256('never uploaded either') },
        ],
      }),
    });
    expectError(missing, 404, 'NOT_FOUND');
    expect(
      (missing.body as { details: { problems: { source: string }[] } }).details.problems.map((p) => p.source),
    ).toEqual(['/request', '/explanations/1']);
    const twice = await call('POST', '/v1/drafts/prepare', {
      token: dana.token,
      json: proposal({ requestText: REQUEST }),
    });
    expectError(twice, 400, 'INVALID_ARGUMENT');
    expect(twice.text).toContain('exactly once');

    // A generated request on a material route, and no challenger named for it.
    const generated = await call('POST', '/v1/drafts/prepare', {
      token: dana.token,
      json: proposal({
        challenger: undefined,
        request: undefined,
        requestText: `${GENERATED_REQUEST_MARKER}\n\n${REQUEST}`,
        metrics: { dataset: fx.digests.dataset, candidate: { auc: 0.6 }, challenger: { auc: 0.78 } },
      }),
    });
    expectError(generated, 400, 'INVALID_ARGUMENT');
    const generatedProblems = (
      generated.body as { details: { problems: { source: string }[]; route: { materiality: string } } }
    ).details;
    expect(generatedProblems.problems.map((p) => p.source).sort()).toEqual(['/challenger', '/requestText']);
    expect(generatedProblems.route.materiality).toBe('material');

    // The body's own schema: bad digests, a bad context, unknown members, no explanations list.
    const malformed = await call('POST', '/v1/drafts/prepare', {
      token: dana.token,
      json: { model: 'sha256:1', dataset: fx.digests.dataset, metrics: {}, context: 'Bad Context', extra: 1 },
    });
    expectError(malformed, 400, 'INVALID_ARGUMENT');
    const paths = (malformed.body as { details: { problems: { path: string }[] } }).details.problems.map(
      (p) => p.path,
    );
    expect(paths).toEqual(expect.arrayContaining(['/model', '/context', '/explanations']));
    expectError(
      await call('POST', '/v1/drafts/prepare', {
        token: dana.token,
        body: 'model=x',
        headers: { 'Content-Type': 'text/plain' },
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect(await draftCount()).toBe(before);
  });
});
