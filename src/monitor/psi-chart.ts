// An SVG line chart of one feature's (or the score's) PSI per window, for the monitor page. Pure and
// deterministic: coordinates are computed with + − × ÷ only and written with two fixed decimals, labels
// with fixed decimals (ECMAScript's toFixed/toExponential, never the locale), so the same status gives
// the same bytes. Feature names and windows come from the reference bins and the traffic: they are
// attacker-controlled and go through the escaping template, after the characters XML 1.0 forbids are
// replaced, so the SVG stays well-formed on its own as well as inline in a page. No style attribute:
// colours and dashes are presentation attributes (the pages' CSP forbids inline style).
import { formatFixed, formatValue } from '../review/format.js';
import { markup, type SafeHtml } from '../review/html.js';
import { coord, truncateLabel } from '../review/svg.js';
import type { StatusPoint, StatusSeries } from './types.js';

export interface PsiChartOptions {
  /** The thresholds the levels were judged against; each is drawn as a dashed line. */
  readonly thresholds: { readonly warn?: number; readonly material: number };
  /** Every window of the status, ascending: the x axis. A window this series has no point in is a gap. */
  readonly windows: readonly string[];
  /** Default: "PSI of <name> per window". */
  readonly title?: string;
  /** The link of a flagged point, to its population-shift entry. Without it flags are ringed, not linked. */
  readonly entryHref?: (entry: string, index: number) => string;
  /** Default 720. */
  readonly width?: number;
  /** Default 260. */
  readonly height?: number;
}

export type WindowUnit = 'day' | 'hour';

const DEFAULT_WIDTH = 720;
const DEFAULT_HEIGHT = 260;
const MARGIN_LEFT = 56;
const MARGIN_RIGHT = 104;
const MARGIN_TOP = 30;
const MARGIN_BOTTOM = 50;
const MIN_PLOT = 40;
/** The x axis labels at most one window per this many pixels. */
const LABEL_SPACING = { day: 84, hour: 92 } as const;
/** Code points of the title shown in the chart; the whole title is in <title> and aria-label. */
const MAX_TITLE_CHARS = 80;
/** The y axis spans at least the material threshold × this, so the line is seen with headroom. */
export const MATERIAL_HEADROOM = 1.2;
/** …and at least the largest PSI × this. */
export const PSI_HEADROOM = 1.1;
const MAX_TICKS = 5;
// Nice tick steps, each with the decimals its labels need: a table rather than powers of ten so the
// ticks are exact the same way everywhere (Math.pow and Math.log10 are implementation-approximated).
const TICK_STEPS: readonly (readonly [number, number])[] = [
  [0.0001, 4],
  [0.0002, 4],
  [0.0005, 4],
  [0.001, 3],
  [0.002, 3],
  [0.005, 3],
  [0.01, 2],
  [0.02, 2],
  [0.05, 2],
  [0.1, 1],
  [0.2, 1],
  [0.5, 1],
  [1, 0],
  [2, 0],
  [5, 0],
  [10, 0],
  [20, 0],
  [50, 0],
  [100, 0],
];

// Colours meet 3:1 non-text contrast on white (WCAG 1.4.11); the level is also told by shape.
const COLOUR = {
  text: '#1f2328',
  muted: '#57606a',
  grid: '#d0d7de',
  line: '#0969da',
  ok: '#1a7f37',
  warn: '#9a6700',
  material: '#cf222e',
  insufficient: '#6e7781',
  flag: '#1f2328',
} as const;

// XML 1.0 §2.2 Char: no C0 controls but tab, LF and CR, no lone surrogates, no U+FFFE/U+FFFF.
const XML_FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text as an XML document may hold it: forbidden characters replaced by U+FFFD (escaping comes after). */
export function xmlText(text: string): string {
  return text.replace(XML_FORBIDDEN, '\uFFFD');
}

/** A PSI for people: 4 decimals (exponent form when tiny), "—" when the window had no rows. */
export function formatPsi(psi: number | null): string {
  return psi === null || !Number.isFinite(psi) ? '—' : formatValue(psi, 'a PSI');
}

