import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { Checked } from '../promotion/inputs.js';
import { canonicalize } from '../signing/canonical-json.js';
import type { Digest } from '../signing/digest.js';
import { effectivePolicy, type EffectivePolicy } from './effective.js';
import {
  evaluatePolicy,
  RULE_NAMES,
  RULES,
  toRouteRef,
  type Candidate,
  type LedgerView,
  type PreviousPromotion,
  type RouteDecision,
  type RuleName,
} from './evaluate.js';
import { parsePolicy, type Bands, type Policy } from './schema.js';

const digest = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;
const P = digest('a'); // the previous promotion
const C = digest('c'); // an earlier, committee-approved promotion
const M = digest('d'); // the candidate model
const F = digest('f'); // a feature-pipeline promotion
const S1 = digest('1'); // population-shift entries
const S2 = digest('2');

function valueOf<T>(checked: Checked<T>): T {
  if (!checked.ok) throw new Error(`expected a value, got ${JSON.stringify(checked.problems)}`);
  return checked.value;
}

const POLICY: Policy = valueOf(
  parsePolicy(
    new TextEncoder().encode(`
version: 1
defaults:
  bands:
    auc: { absolute: { down: 0.02, up: 0.05 } }
    ks: { relative: { down: 0.05 } }
    brier: { absolute: { up: 0.01 } }
  committeeBands: { auc: { absolute: { down: 0.03 } } }
  psi: { warn: 0.10, material: 0.25 }
  tier: standard
  oncallRole: oncall
  contexts: [retail-credit/uk, retail-credit/ie]
tiers:
  standard: { committee: { roles: [model-risk, credit-risk], quorum: 2 } }
  high: { committee: { roles: [model-risk], quorum: 3 } }
models:
  credit-scorecard: { tier: high }
  churn: { oncallRole: ml-oncall, committeeBands: {} }
`),
    'yaml',
  ),
);
const EFFECTIVE = effectivePolicy(POLICY, 'credit-scorecard');
const BANDS: Bands = EFFECTIVE.bands;

const CONTRACT = {
  features: [
    { name: 'age', type: 'integer' },
    { name: 'income', type: 'number' },
    { name: 'segment', type: 'category', categories: ['retail', 'business'] },
  ],
};

const PREVIOUS: PreviousPromotion = {
  entry: P,
  class: 'logistic-regression',
  family: 'l2-logistic',
  inputContract: CONTRACT,
  metrics: { auc: 0.812, ks: 0.48, brier: 0.1 },
  bandsForNext: BANDS,
  route: 'material',
};

// A retrain that no rule fires on: every metric inside its band, the same contract, class, family and
// context, no population shift, the previous promotion the last committee-approved one.
const VIEW: LedgerView = {
  previous: PREVIOUS,
  lastCommittee: { entry: P, metrics: PREVIOUS.metrics },
  approvedContexts: ['retail-credit/uk'],
  populationShifts: [],
};
const CANDIDATE: Candidate = {
  modelName: 'credit-scorecard',
  modelDigest: M,
  class: 'logistic-regression',
  family: 'l2-logistic',
  inputContract: CONTRACT,
  context: 'retail-credit/uk',
  metrics: { auc: 0.81, ks: 0.47, brier: 0.105 },
};

/** A copy of `value` without `key` (exactOptionalPropertyTypes: an absent key is not `undefined`). */
function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}

interface Row {
  readonly title: string;
  readonly view?: (view: LedgerView) => LedgerView;
  readonly candidate?: (candidate: Candidate) => Candidate;
  readonly policy?: (policy: EffectivePolicy) => EffectivePolicy;
  /** The reasons' messages, in order; empty: the rule does not fire. */
  readonly fires: readonly string[];
}

/** One table per rule: each row runs the rule alone, on the base inputs changed as the row says. */
function ruleTable(rule: RuleName, rows: readonly Row[]): void {
  describe(`rule ${rule}`, () => {
    it.each(rows)('$title', (row) => {
      const policy = row.policy ? row.policy(EFFECTIVE) : EFFECTIVE;
      const view = row.view ? row.view(VIEW) : VIEW;
      const candidate = row.candidate ? row.candidate(CANDIDATE) : CANDIDATE;
      const reasons = RULES[rule](policy, view, candidate);
      expect(reasons.map((r) => r.message)).toEqual(row.fires);
      for (const r of reasons) {
        expect(r.rule).toBe(rule);
        // Every reason can be sealed: its values are I-JSON.
        expect(() => canonicalize(r.values)).not.toThrow();
      }
    });
  });
}

