// The gate's verification cache, in process on one home built through the app layer: a repeated request
// answers from the cache and still appends its deployment entry; a revocation, a role revocation, a newer
// promotion or an authority entry appended between two requests is read by the very next one; a deny is
// never cached; a tampered object is missed only until the cached verification expires. Each test seals
// a model of its own; the last one breaks the log's authority on purpose and runs last. Then the process's
// shared read of the log, over an in-memory log whose reads can be held in flight: concurrent lookups
// share one read, a lookup never trusts a read sent before it arrived, a dropped record stays dropped,
// the gap rule and the age bound.
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAppHome, CONTEXT, MODEL, type AppHome } from '../../test/helpers/app-home.js';
import { openEntry, predicateTypeOf, subjectOf } from '../ledger/entry.js';
import { readPromotion } from '../promotion/seal.js';
import type { Digest } from '../signing/digest.js';
import type { EntryKind, Ledger } from '../store/ledger.js';
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
async function counted<T>(work: () => Promise<T>): Promise<{ result: T; stats: GateCacheStats }> {
  const before = gateCacheOf(home).stats;
  const result = await work();
  const after = gateCacheOf(home).stats;
  return {
    result,
    stats: {
      hits: after.hits - before.hits,
      misses: after.misses - before.misses,
      invalidations: after.invalidations - before.invalidations,
      expirations: after.expirations - before.expirations,
    },
  };
}

