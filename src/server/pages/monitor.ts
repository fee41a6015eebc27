// The monitor page of a model in one deployment context: the promotion whose sealed reference bins the
// scoring traffic is counted in, the thresholds and the minimum window the levels were judged by, a PSI
// chart per series (the score first, then the features) and the population-shift flags recorded since
// the promotion. Feature names, contexts and model names come from user data: everything goes through
// the escaping template, and the charts are markup from the same template (no trustedHtml).
import {
  formatPValue,
  formatPsi,
  formatThreshold,
  formatWindow,
  levelText,
  psiChartMarkup,
  windowUnit,
} from '../../monitor/psi-chart.js';
import type { MonitorStatus, StatusPoint, StatusSeries } from '../../monitor/types.js';
import { markup, type SafeHtml } from '../../review/html.js';
import { code, count, entryLink, facts, tableWrap } from './fragments.js';
import { page } from './layout.js';
import { entryPath, monitorPath } from './paths.js';

export interface MonitorPageData {
  readonly identity?: string;
  /** The status of `model` in `context`; null when there is nothing to measure against there. */
  readonly status: MonitorStatus | null;
  readonly model: string;
  /** The context shown; absent when none was chosen (and the model has none with reference bins). */
  readonly context?: string;
  /** Every context of the model with a monitored promotion, for the links to the others. */
  readonly contexts: readonly string[];
  /** Why the status could not be read, when it could not: shown as a notice. */
  readonly problem?: string;
}

/**
 * The monitor page of `model`, in `context` when given: `/models/<model>/monitor?context=<context>`.
 * Not in paths.ts yet; the server's route and this page should share it.
 */
export { monitorPath } from './paths.js';

/**
 * The monitor page.
 *
 * @example
 * renderMonitorPage({ model: 'credit-scorecard', context: 'retail-credit/uk', contexts, status });
 */
export function renderMonitorPage(data: MonitorPageData): string {
  const context = data.context ?? data.status?.context;
  const problem =
    data.problem === undefined
      ? ''
      : markup`<p class="notice notice-bad"><span class="pre-text">${data.problem}</span></p>\n`;
  const content =
    data.status === null ? renderNothingMonitored(data.model, context) : renderStatus(data.status);
  const body = markup`<p class="kicker">Population-shift monitor</p>
<h1>Monitor · ${data.model}</h1>
${renderContexts(data.model, context, data.contexts)}
${problem}${content}`;
  return page({ title: `Monitor · ${data.model}`, identity: data.identity, active: 'models', body });
}

function renderContexts(model: string, current: string | undefined, contexts: readonly string[]): SafeHtml {
  const others = contexts.filter((c) => c !== current);
  const shown =
    current === undefined ? markup`No context chosen.` : markup`Context <strong>${current}</strong>.`;
  const links =
    others.length === 0
      ? ''
      : markup` Other contexts monitored: ${others.map(
          (c, i) => markup`${i === 0 ? '' : ', '}<a href="${monitorPath(model, c)}">${c}</a>`,
        )}.`;
  return markup`<nav aria-label="Contexts"><p>${shown}${links}</p></nav>`;
}

function renderNothingMonitored(model: string, context: string | undefined): SafeHtml {
  const where = context === undefined ? '' : markup` in <strong>${context}</strong>`;
  return markup`<section aria-labelledby="nothing-heading">
<h2 id="nothing-heading">Nothing is monitored here yet</h2>
<p>${model} has no promotion in force${where} with reference bins to measure scoring traffic against. Reference bins are sealed with a promotion when its evaluation dataset was registered as a CSV or NDJSON file.</p>
<p>Once there is one, count the scoring traffic in its bins with:</p>
${ingestCommand(model, context)}
</section>`;
}

function renderStatus(status: MonitorStatus): SafeHtml {
  const unit = windowUnit(status.windows);
  const first = status.windows[0];
  const last = status.windows[status.windows.length - 1];
  const windows =
    first === undefined || last === undefined
      ? 'none yet'
      : `${count(status.windows.length, 'a window count')} (${formatWindow(first, unit, true)} to ${formatWindow(last, unit, true)})`;
  const promotion = status.promotion;
  return markup`${facts([
    [
      'Measured against',
      markup`promotion ${entryLink({ index: promotion.index, id: promotion.entry })} <code>${promotion.entry}</code>`,
    ],
    ['Reference bins', code(status.reference)],
    ['Thresholds', thresholdsText(status)],
    [
      'Minimum window',
      `Windows with fewer than ${count(status.minimumCount, 'a minimum count')} rows raise no flag: too few rows to judge the shift, they are drawn hollow and grey.`,
    ],
    ['Windows counted', windows],
    ['Flags', status.policy === null ? 'not recorded (no policy is in force)' : 'recorded in the log'],
  ])}
${renderPolicyNotice(status)}
${status.windows.length === 0 ? renderNoTraffic(status) : renderCharts(status)}
${renderFlags(status)}`;
}

