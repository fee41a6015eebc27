import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { auc, brier, defaultRate, gini, ks, logLoss, scoreMetrics, type Label } from './metrics.js';

// Brute force over all (positive, negative) pairs: the definition the rank formula must match.
function pairwiseAuc(scores: readonly number[], labels: readonly Label[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((q, j) => {
      if (labels[j] !== 0) return;
      pairs += 1;
      wins += p > q ? 1 : p === q ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

// Brute force over every distinct threshold t: predict positive when score >= t.
function thresholdKs(scores: readonly number[], labels: readonly Label[]): number {
  const positives = labels.filter((l) => l === 1).length;
  const negatives = labels.length - positives;
  let best = 0;
  for (const t of new Set(scores)) {
    const tp = scores.filter((s, i) => s >= t && labels[i] === 1).length;
    const fp = scores.filter((s, i) => s >= t && labels[i] === 0).length;
    best = Math.max(best, Math.abs(tp / positives - fp / negatives));
  }
  return best;
}

describe('AUC and Gini', () => {
  it('is 1 for perfectly separated scores and 0 for reversed ones', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(gini([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(gini([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(-1);
  });

  it('counts ties one half: all scores equal gives 0.5', () => {
    expect(auc([0.3, 0.3, 0.3, 0.3], [0, 1, 0, 1])).toBe(0.5);
    expect(gini([0.3, 0.3, 0.3, 0.3], [0, 1, 0, 1])).toBe(0);
  });

  it('matches a hand count: 12 of 16 pairs ordered, 3.5 of 4 with a tied pair', () => {
    const scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3];
    const labels: Label[] = [1, 1, 0, 1, 0, 0, 1, 0];
    expect(auc(scores, labels)).toBe(0.75);
    expect(gini(scores, labels)).toBe(0.5);
    expect(auc([0.5, 0.5, 0.2, 0.8], [1, 0, 0, 1])).toBe(0.875);
  });

  it('equals the pairwise definition for any scores with ties (generative)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.constantFrom<Label>(0, 1)), {
          minLength: 2,
          maxLength: 40,
        }),
        (pairs) => {
          const labels = pairs.map(([, l]) => l);
          fc.pre(labels.includes(0) && labels.includes(1));
          const scores = pairs.map(([s]) => s / 8);
          expect(auc(scores, labels)).toBeCloseTo(pairwiseAuc(scores, labels), 12);
        },
      ),
      { seed: 20240611 },
    );
  });

  it('refuses one class only, mismatched lengths, bad labels and non-finite scores', () => {
    expect(() => auc([0.1, 0.2], [1, 1])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => auc([0.1], [1, 0])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => auc([0.1, 0.2], [1, 2 as Label])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => auc([Number.NaN, 0.2], [1, 0])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => auc([], [])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('KS statistic', () => {
  it('matches a hand computation: max |TPR - FPR| is 0.5', () => {
    // Descending: TPR-FPR after each score is .25 .5 .25 .5 .25 0 .25 0.
    expect(ks([0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3], [1, 1, 0, 1, 0, 0, 1, 0])).toBe(0.5);
  });

  it('is 1 for perfect separation and 0 when all scores tie', () => {
    expect(ks([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(ks([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(1);
    expect(ks([0.3, 0.3, 0.3, 0.3], [0, 1, 0, 1])).toBe(0);
  });

  it('never splits a tie group: 0.5, not the 1 a split would give', () => {
    expect(ks([0.5, 0.5, 0.2, 0.8], [1, 0, 0, 1])).toBe(0.5);
  });

  it('equals the threshold definition for any scores with ties (generative)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.constantFrom<Label>(0, 1)), {
          minLength: 2,
          maxLength: 40,
        }),
        (pairs) => {
          const labels = pairs.map(([, l]) => l);
          fc.pre(labels.includes(0) && labels.includes(1));
          const scores = pairs.map(([s]) => s / 6);
          expect(ks(scores, labels)).toBeCloseTo(thresholdKs(scores, labels), 12);
        },
      ),
      { seed: 20240611 },
    );
  });
});

describe('Brier score, log loss and default rate', () => {
  it('match hand computations', () => {
    expect(brier([0.8, 0.3, 0.5], [1, 0, 1])).toBeCloseTo((0.04 + 0.09 + 0.25) / 3, 15);
    expect(brier([1, 0], [1, 0])).toBe(0);
    expect(logLoss([0.5, 0.5], [1, 0])).toBeCloseTo(Math.LN2, 15);
    expect(logLoss([0.8, 0.3], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 15);
    expect(defaultRate([0, 1, 0, 0])).toBe(0.25);
  });

  it('keeps a confident miss finite by clipping at 1e-15', () => {
    expect(logLoss([0], [1])).toBeCloseTo(-Math.log(1e-15), 10);
  });

  it('refuses probabilities outside [0, 1]', () => {
    expect(() => brier([1.2], [1])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => logLoss([-0.1], [0])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('scoreMetrics gathers all five with Gini = 2·AUC − 1', () => {
    const m = scoreMetrics([0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3], [1, 1, 0, 1, 0, 0, 1, 0]);
    expect(m.auc).toBe(0.75);
    expect(m.gini).toBe(0.5);
    expect(m.ks).toBe(0.5);
    expect(Object.keys(m)).toEqual(['auc', 'gini', 'ks', 'brier', 'log_loss']);
  });
});
