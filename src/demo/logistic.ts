// A logistic-regression scorecard: feature encoding (standardised numbers, one-hot categories with one
// reference level dropped), L2-penalised maximum likelihood by Newton's method (IRLS) or by full-batch
// gradient descent, probabilities, and a canonical serialisation that is the model.
//
// The trained model is rounded to 10 significant digits before it is returned, so the in-memory model and
// the parsed serialisation predict the same numbers, bit for bit.
import { InputError } from '../errors.js';
import { canonicalize, parseJson } from '../signing/canonical-json.js';

export const LOGISTIC_FORMAT = 'signet-demo/logistic-regression/v1';
export const LOGISTIC_CLASS = 'logistic-regression';
export const LOGISTIC_FAMILY = 'glm-l2';

/** Significant digits kept for every fitted number (means, standard deviations, coefficients). */
export const MODEL_SIGNIFICANT_DIGITS = 10;

export type FeatureValue = number | string;
/** A record with (at least) the model's input fields; other keys are ignored. */
export type FeatureRow = Readonly<Record<string, FeatureValue | undefined>>;

export interface InputField {
  readonly name: string;
  readonly type: 'number' | 'string';
}

export interface LogisticHyperparameters {
  readonly solver: 'newton' | 'gradient-descent';
  /** λ in the objective Σ log loss + (λ/2)·‖β‖², intercept not penalised. */
  readonly l2: number;
  readonly maxIterations: number;
  /** Newton: stop when the largest step is below this. Gradient descent: when the largest gradient is. */
  readonly tolerance: number;
  /** Gradient descent only: the step size on the mean objective. */
  readonly learningRate?: number;
}

/** A number standardised with training statistics: z = (x − mean) / std. */
export interface NumericFeature {
  readonly kind: 'numeric';
  readonly name: string;
  readonly mean: number;
  readonly std: number;
  readonly coefficient: number;
}

/** One indicator column for a non-reference level; `frequency` is its training mean (the SHAP background). */
export interface CategoryLevel {
  readonly value: string;
  readonly frequency: number;
  readonly coefficient: number;
}

export interface CategoricalFeature {
  readonly kind: 'categorical';
  readonly name: string;
  /** The dropped level (all indicators 0): the most frequent level in training, ties by code-unit order. */
  readonly reference: string;
  readonly levels: readonly CategoryLevel[];
}

export type ModelFeature = NumericFeature | CategoricalFeature;

export interface TrainingSummary {
  readonly rows: number;
  readonly positives: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** Mean log loss of the returned model on its training rows. */
  readonly logLoss: number;
}

export interface LogisticModel {
  readonly format: typeof LOGISTIC_FORMAT;
  readonly class: typeof LOGISTIC_CLASS;
  readonly family: typeof LOGISTIC_FAMILY;
  readonly name: string;
  readonly version: string;
  readonly target: string;
  readonly hyperparameters: LogisticHyperparameters;
  readonly inputContract: readonly InputField[];
  readonly intercept: number;
  /** One entry per input field, in input-contract order. */
  readonly features: readonly ModelFeature[];
  readonly training: TrainingSummary;
}

export interface TrainOptions {
  readonly name: string;
  readonly version: string;
  readonly target: string;
  readonly inputs: readonly InputField[];
  readonly hyperparameters: LogisticHyperparameters;
}

/**
 * Fits a logistic regression of `target` (0/1) on `inputs`. Deterministic: the same rows and options
 * give the same model. Throws InputError INVALID_ARGUMENT on missing or ill-typed values, a target that is
 * not 0/1 or has one class only, or hyperparameters out of range.
 *
 * @example
 * const model = trainLogistic(rows, {
 *   name: 'scorecard', version: '1.0.0', target: 'default_12m',
 *   inputs: [{ name: 'age', type: 'number' }],
 *   hyperparameters: { solver: 'newton', l2: 1, maxIterations: 25, tolerance: 1e-10 },
 * });
 */
