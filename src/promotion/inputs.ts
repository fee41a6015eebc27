// The files a proposal is made of, checked before anything is stored: the input contract, the metrics
// (the challenger comparison), the hyperparameters, the explanations and the approval request. All of
// them are attacker-controlled bytes. JSON goes through the strict I-JSON parser first (no duplicate
// keys, no lone surrogates), then through the published JSON Schema (schemas/*.v1.schema.json, the same
// documents as the constants below; a test keeps them equal), then through the checks a schema cannot
// say (unique feature names, a matrix's shape). Every check returns problems as values; the propose use
// case gathers them with `collectProblems` and throws one error that lists each one.
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { capProblems, pointerToken, problemsOfAjv } from './schema-problems.js';

import { InputError } from '../errors.js';
import { parseJson, type JsonValue } from '../signing/canonical-json.js';
import { equalDigests, isDigest, type Digest } from '../signing/digest.js';
import type { ExplanationKind, MetricValues } from './types.js';
import { parseRequest, type ParsedRequest } from './request.js';

/** One thing wrong with one input: where (a JSON pointer, a `$.a[0]` path or a section) and what. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** A problem and the input it is about, as the user named it (`--metrics`, `--explanation shap.json`). */
export interface SourcedProblem extends Problem {
  readonly source: string;
}

/** An expected outcome as a value (zod's safeParse shape): the checked value, or what is wrong with it. */
export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly Problem[] };

const MiB = 1024 * 1024;
/** Largest explanation file accepted (PNG, SVG, SHAP JSON or HTML). */
export const MAX_EXPLANATION_BYTES = 64 * MiB;
/** Largest input contract, metrics or hyperparameters file accepted. */
export const MAX_JSON_INPUT_BYTES = 16 * MiB;
/** Largest approval request accepted: a text people write and read. */
export const MAX_REQUEST_BYTES = 1 * MiB;
/** Past this many problems in one input, the rest are counted, not listed. */
export const MAX_PROBLEMS_PER_INPUT = 20;

export const SCHEMA_BASE = 'https://signet.dev/schemas/';
export const INPUT_CONTRACT_SCHEMA_ID = `${SCHEMA_BASE}input-contract.v1.json`;
export const METRICS_SCHEMA_ID = `${SCHEMA_BASE}metrics.v1.json`;
export const HYPERPARAMETERS_SCHEMA_ID = `${SCHEMA_BASE}hyperparameters.v1.json`;
export const SHAP_VALUES_SCHEMA_ID = `${SCHEMA_BASE}shap-values.v1.json`;

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
const DIGEST_PATTERN = '^sha256:[0-9a-f]{64}$';
const NOT_A_DIGEST = 'must be "sha256:" followed by 64 lowercase hex digits';

export const FEATURE_TYPES = ['number', 'integer', 'string', 'boolean', 'category'] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];

export interface Feature {
  readonly name: string;
  readonly type: FeatureType;
  readonly description?: string;
  readonly categories?: readonly string[];
}

/** An input contract as parsed; a bare array of features is read as `{ features: [...] }`. */
export interface InputContract {
  readonly features: readonly Feature[];
}

export interface Metrics {
  /** The dataset the metrics were computed on; it must equal the proposal's `--dataset`. */
  readonly dataset: Digest;
  readonly candidate: MetricValues;
  readonly challenger: MetricValues;
  /** Per metric, whether a higher value is better; absent means the metric does not say. */
  readonly higherIsBetter?: Readonly<Record<string, boolean>>;
}

export type Hyperparameters = { readonly [key: string]: JsonValue };

/** SHAP values as the shap library's Explanation holds them: one row per instance, one column per feature. */
export interface ShapValues {
  readonly feature_names: readonly string[];
  readonly values: readonly (readonly number[])[];
  /** The expected model output: one number, or one per row. */
  readonly base_values?: number | readonly number[];
  /** The feature values explained, rows × features like `values`. */
  readonly data?: readonly (readonly (number | string | boolean | null)[])[];
}

export type DetectedExplanation =
  | { readonly kind: Exclude<ExplanationKind, 'shap-json'>; readonly mediaType: string }
  | { readonly kind: 'shap-json'; readonly mediaType: string; readonly shap: ShapValues };

export const EXPLANATION_MEDIA_TYPES: Readonly<Record<ExplanationKind, string>> = {
  png: 'image/png',
  svg: 'image/svg+xml',
  'shap-json': 'application/json',
  // The bytes were checked to be UTF-8; without the parameter a page with no <meta charset> is read as
  // windows-1252 by browsers (WHATWG Encoding), and the approver would see other text than was sealed.
  html: 'text/html; charset=utf-8',
};

