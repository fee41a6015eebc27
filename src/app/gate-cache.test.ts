// The gate's verification cache, in process on one home built through the app layer: a repeated request
// answers from the cache and still appends its deployment entry; a revocation, a role revocation, a newer
// promotion or an authority entry appended between two requests is read by the very next one; a deny is
// never cached; a tampered object is missed only until the cached verification expires. Each test seals
// a model of its own; the last one breaks the log's authority on purpose and runs last. A cached answer is
// one conditional append and no read. Then the cache by itself: what it hands out, how a settled or a
// refused append moves or drops a record, that a dropped record stays dropped, and the age bound.
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAppHome, CONTEXT, MODEL, type AppHome } from '../../test/helpers/app-home.js';
import { countedDuring } from '../../test/helpers/gate-stats.js';
import { openEntry, predicateTypeOf, subjectOf } from '../ledger/entry.js';
import { readPromotion } from '../promotion/seal.js';
import type { Digest } from '../signing/digest.js';
import { revokeRole } from './authority.js';
import { approve, revokePromotion } from './decide.js';
import { gate, type GateResult } from './gate.js';
import { createGateCache, gateCacheOf, type GateCacheStats } from './gate-cache.js';
import type { Home } from './home.js';
import type { Actor } from './promote.js';
import { POPULATION_SHIFT_KIND } from './route.js';

let app: AppHome;
let home: Home;
let admin: Actor;
let bob: Actor;
let carol: Actor;

const registerNew = (): Promise<Digest> => app.registerNew();
const proposeDraft = (model: Digest): Promise<string> => app.proposeDraft(model);
/** Proposes `model` as alice and seals it with `approver`'s approval; the promotion entry id. */
const seal = (model: Digest, approver: Actor = bob): Promise<Digest> => app.seal(model, { approver });

/** What the home's cache counted during `work`. */
const counted = <T>(work: () => Promise<T>): Promise<{ result: T; stats: GateCacheStats }> =>
  countedDuring(gateCacheOf(home), work);

/** The home with a ledger that counts the reads of model promotions (what a full check does once). */
function countingPromotionReads(base: Home = home): { counting: Home; promotionReads: () => number } {
  let reads = 0;
  const ledger = new Proxy(base.ledger, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (name !== 'entriesOfKinds') {
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      }
      return (kinds: readonly string[]) => {
        if (kinds.includes('model-promotion')) reads += 1;
        return target.entriesOfKinds(kinds);
      };
    },
  });
  return { counting: { ...base, ledger }, promotionReads: () => reads };
}

/** `base` with objects whose first read is held until `release`; `reading` resolves when it starts. */
function holdingFirstObjectRead(base: Home): { held: Home; reading: Promise<void>; release: () => void } {
  const reading = deferred();
  const released = deferred();
  let hold = true;
  const objects = new Proxy(base.objects, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (name !== 'getStream') {
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      }
      return async function* (digest: Digest) {
        if (hold) {
          hold = false;
          reading.resolve();
          await released.promise;
        }
        yield* target.getStream(digest);
      };
    },
  });
  return { held: { ...base, objects }, reading: reading.promise, release: released.resolve };
}

async function deploymentOf(result: GateResult): Promise<Record<string, unknown>> {
  const entry = openEntry((await home.ledger.read(result.deploymentIndex)).envelope, home.logPublicKey);
  expect(entry.kind).toBe('deployment');
  expect(entry.id).toBe(result.deployment);
  return entry.statement.predicate;
}

beforeAll(async () => {
  app = await createAppHome('signet-gate-cache-');
  ({ home, admin, bob, carol } = app);
});

afterAll(async () => {
  await app?.close();
});