export function trainLogistic(rows: readonly FeatureRow[], options: TrainOptions): LogisticModel {
  const { inputs, target, hyperparameters } = options;
  checkHyperparameters(hyperparameters);
  checkInputs(inputs, target);
  const labels = readLabels(rows, target);

  const layout = fitEncoding(rows, inputs);
  const design = encodeRows(layout, rows);
  const p = layout.width + 1;
  const fit =
    hyperparameters.solver === 'newton'
      ? fitNewton(design, labels, p, hyperparameters)
      : fitGradientDescent(design, labels, p, hyperparameters);

  const round = (x: number): number => roundSignificant(x, MODEL_SIGNIFICANT_DIGITS);
  const beta = fit.beta;
  let column = 1;
  const features: ModelFeature[] = layout.features.map((feature) => {
    if (feature.kind === 'numeric') {
      return {
        ...feature,
        mean: round(feature.mean),
        std: round(feature.std),
        coefficient: round(beta[column++] ?? 0),
      };
    }
    return {
      kind: 'categorical',
      name: feature.name,
      reference: feature.reference,
      levels: feature.levels.map((level) => ({
        value: level.value,
        frequency: round(level.frequency),
        coefficient: round(beta[column++] ?? 0),
      })),
    };
  });
  const unscored: Omit<LogisticModel, 'training'> = {
    format: LOGISTIC_FORMAT,
    class: LOGISTIC_CLASS,
    family: LOGISTIC_FAMILY,
    name: options.name,
    version: options.version,
    target,
    hyperparameters: copyHyperparameters(hyperparameters),
    inputContract: inputs.map((input) => ({ name: input.name, type: input.type })),
    intercept: round(beta[0] ?? 0),
    features,
  };
  const probabilities = predict({ ...unscored, training: EMPTY_TRAINING }, rows);
  let positives = 0;
  for (const label of labels) positives += label;
  return {
    ...unscored,
    training: {
      rows: rows.length,
      positives,
      iterations: fit.iterations,
      converged: fit.converged,
      logLoss: round(meanLogLoss(probabilities, labels)),
    },
  };
}

/**
 * The model's log-odds for each row: intercept + Σ coefficient × encoded value.
 * Throws InputError INVALID_ARGUMENT on a missing or ill-typed value or an unknown category.
 */
export function predictLogit(model: LogisticModel, rows: readonly FeatureRow[]): number[] {
  return rows.map((row, index) => {
    let logit = model.intercept;
    for (const feature of model.features) {
      const value = row[feature.name];
      if (feature.kind === 'numeric') {
        logit +=
          feature.coefficient * ((readNumber(value, feature.name, index) - feature.mean) / feature.std);
      } else {
        const text = readString(value, feature.name, index);
        if (text === feature.reference) continue;
        const level = feature.levels.find((l) => l.value === text);
        if (level === undefined) throw unknownLevel(feature, text, index);
        logit += level.coefficient;
      }
    }
    return logit;
  });
}

/**
 * Probabilities of the positive class, one per row.
 *
 * @example
 * predict(model, [{ age: 30 }]); // [0.1234...]
 */
export function predict(model: LogisticModel, rows: readonly FeatureRow[]): number[] {
  return predictLogit(model, rows).map(sigmoid);
}

/** The logistic function, computed without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * The model as canonical JSON (RFC 8785): sorted keys, shortest round-trip numbers. The same model gives
 * the same bytes; `parseModel` reads it back to an identical model.
 */
export function serializeModel(model: LogisticModel): string {
  return new TextDecoder().decode(canonicalize(model));
}

/**
 * Reads a serialised model. The text is untrusted: it is parsed as I-JSON and every field is checked.
 * Throws InputError INVALID_JSON (or INVALID_UTF8) on anything that is not a well-formed model.
 */
export function parseModel(text: string | Uint8Array): LogisticModel {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const value = parseJson(bytes, 'model');
  const problem = describeModelProblem(value);
  if (problem !== undefined) throw new InputError('INVALID_JSON', `model: ${problem}`);
  return value as LogisticModel;
}