const withMetrics = (metrics: Record<string, number>) => (c: Candidate) => ({
  ...c,
  metrics: { ...c.metrics, ...metrics },
});
const withPrevious = (change: Partial<PreviousPromotion>) => (v: LedgerView) => ({
  ...v,
  previous: { ...PREVIOUS, ...change },
});
const first = (v: LedgerView): LedgerView => without(without(v, 'previous'), 'lastCommittee');

ruleTable('firstPromotion', [
  {
    title: 'fires: no earlier promotion of the model',
    view: first,
    fires: ['first promotion of credit-scorecard: no earlier promotion in the log'],
  },
  { title: 'does not fire: the model was promoted before', fires: [] },
]);

ruleTable('metricBands', [
  { title: 'does not fire: every metric inside the band sealed at the previous promotion', fires: [] },
  {
    title: 'fires: a fall beyond the absolute down limit',
    candidate: withMetrics({ auc: 0.7808 }),
    fires: [`auc fell by 0.0312 (0.8120 → 0.7808), beyond the band of 0.0200 sealed at ${P}`],
  },
  {
    title: 'fires: a rise beyond the absolute up limit',
    candidate: withMetrics({ auc: 0.87 }),
    fires: [`auc rose by 0.0580 (0.8120 → 0.8700), beyond the band of 0.0500 sealed at ${P}`],
  },
  {
    title: 'does not fire: a change exactly at the limit, despite floating point (0.812 − 0.792)',
    candidate: withMetrics({ auc: 0.792 }),
    fires: [],
  },
  {
    title: 'fires: a fall beyond the relative down limit',
    candidate: withMetrics({ ks: 0.45 }),
    fires: [`ks fell by 6.25% relative (0.4800 → 0.4500), beyond the relative band of 5.00% sealed at ${P}`],
  },
  {
    title: 'does not fire: a change in a direction the band does not limit (brier fell)',
    candidate: withMetrics({ brier: 0.01 }),
    fires: [],
  },
  {
    title: 'fires: brier rose beyond its up limit',
    candidate: withMetrics({ brier: 0.1101 }),
    fires: [`brier rose by 0.0101 (0.1000 → 0.1101), beyond the band of 0.0100 sealed at ${P}`],
  },
  {
    title: 'does not fire: a metric with no band (f1 collapsed)',
    candidate: withMetrics({ f1: 0.01 }),
    view: withPrevious({ metrics: { ...PREVIOUS.metrics, f1: 0.7 } }),
    fires: [],
  },
  {
    title: 'measures against the bands sealed at the previous promotion, not the policy now (looser)',
    view: withPrevious({ bandsForNext: { auc: { absolute: { down: 0.05 } } } }),
    candidate: withMetrics({ auc: 0.7808 }),
    fires: [],
  },
  {
    title: 'fires: measured against the bands sealed at the previous promotion (tighter)',
    view: withPrevious({ bandsForNext: { auc: { absolute: { down: 0.001 } } } }),
    fires: [`auc fell by 0.0020 (0.8120 → 0.8100), beyond the band of 0.0010 sealed at ${P}`],
  },
  {
    title: 'fires: the policy bands when the previous promotion sealed none',
    view: (v) => ({ ...v, previous: without(PREVIOUS, 'bandsForNext') }),
    candidate: withMetrics({ auc: 0.7808 }),
    fires: [
      `auc fell by 0.0312 (0.8120 → 0.7808), beyond the band of 0.0200 in the policy (the previous promotion ${P} sealed none)`,
    ],
  },
  {
    title: 'fires: both the absolute and the relative limit of one metric, each on its own',
    view: withPrevious({ bandsForNext: { auc: { absolute: { down: 0.02 }, relative: { down: 0.01 } } } }),
    candidate: withMetrics({ auc: 0.7808 }),
    fires: [
      `auc fell by 0.0312 (0.8120 → 0.7808), beyond the band of 0.0200 sealed at ${P}`,
      `auc fell by 3.84% relative (0.8120 → 0.7808), beyond the relative band of 1.00% sealed at ${P}`,
    ],
  },
  {
    title: 'fires: any relative change from a reference of 0',
    view: withPrevious({ metrics: { fpr: 0 }, bandsForNext: { fpr: { relative: { up: 0.1 } } } }),
    candidate: withMetrics({ fpr: 0.01 }),
    fires: [
      `fpr rose (0.0000 → 0.0100), an unbounded relative change, beyond the relative band of 10.00% sealed at ${P}`,
    ],
  },
  {
    title: 'fires: a relative change from a reference so small the quotient overflows',
    view: withPrevious({ metrics: { fpr: 5e-324 }, bandsForNext: { fpr: { relative: { up: 0.1 } } } }),
    candidate: withMetrics({ fpr: 0.01 }),
    fires: [
      `fpr rose (0.0000 → 0.0100), an unbounded relative change, beyond the relative band of 10.00% sealed at ${P}`,
    ],
  },
  {
    title: 'lists several metrics in name order',
    candidate: withMetrics({ ks: 0.4, auc: 0.7 }),
    fires: [
      `auc fell by 0.1120 (0.8120 → 0.7000), beyond the band of 0.0200 sealed at ${P}`,
      `ks fell by 16.67% relative (0.4800 → 0.4000), beyond the relative band of 5.00% sealed at ${P}`,
    ],
  },
  {
    title: 'does not fire (failClosed does): a banded metric the candidate lacks',
    candidate: (c) => ({ ...c, metrics: without(c.metrics, 'auc') }),
    fires: [],
  },
  { title: 'does not fire: a first promotion has nothing to measure against', view: first, fires: [] },
]);

