// The gate's verification cache: what a full check (`checkPromotion`) established for a (model digest,
// context), kept so that a repeated gate request does not re-verify the whole log. Only an allow is
// kept — a deny is re-verified every time, so a promotion sealed after it allows on the next request.
//
// A cached verification says: "promotion P allowed this model in this context, given every entry below
// ledger size S". Before it answers, the gate reads the entries appended since and drops it if any of them
// could change the verdict, so that a revocation takes effect on the very next request, whichever server
// it reaches (each reads the shared log itself). The verdict reads model promotions (a newer one answers
// instead), revocations (of P or of the feature-pipeline promotion it consumes), the authority kinds
// (AUTHORITY_KINDS: genesis, identity keys, invites, role grants and revocations, policies — an entry that
// does not fold makes the gate fail closed) and, by id, the pipeline promotion and the sealed objects.
// Rather than list those kinds (and miss the next one added), the rule is the reverse: any new entry
// invalidates except the two kinds the verdict never reads — the gate's own `deployment` entries (one per
// request, so a gate under load keeps its cache) and `population-shift` flags (they make the *next*
// promotion material; they do not touch a sealed one).
//
// On a ledger with conditional appends (both adapters: `Ledger.appendIf`), the gate skips that read: `candidate` hands out the
// record and the gate appends its allow on the condition that every entry from S on is verdict-neutral,
// which the ledger checks under its write lock (gate.ts); `settle` moves S up to the deployment entry, or
// drops the record when the condition failed. What follows describes the read itself, which remains for
// a ledger without appendIf (the port makes it optional).
//
// That read is one per process, not one per request (under load, one query per request was the
// bottleneck on PostgreSQL): the cache follows the log with one shared read at a time, remembering that
// every entry below `checked` was inspected and where the last entry that could change a verdict is. A
// record holds while no such entry at or above its S was seen; S then moves up to `checked`. A request
// waits for a read that *started* after it arrived — never for one already in flight, whose query may
// have been sent before a revocation committed — so it joins the next read, which starts as soon as the
// one in flight ends and is shared by every request that arrived meanwhile. A revocation appended before
// a request therefore still decides that very request. When the process has fallen more than `maxGap`
// entries behind (left idle while other servers appended), the read does not catch up: it takes at most
// maxGap + 1 entries, skips to the end of the log, and every record below it is checked in full again.
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
// ran is inspected by a later read; a record below an entry the shared read has already seen change the
// verdict is rejected at its next lookup, without a read. A dropped record is gone: a lookup moves the S
// of the record object it read, never puts one back into the map. The state is per process (per Home
// object) and one cache serves one log: servers sharing one database each follow the shared log.
import type { Digest } from '../signing/digest.js';
import { coalesceReads } from '../store/fresh-read.js';
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
 * How many entries behind the log the shared read may fall before it skips to the end (and the cached
 * verifications below are checked in full again) rather than catch up, by default: reading a thousand
 * entries costs about what a full check does.
 */
export const DEFAULT_GATE_CACHE_MAX_GAP = 1_000;

export interface GateCacheOptions {
  /** Milliseconds a verification answers from the cache before it is checked in full again. */
  readonly maxAgeMs?: number;
  /** Entries the shared read may be behind the log and still catch up rather than skip (and re-check). */
  readonly maxGap?: number;
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
  /** Cached verifications dropped (each counted once): older than `maxAgeMs`, or below a skipped gap. */
  readonly expirations: number;
}

export interface GateCache {
  /**
   * The promotion that allowed `model` in `context`, if a cached verification still holds: none older
   * than `maxAgeMs` and no entry since it that could change the verdict. Waits for the process's shared
   * read of the log that starts after this call.
   */
  lookup(ledger: Ledger, model: Digest, context: string): Promise<Digest | undefined>;
  /**
   * For a ledger that appends conditionally (`Ledger.appendIf`): the cached verification of `model` in
   * `context` if one is held (not older than `maxAgeMs`, not known to be stale), without reading the log.
   * The gate appends its allow on the condition that every entry from `since` on is verdict-neutral, and
   * reports what happened with `settle`. Counts a miss when it returns nothing.
   */
  candidate(model: Digest, context: string): CachedAllow | undefined;
  /**
   * The outcome of the conditional append made for `held`: the index it was appended at (a hit: every
   * entry below it leaves the verdict standing), or undefined when the condition failed (the record is
   * dropped, a miss).
   */
  settle(held: CachedAllow, appendedAt: number | undefined): void;
  /** Records a successful full check of `promotion`, which read the log at `size` (read before it began). */
  remember(model: Digest, context: string, promotion: Digest, size: number): void;
  clear(): void;
  readonly stats: GateCacheStats;
}

/** A cached verification as `candidate` hands it out. */
export interface CachedAllow {
  readonly model: Digest;
  readonly context: string;
  readonly promotion: Digest;
  /** Every entry below this index was read and left the verdict standing. */
  readonly since: number;
}