/** The hyperparameters as canonical JSON. */
export function serializeHyperparameters(model: LogisticModel): string {
  return new TextDecoder().decode(canonicalize(model.hyperparameters));
}

/** The input contract, a list of `{ name, type }`, as canonical JSON. */
export function serializeInputContract(model: LogisticModel): string {
  return new TextDecoder().decode(canonicalize(model.inputContract));
}

/** The names of the encoded (design-matrix) columns after the intercept: `age`, `purpose=medical`, ... */
export function encodedColumnNames(model: LogisticModel): string[] {
  return model.features.flatMap((feature) =>
    feature.kind === 'numeric'
      ? [feature.name]
      : feature.levels.map((level) => `${feature.name}=${level.value}`),
  );
}

/**
 * A Markdown model card: what the model is, how it was trained, and every coefficient.
 */
export function modelCard(model: LogisticModel): string {
  const hp = model.hyperparameters;
  const lines = [
    `# Model card: ${model.name} ${model.version}`,
    '',
    `- Class: \`${model.class}\` (hyperparameter family \`${model.family}\`)`,
    `- Target: \`${model.target}\` (probability of 1)`,
    `- Inputs: ${model.inputContract.length} (${model.inputContract.map((i) => `\`${i.name}\``).join(', ')})`,
    `- Training rows: ${model.training.rows} (positive rate ${formatPercent(model.training.positives / model.training.rows)})`,
    `- Solver: ${hp.solver}, ${model.training.iterations} iterations, ${model.training.converged ? 'converged' : 'stopped at the iteration limit'}`,
    `- Training log loss: ${model.training.logLoss.toFixed(4)}`,
    '',
    '## Hyperparameters',
    '',
    '| Name | Value |',
    '| --- | --- |',
    ...Object.entries(hp).map(([key, value]) => `| ${key} | ${String(value)} |`),
    '',
    '## Encoding and coefficients',
    '',
    'Numbers are standardised with the training mean and standard deviation; categories are one-hot with',
    'the most frequent level as the dropped reference. Coefficients are on the log-odds scale, per',
    'standard deviation for numbers.',
    '',
    '| Column | Encoding | Coefficient | Odds ratio |',
    '| --- | --- | ---: | ---: |',
    `| (intercept) | | ${model.intercept.toFixed(4)} | |`,
    ...model.features.flatMap((feature) =>
      feature.kind === 'numeric'
        ? [
            `| ${feature.name} | (x − ${formatPlain(feature.mean)}) / ${formatPlain(feature.std)} | ${feature.coefficient.toFixed(4)} | ${Math.exp(feature.coefficient).toFixed(3)} |`,
          ]
        : feature.levels.map(
            (level) =>
              `| ${feature.name} = ${level.value} | one-hot vs ${feature.reference} | ${level.coefficient.toFixed(4)} | ${Math.exp(level.coefficient).toFixed(3)} |`,
          ),
    ),
    '',
    '## Limitations',
    '',
    '- Linear and additive in the log-odds: no interactions, no binning of skewed amounts.',
    '- A category not seen in training is refused at scoring time, not mapped to the reference.',
    '',
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------

const EMPTY_TRAINING: TrainingSummary = {
  rows: 0,
  positives: 0,
  iterations: 0,
  converged: false,
  logLoss: 0,
};

interface EncodingLayout {
  readonly features: readonly (
    | {
        readonly kind: 'numeric';
        readonly name: string;
        readonly mean: number;
        readonly std: number;
        readonly coefficient: 0;
      }
    | {
        readonly kind: 'categorical';
        readonly name: string;
        readonly reference: string;
        readonly levels: readonly { readonly value: string; readonly frequency: number }[];
      }
  )[];
  /** Encoded columns, not counting the intercept. */
  readonly width: number;
}

function fitEncoding(rows: readonly FeatureRow[], inputs: readonly InputField[]): EncodingLayout {
  const n = rows.length;
  let width = 0;
  const features = inputs.map((input) => {
    if (input.type === 'number') {
      const values = Float64Array.from(rows, (row, i) => readNumber(row[input.name], input.name, i));
      let sum = 0;
      for (const value of values) sum += value;
      const mean = sum / n;
      // Two passes: the population standard deviation without the cancellation of E[x²] − E[x]².
      let squares = 0;
      for (const value of values) squares += (value - mean) ** 2;
      const std = Math.sqrt(squares / n);
      width += 1;
      // A constant column carries no information; std 1 keeps it finite (its coefficient goes to 0).
      return {
        kind: 'numeric' as const,
        name: input.name,
        mean,
        std: std > 0 ? std : 1,
        coefficient: 0 as const,
      };
    }
    const counts = new Map<string, number>();
    rows.forEach((row, i) => {
      const value = readString(row[input.name], input.name, i);
      counts.set(value, (counts.get(value) ?? 0) + 1);
    });
    const values = [...counts.keys()].sort(compareCodeUnits);
    let reference = values[0] as string;
    for (const value of values)
      if ((counts.get(value) ?? 0) > (counts.get(reference) ?? 0)) reference = value;
    const levels = values
      .filter((value) => value !== reference)
      .map((value) => ({ value, frequency: (counts.get(value) ?? 0) / n }));
    width += levels.length;
    return { kind: 'categorical' as const, name: input.name, reference, levels };
  });
  return { features, width };
}

// Row-major design matrix with a leading column of ones.
function encodeRows(layout: EncodingLayout, rows: readonly FeatureRow[]): Float64Array {
  const p = layout.width + 1;
  const design = new Float64Array(rows.length * p);
  rows.forEach((row, i) => {
    const offset = i * p;
    design[offset] = 1;
    let column = 1;
    for (const feature of layout.features) {
      if (feature.kind === 'numeric') {
        design[offset + column] = ((row[feature.name] as number) - feature.mean) / feature.std;
        column += 1;
      } else {
        const value = row[feature.name];
        for (const level of feature.levels) {
          design[offset + column] = value === level.value ? 1 : 0;
          column += 1;
        }
      }
    }
  });
  return design;
}

interface Fit {
  readonly beta: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
}

// Newton-Raphson on Σ log loss + (λ/2)·‖β₁..‖²: β ← β − H⁻¹g with g = Xᵀ(p − y) + λβ and
// H = XᵀWX + λI, W = diag(p(1 − p)); the intercept is not penalised.
function fitNewton(x: Float64Array, y: Uint8Array, p: number, hp: LogisticHyperparameters): Fit {
  const n = y.length;
  const beta = new Float64Array(p);
  beta[0] = initialIntercept(y);
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  // The one-hot columns are mostly 0: accumulate XᵀWX over each row's non-zero columns only.
  const nonZero = new Int32Array(p);
  for (let iteration = 1; iteration <= hp.maxIterations; iteration += 1) {
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i += 1) {
      const offset = i * p;
      let eta = 0;
      let count = 0;
      for (let j = 0; j < p; j += 1) {
        const xj = x[offset + j] as number;
        if (xj === 0) continue;
        eta += xj * (beta[j] as number);
        nonZero[count++] = j;
      }
      const prob = sigmoid(eta);
      const residual = prob - (y[i] as number);
      const weight = prob * (1 - prob);
      for (let a = 0; a < count; a += 1) {
        const j = nonZero[a] as number;
        const xj = x[offset + j] as number;
        gradient[j] = (gradient[j] as number) + residual * xj;
        const wx = weight * xj;
        const rowStart = j * p;
        // nonZero is ascending, so k = nonZero[b] <= j for b <= a: the lower triangle.
        for (let b = 0; b <= a; b += 1) {
          const k = nonZero[b] as number;
          hessian[rowStart + k] = (hessian[rowStart + k] as number) + wx * (x[offset + k] as number);
        }
      }
    }
    for (let j = 1; j < p; j += 1) {
      gradient[j] = (gradient[j] as number) + hp.l2 * (beta[j] as number);
      hessian[j * p + j] = (hessian[j * p + j] as number) + hp.l2;
    }
    for (let j = 0; j < p; j += 1)
      for (let k = 0; k < j; k += 1) hessian[k * p + j] = hessian[j * p + k] as number;
    const step = solveSymmetric(hessian, gradient, p);
    let largest = 0;
    for (let j = 0; j < p; j += 1) {
      beta[j] = (beta[j] as number) - (step[j] as number);
      largest = Math.max(largest, Math.abs(step[j] as number));
    }
    if (largest < hp.tolerance) return { beta, iterations: iteration, converged: true };
  }
  return { beta, iterations: hp.maxIterations, converged: false };
}

// Full-batch gradient descent on the mean objective (Σ log loss + (λ/2)·‖β₁..‖²) / n.
function fitGradientDescent(x: Float64Array, y: Uint8Array, p: number, hp: LogisticHyperparameters): Fit {
  const n = y.length;
  const rate = hp.learningRate ?? 0.5;
  const beta = new Float64Array(p);
  beta[0] = initialIntercept(y);
  const gradient = new Float64Array(p);
  for (let iteration = 1; iteration <= hp.maxIterations; iteration += 1) {
    gradient.fill(0);
    for (let i = 0; i < n; i += 1) {
      const offset = i * p;
      let eta = 0;
      for (let j = 0; j < p; j += 1) eta += (x[offset + j] as number) * (beta[j] as number);
      const residual = sigmoid(eta) - (y[i] as number);
      for (let j = 0; j < p; j += 1)
        gradient[j] = (gradient[j] as number) + residual * (x[offset + j] as number);
    }
    let largest = 0;
    for (let j = 0; j < p; j += 1) {
      const g = ((gradient[j] as number) + (j === 0 ? 0 : hp.l2 * (beta[j] as number))) / n;
      largest = Math.max(largest, Math.abs(g));
      beta[j] = (beta[j] as number) - rate * g;
    }
    if (largest < hp.tolerance) return { beta, iterations: iteration, converged: true };
  }
  return { beta, iterations: hp.maxIterations, converged: false };
}

// Starting from the log-odds of the base rate puts the intercept where it ends up for an uninformative
// model, which saves the first iterations of either solver.
function initialIntercept(y: Uint8Array): number {
  let positives = 0;
  for (const label of y) positives += label;
  const rate = positives / y.length;
  return Math.log(rate / (1 - rate));
}

// Gaussian elimination with partial pivoting on a copy: H is symmetric positive definite here (λ > 0
// or a full-rank design), and pivoting keeps a nearly singular one from blowing up silently.
function solveSymmetric(matrix: Float64Array, rhs: Float64Array, p: number): Float64Array {
  const a = Float64Array.from(matrix);
  const b = Float64Array.from(rhs);
  for (let col = 0; col < p; col += 1) {
    let pivot = col;
    for (let row = col + 1; row < p; row += 1) {
      if (Math.abs(a[row * p + col] as number) > Math.abs(a[pivot * p + col] as number)) pivot = row;
    }
    const pivotValue = a[pivot * p + col] as number;
    if (!(Math.abs(pivotValue) > 1e-300)) {
      throw new InputError(
        'INVALID_ARGUMENT',
        'the Hessian is singular: add L2 regularisation or drop a constant input',
      );
    }
    if (pivot !== col) {
      for (let k = 0; k < p; k += 1) {
        const t = a[col * p + k] as number;
        a[col * p + k] = a[pivot * p + k] as number;
        a[pivot * p + k] = t;
      }
      const t = b[col] as number;
      b[col] = b[pivot] as number;
      b[pivot] = t;
    }
    for (let row = col + 1; row < p; row += 1) {
      const factor = (a[row * p + col] as number) / pivotValue;
      if (factor === 0) continue;
      for (let k = col; k < p; k += 1)
        a[row * p + k] = (a[row * p + k] as number) - factor * (a[col * p + k] as number);
      b[row] = (b[row] as number) - factor * (b[col] as number);
    }
  }
  const solution = new Float64Array(p);
  for (let row = p - 1; row >= 0; row -= 1) {
    let sum = b[row] as number;
    for (let k = row + 1; k < p; k += 1) sum -= (a[row * p + k] as number) * (solution[k] as number);
    solution[row] = sum / (a[row * p + row] as number);
  }
  return solution;
}

function meanLogLoss(probabilities: readonly number[], labels: Uint8Array): number {
  let sum = 0;
  probabilities.forEach((prob, i) => {
    const clipped = Math.min(1 - 1e-15, Math.max(1e-15, prob));
    sum -= labels[i] === 1 ? Math.log(clipped) : Math.log(1 - clipped);
  });
  return sum / probabilities.length;
}

function readLabels(rows: readonly FeatureRow[], target: string): Uint8Array {
  const labels = new Uint8Array(rows.length);
  let positives = 0;
  rows.forEach((row, i) => {
    const value = row[target];
    if (value !== 0 && value !== 1) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `row ${i}: target ${target} must be 0 or 1, not ${String(value)}`,
        {
          details: { row: i, field: target },
        },
      );
    }
    labels[i] = value;
    positives += value;
  });
  if (positives === 0 || positives === rows.length) {
    throw new InputError('INVALID_ARGUMENT', `target ${target} needs both classes in the training rows`);
  }
  return labels;
}

function checkHyperparameters(hp: LogisticHyperparameters): void {
  const problems: string[] = [];
  if (hp.solver !== 'newton' && hp.solver !== 'gradient-descent')
    problems.push(`unknown solver ${String(hp.solver)}`);
  if (!(Number.isFinite(hp.l2) && hp.l2 >= 0)) problems.push('l2 must be a finite number >= 0');
  if (!(Number.isSafeInteger(hp.maxIterations) && hp.maxIterations >= 1 && hp.maxIterations <= 100_000)) {
    problems.push('maxIterations must be an integer from 1 to 100000');
  }
  if (!(Number.isFinite(hp.tolerance) && hp.tolerance > 0)) problems.push('tolerance must be a number > 0');
  if (hp.learningRate !== undefined && !(Number.isFinite(hp.learningRate) && hp.learningRate > 0)) {
    problems.push('learningRate must be a number > 0');
  }
  if (problems.length > 0) {
    throw new InputError('INVALID_ARGUMENT', `hyperparameters: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
}

