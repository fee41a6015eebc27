// The gate's verification cache: what a full check (`checkPromotion`) established for a (model digest,
// context), kept so that a repeated gate request does not re-verify the whole log. Only an allow is
// kept — a deny is re-verified every time, so a promotion sealed after it allows on the next request.
//
// A cached verification says: "promotion P allowed this model in this context, given every entry below
// ledger size S". Before it answers, the gate reads the entries appended since S and drops it if any of
// them could change the verdict, so that a revocation takes effect on the very next request, whichever
// server it reaches (each reads the shared log from S on). The verdict reads model promotions (a newer one
// answers instead), revocations (of P or of the feature-pipeline promotion it consumes), the authority
// kinds (AUTHORITY_KINDS: genesis, identity keys, invites, role grants and revocations, policies — an
// entry that does not fold makes the gate fail closed) and, by id, the pipeline promotion and the sealed
// objects. Rather than list those kinds (and miss the next one added), the rule is the reverse: any new
// entry invalidates except the two kinds the verdict never reads — the gate's own `deployment` entries
// (one per request, so a gate under load keeps its cache) and `population-shift` flags (they make the
// *next* promotion material; they do not touch a sealed one). With nothing invalidating, S moves up to
// the end of what was read, so the next request reads only what came after. A record more than `maxGap`
// entries behind (a server left idle while others appended) is checked in full again, not caught up.
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
// ran is read by the next request; an invalidation deletes the record, and a request that read the old
// record never puts back one dropped meanwhile. The record is per process (per Home object): servers
// sharing one database each keep their own and each reads the shared log.
import type { Digest } from '../signing/digest.js';
import type { Ledger } from '../store/ledger.js';
import type { Home } from './home.js';
import { POPULATION_SHIFT_KIND } from './route.js';

/** The kind of the entry the gate appends for each decision. */
export const DEPLOYMENT_KIND = 'deployment';

/** Entry kinds the gate's verdict never reads: appending them leaves a cached verification valid. */
export const VERDICT_NEUTRAL_KINDS: ReadonlySet<string> = new Set([DEPLOYMENT_KIND, POPULATION_SHIFT_KIND]);

/** How long a cached verification answers before the full check runs again, by default. */
export const DEFAULT_GATE_CACHE_MAX_AGE_MS = 60_000;

/**
 * How many entries behind the log a cached verification may fall before it is checked in full again
 * rather than caught up, by default: reading a thousand entries costs about what a full check does.
 */
export const DEFAULT_GATE_CACHE_MAX_GAP = 1_000;

export interface GateCacheOptions {
  /** Milliseconds a verification answers from the cache before it is checked in full again. */
  readonly maxAgeMs?: number;
  /** Entries a cached verification may be behind the log and still be caught up rather than re-checked. */
  readonly maxGap?: number;
  /** Milliseconds since the epoch; injected for tests. */
  readonly clock?: () => number;
}

export interface GateCacheStats {
  /** Requests answered from a cached verification. */
  readonly hits: number;
  /** Requests with nothing cached (or expired, or invalidated): the full check ran. */
  readonly misses: number;
  /** Cached verifications dropped because an entry that could change the verdict was appended. */
  readonly invalidations: number;
  /** Cached verifications dropped because they were older than `maxAgeMs` or `maxGap` entries behind. */
  readonly expirations: number;
}

export interface GateCache {
  /**
   * The promotion that allowed `model` in `context`, if a cached verification still holds: none older
   * than `maxAgeMs` and no entry since it that could change the verdict. Reads the entries appended since.
   */
  lookup(ledger: Ledger, model: Digest, context: string): Promise<Digest | undefined>;
  /** Records a successful full check of `promotion`, which read the log at `size` (read before it began). */
  remember(model: Digest, context: string, promotion: Digest, size: number): void;
  clear(): void;
  readonly stats: GateCacheStats;
}

interface CachedVerification {
  readonly promotion: Digest;
  /** Every entry below this size was read (by the full check or since) and left the verdict standing. */
  readonly size: number;
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
  const maxGap = options.maxGap ?? DEFAULT_GATE_CACHE_MAX_GAP;
  const clock = options.clock ?? Date.now;
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) {
    throw new RangeError(`maxAgeMs must be a non-negative number, got ${maxAgeMs}`);
  }
  if (!Number.isSafeInteger(maxGap) || maxGap < 0) {
    throw new RangeError(`maxGap must be a non-negative integer, got ${maxGap}`);
  }
  const records = new Map<string, CachedVerification>();
  const stats = { hits: 0, misses: 0, invalidations: 0, expirations: 0 };
  // A model digest never contains a space: the key is unambiguous.
  const keyOf = (model: Digest, context: string): string => `${model} ${context}`;
  const drop = (key: string, record: CachedVerification): void => {
    if (records.get(key) === record) records.delete(key);
  };

  return {
    async lookup(ledger, model, context) {
      const key = keyOf(model, context);
      const record = records.get(key);
      if (!record) {
        stats.misses += 1;
        return undefined;
      }
      const expire = (): undefined => {
        drop(key, record);
        stats.expirations += 1;
        stats.misses += 1;
        return undefined;
      };
      if (clock() - record.verifiedAt >= maxAgeMs) return expire();
      // One read, no separate size query (a round trip each on PostgreSQL): at most one entry past the
      // gap allowed, whose presence alone says the record is too far behind.
      let size = record.size;
      for await (const stored of ledger.entries(record.size, record.size + maxGap + 1)) {
        if (stored.index - record.size >= maxGap) return expire();
        if (!VERDICT_NEUTRAL_KINDS.has(stored.kind)) {
          drop(key, record);
          stats.invalidations += 1;
          stats.misses += 1;
          return undefined;
        }
        size = stored.index + 1;
      }
      // Only move the record this request read from: never revive one dropped meanwhile.
      if (size > record.size && records.get(key) === record) records.set(key, { ...record, size });
      stats.hits += 1;
      return record.promotion;
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