ruleTable('committeeDrift', [
  { title: 'does not fire: inside the committee band since the last committee approval', fires: [] },
  {
    title: 'fires: the cumulative fall since the last committee approval is beyond the committee band',
    view: (v) => ({
      ...v,
      previous: { ...PREVIOUS, route: 'low' },
      lastCommittee: { entry: C, metrics: { auc: 0.85 } },
    }),
    fires: [
      `auc fell by 0.0400 since the last committee-approved promotion ${C} (0.8500 → 0.8100), beyond the committee band of 0.0300`,
    ],
  },
  {
    title: 'fires: a relative committee band',
    policy: (p) => ({ ...p, committeeBands: { ks: { relative: { down: 0.1 } } } }),
    view: (v) => ({ ...v, lastCommittee: { entry: C, metrics: { ks: 0.55 } } }),
    fires: [
      `ks fell by 14.55% relative since the last committee-approved promotion ${C} (0.5500 → 0.4700), beyond the relative committee band of 10.00%`,
    ],
  },
  {
    title: 'does not fire: no committee bands in the policy',
    policy: (p) => ({ ...p, committeeBands: {} }),
    view: (v) => ({ ...v, lastCommittee: { entry: C, metrics: { auc: 0.99 } } }),
    fires: [],
  },
  {
    title: 'does not fire (failClosed does): no committee-approved promotion in the view',
    view: (v) => without(v, 'lastCommittee'),
    fires: [],
  },
  { title: 'does not fire: a first promotion', view: first, fires: [] },
]);

const withContract = (features: Candidate['inputContract']) => (c: Candidate) =>
  features === undefined ? without(c, 'inputContract') : { ...c, inputContract: features };
const [AGE, INCOME, SEGMENT] = CONTRACT.features as [
  (typeof CONTRACT.features)[number],
  (typeof CONTRACT.features)[number],
  (typeof CONTRACT.features)[number],
];

ruleTable('inputContract', [
  { title: 'does not fire: the same features', fires: [] },
  {
    title: 'does not fire: only descriptions differ',
    candidate: withContract({ features: CONTRACT.features.map((f) => ({ ...f, description: 'new words' })) }),
    fires: [],
  },
  {
    title: 'fires: a feature added',
    candidate: withContract({ features: [...CONTRACT.features, { name: 'tenure', type: 'integer' }] }),
    fires: [`the input contract changed since ${P}: added tenure (integer)`],
  },
  {
    title: 'fires: a feature removed',
    candidate: withContract({ features: [AGE, SEGMENT] }),
    fires: [`the input contract changed since ${P}: removed income (number)`],
  },
  {
    title: 'fires: a feature retyped',
    candidate: withContract({ features: [{ ...AGE, type: 'number' }, INCOME, SEGMENT] }),
    fires: [`the input contract changed since ${P}: retyped age: integer → number`],
  },
  {
    title: 'fires: the categories of a category feature changed',
    candidate: withContract({ features: [AGE, INCOME, { ...SEGMENT, categories: ['retail'] }] }),
    fires: [`the input contract changed since ${P}: recategorised segment: [retail, business] → [retail]`],
  },
  {
    title: 'fires: the features reordered',
    candidate: withContract({ features: [INCOME, AGE, SEGMENT] }),
    fires: [`the input contract changed since ${P}: reordered the features kept`],
  },
  {
    title: 'fires once with the whole diff',
    candidate: withContract({
      features: [
        { name: 'zip', type: 'string' },
        { ...AGE, type: 'number' },
        { name: 'debt', type: 'number' },
      ],
    }),
    fires: [
      `the input contract changed since ${P}: added debt (number); added zip (string); removed income (number); removed segment (category); retyped age: integer → number`,
    ],
  },
  {
    title: 'does not fire (failClosed does): the candidate has no input contract',
    candidate: withContract(undefined),
    fires: [],
  },
  { title: 'does not fire: a first promotion', view: first, fires: [] },
]);

