import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { distModule, runNode } from '../../test/helpers/dist.js';
import { SignetError } from '../errors.js';
import type { ExplanationKind, ExplanationRef } from '../promotion/types.js';
import { encodeBase64 } from '../signing/base64.js';
import { digestOfBytes, isDigest, type Digest } from '../signing/digest.js';
import { RENDERER_VERSION, renderReview, type ReviewInput } from './render.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
/** A distinct, valid digest for a name. */
const d = (name: string): Digest => digestOfBytes(utf8(`fixture:${name}`));

const REQUEST = `## Justification
Quarterly retrain on fresh data; AUC up by three points. Zürich branch data included — ✓.

## Scope
Retail credit scoring, **EU** only.

## Intended deployment
Shadow for two weeks, then [full rollout](https://example.com/plan "plan").

## Known limitations
- Thin-file applicants (< 6 months) are under-represented.
- Arabic names: محمد are transliterated.

| segment | share |
|:--|--:|
| thin file | 4.5% |
`;

// A PNG signature and a few bytes: the page embeds bytes, it does not decode them.
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3]);
const SVG = utf8(
  '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>',
);
const SHAP = utf8(
  JSON.stringify({
    feature_names: ['income', 'age', 'débt_ratio'],
    values: [
      [0.5, -0.25, 0.125],
      [-0.3, 0.1, -0.4],
      [0.2, 0, 0.05],
    ],
    base_values: [0.1, 0.1, 0.1],
  }),
);
const REPORT = utf8('<html><script>alert(1)</script></html>');

function explanation(
  kind: ExplanationKind,
  name: string,
  bytes: Uint8Array,
): ReviewInput['explanations'][number] {
  const mediaType = {
    png: 'image/png',
    svg: 'image/svg+xml',
    'shap-json': 'application/json',
    html: 'text/html',
  }[kind];
  const ref: ExplanationRef = { kind, mediaType, digest: digestOfBytes(bytes), name };
  return { ref, bytes };
}

/** The test fixture: every optional field set, numbers chosen to catch locale formatting. */
function reviewInput(patch: (input: Mutable<ReviewInput>) => void = () => {}): ReviewInput {
  const input: Mutable<ReviewInput> = {
    draft: 'draft-0001',
    model: {
      name: 'credit-risk-gbm',
      digest: d('model'),
      manifest: d('model'),
      class: 'GradientBoostingClassifier',
      hyperparameterFamily: 'gbm/depth-limited',
      hyperparameters: d('hyperparameters'),
      inputContract: d('input-contract'),
      featurePipeline: d('feature-pipeline'),
      registration: d('model-registration'),
    },
    context: 'retail-credit/eu — decisioning',
    request: {
      markdown: REQUEST,
      digest: digestOfBytes(utf8(REQUEST)),
      author: { issuer: 'signet:log.example', subject: 'alice@bank.example', name: 'Alice Åberg' },
    },
    challenger: {
      against: { kind: 'incumbent', entry: d('incumbent-entry'), digest: d('incumbent-model') },
      evaluationSet: d('dataset'),
      metrics: {
        candidate: {
          auc: 0.8312,
          log_loss: 0.41,
          brier: 0.125,
          recall: 0.7,
          custom_score: 1234.5,
          ks_pvalue: 0.00000123,
        },
        challenger: {
          auc: 0.8012,
          log_loss: 0.4,
          brier: 0.125,
          precision: 0.66,
          custom_score: 1000.25,
          ks_pvalue: 0.0000021,
        },
      },
      report: d('report'),
    },
    higherIsBetter: { custom_score: false },
    explanations: [
      explanation('png', 'summary.png', PNG),
      explanation('svg', 'dependence.svg', SVG),
      explanation('shap-json', 'shap-values.json', SHAP),
      explanation('html', 'fairness.html', REPORT),
    ],
    dataset: {
      digest: d('dataset'),
      label: 'validation_q3',
      format: 'parquet',
      rows: 1234567,
      manifest: d('dataset'),
      registration: d('dataset-registration'),
      uri: 's3://bucket/validation_q3/',
    },
    route: {
      materiality: 'material',
      tier: 'tier-2',
      reasons: ['auc moved +0.0300, outside the band [-0.0100, +0.0100]', 'input contract changed'],
      policy: d('policy'),
    },
  };
  patch(input);
  return input;
}

