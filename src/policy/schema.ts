// The materiality policy document (DESIGN "Materiality routing", invariant 8): YAML or JSON bytes that a
// governance lead writes, checked against the published JSON Schema (schemas/policy.v1.schema.json, the
// same document as POLICY_SCHEMA below; a test keeps them equal), then against what a schema cannot say
// (a tier that is referenced must exist, warn ≤ material). The bytes are attacker-controlled: YAML is
// parsed with strict options (YAML 1.2 core schema, no duplicate keys, no tags, no merge keys, a bounded
// number of aliases), JSON with the strict I-JSON parser. Every check returns problems as values, each
// at a JSON pointer such as `/models/credit-scorecard/bands/auc/absolute/down`.
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { capProblems, pointerToken, problemsOfAjv } from '../promotion/schema-problems.js';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

import { InputError } from '../errors.js';
import { SCHEMA_BASE, type Checked, type Problem } from '../promotion/inputs.js';
import { MAX_JSON_DEPTH, parseJson } from '../signing/canonical-json.js';

export const POLICY_SCHEMA_ID = `${SCHEMA_BASE}policy.v1.json`;
/** Largest policy document accepted: a text people write and review. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** Most alias expansions a YAML policy may make (anchors let bands be shared; bombs are refused). */
export const MAX_YAML_ALIASES = 100;
/** Past this many problems in one policy, the rest are counted, not listed. */
export const MAX_POLICY_PROBLEMS = 50;

/**
 * Limits on the change of one metric, by direction. The change is `candidate − reference`: `down`
 * bounds a decrease (a change < 0), `up` an increase (a change > 0). A direction with no limit is not
 * checked. A change exactly at the limit is inside the band ("beyond" means strictly greater).
 */
export interface DirectionLimits {
  readonly down?: number;
  readonly up?: number;
}

/**
 * The band of one metric. `absolute` limits bound `|candidate − reference|`; `relative` limits bound
 * `|candidate − reference| / |reference|` (a fraction: 0.05 is 5%; a change from a reference of 0 is
 * unbounded, so any change fires a relative limit in its direction). Either or both may be given; each
 * that is exceeded fires on its own.
 */
export interface MetricBand {
  readonly absolute?: DirectionLimits;
  readonly relative?: DirectionLimits;
}

/** Metric name to band. A metric with no band is not checked; a banded metric must be present. */
export type Bands = Readonly<Record<string, MetricBand>>;

/**
 * PSI thresholds for the monitor that writes `population-shift` entries (src/monitor): it flags a
 * feature whose PSI on scoring traffic reaches `material`, and may warn from `warn`. The router does not
 * second-guess a sealed flag: any population-shift entry since the last promotion makes it material.
 */
export interface PsiThresholds {
  readonly warn?: number;
  readonly material: number;
}

export interface Committee {
  /** The roles whose holders may sit on the committee. */
  readonly roles: readonly string[];
  /** How many distinct people, each holding one of `roles` and none of them the requester, must approve. */
  readonly quorum: number;
}

export interface Tier {
  readonly description?: string;
  readonly committee: Committee;
}

/**
 * One section of the policy: the defaults, or a model's overrides. A key given in a model's section
 * replaces the default's value as a whole (a model's `bands` is that model's complete band set, so a
 * default band can be dropped for one model); keys not given fall back to the defaults.
 */
export interface PolicySection {
  /** The risk tier: which committee the material path needs. */
  readonly tier?: string;
  /** Bands each promotion is measured against, relative to the previous promotion's metrics. */
  readonly bands?: Bands;
  /** Bands on the cumulative change since the last committee-approved promotion. */
  readonly committeeBands?: Bands;
  readonly psi?: PsiThresholds;
  /** The role whose holder (for this model, at that moment) approves the low path. */
  readonly oncallRole?: string;
  /** The deployment contexts the model may be promoted into at all. */
  readonly contexts?: readonly string[];
  /** Whether every promotion must reference a feature-pipeline promotion (default false). */
  readonly requireFeaturePipeline?: boolean;
}

export interface PolicyDefaults extends PolicySection {
  readonly tier: string;
  readonly psi: PsiThresholds;
  readonly oncallRole: string;
  readonly contexts: readonly string[];
}