// Only the known keys: an extra property on the caller's object must not leak into the sealed model.
function copyHyperparameters(hp: LogisticHyperparameters): LogisticHyperparameters {
  const { solver, l2, maxIterations, tolerance, learningRate } = hp;
  return learningRate === undefined
    ? { solver, l2, maxIterations, tolerance }
    : { solver, l2, maxIterations, tolerance, learningRate };
}

function checkInputs(inputs: readonly InputField[], target: string): void {
  const names = new Set<string>();
  if (inputs.length === 0) throw new InputError('INVALID_ARGUMENT', 'a model needs at least one input');
  for (const input of inputs) {
    if (
      input.name === target ||
      names.has(input.name) ||
      (input.type !== 'number' && input.type !== 'string')
    ) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `input ${input.name}: duplicate, the target, or an unknown type`,
      );
    }
    names.add(input.name);
  }
}

function readNumber(value: FeatureValue | undefined, name: string, row: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `row ${row}: ${name} must be a finite number, not ${String(value)}`,
      {
        details: { row, field: name },
      },
    );
  }
  return value;
}

function readString(value: FeatureValue | undefined, name: string, row: number): string {
  if (typeof value !== 'string') {
    throw new InputError('INVALID_ARGUMENT', `row ${row}: ${name} must be a string, not ${String(value)}`, {
      details: { row, field: name },
    });
  }
  return value;
}

