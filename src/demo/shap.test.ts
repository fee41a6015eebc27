import { describe, expect, it } from 'vitest';

import { creditFeatures, CREDIT_TARGET, generateCreditData } from './credit-data.js';
import { predictLogit, trainLogistic, type LogisticModel } from './logistic.js';
import {
  explainLinear,
  meanAbsoluteShap,
  serializeExplanation,
  shapBaseValue,
  type ShapExplanation,
} from './shap.js';

// A hand-built model: logit = −1 + 0.5·(x − 10)/2 + [c = B] − 2·[c = C].
const TOY: LogisticModel = {
  format: 'signet-demo/logistic-regression/v1',
  class: 'logistic-regression',
  family: 'glm-l2',
  name: 'toy',
  version: '1',
  target: 'y',
  hyperparameters: { solver: 'newton', l2: 1, maxIterations: 10, tolerance: 1e-9 },
  inputContract: [
    { name: 'x', type: 'number' },
    { name: 'c', type: 'string' },
  ],
  intercept: -1,
  features: [
    { kind: 'numeric', name: 'x', mean: 10, std: 2, coefficient: 0.5 },
    {
      kind: 'categorical',
      name: 'c',
      reference: 'A',
      levels: [
        { value: 'B', frequency: 0.3, coefficient: 1 },
        { value: 'C', frequency: 0.2, coefficient: -2 },
      ],
    },
  ],
  training: { rows: 10, positives: 3, iterations: 3, converged: true, logLoss: 0.5 },
};

function expectExact(model: LogisticModel, explanation: ShapExplanation, logits: readonly number[]): void {
  explanation.values.forEach((row, i) => {
    const total = (explanation.base_values[i] ?? Number.NaN) + row.reduce((a, b) => a + b, 0);
    expect(Math.abs(total - (logits[i] ?? Number.NaN))).toBeLessThan(1e-9);
  });
  expect(explanation.base_values.every((b) => b === shapBaseValue(model))).toBe(true);
}

describe('explainLinear', () => {
  it('matches a hand computation', () => {
    const explanation = explainLinear(TOY, [
      { x: 14, c: 'B' },
      { x: 10, c: 'A' },
    ]);
    // base = −1 + 1·0.3 − 2·0.2 = −1.1
    expect(shapBaseValue(TOY)).toBeCloseTo(-1.1, 15);
    expect(explanation.feature_names).toEqual(['x', 'c']);
    // Row 0: φ_x = 0.5·(14 − 10)/2 = 1; φ_c = 1·(1 − 0.3) − 2·(0 − 0.2) = 1.1; logit = 1.
    expect(explanation.values[0]?.[0]).toBeCloseTo(1, 15);
    expect(explanation.values[0]?.[1]).toBeCloseTo(1.1, 15);
    // Row 1 (the reference level at the mean): φ_x = 0; φ_c = −0.3 + 0.4 = 0.1; logit = −1.
    expect(explanation.values[1]?.[0]).toBe(0);
    expect(explanation.values[1]?.[1]).toBeCloseTo(0.1, 15);
    expect(explanation.data).toEqual([
      [14, 'B'],
      [10, 'A'],
    ]);
    expectExact(TOY, explanation, [1, -1]);
  });

  it('is exact on a trained credit model: base + Σφ = logit to 1e-9 for every row, also after JSON', () => {
    const data = generateCreditData({ seed: 12, rows: 6_000, extraFeature: true });
    const model = trainLogistic(data.rows.slice(0, 5_000), {
      name: 'credit',
      version: '1',
      target: CREDIT_TARGET,
      inputs: creditFeatures(data),
      hyperparameters: { solver: 'newton', l2: 1, maxIterations: 50, tolerance: 1e-9 },
    });
    const rows = data.rows.slice(5_000, 5_200);
    const explanation = explainLinear(model, rows);
    expect(explanation.values).toHaveLength(200);
    expect(explanation.feature_names).toEqual(creditFeatures(data).map((f) => f.name));
    for (const row of explanation.values) expect(row).toHaveLength(explanation.feature_names.length);
    const logits = predictLogit(model, rows);
    expectExact(model, explanation, logits);
    const parsed = JSON.parse(serializeExplanation(explanation)) as ShapExplanation;
    expect(Object.keys(parsed)).toEqual(['feature_names', 'values', 'base_values', 'data']);
    expectExact(model, parsed, logits);
    expect(parsed.data[0]).toEqual(
      creditFeatures(data).map((f) => (rows[0] as Record<string, unknown>)[f.name]),
    );
  });

  it('refuses a row the model cannot score', () => {
    expect(() => explainLinear(TOY, [{ x: 1, c: 'Z' }])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('meanAbsoluteShap', () => {
  it('averages |φ| per feature', () => {
    const explanation = explainLinear(TOY, [
      { x: 14, c: 'B' },
      { x: 6, c: 'A' },
    ]);
    const importance = meanAbsoluteShap(explanation);
    expect(importance.map((i) => i.feature)).toEqual(['x', 'c']);
    expect(importance[0]?.value).toBeCloseTo(1, 15);
    expect(importance[1]?.value).toBeCloseTo((1.1 + 0.1) / 2, 15);
    expect(() => meanAbsoluteShap({ ...explanation, values: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