/** A p-value as `signet monitor status` prints it: 3 decimals, or 2 significant digits when below 0.001. */
export function formatPValue(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return '—';
  return p >= 0.001 ? formatFixed(p, 3, 'a p-value') : p.toExponential(1);
}

/** A threshold with the decimals it needs, at least two and at most four: 0.1 → "0.10", 0.125 → "0.125". */
export function formatThreshold(value: number): string {
  for (let decimals = 2; decimals < 4; decimals += 1) {
    const text = formatFixed(value, decimals, 'a threshold');
    if (Number(text) === value) return text;
  }
  return formatFixed(value, 4, 'a threshold');
}

const WINDOW_START = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/;

/** `hour` when any window starts off midnight, else `day`. */
export function windowUnit(windows: readonly string[]): WindowUnit {
  return windows.some((w) => {
    const m = WINDOW_START.exec(w);
    return m !== null && (m[4] !== '00' || m[5] !== '00');
  })
    ? 'hour'
    : 'day';
}

/**
 * A window's start as the axis shows it: `2026-11-03` for days, `11-03 14:00` for hours; `long` gives
 * the year with hours too (`2026-11-03 14:00 UTC`), for tooltips. Read from the text, not through Date,
 * so no time zone can shift it. A window not in RFC 3339 form is shown as given.
 */
export function formatWindow(window: string, unit: WindowUnit, long = false): string {
  const m = WINDOW_START.exec(window);
  if (m === null) return window;
  const [, year, month, day, hour, minute] = m;
  if (unit === 'day') return `${year}-${month}-${day}`;
  return long ? `${year}-${month}-${day} ${hour}:${minute} UTC` : `${month}-${day} ${hour}:${minute}`;
}

/**
 * Which of `count` windows get an axis label: all when they fit in `max`, else `max` of them evenly
 * spread, always the first and the last.
 */
export function labelIndices(count: number, max: number): number[] {
  if (count <= 0) return [];
  if (count <= max) return Array.from({ length: count }, (_, i) => i);
  if (max <= 1) return [count - 1];
  const picked = new Set<number>();
  for (let i = 0; i < max; i += 1) picked.add(Math.round((i * (count - 1)) / (max - 1)));
  return [...picked].sort((a, b) => a - b);
}

/** The top of the y axis: max(material × 1.2, largest PSI × 1.1). */
export function psiScaleMax(material: number, psis: readonly number[]): number {
  let top = material * MATERIAL_HEADROOM;
  for (const v of psis) if (v * PSI_HEADROOM > top) top = v * PSI_HEADROOM;
  return top > 0 ? top : 1;
}

/** The smallest nice step giving at most MAX_TICKS steps up to `top`, with its label decimals. */
function tickStep(top: number): readonly [number, number] {
  for (const step of TICK_STEPS) if (top / step[0] <= MAX_TICKS) return step;
  return TICK_STEPS[TICK_STEPS.length - 1] as readonly [number, number];
}

interface Geometry {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  readonly yMax: number;
  readonly count: number;
}

/** The PSI to plot: null (a gap) when the window had no rows, or the value is not a finite number. */
function psiOf(point: StatusPoint | undefined): number | null {
  const psi = point?.psi ?? null;
  return psi !== null && Number.isFinite(psi) ? psi : null;
}

function xOf(g: Geometry, index: number): number {
  return g.left + ((index + 0.5) * (g.right - g.left)) / g.count;
}

function yOf(g: Geometry, psi: number): number {
  return g.bottom - (psi / g.yMax) * (g.bottom - g.top);
}

/**
 * The chart of `series` as an SVG element (markup for a page). `renderPsiChart` gives the same as text.
 */