/** A checked policy document (policy.v1). */
export interface Policy {
  readonly version: 1;
  readonly description?: string;
  readonly defaults: PolicyDefaults;
  readonly tiers: Readonly<Record<string, Tier>>;
  readonly models?: Readonly<Record<string, PolicySection>>;
}

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
// The same patterns the register, grant and propose commands check names with.
const MODEL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const ROLE_PATTERN = '^[a-z][a-z0-9-]{0,63}$';
const CONTEXT_PATTERN = '^[a-z0-9][a-z0-9._:/-]{0,127}$';

const SECTION_PROPERTIES = {
  tier: { $ref: '#/$defs/tierName' },
  bands: {
    $ref: '#/$defs/bands',
    description: "Bands on each promotion's change against the previous promotion.",
  },
  committeeBands: {
    $ref: '#/$defs/bands',
    description: 'Bands on the cumulative change since the last committee-approved promotion.',
  },
  psi: { $ref: '#/$defs/psi' },
  oncallRole: {
    $ref: '#/$defs/role',
    description: 'The role whose holder approves the low path for the model.',
  },
  contexts: { $ref: '#/$defs/contexts' },
  requireFeaturePipeline: {
    description: 'Whether every promotion must reference a feature-pipeline promotion.',
    type: 'boolean',
  },
} as const;

