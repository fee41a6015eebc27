// The AuthStore port's contract, run over every adapter: tokens, sessions, invites and challenges as the
// port's doc comments state them, with invites and challenges used once even by two stores on one
// database racing for them, and only hashes of secrets ever read back.
import { createHash } from 'node:crypto';

import { afterEach, describe, expect, it } from 'vitest';

import type { AuthStore, NewApiToken, NewChallenge, NewInvite, NewSession } from '../auth.js';

export interface AuthContractSubject {
  /** A new, empty store. */
  open(): Promise<AuthStore>;
  /** Two stores on one new, empty database (file), as two processes or servers open it. */
  openTwo(): Promise<readonly [AuthStore, AuthStore]>;
  /** After each test. */
  cleanup?(): Promise<void>;
}

const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);

/** RFC 3339, `seconds` after 2026-03-01T10:00:00Z. */
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

/** SHA-256 (hex) of a secret: all the store is ever given. */
const hashOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');

function newToken(id: string, createdAt: string, overrides: Partial<NewApiToken> = {}): NewApiToken {
  return {
    id,
    identity: 'ci@example.com',
    name: `pipeline ${id}`,
    tokenHash: hashOf(`secret of ${id}`),
    createdBy: 'admin@example.com',
    createdAt,
    ...overrides,
  };
}

function newSession(secret: string, overrides: Partial<NewSession> = {}): NewSession {
  return {
    idHash: hashOf(secret),
    identity: 'alice@example.com',
    createdAt: at(0),
    expiresAt: at(3600),
    ...overrides,
  };
}

function newInvite(id: string, overrides: Partial<NewInvite> = {}): NewInvite {
  return {
    id,
    tokenHash: hashOf(`invite secret of ${id}`),
    identity: 'bob@example.com',
    createdBy: 'admin@example.com',
    createdAt: at(0),
    expiresAt: at(600),
    ...overrides,
  };
}

function newChallenge(id: string, overrides: Partial<NewChallenge> = {}): NewChallenge {
  return {
    id,
    purpose: 'login',
    challenge: Buffer.from(`challenge bytes of ${id}`).toString('base64url'),
    createdAt: at(0),
    expiresAt: at(300),
    ...overrides,
  };
}

/** A token or invite as read back: what was given, without the hash of its secret. */
function withoutHash<T extends { readonly tokenHash: string }>(given: T): Omit<T, 'tokenHash'> {
  const fields = Object.entries(given).filter(([field]) => field !== 'tokenHash');
  return Object.fromEntries(fields) as Omit<T, 'tokenHash'>;
}

/** No field of `row` carries the hash (a token's or an invite's) that the port does not return. */
function expectNoHash(row: object | undefined, tokenHash: string): void {
  expect(row).toBeDefined();
  expect(row).not.toHaveProperty('tokenHash');
  expect(Object.values(row ?? {})).not.toContain(tokenHash);
}

