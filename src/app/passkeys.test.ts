// Passkeys in process, on one home built through the app layer, with a software authenticator whose keys
// are made in the test: an admin's invite, enrolment binding the passkey (the invite consumed once), sign-in,
// an approval signed by the passkey over the statement's digest and sealed, verified offline by `verify`,
// the gate and replay; a rejection signed by a passkey. The attacks: a used, expired or unknown invite; a
// passkey of another person; an assertion over another statement; an approval on an older view; a
// tampered passkey approval in the log.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSoftAuthenticator, type SoftAuthenticator } from '../../test/helpers/soft-authenticator.js';
import { REQUEST, SVG } from '../../test/helpers/texts.js';
import { isSignetError } from '../errors.js';
import { openEntry, predicateTypeOf } from '../ledger/entry.js';
import type { ApprovalStatement } from '../promotion/types.js';
import { createSigner, generateKeyPair } from '../signing/keys.js';
import { registrationOptions, authenticationOptions } from '../webauthn/enrol.js';
import { decodeBase64UrlStrict } from '../webauthn/base64url.js';
import { bindIdentity, grantRole, loadAuthority } from './authority.js';
import { checkPromotion, gate } from './gate.js';
import type { Home } from './home.js';
import { initHome } from './init.js';
import {
  approvalToSign,
  approveWithPasskey,
  enrolPasskey,
  findOpenInvite,
  inviteUser,
  rejectionStatementToSign,
  rejectWithPasskey,
  signInWithPasskey,
  type RelyingParty,
} from './passkeys.js';
import { propose, type Actor } from './promote.js';
import { registerDataset, registerModel } from './register.js';
import { replay } from './replay.js';
import { verifyHome } from './verify.js';

const RP: RelyingParty = { rpId: 'localhost', rpName: 'Signet', origin: 'http://localhost:8080' };
const CONTEXT = 'retail-credit/uk';

let root: string;
let home: Home;
let admin: Actor;
let alice: Actor;
let bob: SoftAuthenticator;
let carol: SoftAuthenticator;
let files: { metrics: string; request: string; svg: string };
let digests: { model: string; baseline: string; dataset: string };

function actor(identity: string): Actor {
  return { identity, signer: createSigner(generateKeyPair().privatePem) };
}

async function write(name: string, content: string): Promise<string> {
  const file = path.join(root, 'inputs', name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isSignetError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

/** Enrols a soft authenticator for `identity` through an admin's invite. */
async function enrol(identity: string): Promise<SoftAuthenticator> {
  const { secret } = await inviteUser(home, identity, admin);
  const authenticator = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origin, algorithm: 'ES256' });
  const options = await registrationOptions({ rpId: RP.rpId, rpName: RP.rpName, userId: identity });
  await enrolPasskey(home, secret, authenticator.register(options.options), options.challenge, RP);
  return authenticator;
}

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

/** The signed-in identity approves with its passkey, as the browser does. */
async function approveAs(identity: string, authenticator: SoftAuthenticator, draft: string) {
  const { statement, challenge } = await approvalToSign(home, draft, identity);
  const response = authenticator.assert(decodeBase64UrlStrict(challenge)!);
  return approveWithPasskey(home, draft, identity, statement, response, RP);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'signet-passkeys-'));
  admin = actor('admin');
  ({ home } = await initHome(path.join(root, 'home'), {
    admin: { identity: 'admin', publicKey: admin.signer.publicKey },
  }));
  alice = actor('alice');
  await bindIdentity(home, 'alice', alice.signer.publicKey, admin);
  bob = await enrol('bob');
  carol = await enrol('carol');
  await grantRole(home, { identity: 'bob', role: 'approver' }, admin);
  await grantRole(home, { identity: 'carol', role: 'approver' }, admin);

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
    await registerDataset(home, await write('eval.csv', 'age,default\n31,0\n'), { label: 'eval' })
  ).record.digest;
  digests = { model: await register('v1', [0.4]), baseline: await register('v0', [0.1]), dataset };
  files = {
    metrics: await write(
      'metrics.json',
      JSON.stringify({ dataset, candidate: { auc: 0.8 }, challenger: { auc: 0.78 } }),
    ),
    request: await write('request.md', REQUEST),
    svg: await write('importance.svg', SVG),
  };
});

afterAll(async () => {
  await home.close();
  await rm(root, { recursive: true, force: true });
});