export function psiChartMarkup(series: StatusSeries, options: PsiChartOptions): SafeHtml {
  const width = Math.max(options.width ?? DEFAULT_WIDTH, MARGIN_LEFT + MARGIN_RIGHT + MIN_PLOT);
  const height = Math.max(options.height ?? DEFAULT_HEIGHT, MARGIN_TOP + MARGIN_BOTTOM + MIN_PLOT);
  const { windows, thresholds } = options;
  const unit = windowUnit(windows);
  // The point of each window, first one wins (the status has one per window); points outside the
  // axis' windows cannot be placed and are left out.
  const byWindow = new Map<string, StatusPoint>();
  for (const point of series.points) if (!byWindow.has(point.window)) byWindow.set(point.window, point);
  const placed = windows.flatMap((window, index) => {
    const point = byWindow.get(window);
    return point === undefined ? [] : [{ index, point }];
  });
  const psis = placed.flatMap(({ point }) => {
    const psi = psiOf(point);
    return psi === null ? [] : [psi];
  });
  const g: Geometry = {
    width,
    height,
    left: MARGIN_LEFT,
    right: width - MARGIN_RIGHT,
    top: MARGIN_TOP,
    bottom: height - MARGIN_BOTTOM,
    yMax: psiScaleMax(thresholds.material, psis),
    count: Math.max(windows.length, 1),
  };
  const title = xmlText(
    options.title ??
      `PSI of ${series.name}${series.role === 'score' ? " (the model's score)" : ''} per window`,
  );
  const label = xmlText(`${title}: ${summary(placed, windows.length, unit)}`);
  const w = coord(width);
  const h = coord(height);
  const empty =
    psis.length === 0
      ? markup`<text x="${coord((g.left + g.right) / 2)}" y="${coord((g.top + g.bottom) / 2)}" text-anchor="middle" fill="${COLOUR.muted}">${windows.length === 0 ? 'no windows counted' : 'no traffic counted'}</text>\n`
      : '';
  return markup`<svg xmlns="http://www.w3.org/2000/svg" class="psi-chart" role="img" aria-label="${label}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="system-ui, sans-serif" font-size="11">
<title>${title}</title>
<rect class="plot" x="${coord(g.left)}" y="${coord(g.top)}" width="${coord(g.right - g.left)}" height="${coord(g.bottom - g.top)}" fill="#ffffff" stroke="${COLOUR.grid}"/>
<text x="${coord(8)}" y="${coord(18)}" font-size="13" font-weight="600" fill="${COLOUR.text}">${truncateLabel(title, MAX_TITLE_CHARS)}</text>
${yAxis(g)}${xAxis(g, windows, unit)}${thresholdLines(g, thresholds)}${lines(g, windows, byWindow)}${empty}${placed.map(({ index, point }) => marker(g, index, point, unit, options.entryHref))}${legend(g, thresholds.warn !== undefined, options.entryHref !== undefined)}</svg>`;
}

/**
 * An SVG chart of one series' PSI across the windows: the thresholds as dashed lines, a line through the
 * windows with a PSI (broken where a window has none), a marker per window whose shape and colour say its
 * level (hollow grey where too few rows were counted to judge), and each flagged window linked to its
 * entry. Self-contained and deterministic.
 *
 * @example
 * renderPsiChart(status.series[0], {
 *   thresholds: status.thresholds,
 *   windows: status.windows,
 *   entryHref: (entry) => `/ledger/${encodeURIComponent(entry)}`,
 * });
 */
export function renderPsiChart(series: StatusSeries, options: PsiChartOptions): string {
  return psiChartMarkup(series, options).toString();
}

function summary(
  placed: readonly { readonly point: StatusPoint }[],
  windowCount: number,
  unit: WindowUnit,
): string {
  const judged = placed.filter(({ point }) => psiOf(point) !== null);
  const latest = judged[judged.length - 1]?.point;
  if (latest === undefined) return windowCount === 0 ? 'no windows counted' : 'no traffic counted';
  const flagged = placed.filter(({ point }) => point.flag !== undefined).length;
  return (
    `${judged.length} of ${windowCount} windows with traffic; latest ${formatWindow(latest.window, unit, true)} ` +
    `PSI ${formatPsi(latest.psi)} (${levelText(latest.level)}); ${flagged} flagged`
  );
}

