// The review document: the approver's screen, one self-contained HTML page rendered only from the
// draft's sealed inputs (DESIGN invariant 4). Same inputs, same bytes, in any process under any TZ,
// LANG or LC_ALL: no clock, no randomness, no Intl, numbers through format.ts, keys sorted by code unit.
// The page has no script; CSS is inline, images are data: URIs, charts are inline SVG built here.
// Every input string may be hostile (a model name, a metric name, a SHAP feature name): all of them go
// through the escaping template; an SVG explanation is only ever an <img> data: URI, never markup.
import { InputError, VerificationError } from '../errors.js';
import type {
  ChallengerRef,
  DatasetRef,
  ExplanationRef,
  IdentityRef,
  ModelRef,
  RouteRef,
} from '../promotion/types.js';
import { encodeBase64 } from '../signing/base64.js';
import { digestOfBytes, equalDigests, type Digest } from '../signing/digest.js';
import { formatCount, formatExact, formatSigned, formatValue } from './format.js';
import { markup, trustedHtml, type HtmlValue, type SafeHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { meanAbsShap, parseShapJson } from './shap.js';
import { renderBarChart, renderGroupedBarChart } from './svg.js';

/** Names this renderer; sealed with the view digest. Bump it when the bytes for the same input change. */
export const RENDERER_VERSION = 'signet-review/1';

/** Features shown in a SHAP chart. */
export const SHAP_TOP_FEATURES = 20;

/** Metrics where lower is better unless `higherIsBetter` says otherwise. */
const LOWER_IS_BETTER = /loss|error|brier|ks_p|rmse|mae/i;

const CANDIDATE_FILL = '#0969da';
const CHALLENGER_FILL = '#8c959f';
const SHAP_FILL = '#bc4c00';
const MISSING = '—';

export interface ReviewInput {
  /** The draft id. */
  readonly draft: string;
  readonly model: ModelRef;
  /** The deployment context. */
  readonly context: string;
  /** The approval request: its Markdown text, the digest of that text's UTF-8 bytes, its author. */
  readonly request: {
    readonly markdown: string;
    readonly digest: Digest;
    readonly author: IdentityRef;
  };
  /** metrics.candidate / metrics.challenger; a metric missing on one side is shown as "—". */
  readonly challenger: ChallengerRef;
  /** Colours the deltas; by default true except for names matching /loss|error|brier|ks_p|rmse|mae/i. */
  readonly higherIsBetter?: Readonly<Record<string, boolean>>;
  /** Each explanation with its bytes; the bytes must hash to `ref.digest`. */
  readonly explanations: readonly { readonly ref: ExplanationRef; readonly bytes: Uint8Array }[];
  readonly dataset: DatasetRef;
  readonly route?: RouteRef;
}

/**
 * Renders the review document as UTF-8 HTML bytes. Pure and deterministic. Throws VerificationError
 * DIGEST_MISMATCH when the request text or an explanation's bytes do not hash to the digest given
 * for them (the page must show what is sealed), and InputError when an input cannot be shown (a
 * metric that is not a finite number, invalid SHAP JSON, a row count that is not a count).
 *
 * @example
 * const bytes = renderReview(input);
 * const view = { digest: digestOfBytes(bytes), renderer: RENDERER_VERSION };
 */
export function renderReview(input: ReviewInput): Uint8Array {
  assertHashes(new TextEncoder().encode(input.request.markdown), input.request.digest, 'the request text');
  for (const { ref, bytes } of input.explanations) {
    assertHashes(bytes, ref.digest, `explanation ${JSON.stringify(ref.name)}`);
  }
  const sections: HtmlValue[] = [
    renderHeader(input),
    input.route === undefined ? '' : renderRoute(input.route),
    renderModel(input.model),
    renderContext(input.context),
    renderRequest(input.request),
    renderChallenger(input.challenger, input.higherIsBetter ?? {}),
    renderExplanations(input.explanations),
    renderDataset(input.dataset),
    renderFooter(input),
  ];
  const page = markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="${RENDERER_VERSION}">
<title>Review of a model promotion: ${input.model.name}</title>
<style>${STYLE}</style>
</head>
<body>
${sections.filter((s) => s !== '').map((s) => markup`${s}\n`)}</body>
</html>
`;
  return new TextEncoder().encode(page.toString());
}

export function assertHashes(bytes: Uint8Array, digest: Digest, what: string): void {
  const actual = digestOfBytes(bytes);
  if (!equalDigests(actual, digest)) {
    throw new VerificationError('DIGEST_MISMATCH', `${what} hashes to ${actual}, not to ${digest}`, {
      details: { expected: digest, actual },
    });
  }
}

// A definition list row; `value` may be markup (a digest in <code>) or text.
export function row(term: string, value: HtmlValue): SafeHtml {
  return markup`<dt>${term}</dt><dd>${value}</dd>\n`;
}

export function code(text: string): SafeHtml {
  return markup`<code>${text}</code>`;
}

export function codeRow(term: string, value: string | undefined): HtmlValue {
  return value === undefined ? '' : row(term, code(value));
}

function renderHeader(input: ReviewInput): SafeHtml {
  return markup`<header>
<p class="kicker">Review of a model promotion</p>
<h1>${input.model.name}</h1>
<dl>
${row('Draft', code(input.draft))}${row('Renderer', code(RENDERER_VERSION))}</dl>
</header>`;
}

export function renderRoute(route: RouteRef): SafeHtml {
  const reasons =
    route.reasons.length === 0
      ? markup`<p class="muted">No reasons were given.</p>`
      : markup`<ol class="reasons">\n${route.reasons.map((r) => markup`<li>${r}</li>\n`)}</ol>`;
  const materiality = markup`<strong class="materiality-${route.materiality}">${route.materiality}</strong>`;
  return markup`<section id="route">
<h2>Route</h2>
<dl>
${row('Materiality', materiality)}${row('Tier', route.tier)}${codeRow('Policy', route.policy)}</dl>
<h3>Why this route</h3>
${reasons}
</section>`;
}

function renderModel(model: ModelRef): SafeHtml {
  return markup`<section id="model">
<h2>Model</h2>
<dl>
${row('Name', model.name)}${row('Digest', code(model.digest))}${row('Class', model.class)}${row('Hyperparameter family', model.hyperparameterFamily)}${codeRow('Hyperparameters', model.hyperparameters)}${codeRow('Input contract', model.inputContract)}${codeRow('Feature pipeline', model.featurePipeline)}</dl>
</section>`;
}

export function renderContext(context: string): SafeHtml {
  return markup`<section id="context">
<h2>Deployment context</h2>
<p class="context">${context}</p>
</section>`;
}

function identityText(identity: IdentityRef): string {
  const who = identity.name === undefined ? identity.subject : `${identity.name} <${identity.subject}>`;
  return `${who} (issuer ${identity.issuer})`;
}

export function renderRequest(request: ReviewInput['request']): SafeHtml {
  return markup`<section id="request">
<h2>Approval request</h2>
<div class="markdown">
${renderMarkdown(request.markdown)}</div>
<dl>
${row('Requested by', identityText(request.author))}${row('Request digest', code(request.digest))}</dl>
</section>`;
}

function readMetric(
  values: Readonly<Record<string, number>>,
  name: string,
  side: string,
): number | undefined {
  // hasOwn: a metric named "constructor" must not pick up Object.prototype.constructor.
  if (!Object.hasOwn(values, name)) return undefined;
  const value = values[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `the ${side} metric ${JSON.stringify(name)} must be a finite number, got ${String(value)}`,
    );
  }
  return value;
}

function isHigherBetter(name: string, overrides: Readonly<Record<string, boolean>>): boolean {
  if (Object.hasOwn(overrides, name)) return overrides[name] === true;
  return !LOWER_IS_BETTER.test(name);
}

interface MetricRow {
  readonly name: string;
  readonly candidate: number | undefined;
  readonly challenger: number | undefined;
  readonly delta: number | undefined;
  readonly higherIsBetter: boolean;
  readonly verdict: 'better' | 'worse' | 'same' | 'none';
}

function compareMetrics(
  challenger: ChallengerRef,
  overrides: Readonly<Record<string, boolean>>,
): readonly MetricRow[] {
  const { candidate, challenger: other } = challenger.metrics;
  // Sorted by UTF-16 code unit (Array#sort's default), never by a locale collation.
  const names = [...new Set([...Object.keys(candidate), ...Object.keys(other)])].sort();
  return names.map((name) => {
    const a = readMetric(candidate, name, 'candidate');
    const b = readMetric(other, name, 'challenger');
    const delta = a === undefined || b === undefined ? undefined : a - b;
    const higherIsBetter = isHigherBetter(name, overrides);
    let verdict: MetricRow['verdict'] = 'none';
    if (delta !== undefined)
      verdict = delta === 0 ? 'same' : delta > 0 === higherIsBetter ? 'better' : 'worse';
    return { name, candidate: a, challenger: b, delta, higherIsBetter, verdict };
  });
}

function valueCell(value: number | undefined, what: string): SafeHtml {
  if (value === undefined) return markup`<td class="num missing">${MISSING}</td>`;
  // The exact value in the tooltip, for an auditor comparing with the metrics report.
  return markup`<td class="num" title="${formatExact(value, what)}">${formatValue(value, what)}</td>`;
}

function deltaCell(m: MetricRow): SafeHtml {
  if (m.delta === undefined) return markup`<td class="num missing">${MISSING}</td>`;
  // The verdict is also written out, so the colour is never the only signal.
  const verdict = m.verdict === 'same' ? '' : markup` <span class="verdict">${m.verdict}</span>`;
  return markup`<td class="num delta ${m.verdict}" title="${formatExact(m.delta, m.name)}">${formatSigned(m.delta, m.name)}${verdict}</td>`;
}

function renderChallenger(challenger: ChallengerRef, overrides: Readonly<Record<string, boolean>>): SafeHtml {
  const metrics = compareMetrics(challenger, overrides);
  const rows = metrics.map(
    (m) =>
      markup`<tr><th scope="row">${m.name}</th>${valueCell(m.candidate, m.name)}${valueCell(m.challenger, m.name)}${deltaCell(m)}<td>${m.higherIsBetter ? 'higher' : 'lower'}</td></tr>\n`,
  );
  const shown = (value: number | undefined): string => (value === undefined ? MISSING : formatValue(value));
  const chart =
    metrics.length === 0
      ? markup`<p class="muted">No metrics were given.</p>`
      : markup`<figure>
${renderGroupedBarChart({
  label: 'Candidate and challenger metrics',
  series: [
    { name: 'candidate', fill: CANDIDATE_FILL },
    { name: 'challenger', fill: CHALLENGER_FILL },
  ],
  groups: metrics.map((m) => ({
    label: m.name,
    values: [m.candidate, m.challenger],
    texts: [shown(m.candidate), shown(m.challenger)],
  })),
})}
<figcaption>Each metric on its own scale; the vertical line marks 0.</figcaption>
</figure>`;
  const against = challenger.against;
  return markup`<section id="challenger">
<h2>Challenger comparison</h2>
<dl>
${row('Against', against.kind)}${row('Challenger digest', code(against.digest))}${codeRow('Incumbent entry', against.entry)}${row('Evaluation set', code(challenger.evaluationSet))}${row('Metrics report', code(challenger.report))}</dl>
<table class="metrics">
<thead><tr><th scope="col">metric</th><th scope="col">candidate</th><th scope="col">challenger</th><th scope="col">delta</th><th scope="col">better when</th></tr></thead>
<tbody>
${rows}</tbody>
</table>
<p class="muted">delta = candidate − challenger</p>
${chart}
</section>`;
}

function renderExplanations(explanations: ReviewInput['explanations']): SafeHtml {
  const items =
    explanations.length === 0
      ? markup`<p class="muted">No explanations were given.</p>\n`
      : explanations.map(({ ref, bytes }) => renderExplanation(ref, bytes));
  return markup`<section id="explanations">
<h2>Explanations</h2>
${items}</section>`;
}

function explanationFacts(ref: ExplanationRef, note?: string): SafeHtml {
  return markup`<dl>
${row('Name', ref.name)}${row('Kind', ref.kind)}${row('Media type', ref.mediaType)}${row('Digest', code(ref.digest))}${note === undefined ? '' : row('Note', note)}</dl>`;
}

function renderExplanation(ref: ExplanationRef, bytes: Uint8Array): SafeHtml {
  switch (ref.kind) {
    // The data: URI's media type comes from the kind, never from the proposal's mediaType string.
    // An SVG is shown through <img>, where it cannot run script; it is never inlined as markup.
    case 'png':
    case 'svg': {
      const type = ref.kind === 'png' ? 'image/png' : 'image/svg+xml';
      return markup`<figure class="explanation">
<img src="data:${type};base64,${encodeBase64(bytes)}" alt="${ref.name}">
<figcaption>${explanationFacts(ref)}</figcaption>
</figure>
`;
    }
    case 'shap-json': {
      const shap = parseShapJson(bytes, `SHAP JSON ${JSON.stringify(ref.name)}`);
      const ranked = meanAbsShap(shap);
      const top = ranked.slice(0, SHAP_TOP_FEATURES);
      const which =
        top.length < ranked.length
          ? `the top ${formatCount(top.length)} of ${formatCount(ranked.length)} features`
          : `all ${formatCount(ranked.length)} features`;
      const chart = renderBarChart({
        label: `Mean |SHAP| per feature: ${ref.name}`,
        fill: SHAP_FILL,
        rows: top.map((f) => ({ label: f.feature, value: f.meanAbs, valueText: formatValue(f.meanAbs) })),
      });
      return markup`<figure class="explanation">
${chart}
<figcaption><p>Mean |SHAP| per feature over ${formatCount(shap.values.length)} rows; ${which}, largest first.</p>
${explanationFacts(ref)}</figcaption>
</figure>
`;
    }
    case 'html':
      // Listed, not rendered: an HTML report may hold script, and this page runs none.
      return markup`<div class="explanation">
${explanationFacts(ref, 'HTML report: not rendered here; check it by its digest.')}
</div>
`;
    default: {
      const kind: never = ref.kind;
      throw new InputError('INVALID_ARGUMENT', `unknown explanation kind ${JSON.stringify(kind)}`);
    }
  }
}

function renderDataset(dataset: DatasetRef): SafeHtml {
  const label = markup`${dataset.label} <span class="muted">(a hint; the digest is the identity)</span>`;
  const rows = dataset.rows === undefined ? MISSING : formatCount(dataset.rows, 'dataset rows');
  return markup`<section id="dataset">
<h2>Evaluation dataset</h2>
<dl>
${row('Label', label)}${row('Digest', code(dataset.digest))}${row('Format', dataset.format)}${row('Rows', rows)}${codeRow('URI', dataset.uri)}</dl>
</section>`;
}

/** Every digest the page rests on, in page order, so an auditor can check each object. */
function digestsOf(input: ReviewInput): readonly (readonly [string, string | undefined])[] {
  const { model, challenger, dataset, route } = input;
  return [
    ['route policy', route?.policy],
    ['model', model.digest],
    ['model manifest', model.manifest],
    ['model hyperparameters', model.hyperparameters],
    ['model input contract', model.inputContract],
    ['feature pipeline promotion (entry)', model.featurePipeline],
    ['model registration', model.registration],
    ['request document', input.request.digest],
    ['challenger model', challenger.against.digest],
    ['incumbent promotion (entry)', challenger.against.entry],
    ['evaluation set', challenger.evaluationSet],
    ['metrics report', challenger.report],
    ...input.explanations.map((e) => [`explanation ${e.ref.name}`, e.ref.digest] as const),
    ['dataset', dataset.digest],
    ['dataset manifest', dataset.manifest],
    ['dataset registration', dataset.registration],
  ];
}

function renderFooter(input: ReviewInput): SafeHtml {
  const rows = digestsOf(input)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
    .map(([what, digest]) => markup`<tr><th scope="row">${what}</th><td><code>${digest}</code></td></tr>\n`);
  return markup`<footer id="digests">
<h2>Digests</h2>
<table class="digests">
<tbody>
${rows}</tbody>
</table>
<p class="muted">Rendered by ${RENDERER_VERSION} for draft ${input.draft}.</p>
</footer>`;
}

// A constant, audited: no "</" in it, so it cannot close the <style> element. Not escaped, because
// character references are not decoded inside <style> (a raw text element).
export const STYLE = trustedHtml(`
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;background:#fff;max-width:60rem;margin:0 auto;padding:1.5rem;line-height:1.45}
header{border-bottom:2px solid #1f2328;margin-bottom:1rem}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:.8rem;color:#57606a;margin:0}
h1{margin:.2rem 0 .5rem;overflow-wrap:anywhere}
h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dt{font-weight:600;color:#57606a}
dd{margin:0;overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;overflow-wrap:anywhere}
.muted{color:#57606a}
.context{white-space:pre-wrap}
.markdown{border-left:4px solid #d0d7de;padding:0 1rem;margin:1rem 0;overflow-wrap:anywhere}
.markdown h2{border:0;margin-top:1rem}
.md-image{color:#57606a}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.better{color:#1a7f37}
.worse{color:#cf222e}
.verdict{font-size:.8em}
.materiality-material{color:#cf222e}
.materiality-low{color:#1a7f37}
figure{margin:1rem 0}
figure.explanation img{max-width:100%;border:1px solid #d0d7de}
svg.chart{max-width:100%;height:auto}
.explanation{margin:1rem 0;padding:.5rem 1rem;border:1px solid #d0d7de}
`);