// The published schemas. `$schema` is allowed in each document so editors can find the schema, but only
// with this version's id: a v2 document must not be read as v1.
export const INPUT_CONTRACT_SCHEMA = {
  $schema: DRAFT_2020_12,
  $id: INPUT_CONTRACT_SCHEMA_ID,
  title: 'Signet input contract v1',
  description:
    'The features a model takes, by name and type. Either an object with a "features" array (preferred: ' +
    'it can name its schema) or, for convenience, the bare array of features. Feature names must be ' +
    'unique; Signet checks that in code, since JSON Schema cannot say it.',
  if: { type: 'array' },
  then: { $ref: '#/$defs/features' },
  else: { $ref: '#/$defs/contract' },
  $defs: {
    contract: {
      type: 'object',
      required: ['features'],
      properties: {
        $schema: { const: INPUT_CONTRACT_SCHEMA_ID },
        features: { $ref: '#/$defs/features' },
      },
      additionalProperties: false,
    },
    features: {
      description: 'The features, in the order the model takes them; names unique.',
      type: 'array',
      minItems: 1,
      items: { $ref: '#/$defs/feature' },
    },
    feature: {
      type: 'object',
      required: ['name', 'type'],
      properties: {
        name: { type: 'string', minLength: 1, description: 'The feature name, unique in the contract.' },
        type: { enum: [...FEATURE_TYPES], description: 'The value type the model expects.' },
        description: { type: 'string' },
        categories: {
          description: 'The allowed values of a "category" feature.',
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string' },
        },
      },
      dependentSchemas: { categories: { properties: { type: { const: 'category' } } } },
      additionalProperties: false,
    },
  },
} as const;

export const METRICS_SCHEMA = {
  $schema: DRAFT_2020_12,
  $id: METRICS_SCHEMA_ID,
  title: 'Signet metrics v1',
  description:
    "The challenger comparison: the candidate's and the challenger's metrics, computed on one dataset " +
    'named by digest. Both sides must name the same metrics; numbers are finite (JSON has no other).',
  type: 'object',
  required: ['dataset', 'candidate', 'challenger'],
  properties: {
    $schema: { const: METRICS_SCHEMA_ID },
    dataset: {
      description: 'The evaluation dataset, "sha256:" and 64 lowercase hex digits; must equal --dataset.',
      type: 'string',
      pattern: DIGEST_PATTERN,
    },
    candidate: { $ref: '#/$defs/metricValues' },
    challenger: { $ref: '#/$defs/metricValues' },
    higherIsBetter: {
      description: 'Per metric name, whether a higher value is better.',
      type: 'object',
      propertyNames: { type: 'string', minLength: 1 },
      additionalProperties: { type: 'boolean' },
    },
  },
  additionalProperties: false,
  $defs: {
    metricValues: {
      description: 'Metric name to value, at least one.',
      type: 'object',
      minProperties: 1,
      propertyNames: { type: 'string', minLength: 1 },
      additionalProperties: { type: 'number' },
    },
  },
} as const;

export const HYPERPARAMETERS_SCHEMA = {
  $schema: DRAFT_2020_12,
  $id: HYPERPARAMETERS_SCHEMA_ID,
  title: 'Signet hyperparameters v1',
  description: "The model's hyperparameters: any JSON object, sealed as given.",
  type: 'object',
} as const;

export const SHAP_VALUES_SCHEMA = {
  $schema: DRAFT_2020_12,
  $id: SHAP_VALUES_SCHEMA_ID,
  title: 'Signet SHAP values v1',
  description:
    "SHAP values as the shap library's Explanation holds them: feature names and a rows × features " +
    'matrix of values. Every row has one value per feature name, and "data", when given, has the shape ' +
    'of "values"; Signet checks the shape in code.',
  type: 'object',
  required: ['feature_names', 'values'],
  properties: {
    $schema: { const: SHAP_VALUES_SCHEMA_ID },
    feature_names: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string' },
    },
    values: {
      description: 'One row per explained instance, one SHAP value per feature.',
      type: 'array',
      minItems: 1,
      items: { type: 'array', items: { type: 'number' } },
    },
    base_values: {
      description: 'The expected model output: one number, or one per row.',
      type: ['number', 'array'],
      items: { type: 'number' },
    },
    data: {
      description: 'The feature values explained, rows × features like "values".',
      type: 'array',
      items: { type: 'array', items: { type: ['number', 'string', 'boolean', 'null'] } },
    },
  },
  additionalProperties: false,
} as const;

