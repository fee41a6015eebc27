// The credit-risk story the demo seals: an incumbent scorecard, a retrained candidate, a second retrain
// on a later vintage and a variant with a new input, each as the bytes a promotion registers (model JSON,
// model card, hyperparameters, input contract), plus the held-out evaluation CSVs, the metrics
// comparisons, the SHAP explanation, its chart and the request an approver reads. Pure: everything follows
// from the seed.
import {
  CREDIT_TARGET,
  creditDefaultRate,
  creditFeatures,
  generateCreditData,
  splitTrainEval,
  toCsv,
  type CreditDataset,
} from './credit-data.js';
import { renderShapChart } from './chart.js';
import {
  modelCard,
  predict,
  serializeHyperparameters,
  serializeInputContract,
  serializeModel,
  trainLogistic,
  type InputField,
  type LogisticHyperparameters,
  type LogisticModel,
} from './logistic.js';
import { scoreMetrics, type ScoreMetrics } from './metrics.js';
import { deriveSeed } from './random.js';
import { explainLinear, meanAbsoluteShap, serializeExplanation } from './shap.js';

export const MODEL_NAME = 'credit-scorecard';

/** What `metrics.dataset` holds until the caller puts the evaluation CSV's digest there. */
export const EVALUATION_DATASET_PLACEHOLDER = '<evaluation dataset digest>';

/** Evaluation rows explained with SHAP (the first ones of the held-out set). */
export const SHAP_SAMPLE_ROWS = 200;

/** The incumbent's recipe: a few passes of gradient descent with a heavier penalty. */
export const INCUMBENT_HYPERPARAMETERS: LogisticHyperparameters = {
  solver: 'gradient-descent',
  l2: 10,
  maxIterations: 60,
  tolerance: 1e-6,
  learningRate: 0.5,
};

/** The retrains' recipe: Newton's method to convergence with a light penalty. */
export const RETRAIN_HYPERPARAMETERS: LogisticHyperparameters = {
  solver: 'newton',
  l2: 1,
  maxIterations: 50,
  tolerance: 1e-9,
};

/** A model as the files a registration hashes, and the model itself for further scoring. */
export interface ModelBundle {
  readonly name: string;
  readonly version: string;
  readonly class: string;
  readonly family: string;
  readonly model: LogisticModel;
  readonly modelJson: string;
  readonly modelCard: string;
  readonly hyperparametersJson: string;
  readonly inputContractJson: string;
  /** Where the training rows came from, for people. */
  readonly trainingLabel: string;
}

/** A held-out evaluation set: the CSV that is registered as the dataset, and the rows behind it. */
export interface EvaluationSet {
  readonly label: string;
  readonly csv: string;
  readonly rows: number;
  readonly defaultRate: number;
  readonly dataset: CreditDataset;
}

/** The metrics file of a comparison; `dataset` is EVALUATION_DATASET_PLACEHOLDER until the caller sets it. */
export interface MetricsComparison {
  readonly dataset: string;
  readonly candidate: ScoreMetrics;
  readonly challenger: ScoreMetrics;
}

/** Everything one promotion proposal needs, computed on one evaluation set. */
export interface Proposal {
  readonly candidate: ModelBundle;
  readonly challenger: ModelBundle;
  readonly evaluation: EvaluationSet;
  readonly metrics: MetricsComparison;
  /** shap.Explanation JSON for the candidate over the first SHAP_SAMPLE_ROWS evaluation rows. */
  readonly shapJson: string;
  /** Mean |SHAP| bar chart of the candidate (SVG). */
  readonly chartSvg: string;
  /** The request Markdown, with Justification, Scope, Intended deployment and Known limitations. */
  readonly requestMarkdown: string;
}

export interface CreditScenario {
  readonly seed: number;
  readonly models: {
    /** In production: trained on the reference vintage. */
    readonly incumbent: ModelBundle;
    /** The first retrain: the recent vintage, same inputs. */
    readonly candidate: ModelBundle;
    /** The second retrain: the latest vintage, same inputs. */
    readonly retrain: ModelBundle;
    /** The candidate's training rows with one more input, `bureau_score`. */
    readonly newFeature: ModelBundle;
  };
  readonly evaluations: {
    /** Held out from the recent vintage: the shared evaluation set of `candidate` and `newFeature`. */
    readonly recent: EvaluationSet;
    /** Held out from the latest vintage: the evaluation set of `retrain`. */
    readonly latest: EvaluationSet;
  };
  readonly proposals: {
    /** candidate over incumbent, on the recent evaluation set. */
    readonly candidate: Proposal;
    /** retrain over candidate, on the latest evaluation set. */
    readonly retrain: Proposal;
    /** newFeature over candidate, on the recent evaluation set. */
    readonly newFeature: Proposal;
  };
}

