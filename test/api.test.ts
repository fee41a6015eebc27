// The HTTP API, in process through `app.request()` on one home built with the app layer, and over a real
// loopback listener through `startServer`. Every response is checked against the OpenAPI document (the
// operation, the status, the media type and the JSON schema for that status). The tests run in order on
// the same home: each adds to the log what the next one expects.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { applyPolicy, showPolicy } from '../src/app/policy.js';
import { proveInclusion } from '../src/app/log.js';
import { proposePipeline } from '../src/app/pipeline.js';
import { loadAuthority } from '../src/app/authority.js';
import { identityRef } from '../src/app/promote.js';
import { registerModel } from '../src/app/register.js';
import {
  createApiToken,
  createSecret,
  hashSecret,
  listApiTokens,
  revokeApiToken,
  startSession,
} from '../src/app/tokens.js';
import type { Home } from '../src/app/home.js';
import { openEntry } from '../src/ledger/entry.js';
import { createApproval } from '../src/promotion/approval.js';
import {
  approvalStatementDigest,
  createApprovalStatement,
  serializeApprovalStatement,
  signEd25519,
} from '../src/promotion/draft.js';
import type { Approval, ApprovalStatement } from '../src/promotion/types.js';
import { createApp } from '../src/server/app.js';
import { createServerConfig, type ServerConfig } from '../src/server/config.js';
import { OPENAPI, operationsOf } from '../src/server/openapi.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { decodeBase64Strict, encodeBase64 } from '../src/signing/base64.js';
import { digestBytes, digestOfBytes, type Digest } from '../src/signing/digest.js';
import { encodeBase64Url } from '../src/webauthn/base64url.js';
import { codeOf, createApiClient, expectDocumented, type ApiCall, type ApiResponse } from './helpers/api.js';
import {
  CONTEXT,
  createApiFixture,
  MODEL,
  REQUEST,
  type ApiFixture,
  type Person,
} from './helpers/api-fixture.js';

const ORIGIN = 'http://127.0.0.1:8080';
/** The routes outside /v1 that the document describes too. */
const OPS_PATHS = ['/healthz', '/metrics'];
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

let fx: ApiFixture;
let home: Home;
let log: string[];
let config: ServerConfig;
let call: ApiCall;
let app: ReturnType<typeof createApp>;
/** The first draft: approved by bob and sealed. */
let sealedDraft: string;
let promotion: { entry: Digest; index: number };

function configWith(overrides: { maxObjectBytes?: number; maxJsonBytes?: number } = {}): ServerConfig {
  return createServerConfig(
    { host: '127.0.0.1', port: 8080 },
    { ...overrides, log: (line) => log.push(line) },
    {},
  );
}

function as(person: Person): { token: string } {
  return { token: fx.tokens[person] };
}

