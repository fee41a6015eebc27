import { describe, expect, it } from 'vitest';

import type { MonitorStatus, StatusPoint, StatusSeries } from '../../monitor/types.js';
import type { Digest } from '../../signing/digest.js';
import { monitorPath, renderMonitorPage, type MonitorPageData } from './monitor.js';

const D = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;
const DAYS = ['2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'];
const EVIL = `<script>alert(1)</script> "onmouseover=alert(1) x=" '><img src=x onerror=alert(1)> &`;
// Digests in a status are validated before they get there; the page escapes them all the same.
const EVIL_DIGEST = EVIL as Digest;
const EVIL_ESCAPED =
  '&lt;script&gt;alert(1)&lt;/script&gt; &quot;onmouseover=alert(1) x=&quot; &#39;&gt;&lt;img src=x onerror=alert(1)&gt; &amp;';

function point(window: string, psi: number, level: StatusPoint['level'], extra: Partial<StatusPoint> = {}) {
  return {
    window,
    n: 1200,
    psi,
    chiSquare: 30,
    df: 9,
    pValue: 0.0004,
    level,
    reason: `reason ${window}`,
    ...extra,
  };
}

function feature(name: string, role: StatusSeries['role'] = 'feature'): StatusSeries {
  return {
    name,
    role,
    points: [point(DAYS[0]!, 0.02, 'ok'), point(DAYS[1]!, 0.12, 'warn'), point(DAYS[2]!, 0.05, 'ok')],
  };
}

function status(overrides: Partial<MonitorStatus> = {}): MonitorStatus {
  return {
    model: 'credit-scorecard',
    context: 'retail-credit/uk',
    promotion: { entry: D('a'), index: 12 },
    reference: D('b'),
    thresholds: { warn: 0.1, material: 0.25 },
    policy: D('c'),
    minimumCount: 500,
    windows: DAYS,
    series: [
      {
        name: 'income',
        role: 'feature',
        points: [
          point(DAYS[0]!, 0.02, 'ok'),
          point(DAYS[1]!, 0.31, 'material', { flag: { entry: D('d'), index: 20 } }),
          point(DAYS[2]!, 0.4, 'insufficient', { n: 30 }),
        ],
      },
      feature('age'),
      feature('score', 'score'),
    ],
    flags: [{ entry: D('d'), index: 20, window: DAYS[1]!, feature: 'income', psi: 0.31, pValue: 0.0004 }],
    ...overrides,
  };
}

function render(overrides: Partial<MonitorPageData> = {}): string {
  return renderMonitorPage({
    identity: 'bob@bank.example',
    status: status(),
    model: 'credit-scorecard',
    context: 'retail-credit/uk',
    contexts: ['retail-credit/ie', 'retail-credit/uk'],
    ...overrides,
  });
}

/** The text of the page with the tags taken out and the common entities read back. */
function text(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')
    .replace(/\s+/g, ' ');
}