type Mutable<T> = T extends Uint8Array | string | number | boolean
  ? T
  : T extends readonly (infer U)[]
    ? Mutable<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Mutable<T[K]> }
      : T;

const render = (input: ReviewInput): string => text(renderReview(input));

/** Sets the request text and its digest together. */
function setRequest(input: Mutable<ReviewInput>, markdown: string): void {
  input.request.markdown = markdown;
  input.request.digest = digestOfBytes(utf8(markdown));
}

const ALLOWED_TAGS = new Set(
  (
    'html head meta title style body header section footer h1 h2 h3 h4 h5 h6 p dl dt dd code strong em ' +
    'ol ul li div span table thead tbody tr th td figure figcaption img svg g rect text line a pre ' +
    'blockquote hr br s del'
  ).split(' '),
);

/** Every tag in the page is one we write, and no tag carries an event handler or a style with url(). */
function expectOnlyKnownMarkup(page: string): void {
  expect(page.startsWith('<!doctype html>\n')).toBe(true);
  const body = page.slice('<!doctype html>'.length);
  for (const match of body.matchAll(/<\/?([^\s>/]*)([^>]*)>/g)) {
    const [tag, name = '', quoted = ''] = match;
    expect(ALLOWED_TAGS.has(name.toLowerCase()), `unexpected tag ${tag}`).toBe(true);
    // Attribute names only: what is inside a quoted value is text.
    const attributes = quoted.replace(/"[^"]*"/g, '""');
    expect(attributes, tag).not.toMatch(/\son[a-z]+\s*=/i);
    expect(attributes, tag).not.toMatch(/\s(?:srcdoc|formaction|xlink:href)\s*=/i);
    // markdown-it aligns table cells with a style attribute; nothing else may carry one.
    for (const [, style = ''] of quoted.matchAll(/\sstyle="([^"]*)"/g)) {
      expect(style).toMatch(/^text-align:(?:left|right|center)$/);
    }
  }
  for (const [, href = ''] of page.matchAll(/\shref="([^"]*)"/g))
    expect(href).toMatch(/^(?:https?:|mailto:)/i);
  for (const [, src = ''] of page.matchAll(/\ssrc="([^"]*)"/g)) {
    expect(src).toMatch(/^data:image\/(?:png|svg\+xml);base64,[A-Za-z0-9+/=]*$/);
  }
  expect(page).not.toMatch(/<script/i);
  expect(page).not.toMatch(/<(?:iframe|object|embed|foreignObject|base|link|form)/i);
}