export function describeAuthContract(name: string, subject: AuthContractSubject): void {
  describe(`AuthStore contract: ${name}`, () => {
    afterEach(async () => {
      await subject.cleanup?.();
    });

    describe('tokens', () => {
      it('finds a token by the hash of its secret and by id, never returning the hash', async () => {
        const auth = await subject.open();
        const token = newToken('tok-0000000000000001', at(0));
        await auth.createToken(token);

        const byHash = await auth.findTokenByHash(token.tokenHash);
        expect(byHash).toEqual(withoutHash(token));
        expectNoHash(byHash, token.tokenHash);
        const byId = await auth.getToken(token.id);
        expect(byId).toEqual(withoutHash(token));
        expectNoHash(byId, token.tokenHash);
        expect(byId).not.toHaveProperty('revokedAt');

        expect(await auth.findTokenByHash(hashOf('another secret'))).toBeUndefined();
        expect(await auth.getToken('tok-ffffffffffffffff')).toBeUndefined();
        // The id names the token; it is not a key to find it by hash.
        expect(await auth.findTokenByHash(token.id)).toBeUndefined();
      });

      it('lists every token oldest first, or one identity’s', async () => {
        const auth = await subject.open();
        const second = newToken('tok-000000000000000a', at(2));
        const first = newToken('tok-000000000000000b', at(1), { identity: 'nightly@example.com' });
        const third = newToken('tok-000000000000000c', at(3), { identity: 'nightly@example.com' });
        expect(await auth.listTokens()).toEqual([]);
        for (const token of [third, first, second]) await auth.createToken(token);

        const all = await auth.listTokens();
        expect(all).toEqual([withoutHash(first), withoutHash(second), withoutHash(third)]);
        for (const [i, row] of all.entries()) expectNoHash(row, [first, second, third][i]!.tokenHash);
        expect(await auth.listTokens({})).toEqual(all);
        expect((await auth.listTokens({ identity: 'nightly@example.com' })).map((t) => t.id)).toEqual([
          first.id,
          third.id,
        ]);
        expect((await auth.listTokens({ identity: 'ci@example.com' })).map((t) => t.id)).toEqual([second.id]);
        expect(await auth.listTokens({ identity: 'nobody@example.com' })).toEqual([]);
      });

      it('revokes a token once, keeps the first revocation time, and still finds it', async () => {
        const auth = await subject.open();
        const token = newToken('tok-0000000000000001', at(0));
        const other = newToken('tok-0000000000000002', at(1));
        await auth.createToken(token);
        await auth.createToken(other);

        expect(await auth.revokeToken(token.id, at(10))).toBe(true);
        expect(await auth.revokeToken(token.id, at(20))).toBe(false);
        expect(await auth.revokeToken('tok-ffffffffffffffff', at(20))).toBe(false);

        const revoked = { ...withoutHash(token), revokedAt: at(10) };
        expect(await auth.getToken(token.id)).toEqual(revoked);
        // Revoked or not: the caller decides.
        expect(await auth.findTokenByHash(token.tokenHash)).toEqual(revoked);
        expect(await auth.listTokens()).toEqual([revoked, withoutHash(other)]);
        expect(await auth.getToken(other.id)).not.toHaveProperty('revokedAt');
      });
    });

    describe('sessions', () => {
      it('finds a session by the hash of its secret and revokes it once', async () => {
        const auth = await subject.open();
        const session = newSession('cookie-1');
        const other = newSession('cookie-2', { identity: 'carol@example.com' });
        await auth.createSession(session);
        await auth.createSession(other);

        const found = await auth.findSessionByHash(session.idHash);
        expect(found).toEqual(session);
        expect(found).not.toHaveProperty('revokedAt');
        expect(await auth.findSessionByHash(hashOf('cookie-3'))).toBeUndefined();

        expect(await auth.revokeSession(session.idHash, at(60))).toBe(true);
        expect(await auth.revokeSession(session.idHash, at(120))).toBe(false);
        expect(await auth.revokeSession(hashOf('cookie-3'), at(60))).toBe(false);
        expect(await auth.findSessionByHash(session.idHash)).toEqual({ ...session, revokedAt: at(60) });
        expect(await auth.findSessionByHash(other.idHash)).toEqual(other);
      });
    });

    describe('invites', () => {
      it('finds an invite by the hash of its secret, never returning the hash', async () => {
        const auth = await subject.open();
        const invite = newInvite('inv-1');
        await auth.createInvite(invite);
        const found = await auth.findInviteByHash(invite.tokenHash);
        expect(found).toEqual(withoutHash(invite));
        expectNoHash(found, invite.tokenHash);
        expect(found).not.toHaveProperty('usedAt');
        expect(await auth.findInviteByHash(hashOf('another secret'))).toBeUndefined();
        expect(await auth.findInviteByHash(invite.id)).toBeUndefined();
      });

      it('uses an invite once: a second use and an unknown id give undefined', async () => {
        const auth = await subject.open();
        const invite = newInvite('inv-1');
        await auth.createInvite(invite);

        const used = await auth.consumeInvite(invite.id, at(30));
        expect(used).toEqual({ ...withoutHash(invite), usedAt: at(30) });
        expectNoHash(used, invite.tokenHash);
        expect(await auth.consumeInvite(invite.id, at(31))).toBeUndefined();
        expect(await auth.consumeInvite(invite.id, at(30))).toBeUndefined();
        expect(await auth.consumeInvite('inv-nope', at(30))).toBeUndefined();
        expect(await auth.findInviteByHash(invite.tokenHash)).toEqual({
          ...withoutHash(invite),
          usedAt: at(30),
        });
      });

      it('does not use an invite at or after its expiry, and leaves it unused', async () => {
        const auth = await subject.open();
        const invite = newInvite('inv-1', { expiresAt: at(600) });
        await auth.createInvite(invite);

        expect(await auth.consumeInvite(invite.id, at(600))).toBeUndefined();
        expect(await auth.consumeInvite(invite.id, at(601))).toBeUndefined();
        expect(await auth.consumeInvite(invite.id, at(86_400))).toBeUndefined();
        expect(await auth.findInviteByHash(invite.tokenHash)).not.toHaveProperty('usedAt');
        // Just before its expiry it is still good.
        expect(await auth.consumeInvite(invite.id, at(599))).toEqual({
          ...withoutHash(invite),
          usedAt: at(599),
        });
      });

      it('gives an invite to exactly one of two stores racing for it', async () => {
        const [a, b] = await subject.openTwo();
        const invites = Array.from({ length: 20 }, (_, i) => newInvite(`inv-${i}`));
        for (const invite of invites) await a.createInvite(invite);
        // Created through one store, seen through the other.
        expect(await b.findInviteByHash(invites[0]!.tokenHash)).toEqual(withoutHash(invites[0]!));

        const results = await Promise.all(
          invites.map((invite, i) =>
            Promise.all([a.consumeInvite(invite.id, at(10 + i)), b.consumeInvite(invite.id, at(10 + i))]),
          ),
        );
        for (const [i, pair] of results.entries()) {
          const winners = pair.filter((row) => row !== undefined);
          expect(winners, `invite ${i}`).toEqual([{ ...withoutHash(invites[i]!), usedAt: at(10 + i) }]);
        }
        expect(await a.consumeInvite(invites[0]!.id, at(100))).toBeUndefined();
        expect(await b.consumeInvite(invites[0]!.id, at(100))).toBeUndefined();
      });
    });

    describe('challenges', () => {
      it('uses a challenge once, for its purpose only, keeping its identity', async () => {
        const auth = await subject.open();
        const challenge = newChallenge('ch-1', { purpose: 'approve', identity: 'alice@example.com' });
        await auth.createChallenge(challenge);

        expect(await auth.consumeChallenge(challenge.id, 'login', at(10))).toBeUndefined();
        expect(await auth.consumeChallenge(challenge.id, 'enrol', at(10))).toBeUndefined();
        // A refusal for another purpose does not use it up.
        expect(await auth.consumeChallenge(challenge.id, 'approve', at(11))).toEqual({
          ...challenge,
          usedAt: at(11),
        });
        expect(await auth.consumeChallenge(challenge.id, 'approve', at(12))).toBeUndefined();
        expect(await auth.consumeChallenge(challenge.id, 'approve', at(11))).toBeUndefined();
        expect(await auth.consumeChallenge('ch-nope', 'approve', at(11))).toBeUndefined();
      });

      it('keeps a challenge without an identity without one', async () => {
        const auth = await subject.open();
        const challenge = newChallenge('ch-anonymous');
        expect(challenge).not.toHaveProperty('identity');
        await auth.createChallenge(challenge);
        const used = await auth.consumeChallenge(challenge.id, 'login', at(1));
        expect(used).toEqual({ ...challenge, usedAt: at(1) });
        expect(used).not.toHaveProperty('identity');
      });

      it('does not use a challenge at or after its expiry, and leaves it unused', async () => {
        const auth = await subject.open();
        const challenge = newChallenge('ch-1', { expiresAt: at(300) });
        await auth.createChallenge(challenge);
        expect(await auth.consumeChallenge(challenge.id, 'login', at(300))).toBeUndefined();
        expect(await auth.consumeChallenge(challenge.id, 'login', at(301))).toBeUndefined();
        expect(await auth.consumeChallenge(challenge.id, 'login', at(299))).toEqual({
          ...challenge,
          usedAt: at(299),
        });
      });

      it('gives a challenge to exactly one of two stores racing for it', async () => {
        const [a, b] = await subject.openTwo();
        const challenges = Array.from({ length: 20 }, (_, i) => newChallenge(`ch-${i}`));
        for (const challenge of challenges) await b.createChallenge(challenge);
        const results = await Promise.all(
          challenges.map((challenge) =>
            Promise.all([
              a.consumeChallenge(challenge.id, 'login', at(5)),
              b.consumeChallenge(challenge.id, 'login', at(5)),
            ]),
          ),
        );
        for (const [i, pair] of results.entries()) {
          const winners = pair.filter((row) => row !== undefined);
          expect(winners, `challenge ${i}`).toEqual([{ ...challenges[i]!, usedAt: at(5) }]);
        }
      });
    });

    describe('purgeExpired', () => {
      it('deletes exactly the expired sessions, invites and challenges and counts them', async () => {
        const auth = await subject.open();
        const tokens = [newToken('tok-0000000000000001', at(0)), newToken('tok-0000000000000002', at(1))];
        await auth.revokeToken(tokens[0]!.id, at(2)); // no such token yet: nothing happens
        for (const token of tokens) await auth.createToken(token);
        await auth.revokeToken(tokens[1]!.id, at(2));

        const oldSession = newSession('old', { expiresAt: at(100) });
        const oldRevokedSession = newSession('old-revoked', { expiresAt: at(200) });
        const liveSession = newSession('live', { expiresAt: at(10_000) });
        const liveRevokedSession = newSession('live-revoked', { expiresAt: at(10_000) });
        for (const session of [oldSession, oldRevokedSession, liveSession, liveRevokedSession]) {
          await auth.createSession(session);
        }
        await auth.revokeSession(oldRevokedSession.idHash, at(50));
        await auth.revokeSession(liveRevokedSession.idHash, at(50));

        const oldInvite = newInvite('inv-old', { expiresAt: at(100) });
        const oldUsedInvite = newInvite('inv-old-used', { expiresAt: at(100) });
        const liveInvite = newInvite('inv-live', { expiresAt: at(10_000) });
        const liveUsedInvite = newInvite('inv-live-used', { expiresAt: at(10_000) });
        for (const invite of [oldInvite, oldUsedInvite, liveInvite, liveUsedInvite]) {
          await auth.createInvite(invite);
        }
        expect(await auth.consumeInvite(oldUsedInvite.id, at(50))).toBeDefined();
        expect(await auth.consumeInvite(liveUsedInvite.id, at(50))).toBeDefined();

        const oldChallenge = newChallenge('ch-old', { expiresAt: at(100) });
        const liveChallenge = newChallenge('ch-live', { expiresAt: at(10_000), identity: 'dan@example.com' });
        for (const challenge of [oldChallenge, liveChallenge]) await auth.createChallenge(challenge);

        // Nothing has expired yet.
        expect(await auth.purgeExpired(at(60))).toBe(0);
        // 2 sessions, 2 invites, 1 challenge.
        expect(await auth.purgeExpired(at(5_000))).toBe(5);
        expect(await auth.purgeExpired(at(5_000))).toBe(0);

        expect(await auth.findSessionByHash(oldSession.idHash)).toBeUndefined();
        expect(await auth.findSessionByHash(oldRevokedSession.idHash)).toBeUndefined();
        expect(await auth.findSessionByHash(liveSession.idHash)).toEqual(liveSession);
        expect(await auth.findSessionByHash(liveRevokedSession.idHash)).toEqual({
          ...liveRevokedSession,
          revokedAt: at(50),
        });

        expect(await auth.findInviteByHash(oldInvite.tokenHash)).toBeUndefined();
        expect(await auth.findInviteByHash(oldUsedInvite.tokenHash)).toBeUndefined();
        expect(await auth.findInviteByHash(liveInvite.tokenHash)).toEqual(withoutHash(liveInvite));
        expect(await auth.findInviteByHash(liveUsedInvite.tokenHash)).toEqual({
          ...withoutHash(liveUsedInvite),
          usedAt: at(50),
        });

        // The purged challenge is gone (a late, unexpired-looking use finds nothing); the live one is kept.
        expect(await auth.consumeChallenge(oldChallenge.id, 'login', at(1))).toBeUndefined();
        expect(await auth.consumeChallenge(liveChallenge.id, 'login', at(5_001))).toEqual({
          ...liveChallenge,
          usedAt: at(5_001),
        });

        // Tokens do not expire: never purged.
        expect(await auth.listTokens()).toEqual([
          withoutHash(tokens[0]!),
          { ...withoutHash(tokens[1]!), revokedAt: at(2) },
        ]);
      });
    });
  });
}