describe('the gate cache', () => {
  it('answers a repeated request from the cached verification, and appends a deployment entry on every request', async () => {
    const model = await registerNew();
    const promotion = await seal(model);
    const size = await home.ledger.size();

    const first = await counted(() => gate(home, model, CONTEXT));
    expect(first.stats).toMatchObject({ hits: 0, misses: 1 });
    expect(first.result).toMatchObject({ allow: true, promotion, reasons: [] });

    // The gate's own deployment entries and a population-shift flag do not touch the verdict.
    await home.ledger.append({
      subject: [subjectOf(MODEL, model)],
      predicateType: predicateTypeOf(POPULATION_SHIFT_KIND),
      predicate: { model: MODEL, context: CONTEXT, window: '2025-W14', feature: 'age', psi: 0.31 },
    });
    const again = await counted(async () => [
      await gate(home, model, CONTEXT),
      await gate(home, model, CONTEXT),
    ]);
    expect(again.stats).toMatchObject({ hits: 2, misses: 0, invalidations: 0 });

    const results = [first.result, ...again.result];
    for (const result of results) {
      expect(result).toMatchObject({ allow: true, promotion, reasons: [] });
      // Recorded before the answer, cached or not.
      expect(await deploymentOf(result)).toMatchObject({
        model,
        context: CONTEXT,
        decision: 'allow',
        promotion,
      });
    }
    expect(results.map((r) => r.deploymentIndex)).toEqual([size, size + 2, size + 3]);
    expect(await home.ledger.size()).toBe(size + 4);
  });

  it('a revocation appended between two requests makes the very next one deny, and the deny is not cached', async () => {
    const model = await registerNew();
    const promotion = await seal(model);
    expect((await gate(home, model, CONTEXT)).allow).toBe(true);
    expect((await counted(() => gate(home, model, CONTEXT))).stats.hits).toBe(1);

    await revokePromotion(home, promotion, bob, 'withdrawn for the test');

    const denied = await counted(() => gate(home, model, CONTEXT));
    expect(denied.stats).toMatchObject({ hits: 0, misses: 1, invalidations: 1 });
    expect(denied.result.allow).toBe(false);
    expect(denied.result.reasons.map((r) => r.code)).toEqual(['REVOKED']);
    expect(await deploymentOf(denied.result)).toMatchObject({ decision: 'deny' });

    const still = await counted(() => gate(home, model, CONTEXT));
    expect(still.stats).toMatchObject({ hits: 0, misses: 1 });
    expect(still.result.allow).toBe(false);
  });

  it('a role revocation drops the cached verification; the full check then judges authority at the approval (invariant 6)', async () => {
    const model = await registerNew();
    const promotion = await seal(model, carol);
    await gate(home, model, CONTEXT);
    expect((await counted(() => gate(home, model, CONTEXT))).stats.hits).toBe(1);

    await revokeRole(home, { identity: 'carol', role: 'approver' }, admin);

    const next = await counted(() => gate(home, model, CONTEXT));
    expect(next.stats).toMatchObject({ hits: 0, misses: 1, invalidations: 1 });
    // Carol held the role when she approved and at the seal: the promotion stands, as without a cache.
    gateCacheOf(home).clear();
    const uncached = await gate(home, model, CONTEXT);
    expect(next.result).toMatchObject({ allow: uncached.allow, promotion, reasons: uncached.reasons });
    expect(uncached.allow).toBe(true);
  });

  it('a deny is not cached: a promotion sealed after a deny allows on the next request', async () => {
    const model = await registerNew();
    const draft = await proposeDraft(model);
    const denied = await counted(async () => [
      await gate(home, model, CONTEXT),
      await gate(home, model, CONTEXT),
    ]);
    expect(denied.stats).toMatchObject({ hits: 0, misses: 2 });
    for (const result of denied.result) {
      expect(result.allow).toBe(false);
      expect(result.reasons.map((r) => r.code)).toEqual(['NO_PROMOTION']);
    }

    const promotion = (await approve(home, draft, bob)).sealed!.id;

    const allowed = await counted(() => gate(home, model, CONTEXT));
    expect(allowed.stats).toMatchObject({ hits: 0, misses: 1 });
    expect(allowed.result).toMatchObject({ allow: true, promotion });
    expect((await counted(() => gate(home, model, CONTEXT))).stats.hits).toBe(1);
  });

  it('a newer promotion of the same model in the same context drops the cache; the gate answers with it', async () => {
    const model = await registerNew();
    const older = await seal(model);
    expect(await gate(home, model, CONTEXT)).toMatchObject({ allow: true, promotion: older });
    const newer = await seal(model);
    expect(newer).not.toBe(older);
    const next = await counted(() => gate(home, model, CONTEXT));
    expect(next.stats).toMatchObject({ hits: 0, invalidations: 1 });
    expect(next.result).toMatchObject({ allow: true, promotion: newer });
  });

  it('an object removed after the check is missed only until the cached verification expires', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const cache = createGateCache({ maxAgeMs: 60_000, clock: () => now });
    const model = await registerNew();
    const promotion = await seal(model);
    const stored = await home.ledger.find(promotion);
    const request = readPromotion(openEntry(stored!.envelope, home.logPublicKey).statement.predicate).request
      .document;
    const hex = request.slice('sha256:'.length);
    const file = path.join(home.dir, 'objects', 'sha256', hex.slice(0, 2), hex.slice(2));

    expect((await gate(home, model, CONTEXT, { cache })).allow).toBe(true);
    await rename(file, `${file}.aside`);
    try {
      // The trade-off (gate-cache.ts): the cached answer does not re-read the objects.
      now += 59_999;
      expect((await gate(home, model, CONTEXT, { cache })).allow).toBe(true);
      expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
      now += 1;
      const expired = await gate(home, model, CONTEXT, { cache });
      expect(cache.stats).toMatchObject({ hits: 1, misses: 2, expirations: 1 });
      expect(expired.allow).toBe(false);
      expect(expired.reasons.map((r) => r.code)).toEqual(['OBJECT_MISSING']);
    } finally {
      await rename(`${file}.aside`, file);
    }
    expect((await gate(home, model, CONTEXT, { cache })).allow).toBe(true);
  });

  it('a cached answer is one conditional append, however far behind the log is, with no read first', async () => {
    const model = await registerNew();
    await seal(model);
    await gate(home, model, CONTEXT);
    for (const window of ['2025-W15', '2025-W16', '2025-W17', '2025-W18', '2025-W19']) {
      await home.ledger.append({
        subject: [subjectOf(MODEL, model)],
        predicateType: predicateTypeOf(POPULATION_SHIFT_KIND),
        predicate: { model: MODEL, context: CONTEXT, window, feature: 'age', psi: 0.31 },
      });
    }
    // Every call the gate makes on the ledger.
    const calls: string[] = [];
    const ledger = new Proxy(home.ledger, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(name));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const next = await counted(() => gate({ ...home, ledger }, model, CONTEXT, { cache: gateCacheOf(home) }));
    expect(next.result.allow).toBe(true);
    expect(next.stats).toMatchObject({ hits: 1, misses: 0 });
    expect(calls).toEqual(['appendIf']);
  });

  it('concurrent requests on a cold cache share one full check, and each appends its own deployment entry', async () => {
    const cache = createGateCache();
    const model = await registerNew();
    const promotion = await seal(model);
    const { counting, promotionReads } = countingPromotionReads();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => gate(counting, model, CONTEXT, { cache })),
    );
    expect(results.every((r) => r.allow && r.promotion === promotion)).toBe(true);
    expect(new Set(results.map((r) => r.deploymentIndex)).size).toBe(8);
    // One full check read the model's promotions, begun after all eight arrived: its answer is theirs.
    expect(promotionReads()).toBe(1);
  });

  it('a burst of requests that are denied shares one full check too (a deny is never cached)', async () => {
    const cache = createGateCache();
    const model = await registerNew();
    const promotion = await seal(model);
    await revokePromotion(home, promotion, bob, 'withdrawn before the burst');
    const { counting, promotionReads } = countingPromotionReads();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => gate(counting, model, CONTEXT, { cache })),
    );
    for (const result of results) {
      expect(result.allow).toBe(false);
      expect(result.reasons.map((r) => r.code)).toEqual(['REVOKED']);
      expect(await deploymentOf(result)).toMatchObject({ decision: 'deny' });
    }
    expect(promotionReads()).toBe(1);
    // Not kept: the next request checks in full again.
    await gate(counting, model, CONTEXT, { cache });
    expect(promotionReads()).toBe(2);
  });

  it('requests that arrive while a full check runs share the next one, not that one', async () => {
    const cache = createGateCache();
    const model = await registerNew();
    const promotion = await seal(model);
    const { counting, promotionReads } = countingPromotionReads();
    const { held, reading, release } = holdingFirstObjectRead(counting);
    const first = gate(held, model, CONTEXT, { cache });
    await reading;
    const rest = Array.from({ length: 7 }, () => gate(held, model, CONTEXT, { cache }));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect((await first).promotion).toBe(promotion);
    expect((await Promise.all(rest)).every((r) => r.promotion === promotion)).toBe(true);
    // The held check, then one more for the seven that arrived while it ran.
    expect(promotionReads()).toBe(2);
  });

  it('a revocation appended while a full check runs decides the requests that arrive after it', async () => {
    const cache = createGateCache();
    const model = await registerNew();
    const promotion = await seal(model);
    // The full check's last step, reading the sealed objects, is held: by then it has found no
    // revocation, and it will allow.
    const { held, reading, release } = holdingFirstObjectRead(home);
    const first = gate(held, model, CONTEXT, { cache });
    await reading;
    await revokePromotion(home, promotion, bob, 'withdrawn while the full check ran');
    // Arrives after the revocation, while the check is still running.
    const next = gate(held, model, CONTEXT, { cache });
    await new Promise((resolve) => setImmediate(resolve));
    release();

    // The first request arrived before the revocation: its check allows. The next one must not take
    // that answer.
    expect((await first).allow).toBe(true);
    const denied = await next;
    expect(denied.allow).toBe(false);
    expect(denied.reasons.map((r) => r.code)).toEqual(['REVOKED']);
  });

  // Last: this breaks the home's authority for good.
  it('an authority entry that does not fold makes the very next request deny (fail closed), cached or not', async () => {
    const model = await registerNew();
    await seal(model);
    await gate(home, model, CONTEXT);
    expect((await counted(() => gate(home, model, CONTEXT))).stats.hits).toBe(1);

    // Unsigned by any admin: loading the authority state throws, and the gate must not answer from the cache.
    await home.ledger.append({
      subject: [subjectOf('mallory', model)],
      predicateType: predicateTypeOf('role-grant'),
      predicate: { identity: 'mallory', role: 'approver' },
    });

    const next = await counted(() => gate(home, model, CONTEXT));
    expect(next.stats).toMatchObject({ hits: 0, invalidations: 1 });
    expect(next.result.allow).toBe(false);
    expect(await deploymentOf(next.result)).toMatchObject({ decision: 'deny' });
  });
});