/** The level in words, as the legend and the tooltips say it. */
export function levelText(level: StatusPoint['level']): string {
  return level === 'insufficient' ? 'too few rows to judge' : level;
}

function yAxis(g: Geometry): SafeHtml {
  const [step, decimals] = tickStep(g.yMax);
  const ticks: SafeHtml[] = [];
  // k × step rather than repeated addition: no drift, the same ticks for the same top.
  for (let k = 0; k * step <= g.yMax * (1 + 1e-9); k += 1) {
    const y = coord(yOf(g, k * step));
    ticks.push(
      markup`<line x1="${coord(g.left)}" y1="${y}" x2="${coord(g.right)}" y2="${y}" stroke="${COLOUR.grid}" stroke-width="1"/><text x="${coord(g.left - 6)}" y="${coord(yOf(g, k * step) + 4)}" text-anchor="end" fill="${COLOUR.muted}">${formatFixed(k * step, decimals)}</text>\n`,
    );
  }
  return markup`<g class="y-axis">\n${ticks}</g>\n`;
}

function xAxis(g: Geometry, windows: readonly string[], unit: WindowUnit): SafeHtml {
  const max = Math.max(1, Math.floor((g.right - g.left) / LABEL_SPACING[unit]));
  const labels = labelIndices(windows.length, max).map((i) => {
    const x = coord(xOf(g, i));
    return markup`<line x1="${x}" y1="${coord(g.bottom)}" x2="${x}" y2="${coord(g.bottom + 4)}" stroke="${COLOUR.muted}" stroke-width="1"/><text x="${x}" y="${coord(g.bottom + 16)}" text-anchor="middle" fill="${COLOUR.muted}">${xmlText(formatWindow(windows[i] ?? '', unit))}</text>\n`;
  });
  return markup`<g class="x-axis">\n${labels}</g>\n`;
}

function thresholdLines(g: Geometry, thresholds: PsiChartOptions['thresholds']): SafeHtml {
  const materialY = yOf(g, thresholds.material);
  const drawn = [
    markup`<line class="threshold" data-threshold="material" x1="${coord(g.left)}" y1="${coord(materialY)}" x2="${coord(g.right)}" y2="${coord(materialY)}" stroke="${COLOUR.material}" stroke-width="1.5" stroke-dasharray="6 4"/><text x="${coord(g.right + 6)}" y="${coord(materialY + 4)}" fill="${COLOUR.material}">material ${formatThreshold(thresholds.material)}</text>\n`,
  ];
  if (thresholds.warn !== undefined) {
    const warnY = yOf(g, thresholds.warn);
    // Close thresholds would print their labels over each other: the warn label steps below.
    const labelY = Math.max(warnY + 4, materialY + 4 + 12);
    drawn.push(
      markup`<line class="threshold" data-threshold="warn" x1="${coord(g.left)}" y1="${coord(warnY)}" x2="${coord(g.right)}" y2="${coord(warnY)}" stroke="${COLOUR.warn}" stroke-width="1.5" stroke-dasharray="3 3"/><text x="${coord(g.right + 6)}" y="${coord(labelY)}" fill="${COLOUR.warn}">warn ${formatThreshold(thresholds.warn)}</text>\n`,
    );
  }
  return markup`<g class="thresholds">\n${drawn}</g>\n`;
}

/** One polyline per run of consecutive windows with a PSI: a window without one breaks the line. */
function lines(
  g: Geometry,
  windows: readonly string[],
  byWindow: ReadonlyMap<string, StatusPoint>,
): SafeHtml {
  const runs: string[][] = [];
  let run: string[] = [];
  windows.forEach((window, index) => {
    const psi = psiOf(byWindow.get(window));
    if (psi === null) {
      if (run.length > 0) runs.push(run);
      run = [];
      return;
    }
    run.push(`${coord(xOf(g, index))},${coord(yOf(g, psi))}`);
  });
  if (run.length > 0) runs.push(run);
  return markup`${runs
    .filter((r) => r.length > 1)
    .map(
      (r) =>
        markup`<polyline class="psi-line" points="${r.join(' ')}" fill="none" stroke="${COLOUR.line}" stroke-width="1.5" stroke-linejoin="round"/>\n`,
    )}`;
}