function thresholdsText(status: MonitorStatus): string {
  const { warn, material } = status.thresholds;
  const source = status.policy === null ? 'the defaults' : 'the policy in force';
  const warnText = warn === undefined ? 'no warn threshold' : `warn from PSI ${formatThreshold(warn)}`;
  return `material from PSI ${formatThreshold(material)}, ${warnText} (${source})`;
}

function renderPolicyNotice(status: MonitorStatus): SafeHtml {
  if (status.policy === null) {
    return markup`<p class="notice notice-warn">No policy is in force, so flags are not recorded: windows are judged against the default thresholds, but none is flagged in the log and no promotion is routed by them. An admin applies a policy with <code>signet policy apply FILE</code>.</p>`;
  }
  return markup`<p class="notice">A window that reaches the material threshold with at least ${count(status.minimumCount, 'a minimum count')} rows is flagged in the log, once per window and feature, and the next promotion of ${status.model} routes material. Policy ${code(status.policy)}.</p>`;
}

function renderNoTraffic(status: MonitorStatus): SafeHtml {
  return markup`<section aria-labelledby="traffic-heading">
<h2 id="traffic-heading">No traffic counted yet</h2>
<p>No scoring traffic has been ingested for ${status.model} in ${status.context} since this promotion. Count it with:</p>
${ingestCommand(status.model, status.context)}
</section>`;
}

function renderCharts(status: MonitorStatus): SafeHtml {
  // The score first: it sums up the shift the features cause.
  const ordered = [
    ...status.series.filter((s) => s.role === 'score'),
    ...status.series.filter((s) => s.role !== 'score'),
  ];
  const figures = ordered.map((series, i) => renderFigure(status, series, i));
  return markup`<section aria-labelledby="charts-heading">
<h2 id="charts-heading">PSI per window</h2>
${figures}</section>`;
}

function renderFigure(status: MonitorStatus, series: StatusSeries, i: number): SafeHtml {
  const chart = psiChartMarkup(series, {
    thresholds: status.thresholds,
    windows: status.windows,
    entryHref: (_entry, index) => entryPath(index),
  });
  return markup`<figure class="psi-figure" id="series-${count(i, 'a series index')}">
${tableWrap(chart)}
<figcaption><strong>${series.name}</strong> <span class="muted">(${series.role})</span>: ${latestText(series.points[series.points.length - 1], windowUnit(status.windows))}</figcaption>
</figure>
`;
}

function latestText(point: StatusPoint | undefined, unit: ReturnType<typeof windowUnit>): SafeHtml {
  if (point === undefined) return markup`no traffic counted.`;
  const flag =
    point.flag === undefined
      ? ''
      : markup` Flagged in ${entryLink({ index: point.flag.index, id: point.flag.entry })}.`;
  return markup`latest window ${formatWindow(point.window, unit, true)}: PSI ${formatPsi(point.psi)}, p ${formatPValue(point.pValue)}, ${count(point.n, 'a row count')} ${point.n === 1 ? 'row' : 'rows'}, ${levelBadge(point.level)}.${flag} <span class="muted">${point.reason}</span>`;
}

/** The level as a word in a badge; the colour, where the stylesheet has one, only repeats it. */
function levelBadge(level: StatusPoint['level']): SafeHtml {
  switch (level) {
    case 'ok':
      return markup`<span class="badge level-ok verdict-ok">ok</span>`;
    case 'material':
      return markup`<span class="badge level-material route-material">material</span>`;
    case 'warn':
      return markup`<span class="badge level-warn">warn</span>`;
    case 'insufficient':
      return markup`<span class="badge level-insufficient">${levelText(level)}</span>`;
  }
}

function renderFlags(status: MonitorStatus): SafeHtml {
  if (status.windows.length === 0 && status.flags.length === 0) return markup``;
  const unit = windowUnit(status.windows);
  const content =
    status.flags.length === 0
      ? markup`<p class="muted">No population-shift flag has been recorded since this promotion.</p>`
      : tableWrap(markup`<table>
<caption>Population-shift entries since the promotion, in log order</caption>
<thead><tr><th scope="col">Entry</th><th scope="col">Window</th><th scope="col">Feature</th><th scope="col" class="num">PSI</th><th scope="col" class="num">p-value</th></tr></thead>
<tbody>
${status.flags.map(
  (f) =>
    markup`<tr><td>${entryLink({ index: f.index, id: f.entry })}</td><td>${formatWindow(f.window, unit, true)}</td><td>${f.feature}</td><td class="num">${formatPsi(f.psi)}</td><td class="num">${formatPValue(f.pValue)}</td></tr>\n`,
)}</tbody>
</table>`);
  return markup`<section aria-labelledby="flags-heading">
<h2 id="flags-heading">Flags</h2>
${content}
</section>`;
}

// Quotes a word for a POSIX shell when it needs it, so the command can be pasted as shown.
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function ingestCommand(model: string, context: string | undefined): SafeHtml {
  const ctx = context === undefined ? 'CONTEXT' : shellWord(context);
  return markup`<pre><code>signet monitor ingest --model ${shellWord(model)} --context ${ctx} FILE</code></pre>`;
}