ruleTable('modelClass', [
  { title: 'does not fire: the same class and family', fires: [] },
  {
    title: 'fires: the model class changed',
    candidate: (c) => ({ ...c, class: 'gradient-boosting' }),
    fires: [`the model class changed: logistic-regression → gradient-boosting (previous promotion ${P})`],
  },
  {
    title: 'fires: the hyperparameter family changed',
    candidate: (c) => ({ ...c, family: 'elasticnet-logistic' }),
    fires: [`the hyperparameter family changed: l2-logistic → elasticnet-logistic (previous promotion ${P})`],
  },
  {
    title: 'fires twice: both changed',
    candidate: (c) => ({ ...c, class: 'gradient-boosting', family: 'xgboost-tree' }),
    fires: [
      `the model class changed: logistic-regression → gradient-boosting (previous promotion ${P})`,
      `the hyperparameter family changed: l2-logistic → xgboost-tree (previous promotion ${P})`,
    ],
  },
  {
    title: 'does not fire (failClosed does): an empty class',
    candidate: (c) => ({ ...c, class: '' }),
    fires: [],
  },
  { title: 'does not fire: a first promotion', view: first, fires: [] },
]);

const SHIFT = {
  entry: S1,
  feature: 'income',
  psi: 0.31,
  window: '2024-05-01/2024-05-31',
  context: 'retail-credit/uk',
};
ruleTable('populationShift', [
  { title: 'does not fire: no population-shift entry since the previous promotion', fires: [] },
  {
    title: 'fires: a population-shift entry, quoting feature, PSI and window',
    view: (v) => ({ ...v, populationShifts: [SHIFT] }),
    fires: [
      `population shift since the last promotion: PSI 0.3100 on income over 2024-05-01/2024-05-31 in retail-credit/uk (entry ${S1})`,
    ],
  },
  {
    title: 'fires once per entry, in entry order',
    view: (v) => ({
      ...v,
      populationShifts: [{ ...SHIFT, entry: S2, feature: 'age', psi: 0.27 }, SHIFT],
    }),
    fires: [
      `population shift since the last promotion: PSI 0.3100 on income over 2024-05-01/2024-05-31 in retail-credit/uk (entry ${S1})`,
      `population shift since the last promotion: PSI 0.2700 on age over 2024-05-01/2024-05-31 in retail-credit/uk (entry ${S2})`,
    ],
  },
]);

ruleTable('newContext', [
  { title: 'does not fire: a context the model was approved for and the policy allows', fires: [] },
  {
    title: 'fires: a context the policy allows but the model was never approved for',
    candidate: (c) => ({ ...c, context: 'retail-credit/ie' }),
    fires: [
      'context retail-credit/ie was never approved for credit-scorecard (approved so far: retail-credit/uk)',
    ],
  },
  {
    title: 'fires twice: a context never approved and not allowed by the policy',
    candidate: (c) => ({ ...c, context: 'retail-credit/de' }),
    fires: [
      'context retail-credit/de was never approved for credit-scorecard (approved so far: retail-credit/uk)',
      'context retail-credit/de is not among the contexts the policy allows for credit-scorecard (retail-credit/uk, retail-credit/ie)',
    ],
  },
  {
    title: 'fires: a context approved before that the policy no longer allows',
    view: (v) => ({ ...v, approvedContexts: ['retail-credit/uk', 'retail-credit/fr'] }),
    candidate: (c) => ({ ...c, context: 'retail-credit/fr' }),
    fires: [
      'context retail-credit/fr is not among the contexts the policy allows for credit-scorecard (retail-credit/uk, retail-credit/ie)',
    ],
  },
  {
    title: 'fires: a first promotion has no approved context',
    view: (v) => ({ ...first(v), approvedContexts: [] }),
    fires: ['context retail-credit/uk was never approved for credit-scorecard (approved so far: none)'],
  },
]);

