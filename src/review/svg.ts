// Inline SVG bar charts for the review document. Coordinates are computed with + − × ÷ only (IEEE 754
// exact rounding, the same in every process) and written with two fixed decimals; every label goes
// through the escaping template. No fonts are measured: long labels are cut to a fixed number of code
// points and shown whole in a <title> tooltip.
import { formatFixed } from './format.js';
import { markup, type SafeHtml } from './html.js';

export const CHART_WIDTH = 720;
const LABEL_WIDTH = 220;
const PLOT_LEFT = LABEL_WIDTH + 10;
const VALUE_WIDTH = 110;
const PLOT_WIDTH = CHART_WIDTH - PLOT_LEFT - VALUE_WIDTH;
const VALUE_X = PLOT_LEFT + PLOT_WIDTH + 8;
const ROW_HEIGHT = 20;
const BAR_HEIGHT = 13;
const GROUP_GAP = 10;
const LEGEND_HEIGHT = 26;
const LEGEND_SPACING = 160;
const PADDING = 6;
/** Code points of a label shown in the chart; the whole label is in the row's <title>. */
export const MAX_LABEL_CHARS = 32;

/** A coordinate or length: two fixed decimals, never "-0.00". */
export function coord(value: number): string {
  return formatFixed(value, 2, 'a chart coordinate');
}

/** Cuts a label to `max` code points (never inside a surrogate pair), marking the cut with "…". */
export function truncateLabel(label: string, max = MAX_LABEL_CHARS): string {
  const points = Array.from(label);
  return points.length <= max ? label : `${points.slice(0, max - 1).join('')}…`;
}

interface Scale {
  readonly min: number;
  readonly span: number;
}

/** A domain that always holds 0, so every bar starts at the zero line. */
function scaleOf(values: readonly (number | undefined)[]): Scale {
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v === undefined) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  return { min, span: span > 0 ? span : 1 };
}

function xOf(value: number, scale: Scale): number {
  return PLOT_LEFT + ((value - scale.min) / scale.span) * PLOT_WIDTH;
}

function bar(value: number, scale: Scale, y: number, fill: string): SafeHtml {
  const zero = xOf(0, scale);
  const end = xOf(value, scale);
  const x = end < zero ? end : zero;
  const width = end < zero ? zero - end : end - zero;
  return markup`<rect x="${coord(x)}" y="${coord(y)}" width="${coord(width)}" height="${coord(BAR_HEIGHT)}" fill="${fill}"/>`;
}

function zeroLine(scale: Scale, y1: number, y2: number): SafeHtml {
  const x = coord(xOf(0, scale));
  return markup`<line x1="${x}" y1="${coord(y1)}" x2="${x}" y2="${coord(y2)}" stroke="#57606a" stroke-width="1"/>`;
}

function svgOpen(height: number, label: string): SafeHtml {
  const w = coord(CHART_WIDTH);
  const h = coord(height);
  return markup`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${label}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`;
}

export interface BarRow {
  readonly label: string;
  readonly value: number;
  /** The value as the reader should see it (already formatted). */
  readonly valueText: string;
}

/** A horizontal bar chart, one bar per row, in the given order, on one shared scale. */
export function renderBarChart(options: {
  readonly label: string;
  readonly rows: readonly BarRow[];
  readonly fill: string;
}): SafeHtml {
  const scale = scaleOf(options.rows.map((r) => r.value));
  const height = PADDING * 2 + options.rows.length * ROW_HEIGHT;
  const rows = options.rows.map((row, i) => {
    const top = PADDING + i * ROW_HEIGHT;
    const textY = coord(top + ROW_HEIGHT / 2 + 4);
    const barY = top + (ROW_HEIGHT - BAR_HEIGHT) / 2;
    return markup`<g><title>${row.label}: ${row.valueText}</title><text x="${coord(LABEL_WIDTH)}" y="${textY}" text-anchor="end">${truncateLabel(row.label)}</text>${bar(row.value, scale, barY, options.fill)}<text x="${coord(VALUE_X)}" y="${textY}">${row.valueText}</text></g>\n`;
  });
  const axis = zeroLine(scale, PADDING, height - PADDING);
  return markup`${svgOpen(height, options.label)}\n${rows}${axis}</svg>`;
}

export interface BarSeries {
  readonly name: string;
  readonly fill: string;
}

export interface BarGroup {
  readonly label: string;
  /** One value per series; undefined when the series has no value (no bar is drawn). */
  readonly values: readonly (number | undefined)[];
  /** One text per series, shown right of the plot. */
  readonly texts: readonly string[];
}

/**
 * A grouped horizontal bar chart: one group per label, one bar per series. Each group has its own
 * scale (metrics differ in unit and range), with 0 always on the scale.
 */
export function renderGroupedBarChart(options: {
  readonly label: string;
  readonly series: readonly BarSeries[];
  readonly groups: readonly BarGroup[];
}): SafeHtml {
  const groupHeight = options.series.length * ROW_HEIGHT;
  const height = PADDING * 2 + LEGEND_HEIGHT + options.groups.length * (groupHeight + GROUP_GAP) - GROUP_GAP;
  const legend = options.series.map((s, i) => {
    const x = PLOT_LEFT + i * LEGEND_SPACING;
    return markup`<rect x="${coord(x)}" y="${coord(PADDING + 2)}" width="12.00" height="12.00" fill="${s.fill}"/><text x="${coord(x + 18)}" y="${coord(PADDING + 12)}">${s.name}</text>`;
  });
  const groups = options.groups.map((group, g) => {
    const top = PADDING + LEGEND_HEIGHT + g * (groupHeight + GROUP_GAP);
    const scale = scaleOf(group.values);
    const bars = options.series.map((s, i) => {
      const rowTop = top + i * ROW_HEIGHT;
      const value = group.values[i];
      const drawn =
        value === undefined ? '' : bar(value, scale, rowTop + (ROW_HEIGHT - BAR_HEIGHT) / 2, s.fill);
      return markup`${drawn}<text x="${coord(VALUE_X)}" y="${coord(rowTop + ROW_HEIGHT / 2 + 4)}">${group.texts[i] ?? ''}</text>`;
    });
    const tooltip = options.series.map((s, i) => `${s.name} ${group.texts[i] ?? ''}`).join(', ');
    const labelY = coord(top + ROW_HEIGHT / 2 + 4);
    return markup`<g><title>${group.label}: ${tooltip}</title><text x="${coord(LABEL_WIDTH)}" y="${labelY}" text-anchor="end">${truncateLabel(group.label)}</text>${bars}${zeroLine(scale, top, top + groupHeight)}</g>\n`;
  });
  return markup`${svgOpen(height, options.label)}\n${legend}\n${groups}</svg>`;
}