// Tags as the pages write them: every attribute value double-quoted (escaped text holds no `"`).
const TAG = /<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>"'/]+(?:="[^"]*")?)*)\s*\/?>/g;
const ATTRIBUTE = /\s+([^\s=>"'/]+)(?:="([^"]*)")?/g;

/** What the CSP forbids: inline script, style attributes or elements, event attributes, foreign links. */
function expectCspSafe(html: string): void {
  expect(html).not.toMatch(/<script\b/i);
  expect(html).not.toMatch(/<style\b/i);
  let tags = 0;
  for (const m of html.matchAll(TAG)) {
    tags += 1;
    for (const a of (m[2] ?? '').matchAll(ATTRIBUTE)) {
      const name = a[1]!.toLowerCase();
      expect(name, `<${m[1]}> has an event attribute`).not.toMatch(/^on/);
      expect(name, `<${m[1]}> has a style attribute`).not.toBe('style');
      if (name === 'href') expect(a[2]).toMatch(/^\/(?![/\\])|^#/);
    }
  }
  // Every "<" opens a tag the pattern read: none is left in text, unescaped.
  expect(html.match(/<(?!\/)/g)?.length).toBe(tags + 1); // + the doctype
}

describe('monitorPath', () => {
  it('percent-encodes the model and the context', () => {
    expect(monitorPath('credit-scorecard')).toBe('/models/credit-scorecard/monitor');
    expect(monitorPath('credit-scorecard', 'retail-credit/uk')).toBe(
      '/models/credit-scorecard/monitor?context=retail-credit%2Fuk',
    );
    expect(monitorPath('a b/../c', 'x&y=z#?')).toBe('/models/a%20b%2F..%2Fc/monitor?context=x%26y%3Dz%23%3F');
  });
});

describe('the monitor page', () => {
  it('is titled by the model, under Models in the nav, with the context and links to the others', () => {
    const html = render();
    expect(html).toContain('<title>Monitor · credit-scorecard · Signet</title>');
    expect(html).toContain('<h1>Monitor · credit-scorecard</h1>');
    expect(html).toContain('<a href="/models" aria-current="page">Models</a>');
    expect(html).toContain('Context <strong>retail-credit/uk</strong>.');
    expect(html).toContain(
      'Other contexts monitored: <a href="/models/credit-scorecard/monitor?context=retail-credit%2Fie">retail-credit/ie</a>.',
    );
    expect(html).not.toContain('context=retail-credit%2Fuk"');
  });

  it('states the promotion, the reference, the thresholds and the minimum window in words', () => {
    const html = render();
    expect(html).toContain(
      `<dt>Measured against</dt><dd>promotion <a href="/ledger/12" title="${D('a')}">#12</a> <code>${D('a')}</code></dd>`,
    );
    expect(html).toContain(`<dt>Reference bins</dt><dd><code>${D('b')}</code></dd>`);
    expect(html).toContain(
      '<dt>Thresholds</dt><dd>material from PSI 0.25, warn from PSI 0.10 (the policy in force)</dd>',
    );
    expect(text(html)).toContain('Windows with fewer than 500 rows raise no flag');
    expect(html).toContain('<dt>Windows counted</dt><dd>3 (2026-11-01 to 2026-11-03)</dd>');
    expect(html).toContain('<dt>Flags</dt><dd>recorded in the log</dd>');
    expect(html).toContain(`Policy <code>${D('c')}</code>`);
    expect(html).not.toContain('No policy is in force');
    const noWarn = render({ status: status({ thresholds: { material: 0.2 } }) });
    expect(noWarn).toContain('<dd>material from PSI 0.20, no warn threshold (the policy in force)</dd>');
  });

  it('says that no flag is recorded when no policy is in force', () => {
    const html = render({ status: status({ policy: null, flags: [] }) });
    expect(text(html)).toContain('No policy is in force, so flags are not recorded');
    expect(html).toContain('<dt>Flags</dt><dd>not recorded (no policy is in force)</dd>');
    expect(html).toContain('(the defaults)</dd>');
    expect(html).not.toContain('recorded in the log');
  });

  it('draws one chart per series in a figure, the score first, each captioned with its latest window', () => {
    const html = render();
    const figures = [...html.matchAll(/<figure class="psi-figure"[^>]*>([\s\S]*?)<\/figure>/g)].map(
      (m) => m[1]!,
    );
    expect(figures).toHaveLength(3);
    for (const figure of figures) expect(figure.match(/<svg /g)).toHaveLength(1);
    const names = figures.map((f) => /<figcaption><strong>([^<]*)<\/strong>/.exec(f)?.[1]);
    expect(names).toEqual(['score', 'income', 'age']);
    expect(figures[0]).toContain('<title>PSI of score (the model&#39;s score) per window</title>');
    const income = figures[1]!;
    expect(text(/<figcaption>[\s\S]*<\/figcaption>/.exec(income)![0])).toBe(
      'income (feature): latest window 2026-11-03: PSI 0.4000, p 4.0e-4, 30 rows, too few rows to judge. reason 2026-11-03T00:00:00Z',
    );
    expect(income).toContain('<span class="badge level-insufficient">too few rows to judge</span>');
    // The flagged window in the chart links to its entry, as the flags table does.
    expect(income).toMatch(/<a class="point flagged" href="\/ledger\/20" data-window="2026-11-02T00:00:00Z"/);
  });

  it('lists the flags, each linked to its entry', () => {
    const html = render();
    const table = /<table>[\s\S]*?<\/table>/.exec(html.slice(html.indexOf('id="flags-heading"')))?.[0] ?? '';
    const rows = [...table.matchAll(/<tr><td>([\s\S]*?)<\/tr>/g)].map((m) => m[0]);
    expect(rows).toEqual([
      `<tr><td><a href="/ledger/20" title="${D('d')}">#20</a></td><td>2026-11-02</td><td>income</td><td class="num">0.3100</td><td class="num">4.0e-4</td></tr>`,
    ]);
    const none = render({ status: status({ flags: [] }) });
    expect(none).toContain('No population-shift flag has been recorded since this promotion.');
  });

  it('tells what to run when nothing is monitored in the context', () => {
    const html = render({ status: null });
    expect(html).toContain('Nothing is monitored here yet');
    expect(text(html)).toContain(
      'credit-scorecard has no promotion in force in retail-credit/uk with reference bins',
    );
    expect(html).toContain(
      '<pre><code>signet monitor ingest --model credit-scorecard --context retail-credit/uk FILE</code></pre>',
    );
    expect(html).not.toContain('<svg');
    expect(html).not.toContain('<dt>');
    // No context chosen, none to link to; names a shell would split are quoted.
    const bare = renderMonitorPage({ status: null, model: "it's new", contexts: [] });
    expect(bare).toContain('No context chosen.');
    expect(bare).toContain('--model &#39;it&#39;\\&#39;&#39;s new&#39; --context CONTEXT FILE');
    expect(bare).toContain('<a href="/signin">Sign in</a>');
  });

  it('tells what to run when no traffic has been counted yet', () => {
    const html = render({
      status: status({ windows: [], flags: [], series: [{ ...feature('age'), points: [] }] }),
    });
    expect(html).toContain('No traffic counted yet');
    expect(html).toContain('--model credit-scorecard --context retail-credit/uk FILE');
    expect(html).toContain('<dt>Windows counted</dt><dd>none yet</dd>');
    expect(html).not.toContain('<svg');
  });

  it('shows a problem as a notice', () => {
    const html = render({ status: null, problem: 'the store <failed>' });
    expect(html).toContain(
      '<p class="notice notice-bad"><span class="pre-text">the store &lt;failed&gt;</span></p>',
    );
  });

  it('escapes hostile names everywhere and stays inside the CSP', () => {
    const evil = status({
      model: EVIL,
      context: EVIL,
      series: [
        {
          ...feature(EVIL),
          points: [
            point(DAYS[0]!, 0.3, 'material', { reason: EVIL, flag: { entry: EVIL_DIGEST, index: 3 } }),
          ],
        },
      ],
      flags: [{ entry: EVIL_DIGEST, index: 3, window: EVIL, feature: EVIL, psi: 0.3, pValue: 0.01 }],
      reference: EVIL_DIGEST,
      policy: EVIL_DIGEST,
    });
    const html = renderMonitorPage({
      identity: EVIL,
      status: evil,
      model: EVIL,
      context: EVIL,
      contexts: [EVIL, `${EVIL}2`],
      problem: EVIL,
    });
    expectCspSafe(html);
    expect(html).not.toContain(EVIL);
    expect(html).toContain(`<figcaption><strong>${EVIL_ESCAPED}</strong>`);
    expect(html).toContain(`<title>PSI of ${EVIL_ESCAPED} per window</title>`);
    expect(html).toContain(`<td>${EVIL_ESCAPED}</td>`);
    expect(html).toContain(`Context <strong>${EVIL_ESCAPED}</strong>`);
    expect(html).toContain(`<title>Monitor · ${EVIL_ESCAPED} · Signet</title>`);
    // The other context's link is percent-encoded, then escaped.
    expect(html).toContain(
      `href="${monitorPath(EVIL, `${EVIL}2`).replaceAll('&', '&amp;').replaceAll("'", '&#39;')}"`,
    );
    expectCspSafe(renderMonitorPage({ status: null, model: EVIL, context: EVIL, contexts: [EVIL] }));
  });
});
