// Population-shift monitoring over the HTTP API: traffic streamed as CSV or NDJSON is counted against
// the promotion's sealed reference bins and a shifted window is flagged; the status reads back. The
// errors: no token (401), a body that is neither CSV nor NDJSON (415), a missing or bad parameter (400),
// a model with no promotion (404), a body over the limit (413) — and nothing counted after a refusal.
// Responses are checked against the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { approve } from '../src/app/decide.js';
import { applyPolicy } from '../src/app/policy.js';
import { createApp } from '../src/server/app.js';
import { createServerConfig } from '../src/server/config.js';
import { startSession } from '../src/app/tokens.js';
import { createApiClient, codeOf, type ApiCall } from './helpers/api.js';
import { CONTEXT, MODEL, createApiFixture, type ApiFixture } from './helpers/api-fixture.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

const POLICY = `version: 1
defaults:
  psi: { warn: 0.1, material: 0.25 }
  tier: standard
  oncallRole: oncall
  contexts: [${CONTEXT}]
tiers:
  standard:
    committee: { roles: [approver], quorum: 1 }
`;

let fx: ApiFixture;
let call: ApiCall;
let small: ApiCall;
let entry: string;

/** `rows` rows of the fixture's two columns; `old` applicants only when shifted. */
function traffic(day: string, rows: number, shifted: boolean): string {
  const lines = ['scored_at,age,default'];
  for (let i = 0; i < rows; i += 1) {
    const time = new Date(Date.parse(`${day}T00:00:00Z`) + i * 1000).toISOString();
    const age = shifted ? 60 + (i % 20) : i % 2 === 0 ? 31 : 23;
    lines.push(`${time},${age},${i % 2}`);
  }
  return lines.join('\n') + '\n';
}

const query = (extra = ''): string =>
  `/v1/monitor/ingest?model=${MODEL}&context=${encodeURIComponent(CONTEXT)}&timestampColumn=scored_at${extra}`;

beforeAll(async () => {
  fx = await createApiFixture();
  const policyFile = path.join(fx.root, 'policy.yaml');
  await writeFile(policyFile, POLICY);
  await applyPolicy(fx.home, policyFile, fx.people.admin);
  const draft = await fx.propose();
  const approved = await approve(fx.home, draft, fx.people.carol);
  entry = approved.sealed!.id;
  const config = (maxTrafficBytes?: number) =>
    createServerConfig(
      { host: '127.0.0.1', port: 8080 },
      { log: () => undefined, ...(maxTrafficBytes ? { maxTrafficBytes } : {}) },
    );
  call = createApiClient(createApp({ home: fx.home, config: config() }));
  small = createApiClient(createApp({ home: fx.home, config: config(1000) }));
});

afterAll(async () => {
  await fx.cleanup();
});

