import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';

import { InputError, VerificationError } from '../errors.js';
import type { SealedEntry } from '../ledger/entry.js';
import type { Ledger } from '../store/ledger.js';
import {
  createMetrics,
  httpMetrics,
  instrumentLedger,
  LATENCY_BUCKETS,
  timeGate,
  timeVerify,
  UNMATCHED_ROUTE,
  type Metrics,
} from './metrics.js';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;

/** The Prometheus text format 0.0.4, strictly: every line is a comment, a TYPE/HELP or a sample. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(types.has(type[1]!), `TYPE ${type[1]} twice`).toBe(false);
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const sample = SAMPLE_LINE.exec(line);
    expect(sample, `not an exposition line: ${JSON.stringify(line)}`).not.toBeNull();
    const labels: Record<string, string> = {};
    const body = sample![2] ?? '';
    LABEL_PAIR.lastIndex = 0;
    while (LABEL_PAIR.lastIndex < body.length) {
      const pair = LABEL_PAIR.exec(body);
      expect(pair, `bad labels in ${JSON.stringify(line)}`).not.toBeNull();
      labels[pair![1]!] = pair![2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: sample![1]!, labels, value: parseValue(sample![3]!, line) });
  }
  for (const { name } of samples) {
    const family = name.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(name) || types.has(family), `${name} has no TYPE`).toBe(true);
  }
  return { types, samples };
}

// Go's ParseFloat, as Prometheus reads values: case-insensitive Inf and NaN (prom-client writes `Nan`).
function parseValue(text: string, line: string): number {
  if (/^[+-]?inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  expect(text, line).toMatch(/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?$/i);
  return Number(text);
}

async function scrape(metrics: Metrics): Promise<Exposition> {
  return parseExposition(await metrics.registry.metrics());
}

/** The value of the one sample `name` with exactly these labels (0 when there is none). */
function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exposition.samples.filter(
    (s) => s.name === name && JSON.stringify(sortKeys(s.labels)) === JSON.stringify(sortKeys(labels)),
  );
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

