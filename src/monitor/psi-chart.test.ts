import { describe, expect, it } from 'vitest';

import {
  formatPValue,
  formatThreshold,
  formatWindow,
  labelIndices,
  psiScaleMax,
  renderPsiChart,
  windowUnit,
  xmlText,
} from './psi-chart.js';
import type { Digest } from '../signing/digest.js';
import type { StatusPoint, StatusSeries } from './types.js';

const D = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;
const DAYS = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05'].map(
  (d) => `${d}T00:00:00Z`,
);
const THRESHOLDS = { warn: 0.1, material: 0.25 };

function point(window: string, psi: number | null, extra: Partial<StatusPoint> = {}): StatusPoint {
  const level: StatusPoint['level'] =
    psi === null ? 'insufficient' : psi >= 0.25 ? 'material' : psi >= 0.1 ? 'warn' : 'ok';
  return {
    window,
    n: 1000,
    psi,
    chiSquare: psi === null ? null : 12,
    df: 9,
    pValue: psi === null ? null : 0.21,
    level,
    reason: 'because',
    ...extra,
  };
}

function series(points: readonly StatusPoint[], name = 'income'): StatusSeries {
  return { name, role: 'feature', points };
}

type Attributes = ReadonlyMap<string, string>;

/** The attributes of every `<tag ...>` (opening or self-closing) in the SVG, in document order. */
function elements(svg: string, tag: string): Attributes[] {
  return [...svg.matchAll(new RegExp(`<${tag}\\b([^>]*?)/?>`, 'g'))].map((m) => {
    const attributes = new Map<string, string>();
    for (const a of (m[1] ?? '').matchAll(/\s([\w:-]+)="([^"]*)"/g)) attributes.set(a[1]!, a[2]!);
    return attributes;
  });
}

function num(attributes: Attributes | undefined, name: string): number {
  const text = attributes?.get(name);
  expect(text, `attribute ${name}`).toMatch(/^-?\d+\.\d{2}$/);
  return Number(text);
}

/** The plot rectangle: where PSI 0 (bottom) and the top of the scale (top) are drawn. */
function plot(svg: string): { top: number; bottom: number; left: number; right: number } {
  const rect = elements(svg, 'rect').find((r) => r.get('class') === 'plot');
  const top = num(rect, 'y');
  const left = num(rect, 'x');
  return { top, bottom: top + num(rect, 'height'), left, right: left + num(rect, 'width') };
}

function threshold(svg: string, which: string): Attributes | undefined {
  return elements(svg, 'line').find((l) => l.get('data-threshold') === which);
}

/** The markup of the marker of `window`: a <g class="point"> or an <a class="point flagged">. */
function markerOf(svg: string, window: string): string {
  const m = new RegExp(`<(g|a) class="point[^"]*"[^>]*data-window="${window}"[^>]*>[\\s\\S]*?</\\1>`).exec(
    svg,
  );
  expect(m, `a marker for ${window}`).not.toBeNull();
  return m![0];
}

/** Every tag closes in order and no `<` is left in text: the SVG is well-formed as far as tags go. */
function expectBalanced(svg: string): void {
  const stack: string[] = [];
  const rest = svg.replace(
    /<(\/?)([a-zA-Z]+)\b[^<>]*?(\/?)>/g,
    (_, close: string, name: string, self: string) => {
      if (close === '/') expect(stack.pop(), `</${name}>`).toBe(name);
      else if (self !== '/') stack.push(name);
      return '';
    },
  );
  expect(stack).toEqual([]);
  expect(rest).not.toContain('<');
  expect(rest).not.toContain('>');
}