/** The level's shape at (x, y): circle ok, triangle warn, square material, hollow circle insufficient. */
function shape(level: StatusPoint['level'], x: number, y: number): SafeHtml {
  switch (level) {
    case 'ok':
      return markup`<circle cx="${coord(x)}" cy="${coord(y)}" r="4.00" fill="${COLOUR.ok}"/>`;
    case 'warn':
      return markup`<polygon points="${coord(x)},${coord(y - 5.5)} ${coord(x + 5)},${coord(y + 3.5)} ${coord(x - 5)},${coord(y + 3.5)}" fill="${COLOUR.warn}"/>`;
    case 'material':
      return markup`<rect x="${coord(x - 4.5)}" y="${coord(y - 4.5)}" width="9.00" height="9.00" fill="${COLOUR.material}"/>`;
    case 'insufficient':
      return markup`<circle cx="${coord(x)}" cy="${coord(y)}" r="4.00" fill="#ffffff" stroke="${COLOUR.insufficient}" stroke-width="1.5"/>`;
  }
}

function marker(
  g: Geometry,
  index: number,
  point: StatusPoint,
  unit: WindowUnit,
  entryHref: PsiChartOptions['entryHref'],
): SafeHtml | string {
  const psi = psiOf(point);
  if (psi === null) return '';
  const x = xOf(g, index);
  const y = yOf(g, psi);
  const tip =
    `${formatWindow(point.window, unit, true)}: PSI ${formatPsi(point.psi)}, p ${formatPValue(point.pValue)}, ` +
    `${point.n} ${point.n === 1 ? 'row' : 'rows'}, ${levelText(point.level)}`;
  const attrs = markup`data-window="${xmlText(point.window)}" data-level="${point.level}"`;
  if (point.flag === undefined) {
    return markup`<g class="point" ${attrs}><title>${xmlText(tip)}</title>${shape(point.level, x, y)}</g>\n`;
  }
  const flagTip = xmlText(`${tip}; flagged in entry #${point.flag.index}`);
  const ring = markup`<circle cx="${coord(x)}" cy="${coord(y)}" r="8.00" fill="none" stroke="${COLOUR.flag}" stroke-width="1.5"/>`;
  const body = markup`<title>${flagTip}</title>${ring}${shape(point.level, x, y)}`;
  return entryHref === undefined
    ? markup`<g class="point flagged" ${attrs}>${body}</g>\n`
    : markup`<a class="point flagged" href="${xmlText(entryHref(point.flag.entry, point.flag.index))}" ${attrs}>${body}</a>\n`;
}

function legend(g: Geometry, warns: boolean, linked: boolean): SafeHtml {
  const y = g.bottom + 36;
  type Item = readonly [StatusPoint['level'] | 'flag', string];
  const warn: readonly Item[] = warns ? [['warn', 'warn']] : [];
  const items: readonly Item[] = [
    ['ok', 'ok'],
    ...warn,
    ['material', 'material'],
    ['insufficient', 'too few rows'],
    ['flag', linked ? 'flagged (links to its entry)' : 'flagged'],
  ];
  let x = g.left + 6;
  const drawn = items.map(([key, text]) => {
    const symbol =
      key === 'flag'
        ? markup`<circle cx="${coord(x)}" cy="${coord(y - 4)}" r="6.00" fill="none" stroke="${COLOUR.flag}" stroke-width="1.5"/>`
        : shape(key, x, y - 4);
    const item = markup`${symbol}<text x="${coord(x + 10)}" y="${coord(y)}" fill="${COLOUR.muted}">${text}</text>`;
    // No font is measured: each item gets room for its text at about 6 px a character.
    x += 24 + text.length * 6;
    return item;
  });
  return markup`<g class="legend">${drawn}</g>\n`;
}