function sortKeys(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function fakeLedger(append: Ledger['append']): Ledger {
  const unused = (): never => {
    throw new Error('not used');
  };
  return {
    append,
    // A conditional append as an append: what is counted is the same.
    appendIf: (draft) => append(draft),
    size: async () => 7,
    read: unused,
    find: unused,
    entries: unused,
    entriesOfKinds: unused,
    checkpoint: unused,
    root: unused,
    proveInclusion: unused,
    proveConsistency: unused,
    close: async () => undefined,
  };
}

describe('createMetrics', () => {
  it('declares every Signet family with its type, outcomes at 0 from the start', async () => {
    const got = await scrape(createMetrics({ processMetrics: false }));
    expect(Object.fromEntries(got.types)).toEqual({
      signet_ledger_appends_total: 'counter',
      signet_ledger_append_seconds: 'histogram',
      signet_gate_decisions_total: 'counter',
      signet_gate_seconds: 'histogram',
      signet_verifications_total: 'counter',
      signet_verify_seconds: 'histogram',
      signet_http_requests_total: 'counter',
      signet_http_request_seconds: 'histogram',
    });
    for (const decision of ['allow', 'deny']) {
      expect(got.samples).toContainEqual({
        name: 'signet_gate_decisions_total',
        labels: { decision },
        value: 0,
      });
    }
    for (const result of ['ok', 'fail']) {
      expect(got.samples).toContainEqual({
        name: 'signet_verifications_total',
        labels: { result },
        value: 0,
      });
    }
  });

  it("registers prom-client's process metrics on its own registry, not the global one", async () => {
    const metrics = createMetrics();
    const got = await scrape(metrics);
    expect(got.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(got.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('signet_gate_seconds')).toBeUndefined();
    expect(register.getSingleMetric('process_cpu_user_seconds_total')).toBeUndefined();
  });

  it('keeps two apps apart', async () => {
    const one = createMetrics({ processMetrics: false });
    const two = createMetrics({ processMetrics: false });
    one.ledgerAppends.inc();
    expect(valueOf(await scrape(one), 'signet_ledger_appends_total')).toBe(1);
    expect(valueOf(await scrape(two), 'signet_ledger_appends_total')).toBe(0);
  });

  it('uses the latency buckets, cumulative, +Inf equal to the count', async () => {
    const metrics = createMetrics({ processMetrics: false });
    for (const seconds of [0.0001, 0.003, 0.003, 0.7, 9]) metrics.gateSeconds.observe(seconds);
    const got = await scrape(metrics);
    const buckets = got.samples.filter((s) => s.name === 'signet_gate_seconds_bucket');
    expect(buckets.map((b) => parseValue(b.labels['le']!, 'le'))).toEqual([...LATENCY_BUCKETS, Infinity]);
    const counts = buckets.map((b) => b.value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(valueOf(got, 'signet_gate_seconds_bucket', { le: '0.0005' })).toBe(1);
    expect(valueOf(got, 'signet_gate_seconds_bucket', { le: '0.005' })).toBe(3);
    expect(valueOf(got, 'signet_gate_seconds_bucket', { le: '5' })).toBe(4);
    expect(valueOf(got, 'signet_gate_seconds_bucket', { le: '+Inf' })).toBe(5);
    expect(valueOf(got, 'signet_gate_seconds_count')).toBe(5);
    expect(valueOf(got, 'signet_gate_seconds_sum')).toBeCloseTo(9.7061, 6);
  });

  it('escapes label values', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const route = 'a "quoted" back\\slash\nnewline';
    metrics.httpRequests.inc({ method: 'GET', route, status: '200' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('route="a \\"quoted\\" back\\\\slash\\nnewline"');
    const got = parseExposition(text);
    expect(valueOf(got, 'signet_http_requests_total', { method: 'GET', route, status: '200' })).toBe(1);
  });
});

describe('timeGate and timeVerify', () => {
  it('counts each gate decision and times every call', async () => {
    const metrics = createMetrics({ processMetrics: false });
    await timeGate(metrics, async () => ({ allow: true }));
    await timeGate(metrics, async () => ({ allow: false }));
    await timeGate(metrics, async () => ({ allow: false }));
    await expect(
      timeGate(metrics, async (): Promise<{ allow: boolean }> => {
        throw new Error('the append failed');
      }),
    ).rejects.toThrow('the append failed');
    const got = await scrape(metrics);
    expect(valueOf(got, 'signet_gate_decisions_total', { decision: 'allow' })).toBe(1);
    expect(valueOf(got, 'signet_gate_decisions_total', { decision: 'deny' })).toBe(2);
    expect(valueOf(got, 'signet_gate_seconds_count')).toBe(4);
  });

  it('counts a verification by its result; a thrown VerificationError is a failure, another error nothing', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const passes = (r: { reasons: readonly string[] }) => r.reasons.length === 0;
    await timeVerify(metrics, async () => ({ reasons: [] }), passes);
    await timeVerify(metrics, async () => ({ reasons: ['REVOKED'] }), passes);
    await expect(
      timeVerify(
        metrics,
        async () => {
          throw new VerificationError('BAD_SIGNATURE', 'no');
        },
        () => true,
      ),
    ).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    await expect(
      timeVerify(
        metrics,
        async () => {
          throw new InputError('NOT_FOUND', 'no such entry');
        },
        () => true,
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const got = await scrape(metrics);
    expect(valueOf(got, 'signet_verifications_total', { result: 'ok' })).toBe(1);
    expect(valueOf(got, 'signet_verifications_total', { result: 'fail' })).toBe(2);
    expect(valueOf(got, 'signet_verify_seconds_count')).toBe(4);
  });
});

describe('instrumentLedger', () => {
  it('counts appends that succeed, times every append, and passes the rest through', async () => {
    const metrics = createMetrics({ processMetrics: false });
    let fail = false;
    const entry = { index: 3 } as unknown as SealedEntry;
    const ledger = instrumentLedger(
      fakeLedger(async () => {
        if (fail) throw new Error('disk full');
        return entry;
      }),
      metrics,
    );
    const draft = {
      subject: [],
      predicateType: 'urn:signet:test:v1',
      predicate: {},
    } as unknown as Parameters<Ledger['append']>[0];
    expect(await ledger.append(draft)).toBe(entry);
    expect(await ledger.append(draft)).toBe(entry);
    fail = true;
    await expect(ledger.append(draft)).rejects.toThrow('disk full');
    fail = false;
    // The gate's conditional appends are counted and timed too.
    expect(await ledger.appendIf(draft, { since: 0, kinds: new Set() })).toBe(entry);
    expect(await ledger.size()).toBe(7);
    const got = await scrape(metrics);
    expect(valueOf(got, 'signet_ledger_appends_total')).toBe(3);
    expect(valueOf(got, 'signet_ledger_append_seconds_count')).toBe(4);
  });
});

describe('httpMetrics', () => {
  function createTestApp(metrics: Metrics): Hono {
    const app = new Hono();
    app.use('*', httpMetrics(metrics));
    app.use('/private/*', async (c, next) => (c.req.header('authorization') ? next() : c.text('no', 401)));
    app.get('/items/:id', (c) => c.text(c.req.param('id')));
    app.get('/private/:name', (c) => c.text('secret'));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.onError((_, c) => c.text('internal error', 500));
    return app;
  }

  it('labels by the route template and status, never the raw path or an unknown method', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const app = createTestApp(metrics);
    for (const id of ['1', '2', '3']) expect((await app.request(`/items/${id}`)).status).toBe(200);
    expect((await app.request('/items/4', { method: 'HEAD' })).status).toBe(200);
    expect((await app.request('/private/x')).status).toBe(401);
    expect((await app.request('/boom')).status).toBe(500);
    expect((await app.request('/nowhere/at/all')).status).toBe(404);
    expect((await app.request('/items/5', { method: 'PROPFIND' })).status).toBe(404);
    const got = await scrape(metrics);
    const requests = (labels: Record<string, string>) => valueOf(got, 'signet_http_requests_total', labels);
    expect(requests({ method: 'GET', route: '/items/:id', status: '200' })).toBe(3);
    expect(requests({ method: 'HEAD', route: '/items/:id', status: '200' })).toBe(1);
    expect(requests({ method: 'GET', route: '/private/:name', status: '401' })).toBe(1);
    expect(requests({ method: 'GET', route: '/boom', status: '500' })).toBe(1);
    expect(requests({ method: 'GET', route: UNMATCHED_ROUTE, status: '404' })).toBe(1);
    expect(requests({ method: 'OTHER', route: UNMATCHED_ROUTE, status: '404' })).toBe(1);
    const routes = new Set(
      got.samples.filter((s) => s.name.startsWith('signet_http_')).map((s) => s.labels['route']),
    );
    expect([...routes].sort()).toEqual(['(unmatched)', '/boom', '/items/:id', '/private/:name']);
    expect(valueOf(got, 'signet_http_request_seconds_count', { method: 'GET', route: '/items/:id' })).toBe(3);
  });
});
