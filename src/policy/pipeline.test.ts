// The feature-pipeline route: the same engine, with the rules that apply to a pipeline (no metrics, no
// population, no model class): first promotion, a changed output contract, fail closed.
import { describe, expect, it } from 'vitest';

import type { Checked } from '../promotion/inputs.js';
import type { Digest } from '../signing/digest.js';
import {
  evaluatePipelinePolicy,
  PIPELINE_RULE_NAMES,
  toRouteRef,
  type Candidate,
  type LedgerView,
} from './evaluate.js';
import { parsePolicy, type Policy } from './schema.js';

const digest = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;
const P = digest('a');

function valueOf<T>(checked: Checked<T>): T {
  if (!checked.ok) throw new Error(`expected a value, got ${JSON.stringify(checked.problems)}`);
  return checked.value;
}

const POLICY: Policy = valueOf(
  parsePolicy(
    new TextEncoder().encode(`
version: 1
defaults:
  bands: { auc: { absolute: { down: 0.02 } } }
  committeeBands: { auc: { absolute: { down: 0.03 } } }
  psi: { warn: 0.10, material: 0.25 }
  tier: standard
  oncallRole: oncall
  contexts: [retail-credit/uk]
tiers:
  standard: { committee: { roles: [model-risk], quorum: 2 } }
  data: { committee: { roles: [data-governance], quorum: 1 } }
models:
  credit-features: { tier: data, oncallRole: data-oncall }
`),
    'yaml',
  ),
);

const CONTRACT = {
  features: [
    { name: 'age', type: 'integer' },
    { name: 'income', type: 'number' },
  ],
};

const candidate = (contract = CONTRACT as Candidate['inputContract']): Candidate => ({
  modelName: 'credit-features',
  modelDigest: digest('d'),
  class: 'feature-pipeline',
  family: 'feature-pipeline',
  ...(contract ? { inputContract: contract } : {}),
  context: 'retail-credit/uk',
  metrics: {},
});

const seen = (contract: Candidate['inputContract'] | null = CONTRACT): LedgerView => ({
  previous: {
    entry: P,
    class: 'feature-pipeline',
    family: 'feature-pipeline',
    ...(contract ? { inputContract: contract } : {}),
    metrics: {},
    route: 'material',
  },
  approvedContexts: ['retail-credit/uk'],
  populationShifts: [],
});

describe('evaluatePipelinePolicy', () => {
  it("a pipeline with the same output contract is low, needs its section's on-call role, and ignores metric bands", () => {
    const decision = evaluatePipelinePolicy(POLICY, seen(), candidate());
    expect(decision.materiality).toBe('low');
    expect(decision.reasons).toEqual([]);
    expect(decision.tier).toBe('data');
    expect(decision.requirement).toEqual({ kind: 'oncall', role: 'data-oncall', quorum: 1 });
    expect(toRouteRef(decision, digest('e'), PIPELINE_RULE_NAMES).reasons).toEqual([
      'no materiality rule fired (checked: firstPromotion, inputContract, failClosed)',
    ]);
  });

  const rows: { name: string; view: LedgerView; candidate: Candidate; rule: string; text: RegExp }[] = [
    {
      name: 'the first promotion of the pipeline',
      view: { approvedContexts: [], populationShifts: [] },
      candidate: candidate(),
      rule: 'firstPromotion',
      text: /^first promotion of credit-features: no earlier promotion in the log$/,
    },
    {
      name: 'a feature added to the output contract',
      view: seen(),
      candidate: candidate({ features: [...CONTRACT.features, { name: 'tenure', type: 'integer' }] }),
      rule: 'inputContract',
      text: /^the output contract changed since sha256:a{64}: added tenure \(integer\)/,
    },
    {
      name: 'a feature retyped',
      view: seen(),
      candidate: candidate({ features: [{ name: 'age', type: 'number' }, CONTRACT.features[1]!] }),
      rule: 'inputContract',
      text: /^the output contract changed since sha256:a{64}: retyped age: integer → number$/,
    },
    {
      name: 'no output contract readable on the previous promotion (fail closed)',
      view: seen(null),
      candidate: candidate(),
      rule: 'failClosed',
      text: /^cannot compare input contracts: the previous promotion sha256:a{64} sealed none$/,
    },
  ];
  for (const row of rows) {
    it(`is material on ${row.name}, with the committee of its tier`, () => {
      const decision = evaluatePipelinePolicy(POLICY, row.view, row.candidate);
      expect(decision.materiality).toBe('material');
      expect(decision.requirement).toEqual({ kind: 'committee', roles: ['data-governance'], quorum: 1 });
      expect(decision.reasons.map((r) => r.rule)).toEqual([row.rule]);
      expect(decision.reasons[0]!.message).toMatch(row.text);
    });
  }
});