export interface CreditScenarioOptions {
  readonly seed: number;
  /** Rows per fresh vintage (default 20000; a quarter is held out). The reference vintage has 60%. */
  readonly rows?: number;
}

const EVALUATION_FRACTION = 0.25;

/**
 * Builds the whole credit-risk story from a seed: same seed, same bytes.
 *
 * @example
 * const scenario = buildCreditScenario({ seed: 20240611 });
 * const { candidate, challenger, metrics, requestMarkdown } = scenario.proposals.candidate;
 */
export function buildCreditScenario(options: CreditScenarioOptions): CreditScenario {
  const { seed, rows = 20_000 } = options;
  const reference = generateCreditData({
    seed: deriveSeed(seed, 'vintage/reference'),
    rows: Math.max(10, Math.round(rows * 0.6)),
  });
  const recentSplit = splitTrainEval(
    generateCreditData({
      seed: deriveSeed(seed, 'vintage/recent'),
      rows,
      shift: 0.25,
      drift: 1,
      extraFeature: true,
    }),
    EVALUATION_FRACTION,
    deriveSeed(seed, 'split/recent'),
  );
  const latestSplit = splitTrainEval(
    generateCreditData({
      seed: deriveSeed(seed, 'vintage/latest'),
      rows,
      shift: 0.4,
      drift: 2.5,
      extraFeature: true,
    }),
    EVALUATION_FRACTION,
    deriveSeed(seed, 'split/latest'),
  );

  const baseInputs = creditFeatures(reference);
  const extendedInputs = creditFeatures(recentSplit.train);
  const incumbent = bundle(reference, baseInputs, '3.0.0', INCUMBENT_HYPERPARAMETERS, 'reference vintage');
  const candidate = bundle(
    recentSplit.train,
    baseInputs,
    '3.1.0',
    RETRAIN_HYPERPARAMETERS,
    'recent vintage, training part',
  );
  const retrain = bundle(
    latestSplit.train,
    baseInputs,
    '3.2.0',
    RETRAIN_HYPERPARAMETERS,
    'latest vintage, training part',
  );
  const newFeature = bundle(
    recentSplit.train,
    extendedInputs,
    '4.0.0',
    RETRAIN_HYPERPARAMETERS,
    'recent vintage, training part',
  );

  const recent = evaluationSet(recentSplit.evaluation, 'credit applications, recent vintage, held-out 25%');
  const latest = evaluationSet(latestSplit.evaluation, 'credit applications, latest vintage, held-out 25%');
  return {
    seed,
    models: { incumbent, candidate, retrain, newFeature },
    evaluations: { recent, latest },
    proposals: {
      candidate: buildProposal(candidate, incumbent, recent, seed),
      retrain: buildProposal(retrain, candidate, latest, seed),
      newFeature: buildProposal(newFeature, candidate, recent, seed),
    },
  };
}

/**
 * Compares `candidate` with `challenger` on `evaluation`: metrics for both, SHAP values and chart for the
 * candidate, and the request Markdown. Both models must be able to score the evaluation rows.
 */
export function buildProposal(
  candidate: ModelBundle,
  challenger: ModelBundle,
  evaluation: EvaluationSet,
  seed: number,
): Proposal {
  const rows = evaluation.dataset.rows;
  const labels = rows.map((row) => row.default_12m);
  const metrics: MetricsComparison = {
    dataset: EVALUATION_DATASET_PLACEHOLDER,
    candidate: roundMetrics(scoreMetrics(predict(candidate.model, rows), labels)),
    challenger: roundMetrics(scoreMetrics(predict(challenger.model, rows), labels)),
  };
  const explanation = explainLinear(candidate.model, rows.slice(0, SHAP_SAMPLE_ROWS));
  const drivers = meanAbsoluteShap(explanation).sort((a, b) => b.value - a.value);
  return {
    candidate,
    challenger,
    evaluation,
    metrics,
    shapJson: serializeExplanation(explanation),
    chartSvg: renderShapChart(explanation, {
      title: `${candidate.name} ${candidate.version}: mean |SHAP value| per feature`,
    }),
    requestMarkdown: renderRequest({ candidate, challenger, evaluation, metrics, drivers, seed }),
  };
}