// ---------------------------------------------------------------------------------------------------

const PROMOTION = 'sha256:0b0b' as Digest;
const OTHER = 'sha256:0c0c' as Digest;
const modelOf = (n: number): Digest => `sha256:${n.toString(16).padStart(4, '0')}` as Digest;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the gate cache, by itself', () => {
  it('hands out a remembered verification from its size; a settled append moves the size up to it', () => {
    const cache = createGateCache();
    expect(cache.candidate(modelOf(1), CONTEXT)).toBeUndefined();
    expect(cache.stats).toMatchObject({ hits: 0, misses: 1 });
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 10);
    const held = cache.candidate(modelOf(1), CONTEXT);
    expect(held).toMatchObject({ promotion: PROMOTION, since: 10 });
    cache.settle(held!, 14);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
    expect(cache.candidate(modelOf(1), CONTEXT)).toMatchObject({ since: 15 });
    // Another model and context are their own records.
    expect(cache.candidate(modelOf(2), CONTEXT)).toBeUndefined();
    expect(cache.candidate(modelOf(1), 'retail-credit/fr')).toBeUndefined();
  });

  it('a refused append drops the record, counted once however many requests held it', () => {
    const cache = createGateCache();
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 10);
    const [a, b] = [cache.candidate(modelOf(1), CONTEXT)!, cache.candidate(modelOf(1), CONTEXT)!];
    cache.settle(a, undefined);
    cache.settle(b, undefined);
    expect(cache.stats).toMatchObject({ hits: 0, misses: 2, invalidations: 1 });
    expect(cache.candidate(modelOf(1), CONTEXT)).toBeUndefined();
  });

  it('a dropped record stays dropped: an append settled after it was refused for another request does not put it back', () => {
    const cache = createGateCache();
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 10);
    const late = cache.candidate(modelOf(1), CONTEXT)!;
    const refused = cache.candidate(modelOf(1), CONTEXT)!;
    cache.settle(refused, undefined);
    cache.settle(late, 12);
    expect(cache.stats).toMatchObject({ hits: 1, invalidations: 1 });
    expect(cache.candidate(modelOf(1), CONTEXT)).toBeUndefined();
    // Nor does one settled after the cache was cleared.
    cache.remember(modelOf(2), CONTEXT, PROMOTION, 20);
    const held = cache.candidate(modelOf(2), CONTEXT)!;
    cache.clear();
    cache.settle(held, 25);
    expect(cache.candidate(modelOf(2), CONTEXT)).toBeUndefined();
  });

  it('of two full checks, the one that read more of the log is kept; an append settled for the replaced one leaves the new one alone', () => {
    const cache = createGateCache();
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 10);
    const old = cache.candidate(modelOf(1), CONTEXT)!;
    cache.remember(modelOf(1), CONTEXT, OTHER, 30);
    // A check that read less of the log finishes last: it does not replace the newer record.
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 20);
    expect(cache.candidate(modelOf(1), CONTEXT)).toMatchObject({ promotion: OTHER, since: 30 });
    cache.settle(old, 40);
    expect(cache.candidate(modelOf(1), CONTEXT)).toMatchObject({ promotion: OTHER, since: 30 });
  });

  it('a record older than maxAgeMs expires, however far its size was moved up', () => {
    let now = 1_000;
    const cache = createGateCache({ maxAgeMs: 100, clock: () => now });
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 10);
    now += 60;
    cache.settle(cache.candidate(modelOf(1), CONTEXT)!, 50);
    now += 40;
    expect(cache.candidate(modelOf(1), CONTEXT)).toBeUndefined();
    expect(cache.candidate(modelOf(1), CONTEXT)).toBeUndefined();
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2, expirations: 1 });
  });

  it('refuses a negative maxAgeMs', () => {
    expect(() => createGateCache({ maxAgeMs: -1 })).toThrow(RangeError);
  });
});
