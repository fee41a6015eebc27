import { describe, expect, it } from 'vitest';

import { escapeXml, renderShapChart } from './chart.js';
import type { ShapExplanation } from './shap.js';

const EXPLANATION: ShapExplanation = {
  feature_names: ['small', 'large', 'middle'],
  values: [
    [0.1, -0.8, 0.3],
    [-0.1, 0.6, -0.3],
  ],
  base_values: [-2, -2],
  data: [
    [1, 2, 'a'],
    [3, 4, 'b'],
  ],
};

describe('renderShapChart', () => {
  const svg = renderShapChart(EXPLANATION, { title: 'model 1.0' });

  it('is an SVG document with one bar per feature, largest first', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>\n')).toBe(true);
    const labels = [...svg.matchAll(/text-anchor="end">([^<]*)</g)].map((m) => m[1]);
    expect(labels).toEqual(['large', 'middle', 'small']);
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="16"/g)].map((m) =>
      Number(m[1]),
    );
    expect(widths).toHaveLength(3);
    expect(widths[0]).toBeGreaterThan(widths[1] ?? Infinity);
    expect(widths[1]).toBeGreaterThan(widths[2] ?? Infinity);
    // Mean |SHAP| values are printed next to the bars.
    expect(svg).toContain('>0.700<');
    expect(svg).toContain('>0.300<');
    expect(svg).toContain('>0.100<');
  });

  it('writes every coordinate with fixed decimals and no NaN', () => {
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    for (const match of svg.matchAll(/ (?:x|y|x1|x2|width)="([^"]*)"/g))
      expect(match[1]).toMatch(/^\d+(\.\d{2})?$/);
  });

  it('is deterministic', () => {
    expect(renderShapChart(EXPLANATION, { title: 'model 1.0' })).toBe(svg);
  });

  it('escapes feature names and the title', () => {
    const hostile = renderShapChart(
      { ...EXPLANATION, feature_names: ['<script>alert(1)</script>', 'a&b', 'q"\u0001'] },
      { title: '<b>"x"</b>' },
    );
    expect(hostile).not.toContain('<script>');
    expect(hostile).not.toContain('<b>');
    expect(hostile).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(hostile).toContain('a&amp;b');
    expect(hostile).toContain('q&quot;\uFFFD');
  });
});

describe('escapeXml', () => {
  it('escapes the five markup characters and replaces characters XML cannot hold', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('tab\tok\u0000\uFFFE')).toBe('tab\tok\uFFFD\uFFFD');
    expect(escapeXml('lone \uD800 pair \uD83D\uDE00')).toBe('lone \uFFFD pair \uD83D\uDE00');
  });
});