function bundle(
  data: CreditDataset,
  inputs: readonly InputField[],
  version: string,
  hyperparameters: LogisticHyperparameters,
  trainingLabel: string,
): ModelBundle {
  const model = trainLogistic(data.rows, {
    name: MODEL_NAME,
    version,
    target: CREDIT_TARGET,
    inputs,
    hyperparameters,
  });
  return {
    name: model.name,
    version: model.version,
    class: model.class,
    family: model.family,
    model,
    modelJson: serializeModel(model),
    modelCard: modelCard(model),
    hyperparametersJson: serializeHyperparameters(model),
    inputContractJson: serializeInputContract(model),
    trainingLabel,
  };
}

function evaluationSet(dataset: CreditDataset, label: string): EvaluationSet {
  return {
    label,
    csv: toCsv(dataset),
    rows: dataset.rows.length,
    defaultRate: creditDefaultRate(dataset),
    dataset,
  };
}

// Six decimals is finer than any difference that matters for these metrics, and the JSON stays readable.
function roundMetrics(metrics: ScoreMetrics): ScoreMetrics {
  const round = (x: number): number => Math.round(x * 1e6) / 1e6;
  return {
    auc: round(metrics.auc),
    gini: round(metrics.gini),
    ks: round(metrics.ks),
    brier: round(metrics.brier),
    log_loss: round(metrics.log_loss),
  };
}

interface RequestFacts {
  readonly candidate: ModelBundle;
  readonly challenger: ModelBundle;
  readonly evaluation: EvaluationSet;
  readonly metrics: MetricsComparison;
  readonly drivers: readonly { readonly feature: string; readonly value: number }[];
  readonly seed: number;
}

const METRIC_ROWS: readonly {
  readonly key: keyof ScoreMetrics;
  readonly label: string;
  readonly higherIsBetter: boolean;
}[] = [
  { key: 'auc', label: 'AUC', higherIsBetter: true },
  { key: 'gini', label: 'Gini', higherIsBetter: true },
  { key: 'ks', label: 'KS', higherIsBetter: true },
  { key: 'brier', label: 'Brier score', higherIsBetter: false },
  { key: 'log_loss', label: 'Log loss', higherIsBetter: false },
];