/** The published schemas by file name under schemas/. */
export const PUBLISHED_SCHEMAS = {
  'input-contract.v1.schema.json': INPUT_CONTRACT_SCHEMA,
  'metrics.v1.schema.json': METRICS_SCHEMA,
  'hyperparameters.v1.schema.json': HYPERPARAMETERS_SCHEMA,
  'shap-values.v1.schema.json': SHAP_VALUES_SCHEMA,
} as const;

// The package is CommonJS; under NodeNext its default import is typed as the module object, whose
// `default` is the class at run time too (ajv sets `module.exports.default`).
// Compiled on first use, not on import: compiling the four schemas cost ~200 ms at the start of every
// command that imports this module, most of which never read an input file.
let ajv: InstanceType<typeof Ajv2020Module.default> | undefined;
function lazyValidator(schema: object): ValidateFunction {
  let compiled: ValidateFunction | undefined;
  const validate = ((data: unknown) => {
    ajv ??= new Ajv2020Module.default({ strict: true, allErrors: true, allowUnionTypes: true });
    compiled ??= ajv.compile(schema);
    const ok = compiled(data);
    validate.errors = compiled.errors ?? null;
    return ok;
  }) as ValidateFunction;
  return validate;
}
const validateInputContract = lazyValidator(INPUT_CONTRACT_SCHEMA);
const validateMetrics = lazyValidator(METRICS_SCHEMA);
const validateHyperparameters = lazyValidator(HYPERPARAMETERS_SCHEMA);
const validateShapValues = lazyValidator(SHAP_VALUES_SCHEMA);

/**
 * Checks an input contract file against input-contract.v1 and that feature names are unique.
 *
 * @example
 * parseInputContract(utf8('{"features":[{"name":"age","type":"integer"}]}'));
 * // { ok: true, value: { features: [{ name: 'age', type: 'integer' }] } }
 */
export function parseInputContract(bytes: Uint8Array): Checked<InputContract> {
  const checked = checkJson<unknown>(bytes, validateInputContract, MAX_JSON_INPUT_BYTES, 'an input contract');
  if (!checked.ok) {
    // The schema's `else` branch says "must be object"; either form would do.
    const problems = checked.problems.map((p) =>
      p.path === '' && p.message === 'must be object'
        ? { path: '', message: 'must be an object with "features" or an array of features' }
        : p,
    );
    return { ok: false, problems };
  }
  const contract: InputContract = Array.isArray(checked.value)
    ? { features: checked.value as Feature[] }
    : (checked.value as InputContract);
  const base = Array.isArray(checked.value) ? '' : '/features';
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  contract.features.forEach((feature, index) => {
    const first = seen.get(feature.name);
    if (first === undefined) seen.set(feature.name, index);
    else {
      problems.push({
        path: `${base}/${index}/name`,
        message: `duplicates the name ${JSON.stringify(feature.name)} of ${base}/${first}`,
      });
    }
  });
  return settle(problems, { features: contract.features });
}

/**
 * Checks a metrics file against metrics.v1, and that the candidate and the challenger name the same
 * metrics and `higherIsBetter` names only those. Whether `dataset` equals `--dataset` is the caller's
 * check (assertProposalInputs does it).
 */
export function parseMetrics(bytes: Uint8Array): Checked<Metrics> {
  const checked = checkJson<Metrics>(bytes, validateMetrics, MAX_JSON_INPUT_BYTES, 'a metrics file');
  if (!checked.ok) return checked;
  const metrics = checked.value;
  const problems: Problem[] = [];
  const sides = [
    ['candidate', 'challenger'],
    ['challenger', 'candidate'],
  ] as const;
  for (const [side, other] of sides) {
    for (const name of Object.keys(metrics[other])) {
      if (!Object.hasOwn(metrics[side], name)) {
        problems.push({
          path: `/${side}`,
          message: `has no metric ${JSON.stringify(name)}, which the ${other} has`,
        });
      }
    }
  }
  for (const name of Object.keys(metrics.higherIsBetter ?? {})) {
    if (!Object.hasOwn(metrics.candidate, name) && !Object.hasOwn(metrics.challenger, name)) {
      problems.push({
        path: `/higherIsBetter/${pointerToken(name)}`,
        message: 'names a metric that neither the candidate nor the challenger has',
      });
    }
  }
  return settle(problems, metrics);
}

