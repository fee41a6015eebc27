// Prometheus metrics of one server: ledger appends, gate decisions, verifications and HTTP requests,
// counted and timed on a registry of the app's own, never prom-client's global one, so that two apps
// in one process (the tests) never share a count.
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

import { VerificationError } from '../errors.js';
import type { Ledger } from '../store/ledger.js';
import type { SealedEntry } from '../ledger/entry.js';

/** Seconds, from a sub-millisecond in-memory append to a gate over a large log on a slow disk. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** The `route` label of a request no route answered (404, 405): never the raw path. */
export const UNMATCHED_ROUTE = '(unmatched)';

// The method is sent by the client: anything outside this set is counted as OTHER, so that a client
// cannot make a label value of its choosing.
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface Metrics {
  readonly registry: Registry;
  readonly ledgerAppends: Counter;
  readonly ledgerAppendSeconds: Histogram;
  readonly gateDecisions: Counter<'decision'>;
  readonly gateSeconds: Histogram;
  readonly verifications: Counter<'result'>;
  readonly verifySeconds: Histogram;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpRequestSeconds: Histogram<'method' | 'route'>;
}

export interface MetricsOptions {
  /**
   * Also register prom-client's process metrics (CPU, memory, event-loop lag, GC, …). Default true.
   * Each registration keeps a GC observer and an event-loop monitor for the life of the process.
   */
  readonly processMetrics?: boolean;
}

/**
 * A fresh registry with every Signet metric on it.
 *
 * @example
 * ```ts
 * const metrics = createMetrics();
 * const ledger = instrumentLedger(home.ledger, metrics);
 * const text = await metrics.registry.metrics(); // the Prometheus text format
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const buckets = [...LATENCY_BUCKETS];
  const metrics: Metrics = {
    registry,
    ledgerAppends: new Counter({
      name: 'signet_ledger_appends_total',
      help: 'Entries appended to the ledger.',
      registers,
    }),
    ledgerAppendSeconds: new Histogram({
      name: 'signet_ledger_append_seconds',
      help: 'Time to append one ledger entry (sign, store, checkpoint), failures included.',
      buckets,
      registers,
    }),
    gateDecisions: new Counter({
      name: 'signet_gate_decisions_total',
      help: 'Deployment gate answers, by decision.',
      labelNames: ['decision'],
      registers,
    }),
    gateSeconds: new Histogram({
      name: 'signet_gate_seconds',
      help: 'Time to decide and record one deployment gate request, failures included.',
      buckets,
      registers,
    }),
    verifications: new Counter({
      name: 'signet_verifications_total',
      help: 'Verifications of sealed promotions, by result.',
      labelNames: ['result'],
      registers,
    }),
    verifySeconds: new Histogram({
      name: 'signet_verify_seconds',
      help: 'Time to verify one sealed promotion, failures included.',
      buckets,
      registers,
    }),
    httpRequests: new Counter({
      name: 'signet_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpRequestSeconds: new Histogram({
      name: 'signet_http_request_seconds',
      help: 'Time from request to response headers, by method and route template.',
      labelNames: ['method', 'route'],
      buckets,
      registers,
    }),
  };
  // Every outcome is exported from the start at 0, so that rate() and alerts see the series before the
  // first event.
  for (const decision of ['allow', 'deny']) metrics.gateDecisions.inc({ decision }, 0);
  for (const result of ['ok', 'fail']) metrics.verifications.inc({ result }, 0);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return metrics;
}

/** Observes the duration of `fn` in `histogram`, whether it returns or throws. */
export async function time<T>(histogram: Histogram, fn: () => Promise<T>): Promise<T> {
  const end = histogram.startTimer();
  try {
    return await fn();
  } finally {
    end();
  }
}

/**
 * Times a gate request and counts its decision. A gate that throws (it fails closed, so only when the
 * deployment entry cannot be appended) recorded no decision and counts none; its time is observed.
 */
export async function timeGate<T extends { readonly allow: boolean }>(
  metrics: Metrics,
  fn: () => Promise<T>,
): Promise<T> {
  const result = await time(metrics.gateSeconds, fn);
  metrics.gateDecisions.inc({ decision: result.allow ? 'allow' : 'deny' });
  return result;
}

/**
 * Times a verification and counts its result: `isOk` judges what `fn` returns (a check with reasons),
 * and a VerificationError thrown (as `verifyHome` throws) is a failure. Any other error (an entry that
 * does not exist, a store that fails) is not a verification result and counts nothing.
 */
export async function timeVerify<T>(
  metrics: Metrics,
  fn: () => Promise<T>,
  isOk: (result: T) => boolean,
): Promise<T> {
  let result: T;
  try {
    result = await time(metrics.verifySeconds, fn);
  } catch (error) {
    if (error instanceof VerificationError) metrics.verifications.inc({ result: 'fail' });
    throw error;
  }
  metrics.verifications.inc({ result: isOk(result) ? 'ok' : 'fail' });
  return result;
}

/**
 * `ledger` with every append (conditional ones too) timed and counted; everything else passes through.
 */
export function instrumentLedger(ledger: Ledger, metrics: Metrics): Ledger {
  const counted = async (append: () => Promise<SealedEntry>): Promise<SealedEntry> => {
    const entry = await time(metrics.ledgerAppendSeconds, append);
    metrics.ledgerAppends.inc();
    return entry;
  };
  return {
    append: (draft) => counted(() => ledger.append(draft)),
    appendIf: (draft, condition) => counted(() => ledger.appendIf(draft, condition)),
    size: () => ledger.size(),
    read: (index) => ledger.read(index),
    find: (id) => ledger.find(id),
    entries: (from, to) => ledger.entries(from, to),
    entriesOfKinds: (kinds, from) => ledger.entriesOfKinds(kinds, from),
    checkpoint: () => ledger.checkpoint(),
    root: (size) => ledger.root(size),
    proveInclusion: (index, size) => ledger.proveInclusion(index, size),
    proveConsistency: (oldSize, newSize) => ledger.proveConsistency(oldSize, newSize),
    close: () => ledger.close(),
  };
}

/**
 * Counts and times every request by method, matched route template and status. Register it first, so
 * that it sees the answers of every other middleware (401, 405) and of the error handler. A streamed
 * body (an object download) is timed to its headers, not to its last byte.
 */
export function httpMetrics(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const end = metrics.httpRequestSeconds.startTimer();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      const labels = { method: methodLabel(c.req.method), route: routeLabel(c) };
      end(labels);
      metrics.httpRequests.inc({ ...labels, status: String(status) });
    }
  };
}

function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'OTHER';
}

// The template of the route registered for this method and path (`/v1/promotions/:ref`), also when a
// middleware answered before it (a 401): middleware is registered for ALL methods, routes are not. The
// path the client sent is never a label: it would make one series per draft id or digest.
function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    if (route.method !== 'ALL') return route.path;
  }
  return UNMATCHED_ROUTE;
}
