// Applying a materiality policy over the HTTP API: the admin prepares the policy statement, signs it with
// their own key and submits it (the server never signs for a person). The errors: a document with
// problems (400 naming each path), a caller who is not an admin (403), a signature by another key or over
// another document (409, prepare again), the same policy twice (400). Responses are checked against the OpenAPI
// document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../src/server/app.js';
import { createServerConfig } from '../src/server/config.js';
import { decodeBase64Strict, encodeBase64 } from '../src/signing/base64.js';
import type { Digest } from '../src/signing/digest.js';
import { createApiClient, codeOf, type ApiCall } from './helpers/api.js';
import { CONTEXT, createApiFixture, type ApiFixture, type Person } from './helpers/api-fixture.js';

const POLICY = `version: 1
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
let call: ApiCall;
const as = (person: Person) => ({ token: fx.tokens[person] });

interface Prepared {
  bytes: string;
  digest: Digest;
  keyId: Digest;
}

beforeAll(async () => {
  fx = await createApiFixture();
  const app = createApp({
    home: fx.home,
    config: createServerConfig({ host: '127.0.0.1', port: 8080 }, { log: () => undefined }),
  });
  call = createApiClient(app);
});

afterAll(async () => {
  await fx.cleanup();
});

describe('POST /v1/policy/apply', () => {
  it('refuses a document with problems (400, every path), and a caller who is not an admin (403)', async () => {
    const bad = await call('POST', '/v1/policy/apply/prepare', {
      ...as('admin'),
      json: { document: 'version: 1\ndefaults: { tier: nowhere }\ntiers: {}\n' },
    });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.text).toContain('defaults');
    const notAdmin = await call('POST', '/v1/policy/apply/prepare', {
      ...as('bob'),
      json: { document: POLICY },
    });
    expect(notAdmin.status).toBe(403);
    expect(codeOf(notAdmin)).toBe('NOT_AUTHORISED');
    expect((await call('POST', '/v1/policy/apply/prepare', { json: { document: POLICY } })).status).toBe(401);
  });

  it('refuses a signature by another key or over another document; applies it once', async () => {
    const prepared = (
      await call('POST', '/v1/policy/apply/prepare', { ...as('admin'), json: { document: POLICY } })
    ).body as Prepared;
    const bytes = decodeBase64Strict(prepared.bytes)!;
    const signed = (signer: Person, document = POLICY) => ({
      document,
      keyId: prepared.keyId,
      statementDigest: prepared.digest,
      signature: encodeBase64(fx.people[signer].signer.sign(bytes)),
    });
    const size = await fx.home.ledger.size();
    const byBob = await call('POST', '/v1/policy/apply', { ...as('admin'), json: signed('bob') });
    expect(byBob.status).toBe(422);
    const otherDocument = await call('POST', '/v1/policy/apply', {
      ...as('admin'),
      json: signed('admin', POLICY.replace('down: 0.02', 'down: 0.5')),
    });
    expect(otherDocument.status, otherDocument.text).toBe(409);
    expect(codeOf(otherDocument)).toBe('STALE_STATEMENT');
    expect(await fx.home.ledger.size()).toBe(size);
    const applied = await call('POST', '/v1/policy/apply', { ...as('admin'), json: signed('admin') });
    expect(applied.status, applied.text).toBe(201);
    expect(applied.body).toMatchObject({ version: 1, index: size });
    const shown = await call('GET', '/v1/policy', as('alice'));
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ version: 1 });
    // The same signed statement again: that policy is in force already; nothing is appended.
    const again = await call('POST', '/v1/policy/apply', { ...as('admin'), json: signed('admin') });
    expect(again.status, again.text).toBe(400);
    expect(again.text).toContain('already in force');
    expect(await fx.home.ledger.size()).toBe(size + 1);
  });
});