/** Checks a hyperparameters file: any JSON object. */
export function parseHyperparameters(bytes: Uint8Array): Checked<Hyperparameters> {
  return checkJson<Hyperparameters>(
    bytes,
    validateHyperparameters,
    MAX_JSON_INPUT_BYTES,
    'a hyperparameters file',
  );
}

/** Checks SHAP values JSON against shap-values.v1 and that `values` (and `data`) are rows × features. */
export function parseShapValues(bytes: Uint8Array): Checked<ShapValues> {
  const checked = checkJson<ShapValues>(bytes, validateShapValues, MAX_EXPLANATION_BYTES, 'an explanation');
  if (!checked.ok) return checked;
  const shap = checked.value;
  const features = shap.feature_names.length;
  const rows = shap.values.length;
  const problems: Problem[] = [];
  shap.values.forEach((row, i) => {
    if (row.length !== features) {
      problems.push({
        path: `/values/${i}`,
        message: `has ${row.length} values, but there are ${features} feature names`,
      });
    }
  });
  if (Array.isArray(shap.base_values) && shap.base_values.length !== rows) {
    problems.push({
      path: '/base_values',
      message: `has ${shap.base_values.length} values, but "values" has ${rows} rows`,
    });
  }
  if (shap.data !== undefined) {
    if (shap.data.length !== rows) {
      problems.push({ path: '/data', message: `has ${shap.data.length} rows, but "values" has ${rows}` });
    }
    shap.data.forEach((row, i) => {
      if (row.length !== features) {
        problems.push({
          path: `/data/${i}`,
          message: `has ${row.length} values, but there are ${features} feature names`,
        });
      }
    });
  }
  return settle(problems, shap);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;
const PNG_IHDR = [0x49, 0x48, 0x44, 0x52] as const;
const MAX_EXPLANATION_NAME_LENGTH = 255;
// C0 and C1 controls, and the bidirectional overrides that could make a name read as another.
const UNSAFE_NAME_CHARACTER = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

/**
 * Tells what an explanation file is by its content, never its name: a PNG by its signature; else it
 * must be UTF-8 text, and after a BOM, whitespace, XML declarations, comments and doctypes, an `<svg`
 * root is SVG, `<!doctype html` or `<html` is HTML, and `{`/`[` is JSON that must be SHAP values. An SVG
 * with scripts is still SVG: it is only ever shown as an image (a data URI), where scripts do not run.
 * `name` labels the file for people; it is checked to be a short printable name.
 */
export function detectExplanation(name: string, bytes: Uint8Array): Checked<DetectedExplanation> {
  const problems: Problem[] = [];
  if (name.length === 0 || name.length > MAX_EXPLANATION_NAME_LENGTH || UNSAFE_NAME_CHARACTER.test(name)) {
    problems.push({
      path: '',
      message: `the name must be 1 to ${MAX_EXPLANATION_NAME_LENGTH} printable characters`,
    });
  }
  const size = checkSize(bytes, MAX_EXPLANATION_BYTES, 'an explanation');
  if (size !== undefined) return { ok: false, problems: [...problems, size] };
  const detected = detectContent(bytes);
  if (!detected.ok) return { ok: false, problems: [...problems, ...detected.problems] };
  return settle(problems, detected.value);
}

function detectContent(bytes: Uint8Array): Checked<DetectedExplanation> {
  if (bytes.length === 0) return fail('', 'is empty');
  if (PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) {
    // The first chunk of a PNG is IHDR (PNG spec §5.6), after its 4-byte length.
    if (!PNG_IHDR.every((byte, i) => bytes[12 + i] === byte)) {
      return fail('', 'has the PNG signature but no IHDR chunk after it: it is not a whole PNG');
    }
    return explanation('png');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return fail('', 'is neither a PNG nor UTF-8 text (SVG, HTML or SHAP values JSON)');
  }
  const start = text.startsWith('\uFEFF') ? 1 : 0;
  const first = /\S/.exec(text.slice(start));
  if (first?.[0] === '{' || first?.[0] === '[') {
    const shap = parseShapValues(bytes);
    if (!shap.ok) return shap;
    return {
      ok: true,
      value: { kind: 'shap-json', mediaType: EXPLANATION_MEDIA_TYPES['shap-json'], shap: shap.value },
    };
  }
  const root = markupRoot(text, start);
  if (/^<!doctype\s+html[\s>]/i.test(root) || /^<html[\s/>]/i.test(root)) return explanation('html');
  if (/^<svg[\s/>]/.test(root)) return explanation('svg');
  return fail('', 'is not a PNG, an SVG, an HTML page or SHAP values JSON (told by content, not by name)');
}

/**
 * The text from the first markup that is not a prolog item: XML declarations and processing
 * instructions, comments, and doctypes other than HTML's are skipped. Bounded by the text's length.
 */
function markupRoot(text: string, from: number): string {
  let i = from;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i += 1;
    const rest = text.slice(i, i + 16);
    let end: number;
    if (rest.startsWith('<?')) end = after(text, '?>', i);
    else if (rest.startsWith('<!--')) end = after(text, '-->', i + 4);
    else if (/^<!doctype\s/i.test(rest) && !/^<!doctype\s+html[\s>]/i.test(text.slice(i, i + 20))) {
      // A doctype may carry an internal subset in brackets, which can hold '>' (XML 1.0 §2.8).
      const close = text.indexOf('>', i);
      const subset = text.indexOf('[', i);
      end = subset !== -1 && (close === -1 || subset < close) ? after(text, ']', subset) : close + 1;
      if (end > 0) end = after(text, '>', end - 1);
    } else return text.slice(i, i + 32);
    if (end <= 0) return '';
    i = end;
  }
}

