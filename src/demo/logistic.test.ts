import { describe, expect, it } from 'vitest';

import { CREDIT_TARGET, creditFeatures, generateCreditData } from './credit-data.js';
import {
  encodedColumnNames,
  modelCard,
  parseModel,
  predict,
  predictLogit,
  serializeHyperparameters,
  serializeInputContract,
  serializeModel,
  sigmoid,
  trainLogistic,
  type FeatureRow,
  type LogisticHyperparameters,
} from './logistic.js';
import { auc } from './metrics.js';
import { createRandom } from './random.js';

const NEWTON: LogisticHyperparameters = { solver: 'newton', l2: 0, maxIterations: 50, tolerance: 1e-10 };

// y ~ Bernoulli(σ(−1 + 1.5·x + 0.8·[g = b])), x ~ N(2, 3²), g uniform on {a, b} with a the most frequent.
function simulate(seed: number, n: number): FeatureRow[] {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => {
    const x = 2 + 3 * random.normal();
    const g = random.uniform() < 0.6 ? 'a' : 'b';
    const y = random.uniform() < sigmoid(-1 + 1.5 * x + (g === 'b' ? 0.8 : 0)) ? 1 : 0;
    return { x, g, y };
  });
}

const INPUTS = [
  { name: 'x', type: 'number' },
  { name: 'g', type: 'string' },
] as const;

function train(rows: readonly FeatureRow[], hyperparameters: LogisticHyperparameters = NEWTON) {
  return trainLogistic(rows, { name: 'toy', version: '1.0.0', target: 'y', inputs: INPUTS, hyperparameters });
}

describe('trainLogistic', () => {
  const rows = simulate(1, 20_000);
  const model = train(rows);

  it('recovers the coefficients of the generating model (Newton, no penalty)', () => {
    const [x, g] = model.features;
    if (x?.kind !== 'numeric' || g?.kind !== 'categorical') throw new Error('unexpected encoding');
    // Standardised: β_z = β_x · std(x), intercept absorbs β_x · mean(x).
    expect(x.coefficient / x.std).toBeCloseTo(1.5, 1);
    expect(model.intercept - (x.coefficient * x.mean) / x.std).toBeCloseTo(-1, 1);
    expect(g.reference).toBe('a');
    expect(g.levels.map((l) => l.value)).toEqual(['b']);
    expect(g.levels[0]?.coefficient).toBeCloseTo(0.8, 1);
    expect(g.levels[0]?.frequency).toBeCloseTo(0.4, 1);
    expect(model.training.converged).toBe(true);
    expect(model.training.iterations).toBeLessThan(15);
    expect(encodedColumnNames(model)).toEqual(['x', 'g=b']);
  });

  it('gradient descent reaches the Newton solution of the same penalised objective', () => {
    const small = simulate(2, 2_000);
    const hp = { l2: 5, tolerance: 1e-9 };
    const newton = train(small, { ...hp, solver: 'newton', maxIterations: 50 });
    const descent = train(small, {
      ...hp,
      solver: 'gradient-descent',
      maxIterations: 20_000,
      learningRate: 1,
    });
    expect(descent.training.converged).toBe(true);
    expect(descent.intercept).toBeCloseTo(newton.intercept, 5);
    const coefficients = (m: typeof newton): number[] =>
      m.features.flatMap((f) =>
        f.kind === 'numeric' ? [f.coefficient] : f.levels.map((l) => l.coefficient),
      );
    coefficients(descent).forEach((c, i) => expect(c).toBeCloseTo(coefficients(newton)[i] ?? Number.NaN, 5));
  });

  it('L2 shrinks the coefficients toward 0', () => {
    const penalised = train(rows, { ...NEWTON, l2: 5_000 });
    const size = (m: typeof model): number =>
      m.features.reduce(
        (s, f) =>
          s + (f.kind === 'numeric' ? Math.abs(f.coefficient) : Math.abs(f.levels[0]?.coefficient ?? 0)),
        0,
      );
    expect(size(penalised)).toBeLessThan(size(model));
  });

  it('is deterministic: the same rows give the same bytes', () => {
    expect(serializeModel(train(rows))).toBe(serializeModel(model));
    expect(serializeModel(train(simulate(3, 20_000)))).not.toBe(serializeModel(model));
  });

  it('beats random on the credit data: held-out AUC above 0.7', () => {
    const data = generateCreditData({ seed: 8, rows: 8_000 });
    const fit = data.rows.slice(0, 6_000);
    const held = data.rows.slice(6_000);
    const credit = trainLogistic(fit, {
      name: 'credit',
      version: '1',
      target: CREDIT_TARGET,
      inputs: creditFeatures(data),
      hyperparameters: { ...NEWTON, l2: 1 },
    });
    expect(
      auc(
        predict(credit, held),
        held.map((r) => r.default_12m),
      ),
    ).toBeGreaterThan(0.7);
    // Riskier applicants score higher: utilisation and delinquencies push the log-odds up.
    const coefficient = (name: string): number => {
      const f = credit.features.find((x) => x.name === name);
      return f?.kind === 'numeric' ? f.coefficient : Number.NaN;
    };
    expect(coefficient('credit_utilization')).toBeGreaterThan(0);
    expect(coefficient('num_delinquencies_2y')).toBeGreaterThan(0);
    expect(coefficient('annual_income')).toBeLessThan(0);
  });

  it('refuses bad targets, inputs and hyperparameters', () => {
    const bad = (f: () => unknown): void => {
      expect(f).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    };
    bad(() => train([{ x: 1, g: 'a', y: 2 }]));
    bad(() =>
      train([
        { x: 1, g: 'a', y: 1 },
        { x: 2, g: 'a', y: 1 },
      ]),
    );
    bad(() =>
      train([
        { x: 'one', g: 'a', y: 1 },
        { x: 2, g: 'a', y: 0 },
      ]),
    );
    bad(() =>
      train([
        { x: 1, g: 3, y: 1 },
        { x: 2, g: 'a', y: 0 },
      ]),
    );
    bad(() => train(rows, { ...NEWTON, l2: -1 }));
    bad(() => train(rows, { ...NEWTON, maxIterations: 0 }));
    bad(() => train(rows, { ...NEWTON, solver: 'adam' as 'newton' }));
    bad(() =>
      trainLogistic(rows, {
        name: 't',
        version: '1',
        target: 'y',
        inputs: [{ name: 'y', type: 'number' }],
        hyperparameters: NEWTON,
      }),
    );
  });
});