// The published schema. `$schema` is allowed in a document so editors can find the schema, but only
// with this version's id: a v2 document must not be read as v1.
export const POLICY_SCHEMA = {
  $schema: DRAFT_2020_12,
  $id: POLICY_SCHEMA_ID,
  title: 'Signet materiality policy v1',
  description:
    'Which promotions take the low path (one on-call approval) and which the material path (a ' +
    "committee): defaults, risk tiers with their committees, and per-model sections that replace a default's " +
    'value key by key. Bands bound the change candidate − reference of a metric: "down" a decrease, "up" an ' +
    'increase; "absolute" in the metric\'s units, "relative" as a fraction of |reference|. Signet also ' +
    'checks that every tier named exists and that psi.warn ≤ psi.material, which JSON Schema cannot say.',
  type: 'object',
  required: ['version', 'defaults', 'tiers'],
  properties: {
    $schema: { const: POLICY_SCHEMA_ID },
    version: { const: 1 },
    description: { type: 'string' },
    defaults: {
      description: 'What applies to every model, unless its section says otherwise.',
      type: 'object',
      required: ['tier', 'psi', 'oncallRole', 'contexts'],
      properties: SECTION_PROPERTIES,
      additionalProperties: false,
    },
    tiers: {
      description: 'Risk tiers by name, each with the committee its material promotions need.',
      type: 'object',
      minProperties: 1,
      propertyNames: { $ref: '#/$defs/tierName' },
      additionalProperties: { $ref: '#/$defs/tier' },
    },
    models: {
      description: "Per model name, the keys that replace the defaults' values.",
      type: 'object',
      propertyNames: { $ref: '#/$defs/modelName' },
      additionalProperties: {
        type: 'object',
        properties: SECTION_PROPERTIES,
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
  $defs: {
    modelName: { type: 'string', pattern: MODEL_NAME_PATTERN },
    tierName: { type: 'string', pattern: ROLE_PATTERN },
    role: { type: 'string', pattern: ROLE_PATTERN },
    metricName: { type: 'string', minLength: 1, maxLength: 128 },
    tier: {
      type: 'object',
      required: ['committee'],
      properties: {
        description: { type: 'string' },
        committee: {
          description: 'A quorum of distinct people holding one of the roles; the requester never counts.',
          type: 'object',
          required: ['roles', 'quorum'],
          properties: {
            roles: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { $ref: '#/$defs/role' },
            },
            quorum: { type: 'integer', minimum: 1 },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    bands: {
      description: 'Metric name to band; a metric with no band is not checked.',
      type: 'object',
      propertyNames: { $ref: '#/$defs/metricName' },
      additionalProperties: { $ref: '#/$defs/metricBand' },
    },
    metricBand: {
      type: 'object',
      minProperties: 1,
      properties: {
        absolute: { $ref: '#/$defs/limits', description: "Limits in the metric's own units." },
        relative: { $ref: '#/$defs/limits', description: 'Limits as a fraction of |reference| (0.05 = 5%).' },
      },
      additionalProperties: false,
    },
    limits: {
      description: 'The largest decrease ("down") and increase ("up") inside the band; at least one.',
      type: 'object',
      minProperties: 1,
      properties: {
        down: { type: 'number', minimum: 0 },
        up: { type: 'number', minimum: 0 },
      },
      additionalProperties: false,
    },
    psi: {
      description: 'Population stability index thresholds for the monitor: warn, and material.',
      type: 'object',
      required: ['material'],
      properties: {
        warn: { type: 'number', minimum: 0 },
        material: { type: 'number', exclusiveMinimum: 0 },
      },
      additionalProperties: false,
    },
    contexts: {
      description: 'Deployment contexts, e.g. "retail-credit/uk".',
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', pattern: CONTEXT_PATTERN },
    },
  },
} as const;

/** The published schema by file name under schemas/. */
export const POLICY_PUBLISHED_SCHEMAS = { 'policy.v1.schema.json': POLICY_SCHEMA } as const;

// The package is CommonJS; under NodeNext its default import is typed as the module object, whose
// `default` is the class at run time too (ajv sets `module.exports.default`).
// Compiled on first use, not on import: compiling the policy schema cost ~200 ms at the start of every
// command that imports this module, most of which never read a policy document.
let ajv: InstanceType<typeof Ajv2020Module.default> | undefined;
const validatePolicy = lazyValidator(POLICY_SCHEMA_ID);
const validateBands = lazyValidator(`${POLICY_SCHEMA_ID}#/$defs/bands`);

function lazyValidator(ref: string): ValidateFunction {
  let compiled: ValidateFunction | undefined;
  const validate = ((data: unknown) => {
    if (ajv === undefined) {
      ajv = new Ajv2020Module.default({ strict: true, allErrors: true });
      ajv.addSchema(POLICY_SCHEMA);
    }
    compiled ??= ajv.getSchema(ref);
    if (compiled === undefined) throw new Error(`no schema ${ref}`);
    const ok = compiled(data);
    validate.errors = compiled.errors ?? null;
    return ok;
  }) as ValidateFunction;
  return validate;
}

export type PolicyFormat = 'yaml' | 'json' | 'auto';

/**
 * Parses and checks a policy document. `format` `auto` reads bytes whose first non-blank character is
 * `{` as JSON and anything else as YAML. Problems name where they are: a JSON pointer for schema and
 * semantic problems (`/models/credit-scorecard/tier`), `line L, column C` for YAML syntax, a `$.a.b` path
 * for JSON syntax.
 *
 * @example
 * const checked = parsePolicy(readFileSync('policy.yaml'), 'auto');
 * if (!checked.ok) for (const p of checked.problems) console.error(`${p.path} ${p.message}`);
 */
export function parsePolicy(bytes: Uint8Array, format: PolicyFormat): Checked<Policy> {
  if (bytes.length > MAX_POLICY_BYTES) {
    return fail('', `is ${bytes.length} bytes, over the limit of ${MAX_POLICY_BYTES} bytes for a policy`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return fail('', 'is not valid UTF-8');
  }
  const kind = format === 'auto' ? (/^\uFEFF?\s*\{/.test(text) ? 'json' : 'yaml') : format;
  const parsed = kind === 'json' ? readJson(bytes) : readYaml(text);
  if (!parsed.ok) return parsed;
  if (!validatePolicy(parsed.value)) {
    return { ok: false, problems: capProblems(problemsOfAjv(validatePolicy.errors), MAX_POLICY_PROBLEMS) };
  }
  const policy = parsed.value as Policy;
  return settle(semanticProblems(policy), policy);
}

/**
 * Checks bands that come from elsewhere (the `bandsForNext` sealed in a previous promotion, which is
 * attacker-controlled) against the policy schema's `bands`.
 */
export function checkBands(value: unknown): Checked<Bands> {
  if (validateBands(value)) return { ok: true, value: value as Bands };
  return { ok: false, problems: capProblems(problemsOfAjv(validateBands.errors), MAX_POLICY_PROBLEMS) };
}

function readJson(bytes: Uint8Array): Checked<unknown> {
  try {
    return { ok: true, value: parseJson(bytes, 'the policy') };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const path = error.details?.['path'];
    return fail(typeof path === 'string' ? path : '', error.message.replace(/^the policy:? /, ''));
  }
}

// YAML 1.2 core schema: `yes`/`no`/`on` are strings, not booleans, and there are no YAML 1.1 octals or
// sexagesimals. Keys are read as strings, so `1:` and `"1":` name the same key.
const YAML_OPTIONS = {
  version: '1.2',
  schema: 'core',
  merge: false,
  stringKeys: true,
  strict: true,
  prettyErrors: false,
  // Duplicates are found by the walk below, which can name their path.
  uniqueKeys: false,
} as const;

function readYaml(text: string): Checked<unknown> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter });
  const located = (pos: readonly [number, number] | undefined): string => {
    if (pos === undefined) return '';
    const { line, col } = lineCounter.linePos(pos[0]);
    return `line ${line}, column ${col}`;
  };
  const diagnostics = [...doc.errors, ...doc.warnings].map((e) => ({
    path: located(e.pos),
    message: e.message.split('\n')[0] ?? e.code,
  }));
  if (diagnostics.length > 0) return { ok: false, problems: capProblems(diagnostics, MAX_POLICY_PROBLEMS) };
  const problems: Problem[] = [];
  walkYaml(doc.contents, '', 0, problems);
  if (problems.length > 0) return { ok: false, problems: capProblems(problems, MAX_POLICY_PROBLEMS) };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown };
  } catch (error) {
    // An undefined alias, or more alias expansions than MAX_YAML_ALIASES (a "billion laughs").
    return fail('', error instanceof Error ? error.message : 'cannot be read as data');
  }
}

/**
 * Refuses what the YAML parser lets through but a policy must not hold: explicit tags (`!!binary`
 * would become a Buffer, `!foo` a string), `<<` merge keys, and duplicate keys (a reader keeping the
 * first and one keeping the last would see two policies). Bounded in depth.
 */
function walkYaml(node: unknown, path: string, depth: number, problems: Problem[]): void {
  if (node === null || node === undefined || isAlias(node)) return;
  if (depth >= MAX_JSON_DEPTH) {
    problems.push({ path, message: `is nested deeper than ${MAX_JSON_DEPTH} levels` });
    return;
  }
  const tag = (node as YamlNode).tag;
  if (tag !== undefined) {
    problems.push({ path, message: `has the tag ${tag}: tags are not allowed in a policy` });
  }
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
        problems.push({ path, message: 'has a key that is not a plain string' });
        continue;
      }
      const key = pair.key.value;
      const keyPath = `${path}/${pointerToken(key)}`;
      if (key === '<<')
        problems.push({ path: keyPath, message: 'is a merge key: merge keys are not allowed' });
      else if (seen.has(key)) problems.push({ path: keyPath, message: 'is a duplicate key' });
      seen.add(key);
      if (pair.key.tag !== undefined) {
        problems.push({
          path: keyPath,
          message: `has the tag ${pair.key.tag}: tags are not allowed in a policy`,
        });
      }
      walkYaml(pair.value, keyPath, depth + 1, problems);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walkYaml(item, `${path}/${i}`, depth + 1, problems));
  }
}

