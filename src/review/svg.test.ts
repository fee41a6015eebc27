import { describe, expect, it } from 'vitest';

import { coord, renderBarChart, renderGroupedBarChart, truncateLabel } from './svg.js';

describe('SVG charts', () => {
  it('writes coordinates with two fixed decimals', () => {
    expect(coord(1 / 3)).toBe('0.33');
    expect(coord(-0)).toBe('0.00');
    expect(coord(-0.001)).toBe('0.00');
  });

  it('cuts long labels on code points, not inside a surrogate pair', () => {
    expect(truncateLabel('short')).toBe('short');
    expect(truncateLabel('😀'.repeat(40), 5)).toBe('😀😀😀😀…');
  });

  it('draws bars from zero, negative ones to the left', () => {
    const svg = renderGroupedBarChart({
      label: 'm',
      series: [
        { name: 'a', fill: '#000' },
        { name: 'b', fill: '#111' },
      ],
      groups: [{ label: 'loss', values: [-1, 3], texts: ['-1', '3'] }],
    }).toString();
    // Domain [-1, 3] over 380 px from x=230: zero at 325.
    expect(svg).toContain('<rect x="230.00" y="35.50" width="95.00" height="13.00" fill="#000"/>');
    expect(svg).toContain('<rect x="325.00" y="55.50" width="285.00" height="13.00" fill="#111"/>');
    expect(svg).toContain('<line x1="325.00"');
  });

  it('draws no bar for a missing value and escapes labels', () => {
    const svg = renderGroupedBarChart({
      label: '<x>',
      series: [
        { name: 'a', fill: '#000' },
        { name: 'b', fill: '#111' },
      ],
      groups: [{ label: '<script>', values: [undefined, 1], texts: ['—', '1'] }],
    }).toString();
    expect(svg.match(/<rect /g)).toHaveLength(3); // two legend swatches, one bar
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('aria-label="&lt;x&gt;"');
  });

  it('is the same for the same rows', () => {
    const rows = [
      { label: 'a', value: 0.1 + 0.2, valueText: '0.3000' },
      { label: 'b', value: 0, valueText: '0.0000' },
    ];
    const a = renderBarChart({ label: 'l', rows, fill: '#000' }).toString();
    expect(renderBarChart({ label: 'l', rows: [...rows], fill: '#000' }).toString()).toBe(a);
    expect(a).toContain('width="380.00"');
    expect(a).toContain('width="0.00"');
  });
});
