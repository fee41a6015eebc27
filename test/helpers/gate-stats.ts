// What a gate cache counted while some work ran: the difference of its stats before and after.
import type { GateCacheStats } from '../../src/app/gate-cache.js';

/** `work`'s result and what `cache` counted during it. */
export async function countedDuring<T>(
  cache: { readonly stats: GateCacheStats },
  work: () => Promise<T>,
): Promise<{ result: T; stats: GateCacheStats }> {
  const before = cache.stats;
  const result = await work();
  const after = cache.stats;
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