const withPipeline = (facts: Partial<NonNullable<LedgerView['featurePipeline']>>) => (v: LedgerView) => ({
  ...v,
  featurePipeline: { entry: F, status: 'ok' as const, contractChanged: false, ...facts },
});
const referencing = (c: Candidate): Candidate => ({ ...c, featurePipeline: F });
ruleTable('featurePipeline', [
  { title: 'does not fire: no reference, and the policy does not require one', fires: [] },
  {
    title: 'fires: the policy requires a reference and the candidate has none',
    policy: (p) => ({ ...p, requireFeaturePipeline: true }),
    fires: [
      'the policy requires a feature-pipeline reference for credit-scorecard and the candidate has none',
    ],
  },
  {
    title: 'does not fire: the referenced pipeline is in force and kept the contract',
    candidate: referencing,
    view: withPipeline({}),
    policy: (p) => ({ ...p, requireFeaturePipeline: true }),
    fires: [],
  },
  {
    title: 'fires: the referenced pipeline promotion is not in the log',
    candidate: referencing,
    view: withPipeline({ status: 'missing' }),
    fires: [`the referenced feature-pipeline promotion ${F} is not in the log`],
  },
  {
    title: 'fires: the referenced pipeline promotion was revoked',
    candidate: referencing,
    view: withPipeline({ status: 'revoked' }),
    fires: [`the referenced feature-pipeline promotion ${F} was revoked`],
  },
  {
    title: 'fires: the referenced pipeline changed the input contract, with the diff',
    candidate: referencing,
    view: withPipeline({
      contractChanged: true,
      diff: ['added tenure (integer)', 'removed income (number)'],
    }),
    fires: [
      `the referenced feature-pipeline promotion ${F} changed the input contract: added tenure (integer); removed income (number)`,
    ],
  },
  {
    title: 'fires: a contract change without a diff says so',
    candidate: referencing,
    view: withPipeline({ contractChanged: true }),
    fires: [`the referenced feature-pipeline promotion ${F} changed the input contract: (no diff given)`],
  },
  {
    title: 'does not fire (failClosed does): the view describes another pipeline promotion',
    candidate: referencing,
    view: withPipeline({ entry: digest('e'), status: 'revoked' }),
    fires: [],
  },
]);

ruleTable('failClosed', [
  { title: 'does not fire: every input the rules need is there', fires: [] },
  {
    title: 'does not fire: a first promotion needs no reference inputs',
    view: first,
    candidate: (c) => without(withContract(undefined)(c), 'metrics') as Candidate,
    fires: [],
  },
  {
    title: 'fires: a banded metric the candidate lacks',
    candidate: (c) => ({ ...c, metrics: without(c.metrics, 'ks') }),
    fires: ['cannot check the band on ks: the candidate has no ks metric'],
  },
  {
    title: 'fires: a banded metric the previous promotion lacks',
    view: withPrevious({ metrics: without(PREVIOUS.metrics, 'brier') }),
    fires: [`cannot check the band on brier: the previous promotion ${P} has no brier metric`],
  },
  {
    title: 'fires: a banded metric that is not a finite number',
    candidate: withMetrics({ ks: Number.NaN }),
    fires: ['cannot check the band on ks: the candidate has no ks metric'],
  },
  {
    title: 'fires: a band on a metric named like an Object property, which neither side has',
    view: withPrevious({ bandsForNext: { constructor: { absolute: { down: 0.1 } } } }),
    fires: [
      'cannot check the band on constructor: the candidate has no constructor metric',
      `cannot check the band on constructor: the previous promotion ${P} has no constructor metric`,
    ],
  },
  {
    title: 'fires: a candidate missing a metric both bands need, once per rule',
    candidate: (c) => ({ ...c, metrics: without(c.metrics, 'auc') }),
    fires: [
      'cannot check the band on auc: the candidate has no auc metric',
      'cannot measure the cumulative drift of auc: the candidate has no auc metric',
    ],
  },
  {
    title: 'fires: committee bands but no committee-approved promotion in the view',
    view: (v) => ({ ...without(v, 'lastCommittee'), previous: { ...PREVIOUS, route: 'low' } }),
    fires: [
      'cannot measure the drift since the last committee-approved promotion: the view names none for credit-scorecard',
    ],
  },
  {
    title: 'does not fire: no committee-approved promotion, and no committee bands',
    policy: (p) => ({ ...p, committeeBands: {} }),
    view: (v) => without(v, 'lastCommittee'),
    fires: [],
  },
  {
    title: 'fires: the previous promotion went to committee but the view names another as the last',
    view: (v) => ({ ...v, lastCommittee: { entry: C, metrics: PREVIOUS.metrics } }),
    fires: [
      `cannot measure the drift since the last committee-approved promotion: the previous promotion ${P} was committee-approved, but the view names ${C}`,
    ],
  },
  {
    title: 'fires: the last committee-approved promotion lacks a committee-banded metric',
    view: (v) => ({
      ...v,
      previous: { ...PREVIOUS, route: 'low' },
      lastCommittee: { entry: C, metrics: {} },
    }),
    fires: [
      `cannot measure the cumulative drift of auc: the last committee-approved promotion ${C} has no auc metric`,
    ],
  },
  {
    title: 'fires: the candidate has no input contract',
    candidate: withContract(undefined),
    fires: ['cannot compare input contracts: the candidate has none'],
  },
  {
    title: 'fires: the previous promotion sealed no input contract',
    view: (v) => ({ ...v, previous: without(PREVIOUS, 'inputContract') }),
    fires: [`cannot compare input contracts: the previous promotion ${P} sealed none`],
  },
  {
    title: 'fires: an empty class or family',
    candidate: (c) => ({ ...c, class: '' }),
    view: withPrevious({ family: '' }),
    fires: [
      'cannot compare the model class: the candidate names none',
      `cannot compare the hyperparameter family: the previous promotion ${P} names none`,
    ],
  },
  {
    title: 'fires: no deployment context',
    candidate: (c) => ({ ...c, context: '' }),
    fires: ['cannot check the deployment context: the candidate names none'],
  },
  {
    title: 'fires: a feature-pipeline reference the view has no facts about',
    candidate: referencing,
    fires: [`cannot check the referenced feature-pipeline promotion ${F}: the view has no facts about it`],
  },
  {
    title: 'fires: a feature-pipeline reference the view describes another entry for',
    candidate: referencing,
    view: withPipeline({ entry: digest('e') }),
    fires: [`cannot check the referenced feature-pipeline promotion ${F}: the view has no facts about it`],
  },
]);