interface CachedVerification {
  readonly promotion: Digest;
  /**
   * Every entry below this size was read (by the full check or by the shared read since) and left the
   * verdict standing. Moved up in place, never put back into the map: a dropped record stays dropped.
   */
  size: number;
  /** When the full check ran; advancing `size` does not renew it. */
  readonly verifiedAt: number;
}

/**
 * A verification cache for the gate. One cache serves one log: the ledger objects passed to `lookup` may
 * differ (a wrapper, a second handle) but must all read the same log, as the sizes `remember` is given do.
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

  // What this process has read of the log, shared by every record: each entry in [from, checked) was
  // inspected, and `lastChange` is the index of the last one that could change a verdict (-1: none yet).
  // Below `from` nothing is known: the log before the first read, or entries skipped past a gap. Until
  // the first read, `from` is the lowest size remembered (Infinity: none yet).
  const log = { from: Infinity, checked: Infinity, lastChange: -1, begun: false };

  /** Why `record` no longer holds, from what the shared read has seen; undefined while it holds. */
  const verdictOf = (record: CachedVerification): 'expired' | 'invalidated' | undefined => {
    if (record.size < log.from) return 'expired';
    if (log.lastChange >= record.size) return 'invalidated';
    return undefined;
  };

  /** Reads the entries appended since `checked`: at most maxGap + 1, whose presence says "too far". */
  const catchUp = async (ledger: Ledger): Promise<void> => {
    log.begun = true;
    const start = log.checked;
    // Indices and kinds only: the envelopes are not needed to tell whether a verdict may have changed.
    for (const stored of await ledger.kinds(start, start + maxGap + 1)) {
      if (stored.index - start >= maxGap) {
        // Reading every entry since would cost about what a full check does: skip to the end of the log.
        // Every record below it expires (verdictOf); one made from here on is caught up from here on.
        const size = Math.max(await ledger.size(), stored.index + 1);
        log.from = log.checked = size;
        return;
      }
      if (!VERDICT_NEUTRAL_KINDS.has(stored.kind)) log.lastChange = stored.index;
      log.checked = stored.index + 1;
    }
  };

  /**
   * Resolves after a read of the log that started after this call (fresh-read.ts). The read in flight
   * may have been sent before an entry that a lookup arriving now must see was committed, so a lookup
   * never joins it: it joins the next one, sent when that one ends, with every lookup that arrived
   * meanwhile. The ledger handles lookups pass all read the same log: one key for all of them.
   */
  const follow = coalesceReads(catchUp, () => 'log');

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

  /** The record behind each verification `candidate` handed out and not yet settled. */
  const heldRecords = new WeakMap<CachedAllow, CachedVerification>();

  return {
    async lookup(ledger, model, context) {
      const key = keyOf(model, context);
      const record = records.get(key);
      if (!record) {
        stats.misses += 1;
        return undefined;
      }
      if (clock() - record.verifiedAt >= maxAgeMs) return reject(key, record, 'expired');
      // Already known not to hold (a late `remember` below a change the shared read has seen): no read.
      const known = verdictOf(record);
      if (known) return reject(key, record, known);
      await follow(ledger);
      const verdict = verdictOf(record);
      if (verdict) return reject(key, record, verdict);
      if (log.checked > record.size) record.size = log.checked;
      stats.hits += 1;
      return record.promotion;
    },
    candidate(model, context) {
      const key = keyOf(model, context);
      const record = records.get(key);
      if (!record) {
        stats.misses += 1;
        return undefined;
      }
      if (clock() - record.verifiedAt >= maxAgeMs) return reject(key, record, 'expired');
      const known = verdictOf(record);
      if (known) return reject(key, record, known);
      const held: CachedAllow = { model, context, promotion: record.promotion, since: record.size };
      heldRecords.set(held, record);
      return held;
    },
    settle(held, appendedAt) {
      const record = heldRecords.get(held);
      heldRecords.delete(held);
      if (!record) return;
      const key = keyOf(held.model, held.context);
      if (appendedAt === undefined) {
        reject(key, record, 'invalidated');
        return;
      }
      // The append's condition covered every entry from `since` up to it, and it is a deployment.
      if (records.get(key) === record && appendedAt + 1 > record.size) record.size = appendedAt + 1;
      stats.hits += 1;
    },
    remember(model, context, promotion, size) {
      const key = keyOf(model, context);
      const current = records.get(key);
      // Concurrent full checks: keep the one that read the most of the log.
      if (current && current.size > size) return;
      records.set(key, { promotion, size, verifiedAt: clock() });
      // Before the first read, the shared read starts at the lowest size remembered. After it, a size
      // below `checked` is fine: the entries between were inspected (and a change among them is in
      // `lastChange`), or, below `from`, the record expires at its next lookup.
      if (!log.begun && size < log.from) log.from = log.checked = size;
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