describe('enrolment by invite', () => {
  it('binds the passkey to the invited identity with an identity-key entry that consumes the invite', async () => {
    const authority = await loadAuthority(home);
    const passkeys = authority.passkeys();
    expect(passkeys.map((k) => k.identity)).toEqual(['bob', 'carol']);
    expect(passkeys[0]).toMatchObject({
      scheme: 'webauthn',
      credentialId: bob.credentialId,
      rpId: 'localhost',
    });
  });

  it('refuses an invite used once already, an unknown secret, and an expired invite', async () => {
    const { secret } = await inviteUser(home, 'dave', admin);
    const authenticator = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origin, algorithm: 'Ed25519' });
    const options = await registrationOptions({ rpId: RP.rpId, rpName: RP.rpName, userId: 'dave' });
    await enrolPasskey(home, secret, authenticator.register(options.options), options.challenge, RP);
    const again = await registrationOptions({ rpId: RP.rpId, rpName: RP.rpName, userId: 'dave' });
    const other = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origin, algorithm: 'ES256' });
    expect(
      (await refusal(enrolPasskey(home, secret, other.register(again.options), again.challenge, RP))).code,
    ).toBe('UNAUTHENTICATED');
    expect((await refusal(findOpenInvite(home, 'sgi_not-a-real-secret'))).code).toBe('UNAUTHENTICATED');
    const expired = await inviteUser(home, 'erin', admin, { hours: 1, now: Date.now() - 2 * 3600 * 1000 });
    expect((await refusal(findOpenInvite(home, expired.secret))).message).toContain('expired');
  });

  it('refuses a registration answered for another challenge, with nothing appended', async () => {
    const { secret } = await inviteUser(home, 'frank', admin);
    const size = await home.ledger.size();
    const authenticator = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origin, algorithm: 'ES256' });
    const options = await registrationOptions({ rpId: RP.rpId, rpName: RP.rpName, userId: 'frank' });
    const other = await registrationOptions({ rpId: RP.rpId, rpName: RP.rpName, userId: 'frank' });
    const result = await refusal(
      enrolPasskey(home, secret, authenticator.register(options.options), other.challenge, RP),
    );
    expect(result.code).toBe('BAD_SIGNATURE');
    expect(await home.ledger.size()).toBe(size);
  });
});

describe('sign-in', () => {
  it('an enrolled passkey signs in as its identity; a passkey never enrolled is refused', async () => {
    const options = await authenticationOptions({ rpId: RP.rpId });
    expect(await signInWithPasskey(home, bob.assert(options.options), options.challenge, RP)).toBe('bob');
    const stranger = createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origin, algorithm: 'ES256' });
    expect(
      (await refusal(signInWithPasskey(home, stranger.assert(options.options), options.challenge, RP))).code,
    ).toBe('UNAUTHENTICATED');
    const other = await authenticationOptions({ rpId: RP.rpId });
    expect(
      (await refusal(signInWithPasskey(home, bob.assert(options.options), other.challenge, RP))).code,
    ).toBe('BAD_SIGNATURE');
  });
});

describe('approving with a passkey', () => {
  let sealedId: string;

  it('seals a promotion whose approval is a passkey assertion over the statement digest; verify, the gate and replay check it offline', async () => {
    const draft = await proposeDraft();
    const result = await approveAs('bob', bob, draft);
    expect(result.sealed).toBeDefined();
    sealedId = result.sealed!.id;
    expect(result.approval.signature).toMatchObject({ scheme: 'webauthn', rpId: 'localhost' });
    const report = await verifyHome(home);
    expect(report.ok).toBe(true);
    expect((await gate(home, digests.model as never, CONTEXT)).allow).toBe(true);
    const replayed = await replay(home, sealedId as never);
    expect(replayed.identical).toBe(true);
    expect(replayed.reasons).toEqual([]);
  });

  it('refuses an assertion by a passkey bound to someone else, and one over another statement', async () => {
    const draft = await proposeDraft();
    const { statement, challenge } = await approvalToSign(home, draft, 'bob');
    // carol's passkey answering for bob
    const byCarol = carol.assert(decodeBase64UrlStrict(challenge)!);
    expect((await refusal(approveWithPasskey(home, draft, 'bob', statement, byCarol, RP))).code).toBe(
      'KEY_NOT_BOUND',
    );
    // bob's passkey over a statement with another decision
    const other: ApprovalStatement = { ...statement, decision: 'reject' };
    const over = bob.assert(decodeBase64UrlStrict(challenge)!);
    expect((await refusal(approveWithPasskey(home, draft, 'bob', other, over, RP))).code).toBe(
      'BAD_SIGNATURE',
    );
    // a statement naming another identity than the signed-in one
    expect((await refusal(approveWithPasskey(home, draft, 'carol', statement, over, RP))).code).toBe(
      'KEY_NOT_BOUND',
    );
    // signed for another rpId
    const phished = bob.assert(decodeBase64UrlStrict(challenge)!);
    expect(
      (
        await refusal(
          approveWithPasskey(home, draft, 'bob', statement, phished, { ...RP, rpId: 'evil.example' }),
        )
      ).code,
    ).toBe('BAD_SIGNATURE');
  });

  it('refuses an approval made on another view (STALE_VIEW)', async () => {
    const draft = await proposeDraft();
    const { statement } = await approvalToSign(home, draft, 'carol');
    const stale: ApprovalStatement = { ...statement, view: `sha256:${'0'.repeat(64)}` as never };
    const { approvalStatementDigest } = await import('../promotion/draft.js');
    const { challengeOf } = await import('../webauthn/verify.js');
    const response = carol.assert(challengeOf(approvalStatementDigest(stale)));
    expect((await refusal(approveWithPasskey(home, draft, 'carol', stale, response, RP))).code).toBe(
      'STALE_VIEW',
    );
  });

  it('a passkey approval tampered with in the sealed entry fails verification', async () => {
    const stored = await home.ledger.find(sealedId as never);
    const entry = openEntry(stored!.envelope, home.logPublicKey);
    const authority = await loadAuthority(home);
    const check = await checkPromotion(home, entry, authority);
    expect(check.reasons).toEqual([]);
    const approval = check.promotion.approvals[0]!;
    const signature = approval.signature as { signature: string };
    const flipped = signature.signature.startsWith('M')
      ? `N${signature.signature.slice(1)}`
      : `M${signature.signature.slice(1)}`;
    const { promotionReasons } = await import('../gate/verify-promotion.js');
    const tampered = {
      ...check.promotion,
      approvals: [{ ...approval, signature: { ...approval.signature, signature: flipped } }],
    };
    const reasons = promotionReasons(entry, tampered, authority, undefined);
    expect(reasons.map((r) => r.code)).toContain('BAD_SIGNATURE');
  });
});