describe('evaluatePolicy', () => {
  it('routes low when no rule fires: one approval by the on-call role, the model tier kept', () => {
    expect(evaluatePolicy(POLICY, VIEW, CANDIDATE)).toEqual({
      materiality: 'low',
      tier: 'high',
      reasons: [],
      bandsForNext: BANDS,
      requirement: { kind: 'oncall', role: 'oncall', quorum: 1 },
    });
  });

  it('routes material when any rule fires, keeping every reason in rule order, with the tier committee', () => {
    const decision = evaluatePolicy(
      POLICY,
      { ...VIEW, populationShifts: [SHIFT] },
      { ...CANDIDATE, class: 'gradient-boosting', metrics: { ...CANDIDATE.metrics, auc: 0.7 } },
    );
    expect(decision.materiality).toBe('material');
    expect(decision.reasons.map((r) => r.rule)).toEqual([
      'metricBands',
      'committeeDrift',
      'modelClass',
      'populationShift',
    ]);
    expect(decision.requirement).toEqual({ kind: 'committee', roles: ['model-risk'], quorum: 3 });
    expect(decision.reasons[0]?.values).toEqual({
      metric: 'auc',
      kind: 'absolute',
      direction: 'down',
      reference: 0.812,
      candidate: 0.7,
      change: 0.7 - 0.812,
      relativeChange: (0.7 - 0.812) / 0.812,
      limit: 0.02,
      previous: P,
      bandsFrom: 'previous',
    });
  });

  it('uses the model section: the tier committee and on-call role of the model', () => {
    const churn = { ...CANDIDATE, modelName: 'churn' };
    expect(evaluatePolicy(POLICY, VIEW, churn).requirement).toEqual({
      kind: 'oncall',
      role: 'ml-oncall',
      quorum: 1,
    });
    expect(evaluatePolicy(POLICY, first(VIEW), churn).requirement).toEqual({
      kind: 'committee',
      roles: ['model-risk', 'credit-risk'],
      quorum: 2,
    });
  });

  it('seals the policy bands in force now for the next promotion, as a copy', () => {
    const decision = evaluatePolicy(POLICY, withPrevious({ bandsForNext: {} })(VIEW), CANDIDATE);
    expect(decision.bandsForNext).toEqual(POLICY.defaults.bands);
    expect(decision.bandsForNext).not.toBe(POLICY.defaults.bands);
    expect(decision.bandsForNext['auc']).not.toBe(POLICY.defaults.bands?.['auc']);
  });

  it('gives the route to seal: the messages and the policy digest; a low route says no rule fired', () => {
    const policyDigest = digest('9');
    expect(toRouteRef(evaluatePolicy(POLICY, VIEW, CANDIDATE), policyDigest)).toEqual({
      materiality: 'low',
      tier: 'high',
      reasons: [
        'no materiality rule fired (checked: firstPromotion, metricBands, committeeDrift, inputContract, modelClass, populationShift, newContext, featurePipeline, failClosed)',
      ],
      policy: policyDigest,
    });
    expect(toRouteRef(evaluatePolicy(POLICY, first(VIEW), CANDIDATE), policyDigest).reasons).toEqual([
      'first promotion of credit-scorecard: no earlier promotion in the log',
    ]);
  });

  it('quotes numbers the same in every locale', () => {
    const decision = evaluatePolicy(POLICY, VIEW, {
      ...CANDIDATE,
      metrics: { ...CANDIDATE.metrics, auc: 1234.5 },
    });
    expect(decision.reasons[0]?.message).toBe(
      `auc rose by 1233.6880 (0.8120 → 1234.5000), beyond the band of 0.0500 sealed at ${P}`,
    );
  });
});

