import { describe, expect, it } from 'vitest';

import { formatCount, formatExact, formatFixed, formatSigned, formatValue } from './format.js';

describe('number formatting', () => {
  it('writes fixed decimals and never -0', () => {
    expect(formatFixed(1234.5, 2)).toBe('1234.50');
    expect(formatFixed(-0, 2)).toBe('0.00');
    expect(formatFixed(-0.001, 2)).toBe('0.00');
    expect(formatFixed(-0.006, 2)).toBe('-0.01');
  });

  it('writes values with 4 decimals, tiny ones in exponent form', () => {
    expect(formatValue(0.83125)).toBe('0.8313');
    expect(formatValue(1234567.891)).toBe('1234567.8910');
    expect(formatValue(0)).toBe('0.0000');
    expect(formatValue(-0)).toBe('0.0000');
    expect(formatValue(0.00000123)).toBe('1.230e-6');
    expect(formatValue(-0.00004)).toBe('-4.000e-5');
    expect(formatValue(0.00005)).toBe('0.0001');
    expect(formatValue(1e21)).toBe('1e+21');
  });

  it('signs deltas', () => {
    expect(formatSigned(0.03)).toBe('+0.0300');
    expect(formatSigned(-0.03)).toBe('-0.0300');
    expect(formatSigned(0)).toBe('0.0000');
    expect(formatSigned(-0)).toBe('0.0000');
    expect(formatSigned(3e-7)).toBe('+3.000e-7');
  });

  it('writes exact values and plain counts', () => {
    expect(formatExact(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatExact(-0)).toBe('0');
    expect(formatCount(1234567)).toBe('1234567');
  });

  it('refuses what it cannot write honestly', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => formatValue(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    for (const bad of [-1, 1.5, 2 ** 53]) {
      expect(() => formatCount(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
