// GET /healthz and GET /metrics in process, on a home with a sealed promotion. Every count is read the
// way Prometheus reads it, through GET /metrics, on the app `createApp` makes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { approve } from '../src/app/decide.js';
import type { Home } from '../src/app/home.js';
import { StoreError } from '../src/errors.js';
import { createApp } from '../src/server/app.js';
import { createServerConfig, type ServerConfig } from '../src/server/config.js';
import type { ApiApp } from '../src/server/deps.js';
import { probeLedger } from '../src/server/routes/ops.js';
import { CONTEXT, createApiFixture, type ApiFixture } from './helpers/api-fixture.js';

const ORIGIN = 'http://127.0.0.1:8080';
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

let fx: ApiFixture;
let log: string[];
let config: ServerConfig;
let app: ApiApp;

function createOpsApp(home: Home): ApiApp {
  return createApp({ home, config, processMetrics: true });
}

async function request(
  target: ApiApp,
  method: string,
  path: string,
  options: { token?: string; json?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['Authorization'] = `Bearer ${options.token}`;
  const init: RequestInit = { method, headers };
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.json);
  }
  return target.request(new Request(ORIGIN + path, init));
}

async function scrape(target: ApiApp = app): Promise<string> {
  const response = await request(target, 'GET', '/metrics', { token: fx.tokens.alice });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
  return response.text();
}

/** The value of the sample `name{labels}` (labels in any order; 0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = (match[2] ?? '')
      .split(/,(?=[a-zA-Z_]+=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    if (got === wanted) return Number(match[3]);
  }
  return 0;
}

beforeAll(async () => {
  log = [];
  config = createServerConfig({ host: '127.0.0.1', port: 8080 }, { log: (line) => log.push(line) }, {});
  fx = await createApiFixture();
  const approved = await approve(fx.home, await fx.propose(), fx.people.bob);
  expect(approved.sealed).toBeDefined();
  app = createOpsApp(fx.home);
});

afterAll(async () => {
  await fx?.cleanup();
});

describe('GET /healthz', () => {
  it('answers anyone 200 with the ledger size', async () => {
    const response = await request(app, 'GET', '/healthz');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok', ledger: { size: await fx.home.ledger.size() } });
    expect((await request(app, 'HEAD', '/healthz')).status).toBe(200);
  });

  it('answers 503 when the ledger fails, naming no more than an error code', async () => {
    const lines = log.length;
    const broken = createOpsApp({
      ...fx.home,
      ledger: { ...fx.home.ledger, size: () => Promise.reject(new Error('disk on fire at /srv/secret')) },
    });
    const response = await request(broken, 'GET', '/healthz');
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: 'unavailable', reason: 'the ledger failed' });
    expect(text).not.toContain('secret');
    expect(log.slice(lines).join('\n')).toContain('disk on fire');

    const coded = createOpsApp({
      ...fx.home,
      ledger: {
        ...fx.home.ledger,
        size: () => {
          throw new StoreError('STORE_FAILURE', 'connection refused to db.internal:5432');
        },
      },
    });
    const codedResponse = await request(coded, 'GET', '/healthz');
    expect(codedResponse.status).toBe(503);
    expect(await codedResponse.json()).toEqual({
      status: 'unavailable',
      reason: 'the ledger failed: STORE_FAILURE',
    });
  });

  it('gives up on a ledger that does not answer in time', async () => {
    const started = Date.now();
    const probe = await probeLedger({ size: () => new Promise<number>(() => undefined) }, 30);
    expect(probe).toEqual({ ok: false, reason: 'the ledger did not answer within 30 ms' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await probeLedger({ size: async () => 12 }, 30)).toEqual({ ok: true, size: 12 });
  });
});

describe('GET /metrics', () => {
  it('needs an API token', async () => {
    for (const token of [undefined, 'sgt_not-a-token']) {
      const response = await request(app, 'GET', '/metrics', token === undefined ? {} : { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      expect(await response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it("serves the Prometheus text format with Signet's families and the process metrics", async () => {
    const text = await scrape();
    for (const [name, type] of [
      ['signet_ledger_appends_total', 'counter'],
      ['signet_ledger_append_seconds', 'histogram'],
      ['signet_gate_decisions_total', 'counter'],
      ['signet_gate_seconds', 'histogram'],
      ['signet_verifications_total', 'counter'],
      ['signet_verify_seconds', 'histogram'],
      ['signet_http_requests_total', 'counter'],
      ['signet_http_request_seconds', 'histogram'],
      ['process_cpu_user_seconds_total', 'counter'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
    }
  });

  it('counts a gate decision of each kind, the deployment entries it appended, and the requests', async () => {
    const before = await scrape();
    for (const model of [fx.digests.candidate, fx.digests.baseline]) {
      const response = await request(app, 'POST', '/v1/gate', {
        token: fx.tokens.alice,
        json: { model, context: CONTEXT },
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { allow: boolean }).allow).toBe(model === fx.digests.candidate);
    }
    expect((await request(app, 'POST', '/v1/gate', { json: {} })).status).toBe(401);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('signet_gate_decisions_total', { decision: 'allow' })).toBe(1);
    expect(delta('signet_gate_decisions_total', { decision: 'deny' })).toBe(1);
    expect(delta('signet_gate_seconds_count')).toBe(2);
    expect(delta('signet_ledger_appends_total')).toBe(2);
    expect(delta('signet_ledger_append_seconds_count')).toBe(2);
    expect(delta('signet_http_requests_total', { method: 'POST', route: '/v1/gate', status: '200' })).toBe(2);
    expect(delta('signet_http_requests_total', { method: 'POST', route: '/v1/gate', status: '401' })).toBe(1);
    // The previous scrape was answered before it was counted.
    expect(delta('signet_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBe(1);
  });

  it('labels requests by route template only: a digest or an unknown path is never a label', async () => {
    await request(app, 'GET', `/v1/nothing/${fx.digests.candidate}`, { token: fx.tokens.alice });
    await request(app, 'GET', `/nowhere/${fx.digests.baseline}`);
    const text = await scrape();
    expect(text).not.toContain(fx.digests.candidate.slice('sha256:'.length));
    expect(text).not.toContain(fx.digests.baseline.slice('sha256:'.length));
    expect(
      sample(text, 'signet_http_requests_total', { method: 'GET', route: '(unmatched)', status: '404' }),
    ).toBe(2);
  });
});
