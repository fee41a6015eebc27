import { describe, expect, it } from 'vitest';

import { SignetError } from '../errors.js';
import { createGenesisDraft } from '../ledger/genesis.js';
import {
  openEntry,
  predicateTypeOf,
  sealEntry,
  subjectOf,
  type EntryDraft,
  type OpenedEntry,
  type Predicate,
} from '../ledger/entry.js';
import { digestOfBytes } from '../signing/digest.js';
import { createSigner, privateKeyPemFromSeed, type Signer } from '../signing/keys.js';
import { signAction } from './actor.js';
import { AuthorityState, POLICY_KIND } from './state.js';

const signerOf = (n: number): Signer => createSigner(privateKeyPemFromSeed(new Uint8Array(32).fill(n)));
const logKey = signerOf(1);
const admin = signerOf(2);
const bob = signerOf(3);
const START = Date.UTC(2025, 0, 1);
const POLICY_A = digestOfBytes(new TextEncoder().encode('policy a'));
const POLICY_B = digestOfBytes(new TextEncoder().encode('policy b'));

/** A log in memory: each entry sealed by the log key at the next index, one second apart. */
function createLog(): { entries: OpenedEntry[]; append(draft: EntryDraft): OpenedEntry } {
  const entries: OpenedEntry[] = [];
  return {
    entries,
    append(draft) {
      const index = entries.length;
      const time = new Date(START + index * 1000).toISOString();
      const sealed = sealEntry(draft, { origin: 'test.example/log', index, time }, logKey);
      const entry = openEntry(sealed.envelope, logKey.publicKey);
      entries.push(entry);
      return entry;
    },
  };
}

function action(
  kind: string,
  predicate: Predicate,
  identity: string,
  signer: Signer,
  size: number,
): EntryDraft {
  return {
    subject: [subjectOf(identity, digestOfBytes(new TextEncoder().encode(identity)))],
    predicateType: predicateTypeOf(kind),
    predicate: signAction(kind, predicate, identity, size, signer),
  };
}

/** genesis (admin), bob's key: the state after folding both. */
function setUp(): { state: AuthorityState; log: ReturnType<typeof createLog> } {
  const log = createLog();
  const state = new AuthorityState();
  state.apply(
    log.append(
      createGenesisDraft({
        origin: 'test.example/log',
        logPublicKey: logKey.publicKey,
        admin: { identity: 'admin', publicKey: admin.publicKey },
      }),
    ),
  );
  const key = { scheme: 'ed25519', publicKey: Buffer.from(bob.publicKey).toString('base64') };
  state.apply(log.append(action('identity-key', { identity: 'bob', key }, 'admin', admin, 1)));
  return { state, log };
}

function expectCode(run: () => unknown, code: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe(code);
    return;
  }
  throw new Error(`expected an error with code ${code}`);
}

describe('policy entries in the authority fold', () => {
  it('are admin actions, numbered 1, 2, …; the policy in force at a position is the latest before it', () => {
    const { state, log } = setUp();
    expect(state.policyAt({ size: 2 })).toBeUndefined();
    const first = log.append(action(POLICY_KIND, { policy: POLICY_A, version: 1 }, 'admin', admin, 2));
    state.apply(first);
    const second = log.append(action(POLICY_KIND, { policy: POLICY_B, version: 2 }, 'admin', admin, 3));
    state.apply(second);
    expect(state.policyAt({ size: 2 })).toBeUndefined();
    expect(state.policyAt({ size: 3 })).toMatchObject({ policy: POLICY_A, version: 1, entry: first.id });
    expect(state.policyAt({ size: 4 })).toMatchObject({
      policy: POLICY_B,
      version: 2,
      index: 3,
      actor: 'admin',
    });
    expect(state.policies().map((p) => p.policy)).toEqual([POLICY_A, POLICY_B]);
  });

  it('refuse a policy entry by someone without the admin role', () => {
    const { state, log } = setUp();
    const entry = log.append(action(POLICY_KIND, { policy: POLICY_A, version: 1 }, 'bob', bob, 2));
    expectCode(() => state.apply(entry), 'INCONSISTENT_LOG');
    expect(state.policies()).toEqual([]);
  });

  it('refuse a policy entry with a version out of sequence or no policy digest', () => {
    for (const predicate of [
      { policy: POLICY_A, version: 2 },
      { policy: POLICY_A, version: '1' },
      { policy: 'policy.yaml', version: 1 },
      { version: 1 },
    ]) {
      const { state, log } = setUp();
      const entry = log.append(action(POLICY_KIND, predicate, 'admin', admin, 2));
      expectCode(() => state.apply(entry), 'INCONSISTENT_LOG');
    }
  });
});

describe('authoriseAny', () => {
  const actor = (size: number) => ({ identity: 'bob', keyId: bob.keyId, ledgerSize: size });

  it('authorises by the first of the roles the actor holds, and names every role when none', () => {
    const { state, log } = setUp();
    state.apply(
      log.append(action('role-grant', { identity: 'bob', role: 'credit-risk' }, 'admin', admin, 2)),
    );
    const { grant } = state.authoriseAny(actor(3), ['model-risk', 'credit-risk'], 'credit', { size: 3 });
    expect(grant.role).toBe('credit-risk');
    try {
      state.authoriseAny(actor(3), ['model-risk', 'oncall'], 'credit', { size: 3 });
      throw new Error('authorised');
    } catch (error) {
      expect((error as SignetError).code).toBe('NOT_AUTHORISED');
      expect((error as SignetError).message).toContain('none of the roles model-risk, oncall');
    }
    // A key problem is not hidden behind the roles.
    expectCode(
      () =>
        state.authoriseAny({ ...actor(3), keyId: admin.keyId }, ['model-risk', 'credit-risk'], 'credit', {
          size: 3,
        }),
      'KEY_NOT_BOUND',
    );
  });

  it('judges a time-bounded grant (an on-call window) at the time of the act', () => {
    const { state, log } = setUp();
    const from = new Date(START + 60_000).toISOString();
    const until = new Date(START + 120_000).toISOString();
    const predicate = { identity: 'bob', role: 'oncall', model: 'credit', from, until };
    state.apply(log.append(action('role-grant', predicate, 'admin', admin, 2)));
    const at = (ms: number) => ({ size: 3, time: new Date(START + ms).toISOString() });
    expect(state.authoriseAny(actor(3), ['oncall'], 'credit', at(90_000)).grant.role).toBe('oncall');
    expectCode(() => state.authoriseAny(actor(3), ['oncall'], 'credit', at(30_000)), 'NOT_AUTHORISED');
    expectCode(() => state.authoriseAny(actor(3), ['oncall'], 'credit', at(120_000)), 'NOT_AUTHORISED');
    expectCode(() => state.authoriseAny(actor(3), ['oncall'], 'churn', at(90_000)), 'NOT_AUTHORISED');
  });
});