describe('POST /v1/monitor/ingest', () => {
  it('refuses without a token, a body of another type, bad parameters and an unknown model; nothing counted', async () => {
    const body = traffic('2026-11-02', 10, false);
    const anonymous = await call('POST', query(), { body, headers: { 'Content-Type': 'text/csv' } });
    expect(anonymous.status).toBe(401);
    const json = await call('POST', query(), {
      token: fx.tokens.alice,
      body,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(json.status).toBe(415);
    expect(codeOf(json)).toBe('UNSUPPORTED_MEDIA_TYPE');
    const week = await call('POST', query('&window=week'), {
      token: fx.tokens.alice,
      body,
      headers: { 'Content-Type': 'text/csv' },
    });
    expect(week.status).toBe(400);
    const noModel = await call('POST', `/v1/monitor/ingest?context=${encodeURIComponent(CONTEXT)}`, {
      token: fx.tokens.alice,
      body,
      headers: { 'Content-Type': 'text/csv' },
    });
    expect(noModel.status).toBe(400);
    expect(noModel.text).toContain('model');
    const unknown = await call(
      'POST',
      `/v1/monitor/ingest?model=churn&context=${encodeURIComponent(CONTEXT)}`,
      {
        token: fx.tokens.alice,
        body,
        headers: { 'Content-Type': 'text/csv' },
      },
    );
    expect(unknown.status).toBe(404);
    const tooBig = await small('POST', query(), {
      token: fx.tokens.alice,
      body: traffic('2026-11-02', 200, false),
      headers: { 'Content-Type': 'text/csv' },
    });
    expect(tooBig.status).toBe(413);
    const status = await call('GET', `/v1/monitor/status?model=${MODEL}`, { token: fx.tokens.alice });
    expect(status.status).toBe(200);
    const [only] = status.body as { windows: string[] }[];
    expect(only!.windows).toEqual([]);
  });

  it('counts a stable day and flags a shifted one; the status shows both and links the flag', async () => {
    const stable = await call('POST', query(), {
      token: fx.tokens.alice,
      body: traffic('2026-11-02', 600, false),
      headers: { 'Content-Type': 'text/csv; charset=utf-8' },
    });
    expect(stable.status, stable.text).toBe(200);
    const stableBody = stable.body as { flags: unknown[]; promotion: { entry: string } };
    expect(stableBody.promotion.entry).toBe(entry);
    expect(stableBody.flags).toEqual([]);

    const ndjson = traffic('2026-11-03', 600, true)
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [scored_at, age, def] = line.split(',');
        return JSON.stringify({ scored_at, age: Number(age), default: Number(def) });
      })
      .join('\n');
    const shifted = await call('POST', query(), {
      token: fx.tokens.bob,
      body: ndjson + '\n',
      headers: { 'Content-Type': 'application/x-ndjson' },
    });
    expect(shifted.status, shifted.text).toBe(200);
    const flags = (shifted.body as { flags: { feature: string; entry: string; window: string }[] }).flags;
    expect(flags.map((f) => f.feature)).toEqual(['age']);
    expect(flags[0]!.window).toBe('2026-11-03T00:00:00Z');

    const status = await call(
      'GET',
      `/v1/monitor/status?model=${MODEL}&context=${encodeURIComponent(CONTEXT)}`,
      {
        token: fx.tokens.alice,
      },
    );
    expect(status.status).toBe(200);
    const [s] = status.body as {
      windows: string[];
      series: { name: string; points: { window: string; level: string; flag?: { entry: string } }[] }[];
    }[];
    expect(s!.windows).toEqual(['2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z']);
    const age = s!.series.find((series) => series.name === 'age')!;
    expect(age.points.map((p) => p.level)).toEqual(['ok', 'material']);
    expect(age.points[1]!.flag?.entry).toBe(flags[0]!.entry);
  });
});

describe('the monitor page', () => {
  it('draws a chart per series with both thresholds and links the flag to its ledger entry', async () => {
    const secret = await startSession(fx.home, 'alice', 60_000);
    const app = createApp({
      home: fx.home,
      config: createServerConfig({ host: '127.0.0.1', port: 8080 }, { log: () => undefined }),
    });
    const res = await app.request(`http://127.0.0.1:8080/models/${MODEL}/monitor`, {
      headers: { Cookie: `signet_session=${secret}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html.match(/<svg[^>]*class="psi-chart"/g)).toHaveLength(2); // age and default
    expect(html).toContain('material 0.25');
    expect(html).toContain('warn 0.10');
    const [status] = (await call('GET', `/v1/monitor/status?model=${MODEL}`, { token: fx.tokens.alice }))
      .body as { flags: { index: number }[] }[];
    expect(html).toContain(`href="/ledger/${status!.flags[0]!.index}"`);
    // Signed out: to the sign-in page.
    const anonymous = await app.request(`http://127.0.0.1:8080/models/${MODEL}/monitor`);
    expect(anonymous.status).toBe(303);
    // A context with nothing to measure says so, as a page.
    const elsewhere = await app.request(
      `http://127.0.0.1:8080/models/${MODEL}/monitor?context=retail-credit%2Ffr`,
      { headers: { Cookie: `signet_session=${secret}` } },
    );
    expect(elsewhere.status).toBe(200);
    expect(await elsewhere.text()).toContain('no promotion of credit in retail-credit/fr is in force');
  });
});

describe('GET /v1/monitor/status', () => {
  it('needs a model and a token; an unmonitored context named is a 404', async () => {
    expect((await call('GET', `/v1/monitor/status?model=${MODEL}`)).status).toBe(401);
    expect((await call('GET', '/v1/monitor/status', { token: fx.tokens.alice })).status).toBe(400);
    const elsewhere = await call('GET', `/v1/monitor/status?model=${MODEL}&context=retail-credit/fr`, {
      token: fx.tokens.alice,
    });
    expect(elsewhere.status).toBe(404);
    const none = await call('GET', '/v1/monitor/status?model=churn', { token: fx.tokens.alice });
    expect(none.status).toBe(200);
    expect(none.body).toEqual([]);
  });
});