describe('scenario: small steps cannot walk a model away unnoticed', () => {
  it('three steps each inside the band, but cumulatively beyond the committee band: the third is material', () => {
    // Each step loses 0.015 AUC: inside the band of 0.02. Since the committee approved 0.800, the drift is
    // 0.015, then 0.030 (at the committee band of 0.03: inside), then 0.045: beyond it.
    let view: LedgerView = {
      previous: { ...PREVIOUS, entry: digest('0'), metrics: { auc: 0.8, ks: 0.48, brier: 0.1 } },
      lastCommittee: { entry: digest('0'), metrics: { auc: 0.8, ks: 0.48, brier: 0.1 } },
      approvedContexts: ['retail-credit/uk'],
      populationShifts: [],
    };
    const routes: RouteDecision[] = [];
    for (const [step, auc] of [0.785, 0.77, 0.755].entries()) {
      const candidate = { ...CANDIDATE, metrics: { auc, ks: 0.48, brier: 0.1 } };
      const decision = evaluatePolicy(POLICY, view, candidate);
      routes.push(decision);
      // Seal it: the next promotion's view, as the app layer would gather it from the log.
      const entry = digest(String(step + 1));
      view = {
        ...view,
        previous: {
          ...PREVIOUS,
          entry,
          metrics: candidate.metrics,
          bandsForNext: decision.bandsForNext,
          route: decision.materiality,
        },
        ...(decision.materiality === 'material'
          ? { lastCommittee: { entry, metrics: candidate.metrics } }
          : {}),
      };
    }
    expect(routes.map((r) => r.materiality)).toEqual(['low', 'low', 'material']);
    expect(routes[2]?.reasons.map((r) => r.message)).toEqual([
      `auc fell by 0.0450 since the last committee-approved promotion ${digest('0')} (0.8000 → 0.7550), beyond the committee band of 0.0300`,
    ]);
    // Once the committee has approved it, the drift is measured from there: the next small step is low.
    const next = evaluatePolicy(POLICY, view, { ...CANDIDATE, metrics: { auc: 0.74, ks: 0.48, brier: 0.1 } });
    expect(next.materiality).toBe('low');
  });
});

// Generative: the route is a pure function of policy, view and candidate, material whenever a rule fires.
const METRIC_NAMES = ['auc', 'ks', 'brier', 'constructor'] as const;
const limit = fc.option(fc.double({ min: 0, max: 0.2, noNaN: true }), { nil: undefined });
const limits = fc
  .record({ down: limit, up: limit })
  .map(({ down, up }) => ({ ...(down === undefined ? {} : { down }), ...(up === undefined ? {} : { up }) }))
  .filter((l) => Object.keys(l).length > 0);
const band = fc
  .record({
    absolute: fc.option(limits, { nil: undefined }),
    relative: fc.option(limits, { nil: undefined }),
  })
  .map(({ absolute, relative }) => ({
    ...(absolute === undefined ? {} : { absolute }),
    ...(relative === undefined ? {} : { relative }),
  }))
  .filter((b) => Object.keys(b).length > 0);
const bands: fc.Arbitrary<Bands> = fc.dictionary(fc.constantFrom(...METRIC_NAMES), band, { maxKeys: 3 });
const metricValue = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom(0, 0.5, 0.8),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const metrics = fc.dictionary(fc.constantFrom(...METRIC_NAMES), metricValue, { maxKeys: 4 });
const CONTEXTS = ['retail-credit/uk', 'retail-credit/ie', 'retail-credit/de'] as const;
const context = fc.constantFrom(...CONTEXTS, '');
const contract = fc.option(
  fc.constantFrom(
    CONTRACT,
    { features: [AGE, INCOME] },
    { features: [INCOME, AGE, SEGMENT] },
    { features: [{ ...AGE, type: 'number' }, INCOME, SEGMENT] },
  ),
  { nil: undefined },
);
const entry = fc.constantFrom(P, C, F, S1, S2);

const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    bands,
    committeeBands: bands,
    contexts: fc.subarray([...CONTEXTS], { minLength: 1 }),
    requireFeaturePipeline: fc.boolean(),
    modelTier: fc.constantFrom('standard', 'high'),
    modelBands: fc.option(bands, { nil: undefined }),
  })
  .map((p) => ({
    version: 1 as const,
    defaults: {
      bands: p.bands,
      committeeBands: p.committeeBands,
      psi: { warn: 0.1, material: 0.25 },
      tier: 'standard',
      oncallRole: 'oncall',
      contexts: p.contexts,
      requireFeaturePipeline: p.requireFeaturePipeline,
    },
    tiers: POLICY.tiers,
    models: { m: { tier: p.modelTier, ...(p.modelBands === undefined ? {} : { bands: p.modelBands }) } },
  }));