/** What a schema cannot say: every tier named exists; psi.warn ≤ psi.material. */
function semanticProblems(policy: Policy): Problem[] {
  const problems: Problem[] = [];
  const tiers = Object.keys(policy.tiers).sort(compareText);
  const checkSection = (section: PolicySection, at: string): void => {
    if (section.tier !== undefined && !Object.hasOwn(policy.tiers, section.tier)) {
      problems.push({
        path: `${at}/tier`,
        message: `names the tier ${JSON.stringify(section.tier)}, which /tiers does not define (defined: ${tiers.join(', ')})`,
      });
    }
    const psi = section.psi;
    if (psi?.warn !== undefined && psi.warn > psi.material) {
      problems.push({
        path: `${at}/psi/warn`,
        message: `is ${psi.warn}, above psi.material ${psi.material}: the warning must come first`,
      });
    }
  };
  checkSection(policy.defaults, '/defaults');
  for (const [name, section] of Object.entries(policy.models ?? {})) {
    checkSection(section, `/models/${pointerToken(name)}`);
  }
  return problems;
}

/** Code-unit order: the same everywhere, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function settle<T>(problems: readonly Problem[], value: T): Checked<T> {
  return problems.length === 0
    ? { ok: true, value }
    : { ok: false, problems: capProblems(problems, MAX_POLICY_PROBLEMS) };
}

function fail<T>(path: string, message: string): Checked<T> {
  return { ok: false, problems: [{ path, message }] };
}
