// The materiality router (DESIGN invariant 8, "Route by rule"): a pure function of the policy, what the
// log says about the model (the ledger view the app layer gathers) and the candidate. Each rule is its
// own function returning the reasons it fires, each quoting the values that fired it; any reason makes
// the promotion material. An input a rule needs that is missing fires `failClosed` instead of letting
// the rule pass: the router never guesses "low".
import type { RouteRef } from '../promotion/types.js';
import type { Digest } from '../signing/digest.js';
import { describeDiff, diffContracts, isEmptyDiff, type ContractFeature } from './contract-diff.js';
import { effectivePolicy, type EffectivePolicy, type Requirement } from './effective.js';
import { compareText, type Bands, type MetricBand, type Policy } from './schema.js';

export type MetricValues = Readonly<Record<string, number>>;

export interface InputContractView {
  readonly features: readonly ContractFeature[];
}

/** The model proposed for promotion. */
export interface Candidate {
  readonly modelName: string;
  /** The artefact's content digest. */
  readonly modelDigest: Digest;
  /** The model class (ModelRef.class). */
  readonly class: string;
  /** The hyperparameter family (ModelRef.hyperparameterFamily). */
  readonly family: string;
  readonly inputContract?: InputContractView;
  /** The deployment context the promotion is for. */
  readonly context: string;
  /** The candidate's metrics on the evaluation set. */
  readonly metrics: MetricValues;
  /** Entry id of the feature-pipeline promotion the model consumes. */
  readonly featurePipeline?: Digest;
}

/** The previous promotion of the model, as sealed. */
export interface PreviousPromotion {
  readonly entry: Digest;
  readonly class: string;
  readonly family: string;
  readonly inputContract?: InputContractView;
  readonly metrics: MetricValues;
  /** The bands it sealed for this promotion to be measured against (checked with `checkBands`). */
  readonly bandsForNext?: Bands;
  readonly route: 'low' | 'material';
}

/** A population-shift entry for the model: the monitor's flag that PSI crossed the policy's threshold. */
export interface PopulationShift {
  readonly entry: Digest;
  readonly feature: string;
  readonly psi: number;
  readonly window: string;
  readonly context: string;
}

/** What the log says about the feature-pipeline promotion the candidate references. */
export interface FeaturePipelineView {
  readonly entry: Digest;
  readonly status: 'ok' | 'missing' | 'revoked';
  /** Whether it changed the input contract against the pipeline the previous promotion consumed. */
  readonly contractChanged: boolean;
  /** The change, as `describeDiff` phrases it. */
  readonly diff?: readonly string[];
}

/** What the app layer gathers from the log for one model before routing its promotion. */
export interface LedgerView {
  /** The model's latest promotion; absent: this is the first. */
  readonly previous?: PreviousPromotion;
  /** The latest promotion approved on the material path (by a committee). */
  readonly lastCommittee?: { readonly entry: Digest; readonly metrics: MetricValues };
  /** The contexts promotions of this model were approved for. */
  readonly approvedContexts: readonly string[];
  /** Population-shift entries for the model since its previous promotion. */
  readonly populationShifts: readonly PopulationShift[];
  /** The referenced feature-pipeline promotion; needed when the candidate references one. */
  readonly featurePipeline?: FeaturePipelineView;
}