const previousArb = fc
  .record({
    entry,
    class: fc.constantFrom('logistic-regression', 'gradient-boosting', ''),
    family: fc.constantFrom('l2-logistic', 'xgboost-tree', ''),
    inputContract: contract,
    metrics,
    bandsForNext: fc.option(bands, { nil: undefined }),
    route: fc.constantFrom('low' as const, 'material' as const),
  })
  .map(({ inputContract: ic, bandsForNext: b, ...rest }) => ({
    ...rest,
    ...(ic === undefined ? {} : { inputContract: ic }),
    ...(b === undefined ? {} : { bandsForNext: b }),
  }));

const viewArb: fc.Arbitrary<LedgerView> = fc
  .record({
    previous: fc.option(previousArb, { nil: undefined }),
    lastCommittee: fc.option(fc.record({ entry, metrics }), { nil: undefined }),
    approvedContexts: fc.subarray([...CONTEXTS]),
    populationShifts: fc.array(
      fc.record({
        entry,
        feature: fc.constantFrom('age', 'income'),
        psi: fc.double({ min: 0, max: 2, noNaN: true }),
        window: fc.constant('2024-05'),
        context: fc.constantFrom(...CONTEXTS),
      }),
      { maxLength: 2 },
    ),
    featurePipeline: fc.option(
      fc.record({
        entry: fc.constantFrom(F, S1),
        status: fc.constantFrom('ok' as const, 'missing' as const, 'revoked' as const),
        contractChanged: fc.boolean(),
      }),
      { nil: undefined },
    ),
  })
  .map(({ previous, lastCommittee, featurePipeline, ...rest }) => ({
    ...rest,
    ...(previous === undefined ? {} : { previous }),
    ...(lastCommittee === undefined ? {} : { lastCommittee }),
    ...(featurePipeline === undefined ? {} : { featurePipeline }),
  }));

const candidateArb: fc.Arbitrary<Candidate> = fc
  .record({
    modelName: fc.constantFrom('m', 'other'),
    class: fc.constantFrom('logistic-regression', 'gradient-boosting', ''),
    family: fc.constantFrom('l2-logistic', 'xgboost-tree', ''),
    inputContract: contract,
    context,
    metrics,
    featurePipeline: fc.option(fc.constantFrom(F), { nil: undefined }),
  })
  .map(({ inputContract: ic, featurePipeline: fp, ...rest }) => ({
    ...rest,
    modelDigest: M,
    ...(ic === undefined ? {} : { inputContract: ic }),
    ...(fp === undefined ? {} : { featurePipeline: fp }),
  }));

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe('properties', () => {
  it('the route is material exactly when at least one rule function fires, with their reasons in order', () => {
    fc.assert(
      fc.property(policyArb, viewArb, candidateArb, (policy, view, candidate) => {
        const effective = effectivePolicy(policy, candidate.modelName);
        const fired = RULE_NAMES.flatMap((name) => RULES[name](effective, view, candidate));
        const decision = evaluatePolicy(policy, view, candidate);
        expect(decision.materiality).toBe(fired.length > 0 ? 'material' : 'low');
        expect(decision.reasons).toEqual(fired);
        expect(decision.requirement.kind).toBe(fired.length > 0 ? 'committee' : 'oncall');
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic and pure: equal inputs give a deep-equal decision; frozen inputs are not changed', () => {
    fc.assert(
      fc.property(policyArb, viewArb, candidateArb, (policy, view, candidate) => {
        const decision = evaluatePolicy(policy, view, candidate);
        const again = evaluatePolicy(
          deepFreeze(structuredClone(policy)),
          deepFreeze(structuredClone(view)),
          deepFreeze(structuredClone(candidate)),
        );
        expect(again).toEqual(decision);
        // The decision can be sealed as canonical JSON, byte for byte the same.
        expect(canonicalize(again)).toEqual(canonicalize(decision));
      }),
      { numRuns: 300 },
    );
  });

  it('fails closed: dropping a candidate metric never turns a material route low', () => {
    fc.assert(
      fc.property(
        policyArb,
        viewArb,
        candidateArb,
        fc.constantFrom(...METRIC_NAMES),
        (p, view, candidate, name) => {
          const before = evaluatePolicy(p, view, candidate);
          const after = evaluatePolicy(p, view, { ...candidate, metrics: without(candidate.metrics, name) });
          if (before.materiality === 'material') expect(after.materiality).toBe('material');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a first promotion is always material', () => {
    fc.assert(
      fc.property(policyArb, viewArb, candidateArb, (policy, view, candidate) => {
        expect(evaluatePolicy(policy, without(view, 'previous'), candidate).materiality).toBe('material');
      }),
      { numRuns: 100 },
    );
  });
});
