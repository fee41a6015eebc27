// Binary-classification metrics for scorecards: AUC (the Mann-Whitney U statistic, ties counted half),
// Gini (2·AUC − 1), the Kolmogorov-Smirnov statistic, Brier score, log loss and the default rate.
// Scores are "higher means more likely positive"; labels are 0 or 1.
import { InputError } from '../errors.js';

export type Label = 0 | 1;

/** The evaluation metrics written into a comparison, with the names the metrics file uses. */
export interface ScoreMetrics {
  readonly auc: number;
  readonly gini: number;
  readonly ks: number;
  readonly brier: number;
  readonly log_loss: number;
}

/** Probabilities are clipped to [ε, 1 − ε] in the log loss, as scikit-learn does, so a confident miss is finite. */
export const LOG_LOSS_EPSILON = 1e-15;

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative,
 * ties counting one half (Mann-Whitney U / (n₁·n₀), with average ranks for tied scores).
 * Throws InputError INVALID_ARGUMENT unless both classes are present.
 *
 * @example
 * auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // 0.75
 */
export function auc(scores: readonly number[], labels: readonly Label[]): number {
  const { positives, negatives } = checkScores(scores, labels, true);
  const order = sortedIndices(scores);
  // Sum the (1-based, tie-averaged) ranks of the positives.
  let rankSum = 0;
  let start = 0;
  while (start < order.length) {
    let end = start;
    const score = scores[order[start] as number] as number;
    while (end + 1 < order.length && scores[order[end + 1] as number] === score) end += 1;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k += 1) if (labels[order[k] as number] === 1) rankSum += averageRank;
    start = end + 1;
  }
  const u = rankSum - (positives * (positives + 1)) / 2;
  return u / (positives * negatives);
}

/** Gini coefficient (accuracy ratio) = 2·AUC − 1. */
export function gini(scores: readonly number[], labels: readonly Label[]): number {
  return 2 * auc(scores, labels) - 1;
}

/**
 * Kolmogorov-Smirnov statistic: the largest |TPR − FPR| over all thresholds, where a threshold never
 * splits tied scores.
 *
 * @example
 * ks([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // 0.5
 */
export function ks(scores: readonly number[], labels: readonly Label[]): number {
  const { positives, negatives } = checkScores(scores, labels, true);
  const order = sortedIndices(scores);
  let best = 0;
  let truePositives = 0;
  let falsePositives = 0;
  // Walk from the highest score down, one tie group at a time.
  let end = order.length - 1;
  while (end >= 0) {
    const score = scores[order[end] as number] as number;
    while (end >= 0 && scores[order[end] as number] === score) {
      if (labels[order[end] as number] === 1) truePositives += 1;
      else falsePositives += 1;
      end -= 1;
    }
    best = Math.max(best, Math.abs(truePositives / positives - falsePositives / negatives));
  }
  return best;
}

/**
 * Brier score: the mean squared difference between probability and outcome.
 *
 * @example
 * brier([1, 0.5], [1, 0]); // 0.125
 */
export function brier(probabilities: readonly number[], labels: readonly Label[]): number {
  checkScores(probabilities, labels, false);
  checkProbabilities(probabilities);
  let sum = 0;
  probabilities.forEach((p, i) => (sum += (p - (labels[i] as number)) ** 2));
  return sum / probabilities.length;
}

/**
 * Mean negative log-likelihood (natural log), probabilities clipped by LOG_LOSS_EPSILON.
 *
 * @example
 * logLoss([0.5, 0.5], [1, 0]); // Math.LN2
 */
export function logLoss(probabilities: readonly number[], labels: readonly Label[]): number {
  checkScores(probabilities, labels, false);
  checkProbabilities(probabilities);
  let sum = 0;
  probabilities.forEach((p, i) => {
    const clipped = Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p));
    sum -= labels[i] === 1 ? Math.log(clipped) : Math.log(1 - clipped);
  });
  return sum / probabilities.length;
}

/** The share of positive labels. Throws InputError INVALID_ARGUMENT on an empty list or a label not 0/1. */
export function defaultRate(labels: readonly Label[]): number {
  checkScores(labels, labels, false);
  let positives = 0;
  for (const label of labels) positives += label;
  return positives / labels.length;
}

/**
 * All five comparison metrics of predicted probabilities against outcomes.
 *
 * @example
 * scoreMetrics(predict(model, rows), rows.map((r) => r.default_12m));
 */
export function scoreMetrics(probabilities: readonly number[], labels: readonly Label[]): ScoreMetrics {
  const area = auc(probabilities, labels);
  return {
    auc: area,
    gini: 2 * area - 1,
    ks: ks(probabilities, labels),
    brier: brier(probabilities, labels),
    log_loss: logLoss(probabilities, labels),
  };
}

// Indices sorted by ascending score; equal scores keep index order (Array.prototype.sort is stable).
function sortedIndices(scores: readonly number[]): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
}

function checkScores(
  scores: readonly number[],
  labels: readonly number[],
  needBothClasses: boolean,
): { positives: number; negatives: number } {
  if (scores.length !== labels.length) {
    throw new InputError('INVALID_ARGUMENT', `${scores.length} scores but ${labels.length} labels`);
  }
  if (scores.length === 0) throw new InputError('INVALID_ARGUMENT', 'no scores to evaluate');
  let positives = 0;
  for (let i = 0; i < scores.length; i += 1) {
    const label = labels[i];
    if (label !== 0 && label !== 1) {
      throw new InputError('INVALID_ARGUMENT', `label ${i} is ${String(label)}, not 0 or 1`, {
        details: { index: i },
      });
    }
    if (!Number.isFinite(scores[i])) {
      throw new InputError('INVALID_ARGUMENT', `score ${i} is not a finite number`, {
        details: { index: i },
      });
    }
    positives += label;
  }
  const negatives = scores.length - positives;
  if (needBothClasses && (positives === 0 || negatives === 0)) {
    throw new InputError('INVALID_ARGUMENT', 'AUC and KS need at least one positive and one negative label');
  }
  return { positives, negatives };
}

function checkProbabilities(probabilities: readonly number[]): void {
  probabilities.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) {
      throw new InputError('INVALID_ARGUMENT', `probability ${i} is ${p}, outside [0, 1]`, {
        details: { index: i },
      });
    }
  });
}