describe('predict', () => {
  const model = train(simulate(4, 5_000));

  it('returns σ(logit), in (0, 1), monotone in a positive-coefficient input', () => {
    const rows = [-2, 0, 2, 4].map((x) => ({ x, g: 'a' }));
    const p = predict(model, rows);
    const logits = predictLogit(model, rows);
    p.forEach((value, i) => expect(value).toBe(sigmoid(logits[i] ?? Number.NaN)));
    expect([...p].sort((a, b) => a - b)).toEqual(p);
    for (const value of p) expect(value > 0 && value < 1).toBe(true);
  });

  it('refuses a missing value, a wrong type and a category not seen in training', () => {
    for (const row of [{ g: 'a' }, { x: '1', g: 'a' }, { x: 1, g: 'c' }, { x: Number.NaN, g: 'a' }]) {
      expect(() => predict(model, [row])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('sigmoid does not overflow', () => {
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(0)).toBe(0.5);
  });
});

describe('serialisation', () => {
  const model = train(simulate(5, 3_000), { ...NEWTON, l2: 1 });
  const text = serializeModel(model);

  it('is canonical JSON with the class, family, hyperparameters and input contract', () => {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(parsed.class).toBe('logistic-regression');
    expect(parsed.family).toBe('glm-l2');
    expect(parsed.hyperparameters).toEqual({ solver: 'newton', l2: 1, maxIterations: 50, tolerance: 1e-10 });
    expect(parsed.inputContract).toEqual([
      { name: 'x', type: 'number' },
      { name: 'g', type: 'string' },
    ]);
    // RFC 8785: keys sorted, no whitespace.
    expect(text.startsWith('{"class":"logistic-regression","family":"glm-l2","features":[')).toBe(true);
    expect(text).not.toMatch(/\s/);
    expect(serializeHyperparameters(model)).toBe(
      '{"l2":1,"maxIterations":50,"solver":"newton","tolerance":1e-10}',
    );
    expect(serializeInputContract(model)).toBe('[{"name":"x","type":"number"},{"name":"g","type":"string"}]');
  });

  it('keeps 10 significant digits in every fitted number', () => {
    const numbers = text.match(/-?\d+\.\d+(e-?\d+)?/g) ?? [];
    expect(numbers.length).toBeGreaterThan(5);
    for (const n of numbers) expect(n.replace(/^-?0\.0*|[-.]|e.*$/g, '').length).toBeLessThanOrEqual(10);
  });

  it('round-trips: the parsed model is equal, predicts bit for bit the same, and serialises to the same bytes', () => {
    const back = parseModel(text);
    expect(back).toEqual(model);
    expect(serializeModel(back)).toBe(text);
    const rows = simulate(6, 100);
    expect(predict(back, rows)).toEqual(predict(model, rows));
    expect(parseModel(new TextEncoder().encode(text))).toEqual(model);
  });

  it('refuses malformed models with INVALID_JSON', () => {
    const value = JSON.parse(text) as Record<string, unknown>;
    const variants: unknown[] = [
      null,
      [],
      { ...value, format: 'other' },
      { ...value, class: 'random-forest' },
      { ...value, intercept: 'x' },
      { ...value, extra: 1 },
      { ...value, hyperparameters: { ...(value.hyperparameters as object), momentum: 0.9 } },
      { ...value, hyperparameters: { ...(value.hyperparameters as object), l2: -1 } },
      { ...value, inputContract: [] },
      { ...value, features: (value.features as unknown[]).slice().reverse() },
      { ...value, training: {} },
    ];
    for (const variant of variants) {
      expect(() => parseModel(JSON.stringify(variant))).toThrow(
        expect.objectContaining({ code: 'INVALID_JSON' }),
      );
    }
    expect(() => parseModel('{"a":1,"a":2}')).toThrow(expect.objectContaining({ code: 'INVALID_JSON' }));
    expect(() => parseModel('not json')).toThrow(expect.objectContaining({ code: 'INVALID_JSON' }));
  });
});

describe('modelCard', () => {
  it('names the model, its class and every encoded column', () => {
    const model = train(simulate(7, 2_000));
    const card = modelCard(model);
    expect(card.startsWith('# Model card: toy 1.0.0\n')).toBe(true);
    expect(card).toContain('`logistic-regression`');
    expect(card).toContain('`glm-l2`');
    expect(card).toContain('## Hyperparameters');
    expect(card).toContain('| x | (x − ');
    expect(card).toContain('| g = b | one-hot vs a |');
    expect(modelCard(model)).toBe(card);
  });
});