describe('rejecting with a passkey', () => {
  it('appends a rejection whose actor signature is a passkey assertion over the action statement; verify checks it', async () => {
    const draft = await proposeDraft();
    const reason = 'the holdout is from the wrong quarter';
    const { statement, challenge } = await rejectionStatementToSign(home, draft, 'carol', reason);
    const response = carol.assert(decodeBase64UrlStrict(challenge)!);
    const entry = await rejectWithPasskey(
      home,
      draft,
      'carol',
      reason,
      statement['ledgerSize'] as number,
      response,
      RP,
    );
    const opened = openEntry(entry.envelope, home.logPublicKey);
    expect(opened.kind).toBe('rejection');
    expect(opened.statement.predicate['actor']).toMatchObject({
      identity: 'carol',
      webauthn: { scheme: 'webauthn' },
    });
    expect((await home.drafts.getDraft(draft))?.status).toBe('rejected');
    expect((await verifyHome(home)).ok).toBe(true);
  });

  it('verify refuses a rejection entry whose passkey signature is over another statement', async () => {
    const draft = await proposeDraft();
    const { statement, challenge } = await rejectionStatementToSign(home, draft, 'carol', 'first reason');
    const response = carol.assert(decodeBase64UrlStrict(challenge)!);
    const { toWebAuthnSignature } = await import('../webauthn/enrol.js');
    const { findPasskey } = await import('./passkeys.js');
    const found = await findPasskey(home, carol.credentialId);
    const webauthn = toWebAuthnSignature(response, found!.credential, RP);
    // Written straight into the log (as a compromised server could): the signature covers "first reason".
    const predicate = { ...(statement['predicate'] as Record<string, unknown>), reason: 'another reason' };
    await home.ledger.append({
      subject: [{ name: 'credit', digest: { sha256: '0'.repeat(64) } }],
      predicateType: predicateTypeOf('rejection'),
      predicate: {
        ...predicate,
        actor: { identity: 'carol', keyId: webauthn.keyId, ledgerSize: statement['ledgerSize'], webauthn },
      },
    });
    const result = await refusal(verifyHome(home));
    expect(result.code).toBe('BAD_SIGNATURE');
    expect(result.message).toContain('rejection');
  });

  it('refuses a rejection whose assertion was made for another reason', async () => {
    const draft = await proposeDraft();
    const { statement, challenge } = await rejectionStatementToSign(home, draft, 'carol', 'reason one');
    const response = carol.assert(decodeBase64UrlStrict(challenge)!);
    const size = await home.ledger.size();
    const result = await refusal(
      rejectWithPasskey(home, draft, 'carol', 'reason two', statement['ledgerSize'] as number, response, RP),
    );
    expect(result.code).toBe('BAD_SIGNATURE');
    expect(await home.ledger.size()).toBe(size);
  });
});