function renderRequest(facts: RequestFacts): string {
  const { candidate, challenger, evaluation, metrics, drivers, seed } = facts;
  const c = metrics.candidate;
  const h = metrics.challenger;
  const training = candidate.model.training;
  const added = difference(candidate.model.inputContract, challenger.model.inputContract);
  const removed = difference(challenger.model.inputContract, candidate.model.inputContract);
  const sameInputs = added.length === 0 && removed.length === 0;
  const better = METRIC_ROWS.filter((m) => (m.higherIsBetter ? c[m.key] > h[m.key] : c[m.key] < h[m.key]));
  const worse = METRIC_ROWS.filter((m) => (m.higherIsBetter ? c[m.key] < h[m.key] : c[m.key] > h[m.key]));
  const hpChanges = hyperparameterChanges(challenger.model.hyperparameters, candidate.model.hyperparameters);
  const trainingRate = training.positives / training.rows;
  const challengerRate = challenger.model.training.positives / challenger.model.training.rows;

  const what = sameInputs
    ? `a retrain of the same scorecard, with the same ${candidate.model.inputContract.length} inputs, on newer data`
    : `the scorecard with ${describeList(added.map(code))} added as ${added.length === 1 ? 'an input' : 'inputs'}` +
      (removed.length > 0 ? ` and ${describeList(removed.map(code))} removed` : '');
  const verdict =
    worse.length === 0
      ? 'It is better on every metric below.'
      : `It is better on ${describeList(better.map((m) => m.label))} and worse on ${describeList(worse.map((m) => m.label))}.`;

  const lines = [
    `# Promotion request: ${candidate.name} ${candidate.version} to replace ${challenger.version}`,
    '',
    '## Justification',
    '',
    `${candidate.name} ${candidate.version} is ${what} (${candidate.trainingLabel}: ${formatCount(training.rows)} applications, ` +
      `default rate ${formatPercent(trainingRate)}). On the held-out evaluation set (${evaluation.label}: ` +
      `${formatCount(evaluation.rows)} applications, default rate ${formatPercent(evaluation.defaultRate)}) it reaches ` +
      `AUC ${c.auc.toFixed(3)} (Gini ${c.gini.toFixed(3)}, KS ${c.ks.toFixed(3)}) against ` +
      `${h.auc.toFixed(3)} (Gini ${h.gini.toFixed(3)}, KS ${h.ks.toFixed(3)}) for ${challenger.version}. ${verdict}`,
    '',
    `| Metric | ${candidate.version} (candidate) | ${challenger.version} (challenger) | Change |`,
    '| --- | ---: | ---: | ---: |',
    ...METRIC_ROWS.map(
      (m) =>
        `| ${m.label}${m.higherIsBetter ? '' : ' (lower is better)'} | ${c[m.key].toFixed(4)} | ${h[m.key].toFixed(4)} | ${signed(c[m.key] - h[m.key])} |`,
    ),
    '',
    'Both models were scored on the same rows; the metrics file and the evaluation CSV are attached, and the',
    'SHAP values and chart explain the candidate.',
    '',
    '## Scope',
    '',
    `- Model class \`${candidate.class}\`, hyperparameter family \`${candidate.family}\`: ` +
      (candidate.class === challenger.class && candidate.family === challenger.family
        ? 'unchanged.'
        : 'changed.'),
    sameInputs
      ? `- Inputs: unchanged (${candidate.model.inputContract.length} inputs; the input contract is the same).`
      : `- Inputs: ${added.length > 0 ? `adds ${describeList(added.map(code))}` : ''}` +
        `${added.length > 0 && removed.length > 0 ? '; ' : ''}${removed.length > 0 ? `removes ${describeList(removed.map(code))}` : ''}` +
        ` (${candidate.model.inputContract.length} inputs; the input contract changes and upstream must supply ${added.length === 1 ? 'it' : 'them'}).`,
    hpChanges.length === 0 ? '- Hyperparameters: unchanged.' : `- Hyperparameters: ${hpChanges.join('; ')}.`,
    `- Training: ${training.iterations} ${training.iterations === 1 ? 'iteration' : 'iterations'}, ` +
      `${training.converged ? 'converged' : 'stopped at the iteration limit'}; training log loss ${training.logLoss.toFixed(4)}.`,
    '- Out of scope: decision cut-offs, pricing and the application flow are not changed by this request.',
    '',
    '## Intended deployment',
    '',
    `${candidate.name} ${candidate.version} replaces ${challenger.version} as the 12-month probability-of-default score for`,
    'unsecured consumer loan applications: every application is scored once at decision time, and the score',
    'ranks applications for the existing cut-offs and feeds the expected-loss input to pricing. It rolls out',
    'behind the deployment gate; the challenger stays deployable for rollback.',
    '',
    '## Known limitations',
    '',
    `- Synthetic data: trained and evaluated on applications generated in process (scenario seed ${seed}); the numbers`,
    '  show the workflow, not a real portfolio.',
    '- Linear and additive in the log-odds: no interactions, no binning of skewed amounts such as income and',
    '  loan amount.',
    `- Population shift: default rates move between vintages (${formatPercent(challengerRate)} in the challenger's ` +
      `training data, ${formatPercent(trainingRate)} in the candidate's, ${formatPercent(evaluation.defaultRate)} in the ` +
      'evaluation set); watch population stability after deployment.',
    '- Explanations are exact SHAP values of the logit under feature independence, with the training means as',
    '  background; correlated inputs (utilisation and delinquencies, income and loan amount) share credit in ways',
    `  the attribution does not show. Largest mean |SHAP| (log-odds): ${drivers
      .slice(0, 3)
      .map((d) => `${code(d.feature)} ${d.value.toFixed(3)}`)
      .join(', ')}.`,
    ...(added.length > 0
      ? [
          `- ${describeList(added.map(code))} must be available at decision time; an application without ${added.length === 1 ? 'it' : 'them'} cannot be scored.`,
        ]
      : []),
    '',
  ];
  return lines.join('\n');
}

function difference(a: readonly InputField[], b: readonly InputField[]): string[] {
  const names = new Set(b.map((field) => field.name));
  return a.filter((field) => !names.has(field.name)).map((field) => field.name);
}

function hyperparameterChanges(before: LogisticHyperparameters, after: LogisticHyperparameters): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const show = (value: unknown): string => (value === undefined ? '(none)' : String(value));
  return keys.flatMap((key) => {
    const from = (before as unknown as Record<string, unknown>)[key];
    const to = (after as unknown as Record<string, unknown>)[key];
    return from === to ? [] : [`${key} ${show(from)} → ${show(to)}`];
  });
}

function describeList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

function code(text: string): string {
  return `\`${text}\``;
}

function signed(x: number): string {
  const text = x.toFixed(4);
  return x > 0 && text !== '0.0000' ? `+${text}` : text === '-0.0000' ? '0.0000' : text;
}

function formatPercent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

// Thousands separated by a comma, by hand: toLocaleString would depend on the runtime's locale.
function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
