// The gate's verification cache: what a full check (`checkPromotion`) established for a (model digest,
// context), kept so that a repeated gate request does not re-verify the whole log. Only an allow is
// kept — a deny is re-verified every time, so a promotion sealed after it allows on the next request.
//
// A cached verification says: "promotion P allowed this model in this context, given every entry below
// ledger size S". It answers a request only through the deployment entry the gate appends for it, which
// the ledger appends on the condition that every entry from S on is verdict-neutral, checked in the
// append's own transaction under the ledger's write lock (`Ledger.appendIf`, gate.ts): a revocation
// committed before that append — by any server or process — refuses it, the record is dropped and the
// request goes through the full check. So a revocation takes effect on the very next request, whichever
// server it reaches, and no entry can slip in between a check and the append; nothing is read first.
//
// The verdict reads model promotions (a newer one answers instead), revocations (of P or of the
// feature-pipeline promotion it consumes), the authority kinds (AUTHORITY_KINDS: genesis, identity keys,
// invites, role grants and revocations, policies — an entry that does not fold makes the gate fail closed)
// and, by id, the pipeline promotion and the sealed objects. Rather than list those kinds (and miss the
// next one added), the rule is the reverse: any new entry invalidates except the two kinds the verdict
// never reads — the gate's own `deployment` entries (one per request, so a gate under load keeps its
// cache) and `population-shift` flags (they make the *next* promotion material; they do not touch a
// sealed one).
//
// Objects are write-once and every read re-checks the digest (DESIGN invariant 2); the full check
// re-hashes every object a promotion references, and a cached answer does not. An object removed or
// changed on disk after the check would go unnoticed by the cache until the entry expires (`maxAgeMs`,
// 60 s by default) or is invalidated; the next full check then denies. `signet verify` re-hashes every
// object; re-checking each object's presence per request would cost one store round trip per object
// (about ten per promotion; a query each on PostgreSQL) on every request, so the age bound is the cheaper
// limit on how long a tamper at rest can be missed.
//
// Races: a verification is recorded at the size read *before* it started, so an entry appended while it
// ran is covered by the condition of the next request's append. A dropped record is gone: a settled
// append moves the S of the record it was handed, never puts one back into the map. The state is per
// process (per Home object).
import type { Digest } from '../signing/digest.js';
import type { Home } from './home.js';
import { POPULATION_SHIFT_KIND } from './route.js';

/** The kind of the entry the gate appends for each decision. */
export const DEPLOYMENT_KIND = 'deployment';

/** Entry kinds the gate's verdict never reads: appending them leaves a cached verification valid. */
export const VERDICT_NEUTRAL_KINDS: ReadonlySet<string> = new Set([DEPLOYMENT_KIND, POPULATION_SHIFT_KIND]);

/** How long a cached verification answers before the full check runs again, by default. */
export const DEFAULT_GATE_CACHE_MAX_AGE_MS = 60_000;

export interface GateCacheOptions {
  /** Milliseconds a verification answers from the cache before it is checked in full again. */
  readonly maxAgeMs?: number;
  /** Milliseconds since the epoch; injected for tests. */
  readonly clock?: () => number;
}

export interface GateCacheStats {
  /** Requests answered from a cached verification. */
  readonly hits: number;
  /** Requests with nothing cached (or expired, or invalidated): the full check ran. */
  readonly misses: number;
  /** Cached verifications dropped (each once) because an entry that could change the verdict was appended. */
  readonly invalidations: number;
  /** Cached verifications dropped (each counted once) because they were older than `maxAgeMs`. */
  readonly expirations: number;
}

/** A cached verification as `candidate` hands it out. */
export interface CachedAllow {
  readonly model: Digest;
  readonly context: string;
  readonly promotion: Digest;
  /** Every entry below this index was read and left the verdict standing. */
  readonly since: number;
}