/** The index just after the first `token` at or after `from`, or 0 when there is none. */
function after(text: string, token: string, from: number): number {
  const at = text.indexOf(token, from);
  return at === -1 ? 0 : at + token.length;
}

function explanation(kind: Exclude<ExplanationKind, 'shap-json'>): Checked<DetectedExplanation> {
  return { ok: true, value: { kind, mediaType: EXPLANATION_MEDIA_TYPES[kind] } };
}

/** The bytes of every proposal input as read, and the `--dataset` digest; absent means not given. */
export interface ProposalInputParts {
  readonly dataset?: string;
  readonly metrics?: Uint8Array;
  readonly request?: Uint8Array;
  readonly inputContract?: Uint8Array;
  readonly hyperparameters?: Uint8Array;
  readonly explanations?: readonly { readonly name: string; readonly bytes: Uint8Array }[];
}

export interface ProposalInputs {
  readonly dataset: Digest;
  readonly metrics: Metrics;
  readonly request: ParsedRequest;
  readonly inputContract?: InputContract;
  readonly hyperparameters?: Hyperparameters;
  readonly explanations: readonly (DetectedExplanation & { readonly name: string })[];
}

/** How the problems of each input are labelled: the CLI's option names. */
export const PROPOSAL_SOURCES = {
  dataset: '--dataset',
  metrics: '--metrics',
  request: '--request',
  inputContract: '--input-contract',
  hyperparameters: '--hyperparameters',
  explanation: '--explanation',
} as const;

/**
 * Runs every check on a proposal's inputs and returns the parsed values, or throws one InputError
 * INVALID_ARGUMENT that lists every problem (in `details.problems`, as SourcedProblem[]): missing
 * inputs, each schema error, empty request sections, explanations of no known kind, and a metrics
 * `dataset` other than `--dataset`. Required: `dataset`, `metrics`, `request`, one explanation or more.
 *
 * @example
 * const inputs = assertProposalInputs({ dataset, metrics, request, explanations: [{ name, bytes }] });
 */