describe('renderReview: structure', () => {
  const page = render(reviewInput());

  it('is one self-contained page with a CSP that allows no script', () => {
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    );
    expect(page.indexOf('<meta charset="utf-8">')).toBeLessThan(1024);
    expect(page.match(/<style>/g)).toHaveLength(1);
    expectOnlyKnownMarkup(page);
  });

  it('has every section, in order', () => {
    const order = [
      '<header>',
      '<p class="kicker">Review of a model promotion</p>',
      '<section id="route">',
      '<section id="model">',
      '<section id="context">',
      '<section id="request">',
      '<section id="challenger">',
      '<section id="explanations">',
      '<section id="dataset">',
      '<footer id="digests">',
    ].map((marker) => page.indexOf(marker));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('shows the header, model, context, requester and dataset facts', () => {
    const input = reviewInput();
    for (const fact of [
      '<h1>credit-risk-gbm</h1>',
      'draft-0001',
      RENDERER_VERSION,
      'GradientBoostingClassifier',
      'gbm/depth-limited',
      'retail-credit/eu — decisioning',
      'Alice Åberg &lt;alice@bank.example&gt; (issuer signet:log.example)',
      'validation_q3',
      'parquet',
      '<dd>1234567</dd>',
      's3://bucket/validation_q3/',
    ]) {
      expect(page).toContain(fact);
    }
    // Every digest of the input is on the page.
    const digests = JSON.stringify(input, (_k, v: unknown) =>
      v instanceof Uint8Array ? undefined : v,
    ).match(/sha256:[0-9a-f]{64}/g);
    expect(digests?.length).toBeGreaterThan(15);
    for (const digest of digests ?? []) expect(page).toContain(digest);
    // …and each one in the footer.
    const footer = page.slice(page.indexOf('<footer id="digests">'));
    for (const digest of digests ?? []) expect(footer).toContain(digest);
  });

  it('shows the route, the tier, every reason and the policy', () => {
    const route = page.slice(page.indexOf('<section id="route">'), page.indexOf('<section id="model">'));
    expect(route).toContain('material');
    expect(route).toContain('tier-2');
    expect(route).toContain('<li>auc moved +0.0300, outside the band [-0.0100, +0.0100]</li>');
    expect(route).toContain('<li>input contract changed</li>');
    expect(route).toContain(d('policy'));
    expect(render(reviewInput((i) => delete i.route))).not.toContain('<section id="route">');
  });

  it('renders the request Markdown with its four sections as written', () => {
    for (const heading of ['Justification', 'Scope', 'Intended deployment', 'Known limitations']) {
      expect(page).toContain(`<h4>${heading}</h4>`);
    }
    expect(page).toContain('<strong>EU</strong>');
    expect(page).toContain(
      '<a href="https://example.com/plan" title="plan" rel="noreferrer">full rollout</a>',
    );
    expect(page).toContain('Thin-file applicants (&lt; 6 months)');
  });

  it('compares candidate and challenger with signed deltas, "—" for a missing side, and a chart', () => {
    const rowOf = (metric: string): string => {
      const start = page.indexOf(`<tr><th scope="row">${metric}</th>`);
      expect(start).toBeGreaterThanOrEqual(0);
      return page.slice(start, page.indexOf('</tr>', start));
    };
    expect(rowOf('auc')).toContain('>0.8312<');
    expect(rowOf('auc')).toContain('>0.8012<');
    expect(rowOf('auc')).toMatch(/class="num delta better"[^>]*>\+0\.0300 /);
    expect(rowOf('log_loss')).toMatch(/class="num delta worse"[^>]*>\+0\.0100 /);
    expect(rowOf('brier')).toMatch(/class="num delta same"[^>]*>0\.0000</);
    // Overridden: lower is better, so a rise is worse.
    expect(rowOf('custom_score')).toMatch(/class="num delta worse"[^>]*>\+234\.2500 /);
    // Tiny values keep their digits instead of reading 0.0000.
    expect(rowOf('ks_pvalue')).toContain('>1.230e-6<');
    expect(rowOf('ks_pvalue')).toMatch(/class="num delta better"[^>]*>-8\.700e-7 /);
    expect(rowOf('recall')).toContain('<td class="num missing">—</td>');
    expect(rowOf('precision')).toContain('<td class="num missing">—</td>');
    const section = page.slice(
      page.indexOf('<section id="challenger">'),
      page.indexOf('<section id="explanations">'),
    );
    expect(section).toContain('<svg');
    expect(section).toContain(d('incumbent-entry'));
    expect(section).toContain(d('incumbent-model'));
    expect(section).toContain('incumbent');
  });

  it('embeds images as data: URIs, charts SHAP as mean |SHAP| and lists HTML by digest, unrendered', () => {
    const input = reviewInput();
    expect(page).toContain(`src="data:image/png;base64,${encodeBase64(PNG)}"`);
    expect(page).toContain(`src="data:image/svg+xml;base64,${encodeBase64(SVG)}"`);
    // means: income 1/3, débt_ratio 0.575/3, age 0.35/3 — largest first.
    const section = page.slice(
      page.indexOf('<section id="explanations">'),
      page.indexOf('<section id="dataset">'),
    );
    const order = ['income', 'débt_ratio', 'age'].map((f) => section.indexOf(`>${f}</text>`));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(section).toContain('>0.3333</text>');
    expect(section).toContain('over 3 rows; all 3 features');
    expect(section).toContain('not rendered');
    expect(section).not.toContain('alert(1)');
    for (const e of input.explanations) expect(section).toContain(e.ref.digest);
  });

  it('shows the top 20 features of a wide SHAP file', () => {
    const names = Array.from({ length: 30 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    const shap = utf8(JSON.stringify({ feature_names: names, values: [names.map((_, i) => i / 10)] }));
    const page = render(
      reviewInput((input) => (input.explanations = [explanation('shap-json', 's.json', shap)])),
    );
    expect(page).toContain('the top 20 of 30 features');
    expect(page).toContain('>f29</text>');
    expect(page).toContain('>f10</text>');
    expect(page).not.toContain('>f09</text>');
  });
});

describe('renderReview: hostile inputs', () => {
  const SCRIPT = '<script>alert("x")</script>';

  it('escapes markup in every string it shows', () => {
    const shap = utf8(JSON.stringify({ feature_names: [SCRIPT, 'ok'], values: [[1, 2]] }));
    const page = render(
      reviewInput((input) => {
        setRequest(input, `# Justification\n${SCRIPT}\n\n<img src=x onerror=alert(1)>\n`);
        input.model.name = SCRIPT;
        input.model.class = `"><svg onload=alert(1)>`;
        input.context = SCRIPT;
        input.draft = `'><script>`;
        input.challenger.metrics = {
          candidate: { [SCRIPT]: 1, constructor: 2, __proto__: 3 } as Record<string, number>,
          challenger: { [SCRIPT]: 0.5 },
        };
        input.higherIsBetter = {};
        input.explanations = [
          explanation('shap-json', SCRIPT, shap),
          explanation('png', `x" onerror="alert(1)`, PNG),
        ];
        input.dataset.label = SCRIPT;
        input.request.author = { issuer: SCRIPT, subject: SCRIPT, name: SCRIPT };
        input.route = { materiality: 'low', tier: SCRIPT, reasons: [SCRIPT] };
      }),
    );
    expectOnlyKnownMarkup(page);
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('alt="x&quot; onerror=&quot;alert(1)"');
    // Metric names that are also Object.prototype names are ordinary rows.
    expect(page).toContain('<tr><th scope="row">constructor</th>');
  });

  it('never makes a javascript: (or data:, or relative) link', () => {
    const markdown = [
      '[a](javascript:alert(1))',
      '[b](JAVASCRIPT:alert(1))',
      '[c](&#106;avascript:alert(1))',
      '[d](java%0Ascript:alert(1))',
      '<javascript:alert(1)>',
      '[e](data:text/html;base64,PHNjcmlwdD4=)',
      '[f](vbscript:msgbox)',
      '[g](/relative)',
      '![h](javascript:alert(1))',
      '![i](https://tracker.example/pixel.png)',
      '[ref]\n\n[ref]: javascript:alert(1)',
      '[ok](mailto:risk@bank.example)',
    ].join('\n\n');
    const page = render(reviewInput((input) => setRequest(input, markdown)));
    expectOnlyKnownMarkup(page);
    expect(page).not.toMatch(/href="\s*(?:javascript|data|vbscript)/i);
    expect(page).toContain('<a href="mailto:risk@bank.example" rel="noreferrer">ok</a>');
    expect(page).toContain('[image: i — https://tracker.example/pixel.png]');
    expect(page.match(/<a /g)).toHaveLength(1);
  });

  it('shows an SVG explanation only as a base64 data: URI, never as markup', () => {
    const evil = utf8(
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(2)"><script>alert("svg")</script></svg>',
    );
    const page = render(
      reviewInput((input) => (input.explanations = [explanation('svg', 'evil.svg', evil)])),
    );
    expectOnlyKnownMarkup(page);
    expect(page).toContain(`<img src="data:image/svg+xml;base64,${encodeBase64(evil)}"`);
    expect(page).not.toContain('alert(');
  });

  it('uses the kind, not the proposed media type, for a data: URI', () => {
    const page = render(
      reviewInput((input) => {
        const e = explanation('png', 'p.png', PNG);
        input.explanations = [{ ...e, ref: { ...e.ref, mediaType: 'text/html' } }];
      }),
    );
    expect(page).toContain('src="data:image/png;base64,');
    expect(page).not.toContain('data:text/html');
  });

  it('refuses bytes that do not hash to their digest', () => {
    const swapped = reviewInput((input) => {
      const e = explanation('png', 'p.png', PNG);
      input.explanations = [{ ref: e.ref, bytes: SVG }];
    });
    expect(() => renderReview(swapped)).toThrow(expect.objectContaining({ code: 'DIGEST_MISMATCH' }));
    const edited = reviewInput((input) => (input.request.markdown += 'one more line'));
    expect(() => renderReview(edited)).toThrow(expect.objectContaining({ code: 'DIGEST_MISMATCH' }));
  });

  it('refuses a metric that is not a finite number, and bad SHAP JSON', () => {
    const nan = reviewInput((input) => (input.challenger.metrics.candidate = { auc: Number.NaN }));
    expect(() => renderReview(nan)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const ragged = utf8('{"feature_names":["a","b"],"values":[[1,2],[3]]}');
    const bad = reviewInput((input) => (input.explanations = [explanation('shap-json', 's.json', ragged)]));
    expect(() => renderReview(bad)).toThrow(SignetError);
    expect(() => renderReview(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('renderReview: determinism', () => {
  it('gives identical bytes for the same input, however the records were built', () => {
    const a = renderReview(reviewInput());
    const b = renderReview(reviewInput());
    expect(sha(a)).toBe(sha(b));
    // Same metrics inserted in another order: the table is sorted by code unit, not by insertion.
    const reordered = reviewInput((input) => {
      const { candidate, challenger } = input.challenger.metrics;
      input.challenger.metrics = {
        candidate: Object.fromEntries(Object.entries(candidate).reverse()),
        challenger: Object.fromEntries(Object.entries(challenger).reverse()),
      };
    });
    expect(sha(renderReview(reordered))).toBe(sha(a));
  });

  it('changes the bytes when any single input field changes', () => {
    const base = sha(renderReview(reviewInput()));
    const seen = new Map<string, string>([[base, '(base)']]);
    const paths = leafPaths(reviewInput());
    expect(paths.length).toBeGreaterThan(45);
    for (const path of paths) {
      const key = path.join('.');
      // Coupled to the bytes they hash: changed together with them below.
      if (key === 'request.digest' || /^explanations\.\d+\.ref\.digest$/.test(key)) continue;
      const input = reviewInput((i) => mutateAt(i, path));
      const digest = sha(renderReview(input));
      expect(seen.get(digest), `changing ${key} did not change the bytes`).toBeUndefined();
      seen.set(digest, key);
    }
    // Leaf changes are also told apart from each other (the map above).
    // Keys, not only values: a renamed metric, a renamed override, an added or removed optional field.
    const extra: Record<string, (input: Mutable<ReviewInput>) => void> = {
      'metric renamed': (i) => {
        const { auc, ...rest } = i.challenger.metrics.candidate;
        i.challenger.metrics.candidate = { ...rest, auc2: auc ?? 0 };
      },
      'override renamed': (i) => (i.higherIsBetter = { custom_scor: false }),
      'no overrides': (i) => delete i.higherIsBetter,
      'no route': (i) => delete i.route,
      'no rows': (i) => delete i.dataset.rows,
      'no incumbent entry': (i) => delete i.challenger.against.entry,
      'no author name': (i) => delete i.request.author.name,
      'one explanation fewer': (i) => void i.explanations.pop(),
      'explanations reordered': (i) => void i.explanations.reverse(),
      'a reason more': (i) => i.route?.reasons.push('one more'),
    };
    for (const [what, patch] of Object.entries(extra)) {
      const digest = sha(renderReview(reviewInput(patch)));
      // Compared with the base only: removing an override may equal flipping it, legitimately.
      expect(digest, `${what} did not change the bytes`).not.toBe(base);
    }
  });

  it('gives the same bytes in processes with other time zones and locales (compiled dist/)', async () => {
    const input = reviewInput();
    const expected = sha(renderReview(input));
    const wire = JSON.stringify(input, (_k, v: unknown) =>
      v instanceof Uint8Array ? { $bytes: encodeBase64(v) } : v,
    );
    const script = `
      import { createHash } from 'node:crypto';
      import { renderReview } from ${JSON.stringify(distModule('review/render.js'))};
      let json = '';
      for await (const chunk of process.stdin) json += chunk;
      const input = JSON.parse(json, (_k, v) =>
        v !== null && typeof v === 'object' && typeof v.$bytes === 'string' ? new Uint8Array(Buffer.from(v.$bytes, 'base64')) : v);
      const bytes = renderReview(input);
      process.stdout.write(JSON.stringify({
        sha: createHash('sha256').update(bytes).digest('hex'),
        offset: new Date(Date.UTC(2024, 0, 1)).getTimezoneOffset(),
        number: (1234.5).toLocaleString(),
      }));`;
    const environments = [
      { TZ: 'Pacific/Chatham', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' },
      { TZ: 'UTC', LANG: 'ar_EG.UTF-8', LC_ALL: 'ar_EG.UTF-8' },
      { TZ: 'America/St_Johns', LANG: 'C', LC_ALL: 'C' },
    ];
    const results = await Promise.all(
      environments.map(async (env) => {
        const run = await runNode(['--input-type=module', '-e', script], {
          env: { PATH: process.env.PATH ?? '', ...env },
          input: utf8(wire),
        });
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        return JSON.parse(run.stdout) as { sha: string; offset: number; number: string };
      }),
    );
    // The environments really differ…
    expect(new Set(results.map((r) => r.offset)).size).toBe(3);
    expect(new Set(results.map((r) => r.number)).size).toBe(3);
    // …and the bytes do not. A mismatch with this process means dist/ is stale: run `npm run build`.
    for (const r of results) expect(r.sha, 'dist/review is stale? run `npm run build`').toBe(expected);
  });
});

describe('src/review is pure', () => {
  it('reads no clock, locale, randomness, file system or network', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources).toContain('render.ts');
    for (const file of sources) {
      const code = readFileSync(`${dir}/${file}`, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      expect(code, file).not.toMatch(
        /\bDate\b|\bIntl\b|toLocale|localeCompare|Math\.random|\bprocess\b|node:(?:fs|net|http|https|child_process|os)|\bfetch\(/,
      );
    }
  });
});

// Every leaf of the input: strings, numbers, booleans and byte arrays, by path.
function leafPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...path, i]));
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
}

const KIND_SWAP: Record<string, string> = {
  png: 'svg',
  svg: 'png',
  'shap-json': 'html',
  html: 'png',
  incumbent: 'baseline',
  baseline: 'incumbent',
  low: 'material',
  material: 'low',
};

// Changes one leaf; when the leaf is hashed bytes, the digest beside it follows.
function mutateAt(input: Mutable<ReviewInput>, path: readonly (string | number)[]): void {
  const key = path.join('.');
  if (key === 'request.markdown') return setRequest(input, `${input.request.markdown}\nOne more line.\n`);
  const bytesMatch = /^explanations\.(\d+)\.bytes$/.exec(key);
  if (bytesMatch) {
    const i = Number(bytesMatch[1]);
    const e = input.explanations[i];
    if (!e) throw new Error(key);
    const bytes =
      e.ref.kind === 'shap-json'
        ? utf8(text(e.bytes).replace('0.125', '0.126'))
        : new Uint8Array([...e.bytes, 0x20]);
    input.explanations[i] = { ref: { ...e.ref, digest: digestOfBytes(bytes) }, bytes };
    return;
  }
  let parent = input as unknown as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  const old = parent[last];
  if (typeof old === 'number') parent[last] = old + 1;
  else if (typeof old === 'boolean') parent[last] = !old;
  else if (typeof old === 'string' && isDigest(old)) parent[last] = d(`changed ${key}`);
  else if (typeof old === 'string' && last === 'kind') parent[last] = KIND_SWAP[old];
  else if (typeof old === 'string' && last === 'materiality') parent[last] = KIND_SWAP[old];
  else if (typeof old === 'string') parent[last] = `${old}!`;
  else throw new Error(`cannot mutate ${key}`);
}