function sha256(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

function expectError(response: ApiResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(codeOf(response), response.text).toBe(code);
}

/** A signed approval made the way a client with the key makes it (the authority check done locally). */
async function signedApproval(draft: string, person: Person, subject = MODEL): Promise<Approval> {
  const got = await call('GET', `/v1/drafts/${draft}/approval-statement`, as(person));
  expect(got.status).toBe(200);
  const statement = (got.body as { statement: ApprovalStatement }).statement;
  const size = statement.ledgerSize;
  return createApproval(statement, fx.people[person].signer, identityRef(home, person), {
    authority: await loadAuthority(home),
    modelName: subject,
    requester: 'alice',
    roles: ['approver'],
    position: { size },
  });
}

/** An approval object signed over `statement` with no local authority check (for refusals). */
function handMadeApproval(statement: ApprovalStatement, person: Person): Approval {
  const fake = sha256('not a grant');
  return {
    identity: identityRef(home, statement.identity),
    roles: ['approver'],
    grant: fake,
    key: fake,
    statement: approvalStatementDigest(statement),
    statementBody: statement,
    signature: signEd25519(serializeApprovalStatement(statement), fx.people[person].signer),
  };
}

beforeAll(async () => {
  log = [];
  fx = await createApiFixture();
  home = fx.home;
  config = configWith();
  app = createApp({ home, config });
  call = createApiClient(app, { origin: ORIGIN });
  sealedDraft = await fx.propose();
});

afterAll(async () => {
  await fx?.cleanup();
});

describe('the document and the routes', () => {
  it('documents every route the app serves, and serves every route it documents', () => {
    const served = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL' && (r.path.startsWith('/v1/') || OPS_PATHS.includes(r.path)))
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`),
    );
    const documented = new Set(operationsOf(OPENAPI).map((o) => `${o.method} ${o.path}`));
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it('serves the OpenAPI document and the health check without a token', async () => {
    const doc = await call('GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body).toEqual(JSON.parse(JSON.stringify(OPENAPI)));
    const health = await call('GET', '/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok' });
    for (const name of ['x-content-type-options', 'referrer-policy', 'cache-control']) {
      expect(health.headers.get(name)).toBeTruthy();
    }
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('referrer-policy')).toBe('no-referrer');
    expect(health.headers.get('cache-control')).toBe('no-store');
  });

  it('renders the docs page: every operation, escaped, no script and no external asset', async () => {
    const docs = await call('GET', '/v1/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(docs.headers.get('content-security-policy')).toContain("default-src 'none'");
    for (const { operation } of operationsOf(OPENAPI))
      expect(docs.text).toContain(`id="${operation.operationId}"`);
    for (const name of Object.keys(OPENAPI.components.schemas))
      expect(docs.text).toContain(`id="schema-${name}"`);
    expect(docs.text).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|url\(|@import/i);
    // `sha256:<64 hex>` in a description is text, not markup.
    expect(docs.text).toContain('sha256:&lt;64 hex&gt;');
  });

  it('answers an unknown route with 404 JSON and a wrong method with 405 JSON naming the allowed ones', async () => {
    expectError(await call('GET', '/v1/no-such-thing', as('alice')), 404, 'NOT_FOUND');
    expectError(await call('GET', '/nowhere'), 404, 'NOT_FOUND');
    const wrong = await call('DELETE', '/v1/health', as('alice'));
    expectError(wrong, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.get('allow')).toContain('GET');
    expect(wrong.headers.get('x-content-type-options')).toBe('nosniff');
    const put = await call('PUT', '/v1/drafts', as('alice'));
    expectError(put, 405, 'METHOD_NOT_ALLOWED');
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
  });
});

describe('authentication', () => {
  it('refuses every authenticated route without a token, with a bad one and with a malformed header', async () => {
    const draft = 'draft-0123456789abcdef';
    const digest = sha256('x');
    for (const { method, path: template, operation } of operationsOf(OPENAPI)) {
      if (operation.security?.length === 0) continue;
      const concrete = template.replace('{id}', draft).replace('{ref}', '1').replace('{digest}', digest);
      const upper = method.toUpperCase();
      for (const headers of [
        {},
        { Authorization: `Bearer ${createSecret('token')}` },
        { Authorization: 'Bearer not-a-token' },
        { Authorization: 'Basic YWRtaW46YWRtaW4=' },
        { Cookie: `signet_session=${createSecret('session')}` },
      ]) {
        const response = await call(upper, concrete, { headers });
        expectError(response, 401, 'UNAUTHENTICATED');
        expect(response.headers.get('www-authenticate')).toContain('Bearer');
      }
    }
  });

  it('says who a token authenticates; a revoked token is refused from the next request on', async () => {
    const created = await createApiToken(home, {
      identity: 'carol',
      name: 'short-lived',
      as: fx.people.admin,
    });
    const me = await call('GET', '/v1/whoami', { token: created.secret });
    expect(me.body).toEqual({ identity: 'carol', via: 'token', tokenId: created.token.id });
    const revoked = await revokeApiToken(home, created.token.id, fx.people.admin);
    expect(revoked.revoked).toBe(true);
    for (const { method, path: template, operation } of operationsOf(OPENAPI)) {
      if (operation.security?.length === 0) continue;
      const concrete = template
        .replace('{id}', sealedDraft)
        .replace('{ref}', '1')
        .replace('{digest}', sha256('x'));
      expectError(
        await call(method.toUpperCase(), concrete, { token: created.secret }),
        401,
        'UNAUTHENTICATED',
      );
    }
    // Revoking again changes nothing.
    expect((await revokeApiToken(home, created.token.id, fx.people.admin)).revoked).toBe(false);
  });

  it('stores only the SHA-256 of a token secret', async () => {
    const created = await createApiToken(home, { identity: 'bob', as: fx.people.admin });
    const db = new Database(path.join(home.dir, 'ledger.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM api_tokens').all() as Record<string, unknown>[];
      expect(rows.length).toBeGreaterThan(0);
      const dump = JSON.stringify(rows);
      for (const secret of [created.secret, ...Object.values(fx.tokens)]) {
        expect(dump).not.toContain(secret);
        expect(dump).not.toContain(secret.slice(4));
      }
      const row = rows.find((r) => r['id'] === created.token.id)!;
      expect(row['token_hash']).toBe(createHash('sha256').update(created.secret).digest('hex'));
    } finally {
      db.close();
    }
    const listed = await listApiTokens(home);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
  });

  it('only an admin creates or revokes tokens, and only for an identity with a bound key', async () => {
    await expect(createApiToken(home, { identity: 'bob', as: fx.people.alice })).rejects.toMatchObject({
      code: 'NOT_AUTHORISED',
    });
    await expect(createApiToken(home, { identity: 'nobody', as: fx.people.admin })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    // The admin's name with someone else's key: the key is not bound to them.
    await expect(
      createApiToken(home, { identity: 'bob', as: { identity: 'admin', signer: fx.people.mallory.signer } }),
    ).rejects.toMatchObject({ code: 'KEY_NOT_BOUND' });
    const [first] = await listApiTokens(home);
    await expect(revokeApiToken(home, first!.id, fx.people.bob)).rejects.toMatchObject({
      code: 'NOT_AUTHORISED',
    });
    await expect(revokeApiToken(home, 'tok-0000000000000000', fx.people.admin)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('accepts a live session cookie; a change with a session must come from the server origin', async () => {
    const now = Date.now();
    const secret = await startSession(home, 'alice', 60_000, now);
    const cookie = { Cookie: `signet_session=${secret}` };
    expect((await call('GET', '/v1/whoami', { headers: cookie })).body).toEqual({
      identity: 'alice',
      via: 'session',
    });
    const gate = { model: fx.digests.candidate, context: CONTEXT };
    expectError(await call('POST', '/v1/gate', { headers: cookie, json: gate }), 403, 'NOT_AUTHORISED');
    expectError(
      await call('POST', '/v1/gate', { headers: { ...cookie, Origin: 'https://evil.example' }, json: gate }),
      403,
      'NOT_AUTHORISED',
    );
    const allowed = await call('POST', '/v1/gate', { headers: { ...cookie, Origin: ORIGIN }, json: gate });
    expect(allowed.status).toBe(200);
    const { deploymentIndex } = allowed.body as { deploymentIndex: number };
    const entry = openEntry((await home.ledger.read(deploymentIndex)).envelope, home.logPublicKey);
    expect(entry.statement.predicate['requestedBy']).toEqual({ identity: 'alice', via: 'session' });

    const expired = await startSession(home, 'alice', 60_000, now - 120_000);
    expectError(
      await call('GET', '/v1/whoami', { headers: { Cookie: `signet_session=${expired}` } }),
      401,
      'UNAUTHENTICATED',
    );
    await home.auth.revokeSession(hashSecret(secret), new Date().toISOString());
    expectError(await call('GET', '/v1/whoami', { headers: cookie }), 401, 'UNAUTHENTICATED');
  });

  it('logs every mutating call as identity method path status', () => {
    expect(log).toContain('alice POST /v1/gate 200');
    expect(log).toContain('alice POST /v1/gate 403');
  });
});

describe('the auth store', () => {
  it('consumes a challenge or an invite once, for its purpose, before it expires', async () => {
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms).toISOString();
    await home.auth.createChallenge({
      id: 'ch-1',
      purpose: 'login',
      challenge: encodeBase64Url(new Uint8Array(32)),
      createdAt: at(0),
      expiresAt: at(60_000),
    });
    expect(await home.auth.consumeChallenge('ch-1', 'enrol', at(1))).toBeUndefined();
    const consumed = await Promise.all([
      home.auth.consumeChallenge('ch-1', 'login', at(1)),
      home.auth.consumeChallenge('ch-1', 'login', at(2)),
    ]);
    expect(consumed.filter((c) => c !== undefined)).toHaveLength(1);
    expect(consumed.find((c) => c)?.usedAt).toBe(at(1));
    await home.auth.createChallenge({
      id: 'ch-2',
      purpose: 'login',
      challenge: 'AA',
      identity: 'bob',
      createdAt: at(0),
      expiresAt: at(10),
    });
    expect(await home.auth.consumeChallenge('ch-2', 'login', at(10))).toBeUndefined();

    const invite = createSecret('invite');
    await home.auth.createInvite({
      id: 'inv-1',
      tokenHash: hashSecret(invite),
      identity: 'dora',
      createdBy: 'admin',
      createdAt: at(0),
      expiresAt: at(60_000),
    });
    expect(await home.auth.findInviteByHash(hashSecret(invite))).toMatchObject({
      id: 'inv-1',
      identity: 'dora',
    });
    expect(await home.auth.consumeInvite('inv-1', at(5))).toMatchObject({ usedAt: at(5) });
    expect(await home.auth.consumeInvite('inv-1', at(6))).toBeUndefined();
    expect(await home.auth.purgeExpired(at(120_000))).toBeGreaterThanOrEqual(3);
  });
});

describe('the log', () => {
  it('serves the signed checkpoint as text', async () => {
    const response = await call('GET', '/v1/log/checkpoint', as('alice'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const stored = await home.ledger.checkpoint();
    expect(response.text).toBe(Buffer.from(stored.note).toString('utf8'));
    expect(response.headers.get('x-signet-tree-size')).toBe(String(stored.size));
  });

  it('pages through entries', async () => {
    const size = await home.ledger.size();
    const first = await call('GET', '/v1/log/entries?limit=2', as('alice'));
    expect(first.body).toMatchObject({ size, from: 0, limit: 2, next: 2 });
    expect((first.body as { entries: { kind: string }[] }).entries.map((e) => e.kind)).toEqual([
      'genesis',
      'identity-key',
    ]);
    const last = await call('GET', `/v1/log/entries?from=${size - 1}&limit=1000`, as('alice'));
    expect(last.body).not.toHaveProperty('next');
    expect((last.body as { entries: unknown[] }).entries).toHaveLength(1);
    const past = await call('GET', `/v1/log/entries?from=${size + 5}`, as('alice'));
    expect((past.body as { entries: unknown[] }).entries).toEqual([]);
    expectError(await call('GET', '/v1/log/entries?limit=1001', as('alice')), 400, 'OUT_OF_RANGE');
    expectError(await call('GET', '/v1/log/entries?limit=0', as('alice')), 400, 'OUT_OF_RANGE');
    expectError(await call('GET', '/v1/log/entries?from=-1', as('alice')), 400, 'INVALID_ARGUMENT');
    expectError(await call('GET', '/v1/log/entries?from=abc', as('alice')), 400, 'INVALID_ARGUMENT');
  });

  it('opens one entry by index or id, with its envelope', async () => {
    const byIndex = await call('GET', '/v1/log/entries/0', as('alice'));
    const body = byIndex.body as { id: Digest; kind: string; envelope: { payload: string } };
    expect(body.kind).toBe('genesis');
    const byId = await call('GET', `/v1/log/entries/${body.id}`, as('alice'));
    expect(byId.body).toEqual(byIndex.body);
    // The envelope is an object too: its exact bytes hash to the entry id.
    const raw = await call('GET', `/v1/objects/${body.id}`, as('alice'));
    expect(sha256(raw.bytes)).toBe(body.id);
    expect(JSON.parse(raw.text)).toEqual(body.envelope);
    expectError(await call('GET', '/v1/log/entries/99999', as('alice')), 404, 'NOT_FOUND');
    expectError(await call('GET', `/v1/log/entries/${sha256('no entry')}`, as('alice')), 404, 'NOT_FOUND');
    expectError(await call('GET', '/v1/log/entries/abc', as('alice')), 400, 'INVALID_ARGUMENT');
    expectError(await call('GET', '/v1/log/entries/sha256:XYZ', as('alice')), 400, 'INVALID_DIGEST');
    expectError(await call('GET', '/v1/log/entries/01', as('alice')), 400, 'INVALID_ARGUMENT');
  });

  it('proves inclusion and consistency as `signet log prove --json` does', async () => {
    const size = await home.ledger.size();
    const inclusion = await call('GET', `/v1/log/proofs/inclusion?index=1&size=${size}`, as('alice'));
    expect(inclusion.body).toEqual(await proveInclusion(home, 1, size));
    const current = await call('GET', '/v1/log/proofs/inclusion?index=0', as('alice'));
    expect(current.body).toMatchObject({ index: 0, size });
    const consistency = await call('GET', `/v1/log/proofs/consistency?first=2&second=${size}`, as('alice'));
    expect(consistency.body).toMatchObject({ oldSize: 2, newSize: size });
    expectError(await call('GET', '/v1/log/proofs/inclusion', as('alice')), 400, 'INVALID_ARGUMENT');
    expectError(
      await call('GET', `/v1/log/proofs/inclusion?index=${size}`, as('alice')),
      400,
      'OUT_OF_RANGE',
    );
    expectError(
      await call('GET', '/v1/log/proofs/consistency?first=2', as('alice')),
      400,
      'INVALID_ARGUMENT',
    );
    expectError(
      await call('GET', `/v1/log/proofs/consistency?first=${size}&second=2`, as('alice')),
      400,
      'OUT_OF_RANGE',
    );
  });
});

describe('objects', () => {
  it('stores an object under its digest once, and streams it back with its digest', async () => {
    const bytes = new TextEncoder().encode('challenger report\n');
    const digest = sha256(bytes);
    const put = await call('PUT', `/v1/objects/${digest}`, { ...as('alice'), body: bytes });
    expect(put.status).toBe(201);
    expect(put.body).toEqual({ digest, size: bytes.length, created: true });
    const again = await call('PUT', `/v1/objects/${digest}`, { ...as('alice'), body: bytes });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false });
    const got = await call('GET', `/v1/objects/${digest}`, as('bob'));
    expect(got.status).toBe(200);
    expect(got.text).toBe('challenger report\n');
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(got.headers.get('x-signet-digest')).toBe(digest);
    expect(got.headers.get('digest')).toBe(`sha-256=${createHash('sha256').update(bytes).digest('base64')}`);
    const head = await call('HEAD', `/v1/objects/${digest}`, as('bob'));
    expect(head.status).toBe(200);
    expect(head.headers.get('x-signet-digest')).toBe(digest);
    expect(log).toContain(`alice PUT /v1/objects/${digest} 201`);
  });

  it('refuses a body that does not hash to the digest, and stores nothing', async () => {
    const claimed = sha256('what the client claims');
    const response = await call('PUT', `/v1/objects/${claimed}`, {
      ...as('alice'),
      body: new TextEncoder().encode('something else'),
    });
    expectError(response, 422, 'DIGEST_MISMATCH');
    expect((response.body as { details: { actual: string } }).details.actual).toBe(sha256('something else'));
    expect(await home.objects.has(claimed)).toBe(false);
    expect(await home.objects.has(sha256('something else'))).toBe(false);
    expect(await readdir(path.join(home.dir, 'objects', 'tmp'))).toEqual([]);
  });

  it('refuses an upload over the limit, counted while streaming, whatever Content-Length says', async () => {
    const small = createApp({ home, config: configWith({ maxObjectBytes: 1024 }) });
    const smallCall = createApiClient(small, { origin: ORIGIN });
    const big = new Uint8Array(1025).fill(7);
    const digest = sha256(big);
    expectError(
      await smallCall('PUT', `/v1/objects/${digest}`, { ...as('alice'), body: big }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    // Streamed with no Content-Length: counted as it arrives.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++)
          controller.enqueue(big.subarray(i * 128, (i + 1) * 128 + (i === 7 ? 1 : 0)));
        controller.close();
      },
    });
    expectError(
      await smallCall('PUT', `/v1/objects/${digest}`, { ...as('alice'), body: stream }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect(await home.objects.has(digest)).toBe(false);
    // Exactly at the limit is fine.
    const fits = big.subarray(0, 1024);
    expect(
      (await smallCall('PUT', `/v1/objects/${sha256(fits)}`, { ...as('alice'), body: fits })).status,
    ).toBe(201);
  });

  it('answers 404 for a missing object and 400 for a malformed digest', async () => {
    expectError(await call('GET', `/v1/objects/${sha256('never stored')}`, as('alice')), 404, 'NOT_FOUND');
    expect((await call('HEAD', `/v1/objects/${sha256('never stored')}`, as('alice'))).status).toBe(404);
    for (const bad of ['sha256:abc', `sha256:${'A'.repeat(64)}`, 'md5:00', '..%2F..%2Fetc%2Fpasswd']) {
      expectError(await call('GET', `/v1/objects/${bad}`, as('alice')), 400, 'INVALID_DIGEST');
      expectError(
        await call('PUT', `/v1/objects/${bad}`, { ...as('alice'), body: 'x' }),
        400,
        'INVALID_DIGEST',
      );
    }
  });
});

describe('registrations', () => {
  it('registers a model uploaded as an object, as the CLI registers the file', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ weights: [0.7] }) + '\n');
    const digest = sha256(bytes);
    expect((await call('PUT', `/v1/objects/${digest}`, { ...as('alice'), body: bytes })).status).toBe(201);
    const request = {
      name: MODEL,
      artefact: digest,
      class: 'logistic-regression',
      hyperparameters: { C: 1 },
      inputContract: { features: [{ name: 'age', type: 'integer' }] },
    };
    const response = await call('POST', '/v1/models', { ...as('alice'), json: request });
    expect(response.status, response.text).toBe(201);
    expect(response.body).toMatchObject({ name: MODEL, digest, artefact: 'file', size: bytes.length });
    // The same record as registering the same bytes from a file.
    const file = path.join(fx.root, 'same-model.json');
    await writeFile(file, bytes);
    const hyper = path.join(fx.root, 'hyper.json');
    await writeFile(hyper, JSON.stringify(request.hyperparameters));
    const contract = path.join(fx.root, 'contract.json');
    await writeFile(contract, JSON.stringify(request.inputContract));
    const direct = await registerModel(home, file, {
      name: MODEL,
      class: 'logistic-regression',
      hyperparametersFile: hyper,
      inputContractFile: contract,
    });
    expect(response.body).toEqual({ registration: direct.registration, ...direct.record });
    expect(await readdir(path.join(home.dir, 'tmp'))).toEqual([]);
  });

  it('registers a dataset and counts its rows', async () => {
    const bytes = new TextEncoder().encode('a,b\n1,2\n3,4\n5,6\n');
    const digest = sha256(bytes);
    await call('PUT', `/v1/objects/${digest}`, { ...as('alice'), body: bytes });
    const response = await call('POST', '/v1/datasets', {
      ...as('alice'),
      json: { label: 'holdout', artefact: digest, format: 'csv' },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ label: 'holdout', digest, format: 'csv', rows: 3 });
    const unknown = await call('POST', '/v1/datasets', {
      ...as('alice'),
      json: { label: 'raw', artefact: digest },
    });
    expect(unknown.body).toMatchObject({ format: 'unknown' });
    expect(unknown.body).not.toHaveProperty('rows');
  });

  it('refuses bad bodies: missing fields, bad JSON, not JSON, too large, an object not uploaded', async () => {
    const missing = await call('POST', '/v1/models', { ...as('alice'), json: { artefact: 'sha256:zz' } });
    expectError(missing, 400, 'INVALID_ARGUMENT');
    const problems = (missing.body as { details: { problems: { path: string }[] } }).details.problems;
    expect(problems.map((p) => p.path).sort()).toEqual(['/artefact', '/name']);
    expectError(
      await call('POST', '/v1/models', {
        ...as('alice'),
        json: { name: 'm', artefact: sha256('a'), extra: 1 },
      }),
      400,
      'INVALID_ARGUMENT',
    );
    expectError(
      await call('POST', '/v1/models', {
        ...as('alice'),
        body: '{"name": "m",',
        headers: { 'Content-Type': 'application/json' },
      }),
      400,
      'INVALID_JSON',
    );
    expectError(
      await call('POST', '/v1/models', {
        ...as('alice'),
        body: 'name=m',
        headers: { 'Content-Type': 'text/plain' },
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await call('POST', '/v1/models', {
        ...as('alice'),
        json: { name: 'm', artefact: sha256('not uploaded') },
      }),
      404,
      'NOT_FOUND',
    );
    const bytes = new TextEncoder().encode('{}');
    await call('PUT', `/v1/objects/${sha256(bytes)}`, { ...as('alice'), body: bytes });
    expectError(
      await call('POST', '/v1/models', {
        ...as('alice'),
        json: { name: 'm', artefact: sha256(bytes), inputContract: { features: 'none' } },
      }),
      400,
      'INVALID_ARGUMENT',
    );
    expectError(
      await call('POST', '/v1/datasets', {
        ...as('alice'),
        json: { artefact: sha256(bytes), format: '../x' },
      }),
      400,
      'INVALID_ARGUMENT',
    );
    const huge = { name: 'm', artefact: sha256('a'), class: 'x'.repeat(1024 * 1024) };
    expectError(await call('POST', '/v1/models', { ...as('alice'), json: huge }), 413, 'PAYLOAD_TOO_LARGE');
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify(huge)));
        controller.close();
      },
    });
    expectError(
      await call('POST', '/v1/datasets', {
        ...as('alice'),
        body: streamed,
        headers: { 'Content-Type': 'application/json' },
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });
});

describe('drafts', () => {
  it('lists drafts with what is waiting for the caller', async () => {
    const forAlice = await call('GET', '/v1/drafts?status=open', as('alice'));
    const row = (
      forAlice.body as { drafts: { id: string; waitingForMe: boolean; requester: string }[] }
    ).drafts.find((d) => d.id === sealedDraft);
    expect(row).toMatchObject({ requester: 'alice', waitingForMe: false, model: MODEL, context: CONTEXT });
    const forBob = await call('GET', '/v1/drafts', as('bob'));
    expect((forBob.body as { drafts: { id: string; waitingForMe: boolean }[] }).drafts).toContainEqual(
      expect.objectContaining({ id: sealedDraft, waitingForMe: true }),
    );
    // Only for someone who holds a role the route needs: carol approves every model; mallory holds no role.
    for (const [person, waiting] of [
      ['carol', true],
      ['mallory', false],
    ] as const) {
      const listed = await call('GET', '/v1/drafts', as(person));
      expect((listed.body as { drafts: { id: string; waitingForMe: boolean }[] }).drafts).toContainEqual(
        expect.objectContaining({ id: sealedDraft, waitingForMe: waiting }),
      );
    }
    expect((await call('GET', '/v1/drafts?status=sealed', as('bob'))).body).toEqual({ drafts: [] });
    expectError(await call('GET', '/v1/drafts?status=bogus', as('bob')), 400, 'INVALID_ARGUMENT');
  });

  it('the inbox page lists what waits for the signed-in person, and counts what needs a role they do not hold', async () => {
    const inboxOf = async (identity: string): Promise<string> => {
      const secret = await startSession(home, identity, 60_000);
      // A page, not an API route: asked of the app directly (the API client checks the OpenAPI document).
      const page = await app.request('/inbox', { headers: { Cookie: `signet_session=${secret}` } });
      expect(page.status).toBe(200);
      return page.text();
    };
    const forBob = await inboxOf('bob');
    expect(forBob).toContain(sealedDraft);
    expect(forBob).not.toContain('need a role you do not hold');
    const forMallory = await inboxOf('mallory');
    expect(forMallory).not.toContain(sealedDraft);
    expect(forMallory).toContain('Nothing is waiting for you.');
    expect(forMallory).toMatch(/\d+ other open drafts? needs? a role you do not hold/);
  });

  it('shows a draft with its inputs and requirement, and its review document byte for byte', async () => {
    const detail = await call('GET', `/v1/drafts/${sealedDraft}`, as('bob'));
    expect(detail.body).toMatchObject({ draft: { waitingForMe: true } });
    expect((await call('GET', `/v1/drafts/${sealedDraft}`, as('mallory'))).body).toMatchObject({
      draft: { waitingForMe: false },
    });
    expect(detail.body).toMatchObject({
      kind: 'model',
      requirement: { kind: 'approver', roles: ['approver'], quorum: 1 },
      approvals: [],
    });
    const draft = await home.drafts.getDraft(sealedDraft);
    const review = await call('GET', `/v1/drafts/${sealedDraft}/review`, as('bob'));
    expect(review.status).toBe(200);
    expect(review.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(review.headers.get('content-security-policy')).toBe(
      "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox",
    );
    expect(review.headers.get('x-signet-view-digest')).toBe(draft!.view);
    expect(sha256(review.bytes)).toBe(draft!.view);
    for (const route of ['', '/review', '/approval-statement']) {
      expectError(
        await call('GET', `/v1/drafts/draft-ffffffffffffffff${route}`, as('bob')),
        404,
        'NOT_FOUND',
      );
      expectError(await call('GET', `/v1/drafts/not-a-draft${route}`, as('bob')), 400, 'INVALID_ARGUMENT');
    }
  });

  it('gives the approval statement the caller would sign now, with its digest as the challenge', async () => {
    const response = await call('GET', `/v1/drafts/${sealedDraft}/approval-statement`, as('bob'));
    const { statement, digest, challenge } = response.body as {
      statement: ApprovalStatement;
      digest: Digest;
      challenge: string;
    };
    const draft = (await home.drafts.getDraft(sealedDraft))!;
    expect(statement).toMatchObject({
      decision: 'approve',
      draft: sealedDraft,
      view: draft.view,
      identity: 'bob',
      ledgerSize: await home.ledger.size(),
    });
    expect(digest).toBe(approvalStatementDigest(statement));
    expect(challenge).toBe(encodeBase64Url(digestBytes(digest)));
  });

  it('refuses approvals that are not the caller’s, by the requester, without the role, on an old view, or forged', async () => {
    const size = await home.ledger.size();
    const draft = (await home.drafts.getDraft(sealedDraft))!;
    const facts = {
      draft: sealedDraft,
      view: draft.view,
      model: fx.digests.candidate,
      request: sha256(REQUEST),
      context: CONTEXT,
    };
    const post = (person: Person, approval: unknown) =>
      call('POST', `/v1/drafts/${sealedDraft}/approvals`, { ...as(person), json: approval });

    // Signed by carol, sent with bob's token.
    expectError(await post('bob', await signedApproval(sealedDraft, 'carol')), 403, 'NOT_AUTHORISED');
    // The requester approving her own promotion.
    expectError(
      await post(
        'alice',
        handMadeApproval(createApprovalStatement('approve', facts, 'alice', size), 'alice'),
      ),
      403,
      'SELF_APPROVAL',
    );
    // Mallory has a bound key but no role.
    expectError(
      await post(
        'mallory',
        handMadeApproval(createApprovalStatement('approve', facts, 'mallory', size), 'mallory'),
      ),
      403,
      'NOT_AUTHORISED',
    );
    // Made on another view.
    const stale = createApprovalStatement(
      'approve',
      { ...facts, view: sha256('an older view') },
      'bob',
      size,
    );
    expectError(await post('bob', handMadeApproval(stale, 'bob')), 409, 'STALE_VIEW');
    // A valid approval whose signature was tampered with.
    const genuine = await signedApproval(sealedDraft, 'bob');
    const sig = decodeBase64Strict(genuine.signature.signature)!;
    sig[0] = sig[0]! ^ 1;
    const forged = { ...genuine, signature: { ...genuine.signature, signature: encodeBase64(sig) } };
    expectError(await post('bob', forged), 422, 'BAD_SIGNATURE');
    // Not an approval at all, and not JSON.
    expectError(await post('bob', { statement: 'x' }), 400, 'INVALID_ARGUMENT');
    expectError(
      await call('POST', `/v1/drafts/${sealedDraft}/approvals`, {
        ...as('bob'),
        body: 'not json',
        headers: { 'Content-Type': 'application/json' },
      }),
      400,
      'INVALID_JSON',
    );
    expectError(
      await call('POST', `/v1/drafts/draft-ffffffffffffffff/approvals`, { ...as('bob'), json: genuine }),
      404,
      'NOT_FOUND',
    );
    expect(await home.drafts.listApprovals(sealedDraft)).toEqual([]);
  });

  it('records a valid approval and seals the promotion when it suffices', async () => {
    const before = await home.ledger.size();
    const response = await call('POST', `/v1/drafts/${sealedDraft}/approvals`, {
      ...as('bob'),
      json: await signedApproval(sealedDraft, 'bob'),
    });
    expect(response.status, response.text).toBe(201);
    const body = response.body as {
      sealed: { entry: Digest; index: number };
      valid: number;
      required: number;
    };
    expect(body).toMatchObject({ approved: true, valid: 1, required: 1, roles: ['approver'] });
    expect(body.sealed.index).toBe(before);
    promotion = { entry: body.sealed.entry, index: body.sealed.index };
    expect(log).toContain(`bob POST /v1/drafts/${sealedDraft}/approvals 201`);
    // Closed now.
    expectError(
      await call('POST', `/v1/drafts/${sealedDraft}/approvals`, {
        ...as('carol'),
        json: handMadeApproval(
          createApprovalStatement(
            'approve',
            {
              draft: sealedDraft,
              view: sha256('v'),
              model: fx.digests.candidate,
              request: sha256('r'),
              context: CONTEXT,
            },
            'carol',
            before,
          ),
          'carol',
        ),
      }),
      409,
      'DRAFT_CLOSED',
    );
    expectError(
      await call('GET', `/v1/drafts/${sealedDraft}/approval-statement`, as('carol')),
      409,
      'DRAFT_CLOSED',
    );
    expectError(await call('POST', `/v1/drafts/${sealedDraft}/seal`, as('carol')), 409, 'DRAFT_CLOSED');
    const sealed = await call('GET', `/v1/drafts?status=sealed`, as('carol'));
    expect((sealed.body as { drafts: { id: string; closedBy: string }[] }).drafts).toEqual([
      expect.objectContaining({ id: sealedDraft, closedBy: promotion.entry }),
    ]);
  });

  it('seals only when the approvals suffice', async () => {
    const open = await fx.propose();
    const response = await call('POST', `/v1/drafts/${open}/seal`, as('carol'));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      valid: 0,
      required: 1,
      requirement: { kind: 'approver', roles: ['approver'], quorum: 1 },
    });
    expectError(await call('POST', `/v1/drafts/draft-ffffffffffffffff/seal`, as('carol')), 404, 'NOT_FOUND');
  });

  it('rejects a draft with a statement the caller prepared and signed with their own key', async () => {
    const draft = await fx.propose();
    const reason = 'KS below the floor';
    const prepare = (person: Person, body: unknown) =>
      call('POST', `/v1/drafts/${draft}/reject/prepare`, { ...as(person), json: body });
    expectError(await prepare('mallory', { reason }), 403, 'NOT_AUTHORISED');
    expectError(await prepare('carol', { reason: '' }), 400, 'INVALID_ARGUMENT');
    expectError(await prepare('carol', { reason, keyId: sha256('not my key') }), 403, 'KEY_NOT_BOUND');
    const prepared = (await prepare('carol', { reason })).body as {
      statement: { identity: string; kind: string; ledgerSize: number };
      bytes: string;
      digest: Digest;
      keyId: Digest;
    };
    expect(prepared.statement).toMatchObject({ identity: 'carol', kind: 'rejection' });
    const bytes = decodeBase64Strict(prepared.bytes)!;
    expect(digestOfBytes(bytes)).toBe(prepared.digest);
    expect(prepared.keyId).toBe(fx.people.carol.signer.keyId);
    const signature = encodeBase64(fx.people.carol.signer.sign(bytes));
    const submit = (person: Person, body: unknown) =>
      call('POST', `/v1/drafts/${draft}/reject`, { ...as(person), json: body });
    const signed = { reason, keyId: prepared.keyId, statementDigest: prepared.digest, signature };

    // Signed by someone else's key, or for another reason, or not a signature.
    expectError(
      await submit('carol', { ...signed, signature: encodeBase64(fx.people.mallory.signer.sign(bytes)) }),
      422,
      'BAD_SIGNATURE',
    );
    expectError(await submit('carol', { ...signed, reason: 'another reason' }), 409, 'STALE_STATEMENT');
    expectError(await submit('carol', { ...signed, signature: 'AAAA' }), 422, 'BAD_SIGNATURE');
    // Bob's token with carol's signed statement: the statement names carol, bob is not her.
    expectError(await submit('bob', signed), 403, 'KEY_NOT_BOUND');
    expect((await home.drafts.getDraft(draft))?.status).toBe('open');

    const size = await home.ledger.size();
    const rejected = await submit('carol', signed);
    expect(rejected.status, rejected.text).toBe(201);
    expect(rejected.body).toMatchObject({ rejected: true, index: size });
    expect((await home.drafts.getDraft(draft))?.status).toBe('rejected');
    const entry = await call('GET', `/v1/log/entries/${size}`, as('carol'));
    expect(entry.body).toMatchObject({ kind: 'rejection' });
    expect(
      (entry.body as { statement: { predicate: { actor: { identity: string; signature: string } } } })
        .statement.predicate.actor,
    ).toMatchObject({ identity: 'carol', signature });

    // Preparing on a closed draft, and a statement made before the log moved.
    expectError(await prepare('carol', { reason }), 409, 'DRAFT_CLOSED');
    const another = await fx.propose();
    const early = (
      await call('POST', `/v1/drafts/${another}/reject/prepare`, { ...as('carol'), json: { reason } })
    ).body as { bytes: string; digest: Digest; keyId: Digest };
    await call('POST', '/v1/gate', {
      ...as('carol'),
      json: { model: fx.digests.baseline, context: CONTEXT },
    });
    expectError(
      await call('POST', `/v1/drafts/${another}/reject`, {
        ...as('carol'),
        json: {
          reason,
          keyId: early.keyId,
          statementDigest: early.digest,
          signature: encodeBase64(fx.people.carol.signer.sign(decodeBase64Strict(early.bytes)!)),
        },
      }),
      409,
      'STALE_STATEMENT',
    );
  });
});

describe('promotions and the gate', () => {
  it('shows a sealed promotion by index or id, verified', async () => {
    const byIndex = await call('GET', `/v1/promotions/${promotion.index}`, as('alice'));
    expect(byIndex.body).toMatchObject({
      kind: 'model-promotion',
      entry: promotion.entry,
      index: promotion.index,
      verified: true,
      reasons: [],
    });
    expect((await call('GET', `/v1/promotions/${promotion.entry}`, as('alice'))).body).toEqual(byIndex.body);
    expectError(await call('GET', '/v1/promotions/0', as('alice')), 400, 'INVALID_ARGUMENT');
    expectError(await call('GET', '/v1/promotions/99999', as('alice')), 404, 'NOT_FOUND');
    expectError(await call('GET', `/v1/promotions/${sha256('none')}`, as('alice')), 404, 'NOT_FOUND');
    expectError(await call('GET', '/v1/promotions/latest', as('alice')), 400, 'INVALID_ARGUMENT');
  });

  it('replays a promotion byte for byte without writing anything', async () => {
    const replayed = await call('GET', `/v1/promotions/${promotion.index}/replay`, as('alice'));
    expect(replayed.body).toMatchObject({
      ok: true,
      identical: true,
      entry: promotion.entry,
      reasons: [],
      written: [],
    });
    expectError(await call('GET', '/v1/promotions/99999/replay', as('alice')), 404, 'NOT_FOUND');
  });

  it('shows and replays a feature-pipeline promotion too', async () => {
    const dir = path.join(fx.root, 'pipeline');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'features.py'), 'def features(row):\n    return row\n');
    await writeFile(
      path.join(dir, 'contract.json'),
      JSON.stringify({ features: [{ name: 'age', type: 'integer' }] }),
    );
    await writeFile(path.join(dir, 'request.md'), 'Adds the age feature.\n');
    const proposed = await proposePipeline(home, {
      path: path.join(dir, 'features.py'),
      name: 'credit-features',
      outputContractFile: path.join(dir, 'contract.json'),
      requestFile: path.join(dir, 'request.md'),
      context: CONTEXT,
      as: fx.people.alice,
    });
    expect((await call('GET', `/v1/drafts/${proposed.draft}`, as('carol'))).body).toMatchObject({
      kind: 'pipeline',
    });
    const approved = await call('POST', `/v1/drafts/${proposed.draft}/approvals`, {
      ...as('carol'),
      json: await signedApproval(proposed.draft, 'carol', 'credit-features'),
    });
    expect(approved.status, approved.text).toBe(201);
    const sealed = (approved.body as { sealed: { index: number } }).sealed;
    expect((await call('GET', `/v1/promotions/${sealed.index}`, as('alice'))).body).toMatchObject({
      kind: 'feature-pipeline-promotion',
      verified: true,
    });
    expect((await call('GET', `/v1/promotions/${sealed.index}/replay`, as('alice'))).body).toMatchObject({
      ok: true,
      identical: true,
    });
  });

  it('allows the promoted model, denies anything else (an answer, not an error), and records both', async () => {
    const before = await home.ledger.size();
    const allow = await call('POST', '/v1/gate', {
      ...as('alice'),
      json: { model: fx.digests.candidate, context: CONTEXT },
    });
    expect(allow.status).toBe(200);
    expect(allow.body).toMatchObject({
      allow: true,
      promotion: promotion.entry,
      reasons: [],
      deploymentIndex: before,
    });
    const deny = await call('POST', '/v1/gate', {
      ...as('alice'),
      json: { model: fx.digests.baseline, context: CONTEXT },
    });
    expect(deny.status).toBe(200);
    expect(deny.body).toMatchObject({ allow: false, deploymentIndex: before + 1 });
    expect((deny.body as { reasons: { code: string }[] }).reasons[0]!.code).toBe('NO_PROMOTION');
    // Each deployment entry names who asked, as the server authenticated them.
    for (const index of [before, before + 1]) {
      const entry = openEntry((await home.ledger.read(index)).envelope, home.logPublicKey);
      expect(entry.kind).toBe('deployment');
      expect(entry.statement.predicate['requestedBy']).toEqual({ identity: 'alice', via: 'token' });
    }
    const wrongContext = await call('POST', '/v1/gate', {
      ...as('alice'),
      json: { model: fx.digests.candidate, context: 'retail-credit/fr' },
    });
    expect(wrongContext.body).toMatchObject({ allow: false, reasons: [{ code: 'WRONG_CONTEXT' }] });
    expect(await home.ledger.size()).toBe(before + 3);
    expectError(
      await call('POST', '/v1/gate', {
        ...as('alice'),
        json: { model: fx.digests.candidate, context: 'Bad Context' },
      }),
      400,
      'INVALID_ARGUMENT',
    );
    expectError(
      await call('POST', '/v1/gate', { ...as('alice'), json: { model: 'sha256:1' } }),
      400,
      'INVALID_ARGUMENT',
    );
    expectError(
      await call('POST', '/v1/gate', {
        ...as('alice'),
        json: { model: fx.digests.candidate, context: 'x'.repeat(2 << 20) },
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect(await home.ledger.size()).toBe(before + 3);
  });

  it('revokes a promotion with a statement the caller signed; the gate denies it from then on', async () => {
    const prepare = (person: Person) =>
      call('POST', `/v1/promotions/${promotion.index}/revoke/prepare`, {
        ...as(person),
        json: { reason: 'drift found in production' },
      });
    expectError(await prepare('mallory'), 403, 'NOT_AUTHORISED');
    expectError(
      await call('POST', '/v1/promotions/0/revoke/prepare', { ...as('bob'), json: { reason: 'x' } }),
      400,
      'INVALID_ARGUMENT',
    );
    const prepared = (await prepare('bob')).body as { bytes: string; digest: Digest; keyId: Digest };
    const revoked = await call('POST', `/v1/promotions/${promotion.entry}/revoke`, {
      ...as('bob'),
      json: {
        reason: 'drift found in production',
        keyId: prepared.keyId,
        statementDigest: prepared.digest,
        signature: encodeBase64(fx.people.bob.signer.sign(decodeBase64Strict(prepared.bytes)!)),
      },
    });
    expect(revoked.status, revoked.text).toBe(201);
    expect(revoked.body).toMatchObject({ revoked: true });
    const gate = await call('POST', '/v1/gate', {
      ...as('alice'),
      json: { model: fx.digests.candidate, context: CONTEXT },
    });
    expect(gate.body).toMatchObject({ allow: false });
    expect(JSON.stringify(gate.body)).toContain('REVOKED');
    expectError(await prepare('bob'), 409, 'DRAFT_CLOSED');
    const shown = await call('GET', `/v1/promotions/${promotion.index}`, as('alice'));
    expect(shown.body).toMatchObject({ verified: false });
  });
});

describe('the policy', () => {
  it('says 404 before a policy is in force, then shows it and routes a candidate by it', async () => {
    expectError(await call('GET', '/v1/policy', as('alice')), 404, 'NOT_FOUND');
    const candidate = { model: fx.digests.candidate, dataset: fx.digests.dataset, context: CONTEXT };
    const metrics = { dataset: fx.digests.dataset, candidate: { auc: 0.81 }, challenger: { auc: 0.78 } };
    expectError(
      await call('POST', '/v1/policy/test', { ...as('alice'), json: { ...candidate, metrics } }),
      404,
      'NOT_FOUND',
    );

    const file = path.join(fx.root, 'policy.yaml');
    await writeFile(file, POLICY_YAML);
    await applyPolicy(home, file, fx.people.admin);
    const shown = await call('GET', '/v1/policy', as('alice'));
    expect(shown.body).toEqual(JSON.parse(JSON.stringify(await showPolicy(home))));
    const forModel = await call('GET', `/v1/policy?model=${MODEL}`, as('alice'));
    expect(forModel.body).toHaveProperty('effective');
    expectError(await call('GET', '/v1/policy?model=', as('alice')), 400, 'INVALID_ARGUMENT');

    const routed = await call('POST', '/v1/policy/test', { ...as('alice'), json: { ...candidate, metrics } });
    expect(routed.status, routed.text).toBe(200);
    expect(routed.body).toMatchObject({
      model: { name: MODEL, digest: fx.digests.candidate },
      context: CONTEXT,
    });
    expect(['low', 'material']).toContain((routed.body as { materiality: string }).materiality);

    expectError(
      await call('POST', '/v1/policy/test', { ...as('alice'), json: candidate }),
      400,
      'INVALID_ARGUMENT',
    );
    const unregistered = await call('POST', '/v1/policy/test', {
      ...as('alice'),
      json: { ...candidate, model: sha256('unregistered'), metrics },
    });
    expectError(unregistered, 400, 'INVALID_ARGUMENT');
    expect(unregistered.text).toContain('is not registered');
    const wrongMetrics = await call('POST', '/v1/policy/test', {
      ...as('alice'),
      json: { ...candidate, metrics: { candidate: 'no' } },
    });
    expectError(wrongMetrics, 400, 'INVALID_ARGUMENT');
    expect(await readdir(path.join(home.dir, 'tmp'))).toEqual([]);
  });
});

describe('the server config', () => {
  it('defaults the origin to where it listens and the object limit to 256 MiB, or SIGNET_MAX_OBJECT_BYTES', () => {
    const listen = { host: '127.0.0.1', port: 9000 };
    expect(createServerConfig(listen, {}, {})).toMatchObject({
      origin: 'http://127.0.0.1:9000',
      maxJsonBytes: 1024 * 1024,
      maxObjectBytes: 256 * 1024 * 1024,
    });
    expect(createServerConfig({ host: '::1', port: 80 }, {}, {}).origin).toBe('http://[::1]');
    expect(createServerConfig(listen, {}, { SIGNET_MAX_OBJECT_BYTES: '4096' }).maxObjectBytes).toBe(4096);
    expect(createServerConfig(listen, { origin: 'HTTPS://Signet.Example.COM/' }, {}).origin).toBe(
      'https://signet.example.com',
    );
    for (const env of [{ SIGNET_MAX_OBJECT_BYTES: '1e9' }, { SIGNET_MAX_OBJECT_BYTES: '-1' }]) {
      expect(() => createServerConfig(listen, {}, env)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    for (const origin of ['ftp://x', 'http://x/app', 'not a url', 'http://u:p@x']) {
      expect(() => createServerConfig(listen, { origin }, {})).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('failures of the server', () => {
  it('answers 500 INTERNAL with no cause in the body, and logs the stack', async () => {
    const broken: Home = {
      ...home,
      ledger: {
        ...home.ledger,
        size: () => Promise.reject(new Error('disk on fire at /srv/secret/ledger.sqlite')),
      },
    };
    const lines: string[] = [];
    const brokenApp = createApp({
      home: broken,
      config: createServerConfig({ host: '127.0.0.1', port: 8080 }, { log: (line) => lines.push(line) }, {}),
    });
    const response = await createApiClient(brokenApp)('GET', '/v1/log/entries', as('alice'));
    expectError(response, 500, 'INTERNAL');
    expect(response.body).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(response.text).not.toContain('secret');
    expect(lines.join('\n')).toContain('disk on fire');
    expect(lines.join('\n')).toMatch(/\n\s+at /);
  });
});

describe('over a real listener', () => {
  let server: RunningServer;
  let lines: string[];

  beforeAll(async () => {
    lines = [];
    server = await startServer({
      home,
      port: 0,
      host: '127.0.0.1',
      env: {},
      log: (line) => lines.push(line),
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function fetchApi(method: string, route: string, init: RequestInit & { duplex?: 'half' } = {}) {
    return fetch(new URL(route, server.url), {
      method,
      ...init,
      headers: { Authorization: `Bearer ${fx.tokens.alice}`, ...(init.headers as Record<string, string>) },
    });
  }

  async function checked(method: string, route: string, response: Response): Promise<ApiResponse> {
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = Buffer.from(bytes).toString('utf8');
    const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
    const result = {
      status: response.status,
      headers: response.headers,
      bytes,
      text,
      body: isJson ? JSON.parse(text) : undefined,
    };
    expectDocumented(method, route, result);
    return result;
  }

  it('listens on the port it was given (any free one for 0) and says so', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.url).not.toContain(':0/');
    expect(server.config.origin).toBe(server.url.slice(0, -1));
    const health = await checked('GET', '/v1/health', await fetch(new URL('/v1/health', server.url)));
    expect(health.body).toMatchObject({ status: 'ok' });
  });

  it('streams an 8 MiB object up and down with its digest checked', async () => {
    const bytes = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) & 0xff;
    const digest = sha256(bytes);
    const put = await checked(
      'PUT',
      `/v1/objects/${digest}`,
      await fetchApi('PUT', `/v1/objects/${digest}`, { body: bytes }),
    );
    expect(put.status).toBe(201);
    const response = await fetchApi('GET', `/v1/objects/${digest}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-signet-digest')).toBe(digest);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
    }
    expect(size).toBe(bytes.length);
    expect(`sha256:${hash.digest('hex')}`).toBe(digest);
    expect(lines).toContain(`alice PUT /v1/objects/${digest} 201`);
  });

  it('aborts the stream of an object whose bytes changed on disk, small or large', async () => {
    for (const length of [64, 3 * 1024 * 1024 + 17]) {
      const bytes = new Uint8Array(length).fill(length & 0xff);
      const { digest } = await home.objects.put(bytes);
      const hex = digest.slice('sha256:'.length);
      const file = path.join(home.dir, 'objects', 'sha256', hex.slice(0, 2), hex.slice(2));
      await chmod(file, 0o644);
      const tampered = new Uint8Array(bytes);
      tampered[length - 1] = tampered[length - 1]! ^ 1;
      await writeFile(file, tampered);
      const response = await fetchApi('GET', `/v1/objects/${digest}`);
      expect(response.status).toBe(200);
      await expect(response.arrayBuffer()).rejects.toThrow();
      expect(lines.some((l) => l.includes(digest) && l.includes('DIGEST_MISMATCH'))).toBe(true);
    }
    // The server is still serving.
    expect((await fetchApi('GET', '/v1/whoami')).status).toBe(200);
  });

  it('answers errors as JSON over the wire too', async () => {
    const response = await fetch(new URL('/v1/whoami', server.url));
    const body = await checked('GET', '/v1/whoami', response);
    expectError(body, 401, 'UNAUTHENTICATED');
    const tooBig = await fetchApi('POST', '/v1/gate', {
      body: JSON.stringify({ model: fx.digests.candidate, context: 'x'.repeat(1024 * 1024) }),
      headers: { 'Content-Type': 'application/json' },
    });
    expectError(await checked('POST', '/v1/gate', tooBig), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('reads JSON bodies from the socket within the limit: whole, chunked, over the limit or cut short', async () => {
    const gate = JSON.stringify({ model: fx.digests.candidate, context: 'socket-read' });
    const whole = await checked(
      'POST',
      '/v1/gate',
      await fetchApi('POST', '/v1/gate', { body: gate, headers: { 'Content-Type': 'application/json' } }),
    );
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ context: 'socket-read' });
    // No Content-Length (chunked): counted as it arrives, over the limit refused.
    const chunks = (text: string, size: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          const bytes = new TextEncoder().encode(text);
          for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.subarray(i, i + size));
          controller.close();
        },
      });
    const chunked = await fetchApi('POST', '/v1/gate', {
      body: chunks(gate, 7),
      duplex: 'half',
      headers: { 'Content-Type': 'application/json' },
    });
    expect((await checked('POST', '/v1/gate', chunked)).status).toBe(200);
    // A body shorter than its Content-Length, the connection then closed: nothing is recorded, and the
    // server goes on serving.
    const size = await home.ledger.size();
    const url = new URL(server.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.end(
          'POST /v1/gate HTTP/1.1\r\n' +
            `Host: ${url.host}\r\nAuthorization: Bearer ${fx.tokens.alice}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n' +
            gate.slice(0, 20),
        );
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
      socket.resume();
    });
    expect((await fetchApi('GET', '/v1/whoami')).status).toBe(200);
    expect(await home.ledger.size()).toBe(size);
    // Last: the server closes a connection whose body it refused unread, so a client's pool may have to
    // open a new one for its next request.
    const hugeChunked = await fetchApi('POST', '/v1/gate', {
      body: chunks(JSON.stringify({ model: fx.digests.candidate, context: 'y'.repeat(2 << 20) }), 65536),
      duplex: 'half',
      headers: { 'Content-Type': 'application/json' },
    });
    expectError(await checked('POST', '/v1/gate', hugeChunked), 413, 'PAYLOAD_TOO_LARGE');
  });
});