export const RULE_NAMES = [
  'firstPromotion',
  'metricBands',
  'committeeDrift',
  'inputContract',
  'modelClass',
  'populationShift',
  'newContext',
  'featurePipeline',
  'failClosed',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

/** Why a promotion is material: the rule, a sentence quoting the values, and the values (JSON). */
export interface Reason {
  readonly rule: RuleName;
  readonly message: string;
  readonly values: Readonly<Record<string, unknown>>;
}

export interface RouteDecision {
  /** `low` exactly when no rule fired. */
  readonly materiality: 'low' | 'material';
  /** The model's risk tier (whatever the route). */
  readonly tier: string;
  /** Every reason of every rule, in RULE_NAMES order; empty when low. */
  readonly reasons: readonly Reason[];
  /** The bands the next promotion will be measured against: the policy's bands in force now. */
  readonly bandsForNext: Bands;
  readonly requirement: Requirement;
}

export type Rule = (policy: EffectivePolicy, view: LedgerView, candidate: Candidate) => Reason[];

/**
 * A change within this fraction of the limit (relative to max(1, |limit|)) counts as at the limit, so
 * binary floating point cannot fire a band: 0.812 − 0.792 is 0.020000000000000018, not beyond 0.02.
 */
export const BAND_TOLERANCE = 1e-9;
/** Decimals of the numbers quoted in reasons (fixed, locale-independent), and of percentages. */
export const VALUE_DECIMALS = 4;
export const PERCENT_DECIMALS = 2;

/** Fires for the first promotion of a model: there is nothing to measure it against. */
export const firstPromotion: Rule = (policy, view) =>
  view.previous !== undefined
    ? []
    : [
        reason('firstPromotion', `first promotion of ${policy.modelName}: no earlier promotion in the log`, {
          model: policy.modelName,
        }),
      ];

/**
 * Fires for each metric whose change against the previous promotion is beyond the band sealed there
 * (`bandsForNext`); when the previous promotion sealed none, the policy's bands in force now. A metric
 * the candidate or the previous promotion lacks is left to `failClosed`.
 */
export const metricBands: Rule = (policy, view, candidate) => {
  const previous = view.previous;
  if (previous === undefined) return [];
  const sealed = previous.bandsForNext !== undefined;
  const bands = previous.bandsForNext ?? policy.bands;
  const source = sealed
    ? `sealed at ${previous.entry}`
    : `in the policy (the previous promotion ${previous.entry} sealed none)`;
  return breachesOf(bands, previous.metrics, candidate.metrics).map((b) =>
    reason('metricBands', `${movement(b)}, beyond ${bandPhrase(b, '')} ${source}`, {
      ...valuesOf(b),
      previous: previous.entry,
      bandsFrom: sealed ? 'previous' : 'policy',
    }),
  );
};

/**
 * Fires for each metric whose cumulative change since the last committee-approved promotion is beyond
 * the policy's committee band, so that small steps each inside their band cannot walk a model away
 * unnoticed. A missing committee promotion or metric is left to `failClosed`.
 */
export const committeeDrift: Rule = (policy, view, candidate) => {
  const last = view.lastCommittee;
  if (view.previous === undefined || last === undefined) return [];
  return breachesOf(policy.committeeBands, last.metrics, candidate.metrics).map((b) =>
    reason(
      'committeeDrift',
      `${movement(b, ` since the last committee-approved promotion ${last.entry}`)}, beyond ${bandPhrase(b, 'committee ')}`,
      { ...valuesOf(b), lastCommittee: last.entry },
    ),
  );
};

/**
 * A rule firing when the contract (of features in) differs from the previous promotion's; the diff is
 * in the reason. `what` names the contract in the reason: a model's input contract, a feature
 * pipeline's output contract.
 */
function contractRule(what: string): Rule {
  return (_policy, view, candidate) => {
    const before = view.previous?.inputContract;
    const after = candidate.inputContract;
    if (view.previous === undefined || before === undefined || after === undefined) return [];
    const diff = diffContracts(before, after);
    if (isEmptyDiff(diff)) return [];
    const phrases = describeDiff(diff);
    return [
      reason('inputContract', `the ${what} changed since ${view.previous.entry}: ${phrases.join('; ')}`, {
        previous: view.previous.entry,
        added: diff.added.map((f) => ({ name: f.name, type: f.type })),
        removed: diff.removed.map((f) => ({ name: f.name, type: f.type })),
        retyped: diff.retyped.map((r) => ({ ...r })),
        recategorised: diff.recategorised.map((r) => ({ name: r.name, from: [...r.from], to: [...r.to] })),
        reordered: diff.reordered,
        diff: phrases,
      }),
    ];
  };
}

/** Fires when the input contract differs from the previous promotion's; the diff is in the reason. */
export const inputContract: Rule = contractRule('input contract');

/** Fires when the model class or the hyperparameter family differs from the previous promotion's. */
export const modelClass: Rule = (_policy, view, candidate) => {
  const previous = view.previous;
  if (previous === undefined) return [];
  const reasons: Reason[] = [];
  const compare = (what: string, key: 'class' | 'family', from: string, to: string): void => {
    if (from === '' || to === '' || from === to) return;
    reasons.push(
      reason('modelClass', `the ${what} changed: ${from} → ${to} (previous promotion ${previous.entry})`, {
        [key]: { from, to },
        previous: previous.entry,
      }),
    );
  };
  compare('model class', 'class', previous.class, candidate.class);
  compare('hyperparameter family', 'family', previous.family, candidate.family);
  return reasons;
};

/** Fires once per population-shift entry for the model since its previous promotion. */
export const populationShift: Rule = (_policy, view) =>
  [...view.populationShifts]
    .sort((a, b) => compareText(a.entry, b.entry) || compareText(a.feature, b.feature))
    .map((s) =>
      reason(
        'populationShift',
        `population shift since the last promotion: PSI ${fixed(s.psi)} on ${s.feature} over ${s.window} in ${s.context} (entry ${s.entry})`,
        {
          entry: s.entry,
          feature: s.feature,
          psi: Number.isFinite(s.psi) ? s.psi : null,
          window: s.window,
          context: s.context,
        },
      ),
    );

/**
 * Fires when the candidate's context is one the model was never approved for, and (separately) when it
 * is not among the contexts the policy allows for the model.
 */
export const newContext: Rule = (policy, view, candidate) => {
  const context = candidate.context;
  if (context === '') return [];
  const reasons: Reason[] = [];
  if (!view.approvedContexts.includes(context)) {
    const approved = [...new Set(view.approvedContexts)].sort(compareText);
    reasons.push(
      reason(
        'newContext',
        `context ${context} was never approved for ${policy.modelName} (approved so far: ${approved.length === 0 ? 'none' : approved.join(', ')})`,
        { context, approved },
      ),
    );
  }
  if (!policy.contexts.includes(context)) {
    reasons.push(
      reason(
        'newContext',
        `context ${context} is not among the contexts the policy allows for ${policy.modelName} (${policy.contexts.join(', ')})`,
        { context, allowed: [...policy.contexts] },
      ),
    );
  }
  return reasons;
};

/**
 * Fires when the policy requires a feature-pipeline reference and the candidate has none, and when the
 * referenced feature-pipeline promotion is missing from the log, revoked, or changed the input
 * contract. Facts about the reference that the view lacks are left to `failClosed`.
 */
export const featurePipeline: Rule = (policy, view, candidate) => {
  const ref = candidate.featurePipeline;
  if (ref === undefined) {
    return policy.requireFeaturePipeline
      ? [
          reason(
            'featurePipeline',
            `the policy requires a feature-pipeline reference for ${policy.modelName} and the candidate has none`,
            { required: true },
          ),
        ]
      : [];
  }
  const facts = view.featurePipeline;
  if (facts === undefined || facts.entry !== ref) return [];
  const reasons: Reason[] = [];
  if (facts.status === 'missing') {
    reasons.push(
      reason('featurePipeline', `the referenced feature-pipeline promotion ${ref} is not in the log`, {
        entry: ref,
        status: 'missing',
      }),
    );
  } else if (facts.status === 'revoked') {
    reasons.push(
      reason('featurePipeline', `the referenced feature-pipeline promotion ${ref} was revoked`, {
        entry: ref,
        status: 'revoked',
      }),
    );
  }
  if (facts.contractChanged) {
    const diff = facts.diff ?? [];
    reasons.push(
      reason(
        'featurePipeline',
        `the referenced feature-pipeline promotion ${ref} changed the input contract: ${diff.length === 0 ? '(no diff given)' : diff.join('; ')}`,
        { entry: ref, contractChanged: true, diff: [...diff] },
      ),
    );
  }
  return reasons;
};

/**
 * Fires once for each input another rule needs that is missing, naming the rule: a banded metric the
 * candidate or its reference lacks, no committee-approved promotion while there are committee bands, an
 * input contract on one side only (or neither), an empty class, family or context, a feature-pipeline
 * reference the view has no facts about. Inputs of a first promotion's comparisons are not needed.
 */
export const failClosed: Rule = (policy, view, candidate) => {
  const reasons: Reason[] = [];
  const missing = (needs: RuleName, input: string, message: string): void => {
    reasons.push(reason('failClosed', message, { needs, missing: input }));
  };
  const previous = view.previous;
  if (previous !== undefined) {
    const bands = previous.bandsForNext ?? policy.bands;
    for (const metric of sortedKeys(bands)) {
      if (metricOf(candidate.metrics, metric) === undefined) {
        missing(
          'metricBands',
          `candidate.metrics.${metric}`,
          `cannot check the band on ${metric}: the candidate has no ${metric} metric`,
        );
      }
      if (metricOf(previous.metrics, metric) === undefined) {
        missing(
          'metricBands',
          `previous.metrics.${metric}`,
          `cannot check the band on ${metric}: the previous promotion ${previous.entry} has no ${metric} metric`,
        );
      }
    }
    const committeeMetrics = sortedKeys(policy.committeeBands);
    const last = view.lastCommittee;
    if (committeeMetrics.length > 0) {
      if (last === undefined) {
        missing(
          'committeeDrift',
          'lastCommittee',
          `cannot measure the drift since the last committee-approved promotion: the view names none for ${policy.modelName}`,
        );
      } else {
        if (previous.route === 'material' && last.entry !== previous.entry) {
          missing(
            'committeeDrift',
            'lastCommittee',
            `cannot measure the drift since the last committee-approved promotion: the previous promotion ${previous.entry} was committee-approved, but the view names ${last.entry}`,
          );
        }
        for (const metric of committeeMetrics) {
          if (metricOf(candidate.metrics, metric) === undefined) {
            missing(
              'committeeDrift',
              `candidate.metrics.${metric}`,
              `cannot measure the cumulative drift of ${metric}: the candidate has no ${metric} metric`,
            );
          }
          if (metricOf(last.metrics, metric) === undefined) {
            missing(
              'committeeDrift',
              `lastCommittee.metrics.${metric}`,
              `cannot measure the cumulative drift of ${metric}: the last committee-approved promotion ${last.entry} has no ${metric} metric`,
            );
          }
        }
      }
    }
    if (candidate.inputContract === undefined) {
      missing(
        'inputContract',
        'candidate.inputContract',
        'cannot compare input contracts: the candidate has none',
      );
    }
    if (previous.inputContract === undefined) {
      missing(
        'inputContract',
        'previous.inputContract',
        `cannot compare input contracts: the previous promotion ${previous.entry} sealed none`,
      );
    }
    const sides = [
      ['candidate', candidate, 'the candidate'],
      ['previous', previous, `the previous promotion ${previous.entry}`],
    ] as const;
    for (const [side, model, who] of sides) {
      if (model.class === '')
        missing('modelClass', `${side}.class`, `cannot compare the model class: ${who} names none`);
      if (model.family === '') {
        missing(
          'modelClass',
          `${side}.family`,
          `cannot compare the hyperparameter family: ${who} names none`,
        );
      }
    }
  }
  if (candidate.context === '') {
    missing(
      'newContext',
      'candidate.context',
      'cannot check the deployment context: the candidate names none',
    );
  }
  const ref = candidate.featurePipeline;
  if (ref !== undefined && view.featurePipeline?.entry !== ref) {
    missing(
      'featurePipeline',
      'featurePipeline',
      `cannot check the referenced feature-pipeline promotion ${ref}: the view has no facts about it`,
    );
  }
  return reasons;
};

/** Every rule by name; `evaluatePolicy` runs them in RULE_NAMES order. */
export const RULES: Readonly<Record<RuleName, Rule>> = {
  firstPromotion,
  metricBands,
  committeeDrift,
  inputContract,
  modelClass,
  populationShift,
  newContext,
  featurePipeline,
  failClosed,
};

/**
 * Routes a promotion: material when any rule fires (every reason of every rule is kept), low when none
 * does. The tier and the bands the next promotion is measured against come from the policy in force
 * for the model; the requirement is the on-call role (low) or the tier's committee (material).
 * Deterministic: the same inputs give a deep-equal decision, and the inputs are not changed.
 *
 * @example
 * const decision = evaluatePolicy(policy, view, candidate);
 * if (decision.materiality === 'material') for (const r of decision.reasons) console.log(r.message);
 */
export function evaluatePolicy(policy: Policy, view: LedgerView, candidate: Candidate): RouteDecision {
  const effective = effectivePolicy(policy, candidate.modelName);
  const reasons = RULE_NAMES.flatMap((name) => RULES[name](effective, view, candidate));
  return decisionOf(effective, reasons);
}

function decisionOf(effective: EffectivePolicy, reasons: Reason[]): RouteDecision {
  const materiality = reasons.length === 0 ? 'low' : 'material';
  const requirement: Requirement =
    materiality === 'low'
      ? { kind: 'oncall', role: effective.oncallRole, quorum: 1 }
      : { kind: 'committee', roles: [...effective.committee.roles], quorum: effective.committee.quorum };
  return {
    materiality,
    tier: effective.tier,
    reasons,
    bandsForNext: copyBands(effective.bands),
    requirement,
  };
}

/** The rules a feature-pipeline promotion is routed by: it has no metrics, population or model class. */
export const PIPELINE_RULE_NAMES = [
  'firstPromotion',
  'inputContract',
  'failClosed',
] as const satisfies readonly RuleName[];

const PIPELINE_RULES: Readonly<Record<(typeof PIPELINE_RULE_NAMES)[number], Rule>> = {
  firstPromotion,
  inputContract: contractRule('output contract'),
  failClosed,
};

/**
 * Routes a feature-pipeline promotion with the same engine: material on its first promotion, when its
 * output contract differs from the previous promotion's (the diff in the reason), and when an input for
 * that comparison is missing (fail closed). The candidate's `inputContract` is the pipeline's output
 * contract; its `modelName` the pipeline name, whose policy section (if any) gives the tier, committee
 * and on-call role. Metric bands do not apply: a pipeline has no metrics.
 *
 * @example
 * evaluatePipelinePolicy(policy, { approvedContexts: [], populationShifts: [] }, candidate).materiality; // 'material'
 */
export function evaluatePipelinePolicy(
  policy: Policy,
  view: LedgerView,
  candidate: Candidate,
): RouteDecision {
  const effective: EffectivePolicy = {
    ...effectivePolicy(policy, candidate.modelName),
    bands: {},
    committeeBands: {},
    requireFeaturePipeline: false,
  };
  const reasons = PIPELINE_RULE_NAMES.flatMap((name) => PIPELINE_RULES[name](effective, view, candidate));
  return decisionOf(effective, reasons);
}

/**
 * The route as a promotion seals it: the reasons as sentences, and the digest of the policy document's
 * bytes. A low route says that no rule fired, so the sealed route is never silent.
 */
export function toRouteRef(
  decision: RouteDecision,
  policy: Digest,
  checked: readonly RuleName[] = RULE_NAMES,
): RouteRef {
  const reasons =
    decision.reasons.length === 0
      ? [`no materiality rule fired (checked: ${checked.join(', ')})`]
      : decision.reasons.map((r) => r.message);
  return { materiality: decision.materiality, tier: decision.tier, reasons, policy };
}

interface Breach {
  readonly metric: string;
  readonly kind: 'absolute' | 'relative';
  readonly direction: 'down' | 'up';
  readonly reference: number;
  readonly candidate: number;
  readonly change: number;
  /** change / |reference|; null when that is unbounded (a reference of 0). */
  readonly relativeChange: number | null;
  readonly limit: number;
}

/**
 * Every limit exceeded, metric by metric in code-unit order. The change is candidate − reference: `down`
 * limits a decrease, `up` an increase; `relative` divides by |reference|. Metrics missing on either
 * side are skipped (failClosed reports them).
 */
function breachesOf(bands: Bands, reference: MetricValues, candidate: MetricValues): Breach[] {
  const breaches: Breach[] = [];
  for (const metric of sortedKeys(bands)) {
    const band = bands[metric] as MetricBand;
    const ref = metricOf(reference, metric);
    const cand = metricOf(candidate, metric);
    if (ref === undefined || cand === undefined) continue;
    const change = cand - ref;
    if (change === 0) continue;
    const direction = change < 0 ? 'down' : 'up';
    // From a reference of 0 (or one so small the quotient overflows) the relative change is unbounded.
    const quotient = change / Math.abs(ref);
    const relativeChange = Number.isFinite(quotient) ? quotient : null;
    const base = { metric, direction, reference: ref, candidate: cand, change, relativeChange } as const;
    const absoluteLimit = band.absolute?.[direction];
    if (absoluteLimit !== undefined && exceeds(Math.abs(change), absoluteLimit)) {
      breaches.push({ ...base, kind: 'absolute', limit: absoluteLimit });
    }
    const relativeLimit = band.relative?.[direction];
    const relativeSize = relativeChange === null ? Number.POSITIVE_INFINITY : Math.abs(relativeChange);
    if (relativeLimit !== undefined && exceeds(relativeSize, relativeLimit)) {
      breaches.push({ ...base, kind: 'relative', limit: relativeLimit });
    }
  }
  return breaches;
}

function exceeds(size: number, limit: number): boolean {
  return size - limit > BAND_TOLERANCE * Math.max(1, Math.abs(limit));
}

/** `auc fell by 0.0312 (0.8120 → 0.7808)`, `ks fell by 6.25% relative (0.4800 → 0.4500)`. */
function movement(b: Breach, since = ''): string {
  const verb = b.direction === 'down' ? 'fell' : 'rose';
  const values = `(${fixed(b.reference)} → ${fixed(b.candidate)})`;
  if (b.kind === 'absolute') return `${b.metric} ${verb} by ${fixed(Math.abs(b.change))}${since} ${values}`;
  if (b.relativeChange === null) return `${b.metric} ${verb}${since} ${values}, an unbounded relative change`;
  return `${b.metric} ${verb} by ${percent(Math.abs(b.relativeChange))} relative${since} ${values}`;
}

/** `the band of 0.0200`, `the relative committee band of 5.00%`. */
function bandPhrase(b: Breach, which: string): string {
  return b.kind === 'absolute'
    ? `the ${which}band of ${fixed(b.limit)}`
    : `the relative ${which}band of ${percent(b.limit)}`;
}

function valuesOf(b: Breach): Record<string, unknown> {
  return {
    metric: b.metric,
    kind: b.kind,
    direction: b.direction,
    reference: b.reference,
    candidate: b.candidate,
    // Finite unless the metrics are near ±1.8e308: values must stay I-JSON to be sealed.
    change: Number.isFinite(b.change) ? b.change : null,
    relativeChange: b.relativeChange,
    limit: b.limit,
  };
}

function reason(rule: RuleName, message: string, values: Record<string, unknown>): Reason {
  return { rule, message, values };
}

/** A finite metric the record holds as its own property, else undefined (`constructor` is not a metric). */
function metricOf(metrics: MetricValues, name: string): number | undefined {
  if (!Object.hasOwn(metrics, name)) return undefined;
  const value = metrics[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function sortedKeys(record: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(record).sort(compareText);
}

/** Fixed decimals, independent of locale (Number.prototype.toFixed never localises). */
function fixed(value: number): string {
  return Number.isFinite(value) ? value.toFixed(VALUE_DECIMALS) : String(value);
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(PERCENT_DECIMALS)}%`;
}

// Object.fromEntries defines own properties, so a metric named "__proto__" stays a metric.
function copyBands(bands: Bands): Bands {
  return Object.fromEntries(
    sortedKeys(bands).map((metric) => {
      const band = bands[metric] as MetricBand;
      return [
        metric,
        {
          ...(band.absolute === undefined ? {} : { absolute: { ...band.absolute } }),
          ...(band.relative === undefined ? {} : { relative: { ...band.relative } }),
        },
      ];
    }),
  );
}