function unknownLevel(feature: CategoricalFeature, value: string, row: number): InputError {
  return new InputError(
    'INVALID_ARGUMENT',
    `row ${row}: ${feature.name} = ${value} was not seen in training`,
    {
      details: { row, field: feature.name },
    },
  );
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function roundSignificant(x: number, digits: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(digits));
}

function formatPercent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function formatPlain(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

const MODEL_KEYS = new Set([
  'format',
  'class',
  'family',
  'name',
  'version',
  'target',
  'hyperparameters',
  'inputContract',
  'intercept',
  'features',
  'training',
]);

const HYPERPARAMETER_KEYS = new Set(['solver', 'l2', 'maxIterations', 'tolerance', 'learningRate']);

// Checks a parsed value against the model shape; returns the first problem, or undefined.
function describeModelProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not an object';
  const unknown = Object.keys(value).filter((key) => !MODEL_KEYS.has(key));
  if (unknown.length > 0) return `unknown field ${unknown.join(', ')}`;
  if (value.format !== LOGISTIC_FORMAT) return `format is not ${LOGISTIC_FORMAT}`;
  if (value.class !== LOGISTIC_CLASS || value.family !== LOGISTIC_FAMILY) return 'unknown class or family';
  for (const key of ['name', 'version', 'target'] as const)
    if (typeof value[key] !== 'string') return `${key} is not a string`;
  if (!isFiniteNumber(value.intercept)) return 'intercept is not a finite number';
  const hp = value.hyperparameters;
  if (!isRecord(hp)) return 'hyperparameters is not an object';
  const unknownHp = Object.keys(hp).filter((key) => !HYPERPARAMETER_KEYS.has(key));
  if (unknownHp.length > 0) return `unknown hyperparameter ${unknownHp.join(', ')}`;
  try {
    checkHyperparameters(hp as unknown as LogisticHyperparameters);
  } catch (error) {
    return error instanceof Error ? error.message : 'bad hyperparameters';
  }
  const contract = value.inputContract;
  const features = value.features;
  if (!Array.isArray(contract) || !Array.isArray(features) || contract.length !== features.length) {
    return 'inputContract and features must be arrays of the same length';
  }
  const seen = new Set<string>();
  for (let i = 0; i < features.length; i += 1) {
    const field: unknown = contract[i];
    const feature: unknown = features[i];
    if (
      !isRecord(field) ||
      !isRecord(feature) ||
      typeof field.name !== 'string' ||
      field.name !== feature.name
    ) {
      return `feature ${i} does not match input ${i}`;
    }
    if (seen.has(field.name) || field.name === value.target)
      return `input ${field.name} is duplicated or the target`;
    seen.add(field.name);
    if (feature.kind === 'numeric') {
      if (field.type !== 'number') return `input ${field.name} is numeric but typed ${String(field.type)}`;
      if (!isFiniteNumber(feature.mean) || !isFiniteNumber(feature.coefficient))
        return `feature ${field.name} is malformed`;
      if (!isFiniteNumber(feature.std) || feature.std <= 0)
        return `feature ${field.name} needs a positive std`;
    } else if (feature.kind === 'categorical') {
      if (field.type !== 'string')
        return `input ${field.name} is categorical but typed ${String(field.type)}`;
      if (typeof feature.reference !== 'string' || !Array.isArray(feature.levels))
        return `feature ${field.name} is malformed`;
      const values = new Set<string>([feature.reference]);
      for (const level of feature.levels as unknown[]) {
        if (
          !isRecord(level) ||
          typeof level.value !== 'string' ||
          values.has(level.value) ||
          !isFiniteNumber(level.coefficient) ||
          !isFiniteNumber(level.frequency)
        ) {
          return `feature ${field.name} has a malformed or duplicated level`;
        }
        values.add(level.value);
      }
    } else {
      return `feature ${field.name} has an unknown kind`;
    }
  }
  const training = value.training;
  if (
    !isRecord(training) ||
    !['rows', 'positives', 'iterations', 'logLoss'].every((key) => isFiniteNumber(training[key])) ||
    typeof training.converged !== 'boolean'
  ) {
    return 'training summary is malformed';
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
