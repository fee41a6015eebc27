import { describe, expect, it } from 'vitest';

import { AuthorityState } from '../authority/state.js';
import { signAction } from '../authority/actor.js';
import { SignetError } from '../errors.js';
import { createGenesisDraft } from '../ledger/genesis.js';
import { openEntry, predicateTypeOf, sealEntry, subjectOf, type Predicate } from '../ledger/entry.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import { createSigner, privateKeyPemFromSeed, type Signer } from '../signing/keys.js';
import { createApproval, verifyApproval, type ApprovalContext } from './approval.js';
import { createApprovalStatement, type DecisionFacts } from './draft.js';

const signerOf = (n: number): Signer => createSigner(privateKeyPemFromSeed(new Uint8Array(32).fill(n)));
const logKey = signerOf(11);
const admin = signerOf(12);
const bob = signerOf(13);
const d = (text: string): Digest => digestOfBytes(new TextEncoder().encode(text));
const FACTS: DecisionFacts = {
  draft: 'draft-0123456789abcdef',
  view: d('view'),
  model: d('model'),
  request: d('request'),
  context: 'retail-credit/uk',
};

/** An authority state where bob holds credit-risk and model-risk (in that order of grants). */
function authority(): AuthorityState {
  const state = new AuthorityState();
  let index = 0;
  const append = (predicateType: string, predicate: Predicate): void => {
    const time = new Date(Date.UTC(2025, 0, 1) + index * 1000).toISOString();
    const sealed = sealEntry(
      { subject: [subjectOf('x', d('x'))], predicateType, predicate },
      { origin: 'test.example/log', index, time },
      logKey,
    );
    index += 1;
    state.apply(openEntry(sealed.envelope, logKey.publicKey));
  };
  const genesis = createGenesisDraft({
    origin: 'test.example/log',
    logPublicKey: logKey.publicKey,
    admin: { identity: 'admin', publicKey: admin.publicKey },
  });
  append(genesis.predicateType, genesis.predicate);
  const act = (kind: string, predicate: Predicate): void =>
    append(predicateTypeOf(kind), signAction(kind, predicate, 'admin', index, admin));
  act('identity-key', { identity: 'bob', key: { publicKey: Buffer.from(bob.publicKey).toString('base64') } });
  act('role-grant', { identity: 'bob', role: 'credit-risk' });
  act('role-grant', { identity: 'bob', role: 'model-risk' });
  return state;
}

function context(roles: readonly string[], requester = 'alice'): ApprovalContext {
  return { authority: authority(), modelName: 'credit', requester, roles, position: { size: 4 } };
}

function approve(roles: readonly string[]) {
  const statement = createApprovalStatement('approve', FACTS, 'bob', 4);
  return createApproval(
    statement,
    bob,
    { issuer: 'signet:test.example/log', subject: 'bob' },
    context(roles),
  );
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof SignetError ? error.code : String(error);
  }
  return 'no error';
}

describe('an approval is in the role that authorised it', () => {
  it('takes the first role the route accepts that the approver holds, and verifies in it', () => {
    const approval = approve(['model-risk', 'credit-risk']);
    expect(approval.roles).toEqual(['model-risk']);
    expect(approve(['oncall', 'credit-risk']).roles).toEqual(['credit-risk']);
    expect(() => verifyApproval(approval, FACTS, context(['model-risk', 'credit-risk']))).not.toThrow();
  });

  it('refuses an approver who holds none of the roles, and an approval in a role the route does not accept', () => {
    expect(codeOf(() => approve(['oncall']))).toBe('NOT_AUTHORISED');
    expect(codeOf(() => approve(['approver']))).toBe('NOT_AUTHORISED');
    const approval = approve(['model-risk']);
    // The same approval checked against a low route (on-call only) does not count.
    expect(codeOf(() => verifyApproval(approval, FACTS, context(['oncall'])))).toBe('NOT_AUTHORISED');
  });

  it('refuses a claimed role rewritten to another role the approver holds (the grant no longer matches)', () => {
    const approval = approve(['model-risk', 'credit-risk']);
    const rewritten = { ...approval, roles: ['credit-risk'] };
    expect(codeOf(() => verifyApproval(rewritten, FACTS, context(['model-risk', 'credit-risk'])))).toBe(
      'BAD_SIGNATURE',
    );
    const twoRoles = { ...approval, roles: ['model-risk', 'credit-risk'] };
    expect(codeOf(() => verifyApproval(twoRoles, FACTS, context(['model-risk', 'credit-risk'])))).toBe(
      'BAD_SIGNATURE',
    );
  });

  it('refuses the requester whatever roles they hold', () => {
    const approval = approve(['model-risk']);
    expect(codeOf(() => verifyApproval(approval, FACTS, context(['model-risk'], 'bob')))).toBe(
      'SELF_APPROVAL',
    );
    expect(codeOf(() => verifyApproval(approval, FACTS, context(['oncall'], 'bob')))).toBe('SELF_APPROVAL');
  });
});
