// Exact SHAP values of a logistic-regression model in log-odds space. For a model that is linear in its
// encoded columns, with features assumed independent and the training means as the background
// (Lundberg and Lee 2017; what shap's LinearExplainer computes with feature_perturbation="interventional"),
// the Shapley value of column j for row i is φ_ij = β_j · (x_ij − E[x_j]), and base + Σφ is the row's logit.
// The one-hot columns of a category are summed back into that category, which keeps the sum exact.
import { InputError } from '../errors.js';
import { predictLogit, type FeatureRow, type FeatureValue, type LogisticModel } from './logistic.js';

/** The JSON shape of a `shap.Explanation` (values, base_values, data, feature_names). */
export interface ShapExplanation {
  readonly feature_names: readonly string[];
  /** One row per explained record, one value per feature, in log-odds. */
  readonly values: readonly (readonly number[])[];
  /** The logit at the background (training means); the same for every row. */
  readonly base_values: readonly number[];
  /** The raw input values, as the model received them. */
  readonly data: readonly (readonly FeatureValue[])[];
}

/**
 * The model's logit at the background point: the intercept plus each coefficient times the training
 * mean of its encoded column (0 for a standardised number, the level's frequency for a one-hot column).
 */
export function shapBaseValue(model: LogisticModel): number {
  let base = model.intercept;
  for (const feature of model.features) {
    if (feature.kind === 'categorical')
      for (const level of feature.levels) base += level.coefficient * level.frequency;
  }
  return base;
}

/**
 * Exact SHAP values for `rows`, one value per input feature.
 * Throws InputError INVALID_ARGUMENT on a row the model cannot score.
 *
 * @example
 * const explanation = explainLinear(model, evaluationRows.slice(0, 200));
 * explanation.base_values[0]! + explanation.values[0]!.reduce((a, b) => a + b, 0); // = the row's logit
 */
export function explainLinear(model: LogisticModel, rows: readonly FeatureRow[]): ShapExplanation {
  // Scoring first validates every row with the model's own checks.
  predictLogit(model, rows);
  const base = shapBaseValue(model);
  const values = rows.map((row) =>
    model.features.map((feature) => {
      const value = row[feature.name];
      if (feature.kind === 'numeric') {
        // The background of a standardised column is 0: φ = β · z.
        return (feature.coefficient * ((value as number) - feature.mean)) / feature.std;
      }
      let phi = 0;
      for (const level of feature.levels)
        phi += level.coefficient * ((value === level.value ? 1 : 0) - level.frequency);
      return phi;
    }),
  );
  return {
    feature_names: model.features.map((feature) => feature.name),
    values,
    base_values: rows.map(() => base),
    data: rows.map((row) => model.features.map((feature) => row[feature.name] as FeatureValue)),
  };
}

/** The mean |φ| per feature, in feature order: the usual global importance. */
export function meanAbsoluteShap(
  explanation: ShapExplanation,
): { readonly feature: string; readonly value: number }[] {
  const n = explanation.values.length;
  if (n === 0) throw new InputError('INVALID_ARGUMENT', 'an explanation with no rows has no mean |SHAP|');
  return explanation.feature_names.map((feature, j) => {
    let sum = 0;
    for (const row of explanation.values) sum += Math.abs(row[j] ?? 0);
    return { feature, value: sum / n };
  });
}

/** The explanation as JSON text: keys in the shap order, numbers in their shortest round-trip form. */
export function serializeExplanation(explanation: ShapExplanation): string {
  return JSON.stringify({
    feature_names: explanation.feature_names,
    values: explanation.values,
    base_values: explanation.base_values,
    data: explanation.data,
  });
}