/** `base` with a ledger that has no conditional appends: the gate then reads the log before a cached allow. */
function withoutAppendIf(base: Home): Home {
  const ledger = new Proxy(base.ledger, {
    get(target, name) {
      if (name === 'appendIf') return undefined;
      const value: unknown = Reflect.get(target, name);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { ...base, ledger };
}

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

  it('without conditional appends, a cached verification too far behind the log is checked in full again rather than caught up', async () => {
    const cache = createGateCache({ maxGap: 3 });
    const model = await registerNew();
    await seal(model);
    const reading = withoutAppendIf(home);
    await gate(reading, model, CONTEXT, { cache });
    expect((await gate(reading, model, CONTEXT, { cache })).allow).toBe(true);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
    for (const window of ['2025-W15', '2025-W16', '2025-W17']) {
      await home.ledger.append({
        subject: [subjectOf(MODEL, model)],
        predicateType: predicateTypeOf(POPULATION_SHIFT_KIND),
        predicate: { model: MODEL, context: CONTEXT, window, feature: 'age', psi: 0.31 },
      });
    }
    expect((await gate(reading, model, CONTEXT, { cache })).allow).toBe(true);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2, expirations: 1, invalidations: 0 });
    // With them (the home's own ledger), how far behind does not matter: the condition is checked in
    // the append's transaction, whatever the gap, and the cached verification answers.
    expect((await gate(home, model, CONTEXT, { cache })).allow).toBe(true);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 2 });
    for (const window of ['2025-W18', '2025-W19', '2025-W20', '2025-W21', '2025-W22']) {
      await home.ledger.append({
        subject: [subjectOf(MODEL, model)],
        predicateType: predicateTypeOf(POPULATION_SHIFT_KIND),
        predicate: { model: MODEL, context: CONTEXT, window, feature: 'age', psi: 0.31 },
      });
    }
    expect((await gate(home, model, CONTEXT, { cache })).allow).toBe(true);
    expect(cache.stats).toMatchObject({ hits: 3, misses: 2, expirations: 1 });
  });

  it('a cached answer reads the log once (no size query), caught up to exactly maxGap entries behind', async () => {
    const cache = createGateCache({ maxGap: 3 });
    const model = await registerNew();
    await seal(model);
    await gate(home, model, CONTEXT, { cache });
    const shift = (window: string) =>
      home.ledger.append({
        subject: [subjectOf(MODEL, model)],
        predicateType: predicateTypeOf(POPULATION_SHIFT_KIND),
        predicate: { model: MODEL, context: CONTEXT, window, feature: 'age', psi: 0.31 },
      });
    // Every call the lookup makes on the ledger, with its arguments.
    const calls: string[] = [];
    const ledger = new Proxy(home.ledger, {
      get(target, name, receiver) {
        const value: unknown = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${String(name)}(${args.join(', ')})`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    // The record is at the deployment entry of the first request: that entry and two more make 3.
    const behind = (await home.ledger.size()) - 1;
    await shift('2025-W20');
    await shift('2025-W21');
    expect(await cache.lookup(ledger, model, CONTEXT)).toBeDefined();
    expect(calls).toEqual([`kinds(${behind}, ${behind + 4})`]);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1, expirations: 0 });
    // Caught up: four more is one past the gap allowed.
    for (const window of ['2025-W22', '2025-W23', '2025-W24', '2025-W25']) await shift(window);
    expect(await cache.lookup(ledger, model, CONTEXT)).toBeUndefined();
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2, expirations: 1, invalidations: 0 });
  });

  it("a revocation committed while another request's read is in flight decides the very next request", async () => {
    const cache = createGateCache();
    const model = await registerNew();
    const promotion = await seal(model);
    expect((await gate(home, model, CONTEXT, { cache })).allow).toBe(true);
    // A handle on the same log whose reads run at once but deliver their rows only when released: a
    // query sent before the revocation committed, its answer still on the wire.
    const fetched = deferred();
    const release = deferred();
    const held = new Proxy(home.ledger, {
      get(target, name) {
        if (name !== 'kinds') {
          const value: unknown = Reflect.get(target, name);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        }
        return async (from: number, to: number): Promise<readonly EntryKind[]> => {
          const rows = target.kinds(from, to);
          void rows.then(fetched.resolve);
          const delivered = await rows;
          await release.promise;
          return delivered;
        };
      },
    });

    const first = cache.lookup(held, model, CONTEXT);
    await fetched.promise;
    await revokePromotion(home, promotion, bob, 'withdrawn while a read was in flight');
    const next = gate(home, model, CONTEXT, { cache });
    release.resolve();

    // The first request arrived before the revocation; the next one must not share its read.
    expect(await first).toBe(promotion);
    const denied = await next;
    expect(denied.allow).toBe(false);
    expect(denied.reasons.map((r) => r.code)).toEqual(['REVOKED']);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2, invalidations: 1 });
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
const modelOf = (n: number): Digest => `sha256:${n.toString(16).padStart(4, '0')}` as Digest;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A log of entry kinds behind the two Ledger methods the cache may call, recording each call. A read
 * takes its rows when it is sent, as a query does; while `hold` is on they are delivered only on release.
 */
function memoryLog(kinds: string[]) {
  const calls: string[] = [];
  let held: Promise<void> | undefined;
  let sent: (() => void) | undefined;
  let failure: Error | undefined;
  const unused = (): never => {
    throw new Error('the gate cache reads only kinds() and size()');
  };
  const ledger: Ledger = {
    append: unused,
    read: unused,
    find: unused,
    entriesOfKinds: unused,
    checkpoint: unused,
    root: unused,
    proveInclusion: unused,
    proveConsistency: unused,
    close: unused,
    size: () => {
      calls.push('size()');
      return Promise.resolve(kinds.length);
    },
    entries: unused,
    kinds(from, to) {
      calls.push(`kinds(${from}, ${to})`);
      const rows = kinds.slice(from, to).map((kind, i) => ({ index: from + i, kind }));
      const [wait, fail] = [held, failure];
      failure = undefined;
      sent?.();
      return (async () => {
        await wait;
        if (fail) throw fail;
        return rows;
      })();
    },
  };
  return {
    ledger,
    calls,
    append(...more: string[]): void {
      kinds.push(...more);
    },
    /** Holds the rows of the reads sent from now on; `sent` resolves when the first of them is sent. */
    hold(): { sent: Promise<void>; release: () => void } {
      const release = deferred();
      const first = deferred();
      held = release.promise;
      sent = () => {
        sent = undefined;
        first.resolve();
      };
      return {
        sent: first.promise,
        release: () => {
          held = undefined;
          release.resolve();
        },
      };
    },
    /** The next read fails, as a dropped connection does. */
    failNext(error: Error): void {
      failure = error;
    },
  };
}

describe("the gate cache's shared read of the log", () => {
  it('concurrent lookups share one read, which starts at the lowest size remembered', async () => {
    const log = memoryLog(['genesis', 'promotion', 'deployment']);
    const cache = createGateCache();
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 3);
    cache.remember(modelOf(2), CONTEXT, PROMOTION, 2);
    log.append('deployment', 'population-shift');

    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => cache.lookup(log.ledger, modelOf(1 + (i % 2)), CONTEXT)),
    );
    expect(answers).toEqual(Array<Digest>(100).fill(PROMOTION));
    expect(log.calls).toEqual(['kinds(2, 1003)']);
    expect(cache.stats).toMatchObject({ hits: 100, misses: 0 });

    // The next lookups read only what came after.
    log.append('deployment');
    await Promise.all([
      cache.lookup(log.ledger, modelOf(1), CONTEXT),
      cache.lookup(log.ledger, modelOf(2), CONTEXT),
    ]);
    expect(log.calls).toEqual(['kinds(2, 1003)', 'kinds(5, 1006)']);
    expect(cache.stats).toMatchObject({ hits: 102, misses: 0 });
  });

  it('a lookup never answers from a read sent before it arrived: a revocation appended meanwhile decides it', async () => {
    const log = memoryLog(['genesis', 'promotion']);
    const cache = createGateCache();
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 2);
    log.append('deployment');

    const hold = log.hold();
    const before = cache.lookup(log.ledger, modelOf(1), CONTEXT);
    await hold.sent;
    log.append('revocation');
    // Requests after the revocation, while the first read is in flight: they wait for the next one.
    const after = Array.from({ length: 10 }, () => cache.lookup(log.ledger, modelOf(1), CONTEXT));
    expect(log.calls).toEqual(['kinds(2, 1003)']);
    hold.release();

    expect(await before).toBe(PROMOTION);
    expect(await Promise.all(after)).toEqual(Array<undefined>(10).fill(undefined));
    // One read for the ten, not ten.
    expect(log.calls).toEqual(['kinds(2, 1003)', 'kinds(3, 1004)']);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 10, invalidations: 1, expirations: 0 });

    // The first lookup moved the record up before the second read dropped it: it stays dropped.
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBeUndefined();
    expect(log.calls).toHaveLength(2);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 11, invalidations: 1 });
  });

  it('a full check that read the log before a change it missed cannot put its answer back', async () => {
    const log = memoryLog(['genesis', 'promotion']);
    const cache = createGateCache();
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 2);
    cache.remember(modelOf(2), CONTEXT, PROMOTION, 2);
    log.append('role-revocation', 'deployment', 'deployment');
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBeUndefined();
    expect(cache.stats).toMatchObject({ misses: 1, invalidations: 1 });
    expect(log.calls).toEqual(['kinds(2, 1003)']);

    // A full check that read size 2 (before the role revocation) and finished after it: rejected at its
    // next lookup, from what the shared read has already seen, without another read; likewise a record
    // the shared read has not yet been asked about.
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 2);
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBeUndefined();
    expect(await cache.lookup(log.ledger, modelOf(2), CONTEXT)).toBeUndefined();
    expect(log.calls).toHaveLength(1);
    expect(cache.stats).toMatchObject({ hits: 0, misses: 3, invalidations: 3 });

    // One that read the log after it holds, even from below what the shared read has checked.
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 3);
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBe(PROMOTION);
    expect(log.calls).toEqual(['kinds(2, 1003)', 'kinds(5, 1006)']);
  });

  it('a record cleared while its read is in flight is not put back', async () => {
    const log = memoryLog(['genesis', 'promotion']);
    const cache = createGateCache();
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 2);
    log.append('deployment');
    const hold = log.hold();
    const pending = cache.lookup(log.ledger, modelOf(1), CONTEXT);
    await hold.sent;
    cache.clear();
    hold.release();
    expect(await pending).toBe(PROMOTION);
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBeUndefined();
    expect(log.calls).toHaveLength(1);
  });

  it('more than maxGap entries behind, the read skips to the end of the log and every record below expires', async () => {
    const log = memoryLog(['genesis', 'promotion']);
    const cache = createGateCache({ maxGap: 3 });
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 2);
    cache.remember(modelOf(2), CONTEXT, PROMOTION, 2);
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBe(PROMOTION);
    // Exactly maxGap behind: caught up.
    log.append('deployment', 'deployment', 'deployment');
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBe(PROMOTION);
    expect(log.calls).toEqual(['kinds(2, 6)', 'kinds(2, 6)']);

    // One more than maxGap: at most maxGap + 1 entries read, then the size, not the rest.
    log.append('deployment', 'deployment', 'deployment', 'deployment', 'deployment');
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBeUndefined();
    expect(log.calls.slice(2)).toEqual(['kinds(5, 9)', 'size()']);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 1, expirations: 1, invalidations: 0 });

    // Every record made before the skip expires without a read, as does a full check that read the
    // log before it and finished after.
    expect(await cache.lookup(log.ledger, modelOf(2), CONTEXT)).toBeUndefined();
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 9);
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBeUndefined();
    expect(log.calls).toHaveLength(4);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 3, expirations: 3 });

    // One made after it is caught up from the end of the log.
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 10);
    log.append('deployment');
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBe(PROMOTION);
    expect(log.calls.slice(4)).toEqual(['kinds(10, 14)']);
  });

  it('a record older than maxAgeMs expires without a read, however far its size was moved up', async () => {
    let now = 0;
    const log = memoryLog(['genesis', 'promotion']);
    const cache = createGateCache({ maxAgeMs: 1_000, clock: () => now });
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 2);
    log.append('deployment');
    now = 999;
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBe(PROMOTION);
    now = 1_000;
    expect(await cache.lookup(log.ledger, modelOf(1), CONTEXT)).toBeUndefined();
    expect(log.calls).toHaveLength(1);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1, expirations: 1 });
  });

  it('a failed read fails every lookup that shared it (the gate denies); the next read resumes', async () => {
    const log = memoryLog(['genesis', 'promotion']);
    const cache = createGateCache();
    cache.remember(modelOf(1), CONTEXT, PROMOTION, 2);
    log.append('deployment');
    log.failNext(new Error('connection reset'));
    const hold = log.hold();
    const shared = Array.from({ length: 3 }, () => cache.lookup(log.ledger, modelOf(1), CONTEXT));
    await hold.sent;
    // Arrived while the failing read was in flight: it waits for the next read, not for the failure.
    log.append('revocation');
    const later = cache.lookup(log.ledger, modelOf(1), CONTEXT);
    hold.release();
    for (const lookup of shared) await expect(lookup).rejects.toThrow('connection reset');
    expect(await later).toBeUndefined();
    expect(log.calls).toEqual(['kinds(2, 1003)', 'kinds(2, 1003)']);
    expect(cache.stats).toMatchObject({ hits: 0, misses: 1, invalidations: 1 });
  });
});
