// Operations endpoints, outside the versioned API where orchestrators and Prometheus look by default.
// GET /healthz is public: a load balancer has no token, and the answer says only whether the ledger
// answers and how large it is. GET /metrics needs an API token or a session like every /v1 route: the
// counts tell how often deployments are allowed or denied, which is not for anyone who can reach the
// port. Prometheus sends the token with `authorization: { credentials_file: … }` in its scrape config.
import { isSignetError } from '../../errors.js';
import type { Ledger } from '../../store/ledger.js';
import { authenticate, callerOf } from '../auth.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { apiHeaders } from '../http.js';
import type { Metrics } from '../metrics.js';

/** How long /healthz waits for the ledger before it says unavailable. */
export const HEALTH_TIMEOUT_MS = 2000;

/** The ledger answered with its size, or did not, and why (a reason safe to show anyone). */
export type LedgerProbe =
  | { readonly ok: true; readonly size: number }
  | { readonly ok: false; readonly reason: string; readonly cause?: unknown };

export type OpsDeps = RouteDeps & { readonly metrics: Metrics };

const TIMED_OUT = Symbol('timed out');

export function registerOpsRoutes(app: ApiApp, deps: OpsDeps): void {
  const { home, config, metrics } = deps;

  // The API headers (nosniff, no-store) without the /v1 audit log: neither route changes anything.
  app.use('/healthz', apiHeaders);
  app.use('/metrics', apiHeaders);
  app.use('/metrics', authenticate(home, config, deps.publicRoutes));

  app.get('/healthz', async (c) => {
    const probe = await probeLedger(home.ledger);
    if (probe.ok) return c.json({ status: 'ok', ledger: { size: probe.size } });
    if (probe.cause !== undefined) {
      const cause = probe.cause;
      config.log(`healthz: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
    }
    return c.json({ status: 'unavailable', reason: probe.reason }, 503);
  });

  app.get('/metrics', async (c) => {
    callerOf(c);
    return c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType });
  });
}

/**
 * Asks the ledger its size, waiting at most `timeoutMs`. The reason of a failure names an error code at
 * most, never a message: /healthz is public, and a driver's message may name files or hosts. The cause
 * is returned for the server log.
 */
export async function probeLedger(
  ledger: Pick<Ledger, 'size'>,
  timeoutMs: number = HEALTH_TIMEOUT_MS,
): Promise<LedgerProbe> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, TIMED_OUT);
    timer.unref();
  });
  try {
    // Called inside an async function, so that a ledger that throws synchronously is a rejection too.
    const size = await Promise.race([(async () => ledger.size())(), timeout]);
    if (size === TIMED_OUT) return { ok: false, reason: `the ledger did not answer within ${timeoutMs} ms` };
    return { ok: true, size };
  } catch (error) {
    return {
      ok: false,
      reason: isSignetError(error) ? `the ledger failed: ${error.code}` : 'the ledger failed',
      cause: error,
    };
  } finally {
    clearTimeout(timer);
  }
}
