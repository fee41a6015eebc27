import { beforeAll, describe, expect, it } from 'vitest';

import { creditFeatures } from './credit-data.js';
import { parseModel, predictLogit } from './logistic.js';
import {
  buildCreditScenario,
  EVALUATION_DATASET_PLACEHOLDER,
  SHAP_SAMPLE_ROWS,
  type CreditScenario,
  type Proposal,
} from './scenario.js';
import type { ShapExplanation } from './shap.js';

const SEED = 20240611;

// Every string the demo stores, in a fixed order: what "same seed, same bytes" is about.
function artefacts(scenario: CreditScenario): string[] {
  const models = Object.values(scenario.models).flatMap((m) => [
    m.modelJson,
    m.modelCard,
    m.hyperparametersJson,
    m.inputContractJson,
  ]);
  const proposals = Object.values(scenario.proposals).flatMap((p) => [
    p.evaluation.csv,
    JSON.stringify(p.metrics),
    p.shapJson,
    p.chartSvg,
    p.requestMarkdown,
  ]);
  return [...models, ...proposals];
}

describe('buildCreditScenario', () => {
  let scenario: CreditScenario;
  beforeAll(() => {
    scenario = buildCreditScenario({ seed: SEED });
  });

  it('is deterministic: the same seed gives identical bytes, another seed different ones', () => {
    const a = artefacts(buildCreditScenario({ seed: 7, rows: 2_000 }));
    const b = artefacts(buildCreditScenario({ seed: 7, rows: 2_000 }));
    const c = artefacts(buildCreditScenario({ seed: 8, rows: 2_000 }));
    expect(b).toEqual(a);
    // Hyperparameters and input contracts are the recipe, the same for every seed; all else changes.
    const recipe = new Set(
      Object.values(buildCreditScenario({ seed: 9, rows: 1_000 }).models).flatMap((m) => [
        m.hyperparametersJson,
        m.inputContractJson,
      ]),
    );
    a.forEach((text, i) => {
      if (recipe.has(text)) expect(c[i]).toBe(text);
      else expect(c[i]).not.toBe(text);
    });
  });

  it('trains the incumbent by gradient descent on the reference vintage and the retrains by Newton', () => {
    const { incumbent, candidate, retrain, newFeature } = scenario.models;
    expect(incumbent.model.hyperparameters.solver).toBe('gradient-descent');
    expect(incumbent.model.training.converged).toBe(false);
    for (const bundle of [candidate, retrain, newFeature]) {
      expect(bundle.model.hyperparameters.solver).toBe('newton');
      expect(bundle.model.training.converged).toBe(true);
    }
    expect(new Set([incumbent, candidate, retrain, newFeature].map((b) => b.version)).size).toBe(4);
    expect(new Set([incumbent, candidate, retrain, newFeature].map((b) => b.modelJson)).size).toBe(4);
  });

  it('ships each model as files that read back to the model', () => {
    for (const bundle of Object.values(scenario.models)) {
      expect(parseModel(bundle.modelJson)).toEqual(bundle.model);
      expect(bundle.class).toBe('logistic-regression');
      expect(bundle.family).toBe('glm-l2');
      expect(JSON.parse(bundle.hyperparametersJson)).toEqual(bundle.model.hyperparameters);
      expect(JSON.parse(bundle.inputContractJson)).toEqual(bundle.model.inputContract);
      expect(bundle.modelCard.startsWith(`# Model card: credit-scorecard ${bundle.version}\n`)).toBe(true);
    }
    const names = (json: string): string[] => (JSON.parse(json) as { name: string }[]).map((f) => f.name);
    expect(names(scenario.models.candidate.inputContractJson)).toEqual(
      names(scenario.models.incumbent.inputContractJson),
    );
    expect(names(scenario.models.newFeature.inputContractJson)).toEqual([
      ...names(scenario.models.candidate.inputContractJson),
      'bureau_score',
    ]);
  });

  it('holds out a shared evaluation CSV that every model can score', () => {
    const { recent, latest } = scenario.evaluations;
    expect(recent.rows).toBe(5_000);
    expect(recent.csv.split('\n')).toHaveLength(5_002);
    expect(recent.csv.split('\n')[0]).toContain(',bureau_score,default_12m');
    expect(scenario.proposals.candidate.evaluation).toBe(recent);
    expect(scenario.proposals.newFeature.evaluation).toBe(recent);
    expect(scenario.proposals.retrain.evaluation).toBe(latest);
    expect(latest.csv).not.toBe(recent.csv);
    expect(creditFeatures(recent.dataset).map((f) => f.name)).toContain('bureau_score');
  });

  it('beats random and tells the story: each proposal is better than its challenger', () => {
    const check = (proposal: Proposal): void => {
      const { candidate, challenger } = proposal.metrics;
      expect(proposal.metrics.dataset).toBe(EVALUATION_DATASET_PLACEHOLDER);
      expect(Object.keys(candidate)).toEqual(['auc', 'gini', 'ks', 'brier', 'log_loss']);
      expect(candidate.auc).toBeGreaterThan(0.7);
      expect(challenger.auc).toBeGreaterThan(0.7);
      expect(candidate.gini).toBeCloseTo(2 * candidate.auc - 1, 5);
      expect(candidate.auc).toBeGreaterThan(challenger.auc);
      expect(candidate.brier).toBeLessThan(challenger.brier);
      expect(candidate.log_loss).toBeLessThan(challenger.log_loss);
    };
    check(scenario.proposals.candidate);
    check(scenario.proposals.retrain);
    check(scenario.proposals.newFeature);
    // A new informative input is a bigger step than a retrain.
    const gain = (p: Proposal): number => p.metrics.candidate.auc - p.metrics.challenger.auc;
    expect(gain(scenario.proposals.newFeature)).toBeGreaterThan(gain(scenario.proposals.candidate));
  });

  it('explains the candidate exactly on the first evaluation rows, and charts it', () => {
    const proposal = scenario.proposals.candidate;
    const explanation = JSON.parse(proposal.shapJson) as ShapExplanation;
    expect(Object.keys(explanation)).toEqual(['feature_names', 'values', 'base_values', 'data']);
    expect(explanation.values).toHaveLength(SHAP_SAMPLE_ROWS);
    const logits = predictLogit(
      proposal.candidate.model,
      proposal.evaluation.dataset.rows.slice(0, SHAP_SAMPLE_ROWS),
    );
    explanation.values.forEach((row, i) => {
      const total = (explanation.base_values[i] ?? Number.NaN) + row.reduce((a, b) => a + b, 0);
      expect(Math.abs(total - (logits[i] ?? Number.NaN))).toBeLessThan(1e-9);
    });
    expect(proposal.chartSvg.startsWith('<svg')).toBe(true);
    expect(proposal.chartSvg).toContain('credit-scorecard 3.1.0');
    for (const name of explanation.feature_names) expect(proposal.chartSvg).toContain(`>${name}<`);
  });

  it('writes a request with the four sections, quoting the numbers', () => {
    for (const proposal of Object.values(scenario.proposals)) {
      const text = proposal.requestMarkdown;
      const sections = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
      expect(sections).toEqual(['Justification', 'Scope', 'Intended deployment', 'Known limitations']);
      const { candidate, challenger } = proposal.metrics;
      expect(text).toContain(`AUC ${candidate.auc.toFixed(3)}`);
      expect(text).toContain(challenger.auc.toFixed(3));
      expect(text).toContain(`| KS | ${candidate.ks.toFixed(4)} | ${challenger.ks.toFixed(4)} |`);
      expect(text).toContain(`${proposal.candidate.version} to replace ${proposal.challenger.version}`);
      expect(text).not.toMatch(/NaN|undefined|Infinity/);
    }
    expect(scenario.proposals.candidate.requestMarkdown).toContain('- Inputs: unchanged');
    expect(scenario.proposals.candidate.requestMarkdown).toContain('solver gradient-descent → newton');
    expect(scenario.proposals.newFeature.requestMarkdown).toContain('- Inputs: adds `bureau_score`');
    expect(scenario.proposals.retrain.requestMarkdown).toContain('- Hyperparameters: unchanged.');
  });
});
