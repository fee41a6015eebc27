// The gate on PostgreSQL, where the ledger appends conditionally (`Ledger.appendIf`): a cached allow is
// appended on the condition that every entry since its verification is verdict-neutral, checked under
// the ledger's lock, without reading the log first. Two servers (two Home objects, each with its own
// pool and cache) share one database: an entry another server appends between two requests decides the
// very next one, and neutral entries (deployments, population-shift flags) keep the cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAppHome, CONTEXT, type AppHome } from '../../test/helpers/app-home.js';
import { countedDuring } from '../../test/helpers/gate-stats.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/postgres.js';
import { predicateTypeOf, subjectOf } from '../ledger/entry.js';
import type { Digest } from '../signing/digest.js';
import type { Ledger } from '../store/ledger.js';
import { revokePromotion } from './decide.js';
import { gate } from './gate.js';
import { gateCacheOf, type GateCacheStats } from './gate-cache.js';
import { openHome, type Home } from './home.js';
import { POPULATION_SHIFT_KIND } from './route.js';

let db: TestDatabase;
let app: AppHome;
/** Another server of the same log: its own pool, its own gate cache. */
let other: Home;

beforeAll(async () => {
  db = await createTestDatabase({ roles: true });
  const env = { SIGNET_DATABASE_URL: db.appUrl };
  app = await createAppHome('signet-gate-postgres-', { env });
  other = await openHome(app.dir, { env });
}, 120_000);

afterAll(async () => {
  await other?.close();
  await app?.close();
  await db?.drop();
});

/** `home` whose ledger counts the calls it gets, by method. */
function counting(home: Home): { counted: Home; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const ledger = new Proxy(home.ledger, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(name), (calls.get(String(name)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as Ledger;
  return { counted: { ...home, ledger }, calls };
}

/** What `home`'s gate cache counted during `work`. */
const stats = <T>(home: Home, work: () => Promise<T>): Promise<{ result: T; stats: GateCacheStats }> =>
  countedDuring(gateCacheOf(home), work);

describe('the gate on PostgreSQL (conditional appends)', () => {
  it('answers a repeated request from the cache with one conditional append and no read of the log', async () => {
    const model = await app.registerNew();
    const promotion = await app.seal(model);
    const { counted, calls } = counting(app.home);
    const cache = gateCacheOf(app.home);
    const first = await gate(counted, model, CONTEXT, { cache });
    expect(first).toMatchObject({ allow: true, promotion });
    calls.clear();
    const again = await stats(app.home, () => gate(counted, model, CONTEXT, { cache }));
    expect(again.result).toMatchObject({ allow: true, promotion });
    expect(again.stats).toMatchObject({ hits: 1, misses: 0 });
    expect(Object.fromEntries(calls)).toEqual({ appendIf: 1 });
    expect(again.result.deploymentIndex).toBeGreaterThan(first.deploymentIndex);
  });

  it('an entry another server appends between two requests decides the very next one', async () => {
    const model = await app.registerNew();
    const promotion = await app.seal(model);
    expect((await gate(app.home, model, CONTEXT)).allow).toBe(true);
    // Neutral entries from the other server (its deployments, a population-shift flag) keep the cache.
    expect((await gate(other, model, CONTEXT)).allow).toBe(true);
    await other.ledger.append({
      subject: [subjectOf('model', model)],
      predicateType: predicateTypeOf(POPULATION_SHIFT_KIND),
      predicate: { model, context: CONTEXT, note: 'a neutral entry for the test' },
    });
    expect((await stats(app.home, () => gate(app.home, model, CONTEXT))).stats.hits).toBe(1);

    await revokePromotion(other, promotion, app.bob, 'withdrawn for the test');

    const denied = await stats(app.home, () => gate(app.home, model, CONTEXT));
    expect(denied.stats).toMatchObject({ hits: 0, misses: 1, invalidations: 1 });
    expect(denied.result.allow).toBe(false);
    expect(denied.result.reasons.map((r) => r.code)).toEqual(['REVOKED']);
    // The refused conditional append took no index: the deny's entry follows the revocation directly.
    const size = await app.home.ledger.size();
    expect(denied.result.deploymentIndex).toBe(size - 1);
    const revocation = await app.home.ledger.read(size - 2);
    expect(revocation.kind).toBe('revocation');
    // A deny is not cached.
    const still = await stats(app.home, () => gate(app.home, model, CONTEXT));
    expect(still.stats).toMatchObject({ hits: 0, misses: 1 });
    expect(still.result.allow).toBe(false);
  });

  it('a newer promotion of the same model drops the cache; the gate answers with it', async () => {
    const model = await app.registerNew();
    const older = await app.seal(model);
    expect(await gate(app.home, model, CONTEXT)).toMatchObject({ allow: true, promotion: older });
    const newer: Digest = await app.seal(model);
    const next = await stats(app.home, () => gate(app.home, model, CONTEXT));
    expect(next.stats).toMatchObject({ hits: 0, invalidations: 1 });
    expect(next.result).toMatchObject({ allow: true, promotion: newer });
  });
});
