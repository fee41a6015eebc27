import { describe, expect, it } from 'vitest';

import { createRandom, deriveSeed, mix32, xoshiro128StarStar } from './random.js';

describe('xoshiro128**', () => {
  it('matches the reference output for the state [1, 2, 3, 4] (rand_xoshiro test vector)', () => {
    const next = xoshiro128StarStar([1, 2, 3, 4]);
    const expected = [
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ];
    expect(expected.map(() => next())).toEqual(expected);
  });

  it('refuses the all-zero state, which never leaves zero', () => {
    expect(() => xoshiro128StarStar([0, 0, 0, 0])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('createRandom', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    const draw = (seed: number): number[] => {
      const random = createRandom(seed);
      return Array.from({ length: 8 }, () => random.uniform());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    // Documented: the seed is reduced to 32 bits.
    expect(draw(5 + 2 ** 32)).toEqual(draw(5));
  });

  it('draws uniforms in [0, 1) and normals with mean 0 and variance 1', () => {
    const random = createRandom(7);
    const n = 20_000;
    let sum = 0;
    let squares = 0;
    let outside = 0;
    for (let i = 0; i < n; i += 1) {
      const u = random.uniform();
      if (!(u >= 0 && u < 1)) outside += 1;
      const z = random.normal();
      sum += z;
      squares += z * z;
    }
    expect(outside).toBe(0);
    // Five standard errors: 5/sqrt(n) for the mean, about 5·sqrt(2/n) for the variance.
    expect(Math.abs(sum / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(squares / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it('draws Poisson counts with the requested mean and weighted indices in proportion', () => {
    const random = createRandom(11);
    const n = 20_000;
    let total = 0;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i += 1) {
      total += random.poisson(2.5);
      counts[random.weighted([1, 0, 3])]! += 1;
    }
    expect(Math.abs(total / n - 2.5)).toBeLessThan(5 * Math.sqrt(2.5 / n));
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2]! / n - 0.75)).toBeLessThan(0.02);
  });

  it('refuses seeds that are not non-negative safe integers and bad distribution parameters', () => {
    for (const seed of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => createRandom(seed)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    const random = createRandom(1);
    expect(() => random.poisson(-1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => random.weighted([0, 0])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => random.weighted([1, -1])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('deriveSeed', () => {
  it('is a fixed 32-bit function of the seed and the label', () => {
    const a = deriveSeed(7, 'vintage/recent');
    expect(deriveSeed(7, 'vintage/recent')).toBe(a);
    expect(Number.isInteger(a) && a >= 0 && a < 2 ** 32).toBe(true);
    expect(deriveSeed(7, 'vintage/latest')).not.toBe(a);
    expect(deriveSeed(8, 'vintage/recent')).not.toBe(a);
    expect(deriveSeed(7 + 2 ** 32, 'vintage/recent')).not.toBe(a);
  });
});

describe('mix32', () => {
  it('is the murmur3 finaliser: 0 stays 0, neighbours scatter, distinct inputs stay distinct', () => {
    expect(mix32(0)).toBe(0);
    const outputs = new Set(Array.from({ length: 10_000 }, (_, i) => mix32(0xdeadbeef ^ i)));
    expect(outputs.size).toBe(10_000);
    expect(Math.abs(mix32(1) - mix32(2))).toBeGreaterThan(2 ** 16);
  });
});
