// The explanation chart: mean |SHAP| per feature as horizontal bars, largest first, as SVG text. Every
// coordinate is written with toFixed and every text node is escaped, so the same explanation gives the
// same bytes and a feature name cannot inject markup.
import { meanAbsoluteShap, type ShapExplanation } from './shap.js';

export interface ShapChartOptions {
  /** The chart title; escaped. */
  readonly title?: string;
  /** The total width in pixels (default 720). */
  readonly width?: number;
}

const ROW_HEIGHT = 26;
const BAR_HEIGHT = 16;
const LABEL_WIDTH = 190;
const VALUE_WIDTH = 64;
const TOP = 64;
const BOTTOM = 44;
const LEFT = 16;
const RIGHT = 16;
const TICKS = 4;
const NICE_STEPS = [1, 1.2, 1.6, 2, 2.5, 3, 4, 5, 6, 8, 10];
// XML 1.0 §2.2 Char: no C0 controls other than tab, LF and CR, no lone surrogates, no U+FFFE/U+FFFF.
const XML_FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

/**
 * An SVG bar chart of mean |SHAP| (log-odds) per feature, sorted descending (ties by name).
 *
 * @example
 * const svg = renderShapChart(explainLinear(model, rows), { title: 'credit-scorecard 3.1.0' });
 */
export function renderShapChart(explanation: ShapExplanation, options: ShapChartOptions = {}): string {
  const width = options.width ?? 720;
  const title = options.title ?? 'Mean |SHAP value| per feature';
  const bars = meanAbsoluteShap(explanation).sort((a, b) =>
    b.value !== a.value ? b.value - a.value : a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0,
  );
  const plotLeft = LEFT + LABEL_WIDTH;
  const plotWidth = Math.max(40, width - plotLeft - VALUE_WIDTH - RIGHT);
  const height = TOP + bars.length * ROW_HEIGHT + BOTTOM;
  const largest = bars[0]?.value ?? 0;
  const scaleMax = niceCeiling(largest);
  const x = (value: number): number => plotLeft + (scaleMax > 0 ? (value / scaleMax) * plotWidth : 0);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title">`,
    `<title id="chart-title">${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="26" ${FONT} font-size="16" font-weight="bold" fill="#1a1a1a">${escapeXml(title)}</text>`,
    `<text x="${LEFT}" y="46" ${FONT} font-size="12" fill="#555555">${escapeXml(
      `mean |SHAP value| in log-odds over ${explanation.values.length} rows; background: training means`,
    )}</text>`,
  ];
  const axisTop = TOP - 6;
  const axisBottom = TOP + bars.length * ROW_HEIGHT;
  for (let t = 0; t <= TICKS; t += 1) {
    const value = (scaleMax * t) / TICKS;
    const tx = fixed(x(value));
    parts.push(
      `<line x1="${tx}" y1="${axisTop}" x2="${tx}" y2="${axisBottom}" stroke="#e0e0e0" stroke-width="1"/>`,
      `<text x="${tx}" y="${axisBottom + 16}" ${FONT} font-size="11" fill="#555555" text-anchor="middle">${value.toFixed(decimalsFor(scaleMax))}</text>`,
    );
  }
  bars.forEach((bar, i) => {
    const y = TOP + i * ROW_HEIGHT;
    const barY = y + (ROW_HEIGHT - BAR_HEIGHT) / 2 - 4;
    const barWidth = x(bar.value) - plotLeft;
    parts.push(
      `<text x="${fixed(plotLeft - 8)}" y="${fixed(barY + BAR_HEIGHT - 4)}" ${FONT} font-size="12" fill="#1a1a1a" text-anchor="end">${escapeXml(bar.feature)}</text>`,
      `<rect x="${fixed(plotLeft)}" y="${fixed(barY)}" width="${fixed(barWidth)}" height="${BAR_HEIGHT}" fill="#1e88e5"/>`,
      `<text x="${fixed(plotLeft + barWidth + 6)}" y="${fixed(barY + BAR_HEIGHT - 4)}" ${FONT} font-size="11" fill="#1a1a1a">${bar.value.toFixed(3)}</text>`,
    );
  });
  parts.push(
    `<line x1="${fixed(plotLeft)}" y1="${axisTop}" x2="${fixed(plotLeft)}" y2="${axisBottom}" stroke="#888888" stroke-width="1"/>`,
    `<text x="${fixed(plotLeft + plotWidth / 2)}" y="${axisBottom + 34}" ${FONT} font-size="11" fill="#555555" text-anchor="middle">mean |SHAP value| (log-odds)</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}

/**
 * Text made safe for an XML text node or an attribute: the five markup characters escaped, and the
 * control characters XML 1.0 does not allow even as references replaced by U+FFFD.
 */
export function escapeXml(text: string): string {
  return text
    .replace(XML_FORBIDDEN, '\uFFFD')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function fixed(value: number): string {
  return value.toFixed(2);
}

// The smallest "nice" number × 10^k at or above `value`, so the axis ends on a round tick and the
// largest bar fills most of the plot.
function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of NICE_STEPS) if (step * magnitude >= value * (1 - 1e-12)) return step * magnitude;
  return 10 * magnitude;
}

// Enough decimals to tell the tick labels apart: two significant digits of the tick step.
function decimalsFor(scaleMax: number): number {
  return Math.max(0, Math.min(6, 1 - Math.floor(Math.log10(scaleMax / TICKS))));
}