export interface GateCache {
  /**
   * The cached verification of `model` in `context`, if one is held and not older than `maxAgeMs`. The
   * gate appends its allow on the condition that every entry from `since` on is verdict-neutral, and
   * reports what happened with `settle`. Counts a miss (and an expiration) when it returns nothing.
   */
  candidate(model: Digest, context: string): CachedAllow | undefined;
  /**
   * The outcome of the conditional append made for `held`: the index it was appended at (a hit: every
   * entry below it leaves the verdict standing), or undefined when the condition failed (the record is
   * dropped: an invalidation and a miss).
   */
  settle(held: CachedAllow, appendedAt: number | undefined): void;
  /** Records a successful full check of `promotion`, which read the log at `size` (read before it began). */
  remember(model: Digest, context: string, promotion: Digest, size: number): void;
  clear(): void;
  readonly stats: GateCacheStats;
}

interface CachedVerification {
  readonly promotion: Digest;
  /**
   * Every entry below this size was read (by the full check, or covered by a settled append's condition)
   * and left the verdict standing. Moved up in place, never put back into the map.
   */
  size: number;
  /** When the full check ran; advancing `size` does not renew it. */
  readonly verifiedAt: number;
}

/**
 * A verification cache for the gate.
 *
 * @example
 * const cache = createGateCache({ maxAgeMs: 10_000 });
 * await gate(home, model, 'retail-credit/uk', { cache });
 */
export function createGateCache(options: GateCacheOptions = {}): GateCache {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_GATE_CACHE_MAX_AGE_MS;
  const clock = options.clock ?? Date.now;
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) {
    throw new RangeError(`maxAgeMs must be a non-negative number, got ${maxAgeMs}`);
  }
  const records = new Map<string, CachedVerification>();
  const stats = { hits: 0, misses: 0, invalidations: 0, expirations: 0 };
  // A model digest never contains a space: the key is unambiguous.
  const keyOf = (model: Digest, context: string): string => `${model} ${context}`;
  /** The record behind each verification `candidate` handed out and not yet settled. */
  const handedOut = new WeakMap<CachedAllow, CachedVerification>();

  /** Drops `record` (counted once, by whoever drops it) and counts the caller's miss. */
  const reject = (key: string, record: CachedVerification, why: 'expired' | 'invalidated'): undefined => {
    if (records.get(key) === record) {
      records.delete(key);
      if (why === 'expired') stats.expirations += 1;
      else stats.invalidations += 1;
    }
    stats.misses += 1;
    return undefined;
  };

  return {
    candidate(model, context) {
      const key = keyOf(model, context);
      const record = records.get(key);
      if (!record) {
        stats.misses += 1;
        return undefined;
      }
      if (clock() - record.verifiedAt >= maxAgeMs) return reject(key, record, 'expired');
      const held: CachedAllow = { model, context, promotion: record.promotion, since: record.size };
      handedOut.set(held, record);
      return held;
    },
    settle(held, appendedAt) {
      const record = handedOut.get(held);
      handedOut.delete(held);
      if (!record) return;
      const key = keyOf(held.model, held.context);
      if (appendedAt === undefined) {
        reject(key, record, 'invalidated');
        return;
      }
      // The append's condition covered every entry from `since` up to it, and it is a deployment.
      if (appendedAt + 1 > record.size) record.size = appendedAt + 1;
      stats.hits += 1;
    },
    remember(model, context, promotion, size) {
      const key = keyOf(model, context);
      const current = records.get(key);
      // Concurrent full checks: keep the one that read the most of the log.
      if (current && current.size > size) return;
      records.set(key, { promotion, size, verifiedAt: clock() });
    },
    clear() {
      records.clear();
    },
    get stats() {
      return { ...stats };
    },
  };
}

const caches = new WeakMap<Home, GateCache>();

/** The gate cache of an open home: one per Home object, made on first use, gone with the home. */
export function gateCacheOf(home: Home): GateCache {
  let cache = caches.get(home);
  if (!cache) {
    cache = createGateCache();
    caches.set(home, cache);
  }
  return cache;
}