export function assertProposalInputs(parts: ProposalInputParts): ProposalInputs {
  const S = PROPOSAL_SOURCES;
  const problems: SourcedProblem[] = [];
  const required = <T>(source: string, value: T | undefined): T | undefined => {
    if (value === undefined) problems.push({ source, path: '', message: 'is required' });
    return value;
  };

  const datasetArg = required(S.dataset, parts.dataset);
  let dataset: Digest | undefined;
  if (datasetArg !== undefined) {
    if (isDigest(datasetArg)) dataset = datasetArg;
    else problems.push({ source: S.dataset, path: '', message: NOT_A_DIGEST });
  }
  const metricsBytes = required(S.metrics, parts.metrics);
  const metrics = metricsBytes && collectProblems(problems, S.metrics, parseMetrics(metricsBytes));
  const requestBytes = required(S.request, parts.request);
  const request = requestBytes && collectProblems(problems, S.request, checkRequest(requestBytes));
  const inputContract =
    parts.inputContract &&
    collectProblems(problems, S.inputContract, parseInputContract(parts.inputContract));
  const hyperparameters =
    parts.hyperparameters &&
    collectProblems(problems, S.hyperparameters, parseHyperparameters(parts.hyperparameters));

  const given = parts.explanations ?? [];
  if (given.length === 0) {
    problems.push({ source: S.explanation, path: '', message: 'is required: give at least one explanation' });
  }
  const explanations: (DetectedExplanation & { name: string })[] = [];
  const names = new Set<string>();
  for (const { name, bytes } of given) {
    const source = `${S.explanation} ${name}`;
    if (names.has(name)) {
      problems.push({ source, path: '', message: 'is given twice: explanation names must be unique' });
    }
    names.add(name);
    const detected = collectProblems(problems, source, detectExplanation(name, bytes));
    if (detected !== undefined) explanations.push({ ...detected, name });
  }

  if (metrics !== undefined && dataset !== undefined && !equalDigests(metrics.dataset, dataset)) {
    problems.push({
      source: S.dataset,
      path: '',
      message: `the metrics were computed on ${metrics.dataset} but --dataset is ${dataset}`,
    });
  }

  assertNoProblems(problems);
  // No problems means every required value was parsed.
  if (dataset === undefined || metrics === undefined || request === undefined) {
    throw new InputError('INVALID_ARGUMENT', 'the proposal is incomplete');
  }
  return {
    dataset,
    metrics,
    request,
    explanations,
    ...(inputContract === undefined ? {} : { inputContract }),
    ...(hyperparameters === undefined ? {} : { hyperparameters }),
  };
}

function checkRequest(bytes: Uint8Array): Checked<ParsedRequest> {
  const size = checkSize(bytes, MAX_REQUEST_BYTES, 'a request');
  return size === undefined ? parseRequest(bytes) : { ok: false, problems: [size] };
}

/**
 * Adds the problems of one checked input to `problems`, labelled with `source`, and returns its value
 * when it has none. Lets a use case run every check before it reports.
 *
 * @example
 * const problems: SourcedProblem[] = [];
 * const metrics = collectProblems(problems, '--metrics', parseMetrics(bytes));
 * assertNoProblems(problems); // throws one error listing them all
 */
export function collectProblems<T>(
  problems: SourcedProblem[],
  source: string,
  checked: Checked<T>,
): T | undefined {
  if (checked.ok) return checked.value;
  for (const problem of checked.problems) problems.push({ source, ...problem });
  return undefined;
}

/** `--metrics: /candidate/auc must be number`. */
export function formatProblem(problem: SourcedProblem): string {
  return `${problem.source}: ${problem.path === '' ? '' : `${problem.path} `}${problem.message}`;
}

/** Throws one InputError INVALID_ARGUMENT listing each problem, with them in `details.problems`. */
export function assertNoProblems(problems: readonly SourcedProblem[], what = 'the proposal'): void {
  if (problems.length === 0) return;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  throw new InputError(
    'INVALID_ARGUMENT',
    `${what} has ${count}:\n${problems.map((p) => `- ${formatProblem(p)}`).join('\n')}`,
    {
      details: { problems: problems.map((p) => ({ ...p })) },
    },
  );
}

function checkSize(bytes: Uint8Array, limit: number, what: string): Problem | undefined {
  if (bytes.length <= limit) return undefined;
  return {
    path: '',
    message: `is ${bytes.length} bytes, over the limit of ${limit} bytes (${limit / MiB} MiB) for ${what}`,
  };
}

/** Size limit, strict I-JSON parse, then the schema. The value is typed as T only when the schema held. */
function checkJson<T>(
  bytes: Uint8Array,
  validate: ValidateFunction,
  limit: number,
  what: string,
): Checked<T> {
  const size = checkSize(bytes, limit, what);
  if (size !== undefined) return { ok: false, problems: [size] };
  let value: unknown;
  try {
    value = parseJson(bytes, 'the file');
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const path = error.details?.['path'];
    return fail(typeof path === 'string' ? path : '', error.message.replace(/^the file: /, ''));
  }
  if (validate(value)) return { ok: true, value: value as T };
  return {
    ok: false,
    problems: capProblems(
      problemsOfAjv(validate.errors, { [DIGEST_PATTERN]: NOT_A_DIGEST }),
      MAX_PROBLEMS_PER_INPUT,
    ),
  };
}

function settle<T>(problems: readonly Problem[], value: T): Checked<T> {
  return problems.length === 0
    ? { ok: true, value }
    : { ok: false, problems: capProblems(problems, MAX_PROBLEMS_PER_INPUT) };
}

function fail<T>(path: string, message: string): Checked<T> {
  return { ok: false, problems: [{ path, message }] };
}