describe('renderPsiChart', () => {
  const points = [
    point(DAYS[0]!, 0.02),
    point(DAYS[1]!, 0.12),
    point(DAYS[2]!, 0.31, { flag: { entry: D('e'), index: 21 } }),
    point(DAYS[3]!, 0.4, { n: 40, level: 'insufficient' }),
    point(DAYS[4]!, 0.05),
  ];
  const options = { thresholds: THRESHOLDS, windows: DAYS };

  it('gives the same bytes for the same input, every coordinate with two fixed decimals', () => {
    const a = renderPsiChart(series(points), options);
    const copy = JSON.parse(JSON.stringify(points)) as StatusPoint[];
    expect(renderPsiChart(series(copy), { thresholds: { ...THRESHOLDS }, windows: [...DAYS] })).toBe(a);
    expect(renderPsiChart(series(points.slice(0, 4)), options)).not.toBe(a);
    expectBalanced(a);
    for (const m of a.matchAll(/\s(x|y|x1|y1|x2|y2|cx|cy|r|width|height)="([^"]*)"/g)) {
      expect(m[2], m[1]).toMatch(/^-?\d+\.\d{2}$/);
    }
    for (const m of a.matchAll(/\spoints="([^"]*)"/g)) {
      expect(m[1]).toMatch(/^-?\d+\.\d{2},-?\d+\.\d{2}(?: -?\d+\.\d{2},-?\d+\.\d{2})*$/);
    }
  });

  it('is a labelled image: role, aria-label and a <title> first', () => {
    const svg = renderPsiChart(series(points), options);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*role="img"/);
    expect(svg).toMatch(/^<svg[^>]*>\n<title>PSI of income per window<\/title>/);
    const label = elements(svg, 'svg')[0]?.get('aria-label');
    expect(label).toBe(
      'PSI of income per window: 5 of 5 windows with traffic; latest 2026-11-05 PSI 0.0500 (ok); 1 flagged',
    );
    expect(renderPsiChart(series(points), { ...options, title: 'Score' })).toContain('<title>Score</title>');
    expect(svg).not.toMatch(/\sstyle=/);
  });

  it('draws each threshold as a dashed line at its PSI, on a scale up to material × 1.2', () => {
    const low = [point(DAYS[0]!, 0.02), point(DAYS[1]!, 0.25)];
    const svg = renderPsiChart(series(low), options);
    const { top, bottom } = plot(svg);
    const yOf = (psi: number): number => bottom - (psi / 0.3) * (bottom - top);
    const material = threshold(svg, 'material');
    const warn = threshold(svg, 'warn');
    expect(num(material, 'y1')).toBeCloseTo(yOf(0.25), 1);
    expect(num(material, 'y2')).toBe(num(material, 'y1'));
    expect(num(warn, 'y1')).toBeCloseTo(yOf(0.1), 1);
    expect(material?.get('stroke-dasharray')).toMatch(/^\d+ \d+$/);
    expect(warn?.get('stroke-dasharray')).toMatch(/^\d+ \d+$/);
    expect(svg).toContain('>material 0.25</text>');
    expect(svg).toContain('>warn 0.10</text>');
    // A window at exactly the material threshold sits on its line.
    const square = elements(markerOf(svg, DAYS[1]!), 'rect')[0];
    expect(num(square, 'y') + num(square, 'height') / 2).toBe(num(material, 'y1'));
  });

  it('keeps the labels of close thresholds apart', () => {
    const svg = renderPsiChart(series([]), { thresholds: { warn: 0.24, material: 0.25 }, windows: DAYS });
    const y = (text: string): number =>
      Number(new RegExp(`y="([\\d.]+)"[^>]*>${text}</text>`).exec(svg)?.[1]);
    expect(y('warn 0.24') - y('material 0.25')).toBeGreaterThanOrEqual(12);
  });

  it('stretches the scale to the largest PSI × 1.1, and leaves out a warn line there is no threshold for', () => {
    const high = [point(DAYS[0]!, 1), point(DAYS[1]!, 0.5)];
    const svg = renderPsiChart(series(high), { thresholds: { material: 0.25 }, windows: DAYS });
    const { top, bottom } = plot(svg);
    expect(num(threshold(svg, 'material'), 'y1')).toBeCloseTo(bottom - (0.25 / 1.1) * (bottom - top), 1);
    expect(threshold(svg, 'warn')).toBeUndefined();
    expect(svg).not.toContain('>warn');
    // The largest PSI is drawn at 1/1.1 of the height; no y tick is above the top of the scale.
    const cy = num(elements(markerOf(svg, DAYS[0]!), 'rect')[0], 'y') + 4.5;
    expect(cy).toBeCloseTo(bottom - (bottom - top) / 1.1, 1);
    const ticks = [...svg.matchAll(/text-anchor="end" fill="[^"]+">([\d.]+)<\/text>/g)].map((m) =>
      Number(m[1]),
    );
    expect(ticks[0]).toBe(0);
    expect(Math.max(...ticks)).toBeLessThanOrEqual(1.1);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
  });

  it('draws the level by shape and colour, and a window with too few rows hollow and grey', () => {
    const svg = renderPsiChart(series(points), options);
    const ok = markerOf(svg, DAYS[0]!);
    expect(elements(ok, 'circle')[0]?.get('fill')).toBe('#1a7f37');
    expect(markerOf(svg, DAYS[1]!)).toMatch(/<polygon [^>]*fill="#9a6700"/);
    expect(markerOf(svg, DAYS[2]!)).toMatch(/<rect [^>]*fill="#cf222e"/);
    const few = markerOf(svg, DAYS[3]!);
    expect(few).toContain('data-level="insufficient"');
    const hollow = elements(few, 'circle');
    expect(hollow).toHaveLength(1);
    expect(hollow[0]?.get('fill')).toBe('#ffffff');
    expect(hollow[0]?.get('stroke')).toBe('#6e7781');
    expect(few).toContain('<title>2026-11-04: PSI 0.4000, p 0.210, 40 rows, too few rows to judge</title>');
  });

  it('links a flagged window to its entry through entryHref, escaped, with the window, PSI, p and n', () => {
    const calls: [string, number][] = [];
    const svg = renderPsiChart(series(points), {
      ...options,
      entryHref: (entry, index) => {
        calls.push([entry, index]);
        return `/ledger/${index}?a="b"&c=<d>`;
      },
    });
    expect(calls).toEqual([[D('e'), 21]]);
    const links = elements(svg, 'a');
    expect(links).toHaveLength(1);
    expect(links[0]?.get('href')).toBe('/ledger/21?a=&quot;b&quot;&amp;c=&lt;d&gt;');
    const flagged = markerOf(svg, DAYS[2]!);
    expect(flagged).toMatch(/^<a class="point flagged" href=/);
    expect(flagged).toContain(
      '<title>2026-11-03: PSI 0.3100, p 0.210, 1000 rows, material; flagged in entry #21</title>',
    );
    // The other windows are not links.
    expect(markerOf(svg, DAYS[1]!)).toMatch(/^<g class="point"/);
    // Without entryHref a flag is ringed but not linked.
    const unlinked = renderPsiChart(series(points), options);
    expect(elements(unlinked, 'a')).toHaveLength(0);
    expect(markerOf(unlinked, DAYS[2]!)).toMatch(/^<g class="point flagged"/);
  });

  it('leaves a gap where a window has no point or no rows: the line breaks, no marker is drawn', () => {
    const gappy = [
      point(DAYS[0]!, 0.02),
      point(DAYS[1]!, 0.03),
      // DAYS[2]: no counts for this feature.
      point(DAYS[3]!, 0.04),
      point(DAYS[4]!, 0.05),
    ];
    const svg = renderPsiChart(series(gappy), options);
    const lines = elements(svg, 'polyline').map((l) =>
      (l.get('points') ?? '').split(' ').map((xy) => xy.split(',').map(Number)),
    );
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => l.length)).toEqual([2, 2]);
    // x is the window's place on the axis: equal steps, the gap one step wide.
    const xs = lines.flat().map(([x]) => x!);
    const step = xs[1]! - xs[0]!;
    expect(xs[2]! - xs[1]!).toBeCloseTo(2 * step, 1);
    expect(xs[3]! - xs[2]!).toBeCloseTo(step, 1);
    // Each window is the middle of its fifth of the plot.
    const { left, right } = plot(svg);
    expect(xs[0]).toBeCloseTo(left + (right - left) / 10, 1);
    expect(xs[3]).toBeCloseTo(right - (right - left) / 10, 1);
    expect(svg).not.toContain(`data-window="${DAYS[2]}"`);

    const noRows = [...gappy.slice(0, 2), point(DAYS[2]!, null, { n: 0 }), ...gappy.slice(2)];
    const broken = renderPsiChart(series(noRows), options);
    expect(elements(broken, 'polyline')).toHaveLength(2);
    expect(broken).not.toContain(`data-window="${DAYS[2]}"`);

    // A lone point between gaps is a marker without a line.
    const lone = renderPsiChart(series([point(DAYS[2]!, 0.05)]), options);
    expect(elements(lone, 'polyline')).toHaveLength(0);
    expect(lone).toContain(`data-window="${DAYS[2]}"`);
  });

  it('says so when there is nothing to draw', () => {
    expect(renderPsiChart(series([]), options)).toContain('>no traffic counted</text>');
    const none = renderPsiChart(series([]), { thresholds: THRESHOLDS, windows: [] });
    expect(none).toContain('>no windows counted</text>');
    expect(none).toContain('aria-label="PSI of income per window: no windows counted"');
    expect(threshold(none, 'material')).toBeDefined();
  });

  it('escapes a hostile feature name and window everywhere, and keeps the SVG well-formed', () => {
    const name = `<script>alert("x")</script>' & \u0001`;
    const svg = renderPsiChart(
      series(
        [point(DAYS[0]!, 0.02), point('"><script>\u0001', 0.3, { flag: { entry: D('e'), index: 3 } })],
        name,
      ),
      {
        thresholds: THRESHOLDS,
        windows: [DAYS[0]!, '"><script>\u0001'],
        entryHref: (_e, i) => `/ledger/${i}`,
      },
    );
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('\u0001');
    expect(svg).toContain(
      '<title>PSI of &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &amp; \uFFFD per window',
    );
    expect(elements(svg, 'svg')[0]?.get('aria-label')).toMatch(
      /^PSI of &lt;script&gt;alert\(&quot;x&quot;\)/,
    );
    expect(svg).toContain('data-window="&quot;&gt;&lt;script&gt;\uFFFD"');
    expectBalanced(svg);
  });

  it('labels a subset of the windows: days as dates, hours as month-day and time', () => {
    const days = Array.from({ length: 30 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}T00:00:00Z`);
    const svg = renderPsiChart(series([point(days[0]!, 0.01)]), { thresholds: THRESHOLDS, windows: days });
    const labels = [...svg.matchAll(/text-anchor="middle" fill="[^"]+">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(labels[0]).toBe('2026-11-01');
    expect(labels[labels.length - 1]).toBe('2026-11-30');
    expect(labels.length).toBeGreaterThanOrEqual(3);
    expect(labels.length).toBeLessThan(10);

    const hours = ['2026-11-03T13:00:00Z', '2026-11-03T14:00:00Z'];
    const hourly = renderPsiChart(series([point(hours[1]!, 0.2)]), {
      thresholds: THRESHOLDS,
      windows: hours,
    });
    expect(hourly).toContain('>11-03 13:00</text>');
    expect(hourly).toContain('>11-03 14:00</text>');
    expect(hourly).toContain('<title>2026-11-03 14:00 UTC: PSI 0.2000');
  });
});

describe('the chart helpers', () => {
  it('formats windows from their text, by unit', () => {
    expect(windowUnit(['2026-11-03T00:00:00Z', '2026-11-04T00:00:00Z'])).toBe('day');
    expect(windowUnit(['2026-11-03T00:00:00Z', '2026-11-03T01:00:00Z'])).toBe('hour');
    expect(windowUnit([])).toBe('day');
    expect(formatWindow('2026-11-03T00:00:00Z', 'day')).toBe('2026-11-03');
    expect(formatWindow('2026-11-03T14:00:00.000Z', 'hour')).toBe('11-03 14:00');
    expect(formatWindow('2026-11-03T14:00:00Z', 'hour', true)).toBe('2026-11-03 14:00 UTC');
    expect(formatWindow('not a time', 'day')).toBe('not a time');
  });

  it('picks the first, the last and evenly spread windows to label', () => {
    expect(labelIndices(0, 5)).toEqual([]);
    expect(labelIndices(3, 5)).toEqual([0, 1, 2]);
    expect(labelIndices(14, 6)).toEqual([0, 3, 5, 8, 10, 13]);
    expect(labelIndices(100, 2)).toEqual([0, 99]);
    expect(labelIndices(100, 1)).toEqual([99]);
  });

  it('scales to max(material × 1.2, largest PSI × 1.1)', () => {
    expect(psiScaleMax(0.25, [])).toBeCloseTo(0.3, 12);
    expect(psiScaleMax(0.25, [0.1, 0.27])).toBeCloseTo(0.3, 12);
    expect(psiScaleMax(0.25, [0.1, 2])).toBeCloseTo(2.2, 12);
  });

  it('writes thresholds and p-values with fixed decimals', () => {
    expect(formatThreshold(0.1)).toBe('0.10');
    expect(formatThreshold(0.25)).toBe('0.25');
    expect(formatThreshold(0.125)).toBe('0.125');
    expect(formatThreshold(1 / 3)).toBe('0.3333');
    expect(formatPValue(0.2149)).toBe('0.215');
    expect(formatPValue(0.000312)).toBe('3.1e-4');
    expect(formatPValue(null)).toBe('—');
    expect(xmlText('a\u0000b\uD800')).toBe('a\uFFFDb\uFFFD');
    expect(xmlText('😀\t\n')).toBe('😀\t\n');
  });
});
