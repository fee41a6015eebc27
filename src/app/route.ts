// Routing a promotion by materiality: gather from the log what the rules need to know about the model
// (its previous promotions, the last one a committee approved, the contexts it was approved for, the
// population-shift flags since; a revoked promotion counts for none of them), describe the candidate,
// and let the pure engine decide. Everything read from the log is attacker-controlled: a sealed input
// that cannot be read leaves the fact out, and the engine's failClosed rule then makes the promotion
// material; sealed bands that do not check are refused.
import { VerificationError } from '../errors.js';
import { openEntry, isRecord, type OpenedEntry } from '../ledger/entry.js';
import { isEmptyDiff } from '../policy/contract-diff.js';
import {
  PIPELINE_PROMOTION_KIND,
  readPipelinePromotion,
  type PipelinePromotionPredicate,
} from '../promotion/pipeline.js';
import {
  checkBands,
  describeDiff,
  diffContracts,
  evaluatePolicy,
  toRouteRef,
  type Candidate,
  type ContractFeature,
  type FeaturePipelineView,
  type LedgerView,
  type PopulationShift,
  type PreviousPromotion,
  type RouteDecision,
} from '../policy/index.js';
import { parseInputContract } from '../promotion/inputs.js';
import { PROMOTION_KIND, readPromotion, REVOCATION_KIND } from '../promotion/seal.js';
import type { MetricValues, PromotionPredicate, RouteRef } from '../promotion/types.js';
import type { Digest } from '../signing/digest.js';
import { findRevocation } from './decide.js';
import type { Home } from './home.js';
import type { PolicyInForce } from './policy.js';
import type { ModelRegistration } from './register.js';

/** The kind of the monitor's flag that PSI on scoring traffic crossed the policy's threshold. */
export const POPULATION_SHIFT_KIND = 'population-shift';

/**
 * What the log says about `modelName` for routing its next promotion, up to the current end of the log,
 * and about the feature-pipeline promotion the candidate references, if it references one.
 */
export async function gatherLedgerView(
  home: Home,
  modelName: string,
  featurePipeline?: Digest,
): Promise<LedgerView> {
  const all: { entry: OpenedEntry; promotion: PromotionPredicate }[] = [];
  const shifts: OpenedEntry[] = [];
  const revoked = new Set<unknown>();
  for await (const stored of home.ledger.entriesOfKinds([
    PROMOTION_KIND,
    POPULATION_SHIFT_KIND,
    REVOCATION_KIND,
  ])) {
    const entry = openEntry(stored.envelope, home.logPublicKey);
    if (entry.kind === PROMOTION_KIND) {
      const promotion = readPromotion(entry.statement.predicate);
      if (promotion.model.name === modelName) all.push({ entry, promotion });
    } else if (entry.kind === REVOCATION_KIND) {
      revoked.add(entry.statement.predicate['promotion']);
    } else if (modelNameOf(entry.statement.predicate['model']) === modelName) {
      shifts.push(entry);
    }
  }
  // A withdrawn promotion is not the model in production: not the previous one, not the committee's
  // last word, and its context is no longer approved.
  const promotions = all.filter((p) => !revoked.has(p.entry.id));
  const latest = promotions[promotions.length - 1];
  const previous = latest ? await previousOf(home, latest.entry, latest.promotion) : undefined;
  const committee = promotions.filter((p) => p.promotion.route.materiality === 'material').pop();
  const pipelineFacts =
    featurePipeline === undefined
      ? undefined
      : await featurePipelineFacts(home, featurePipeline, latest?.entry.id, latest?.promotion);
  return {
    ...(pipelineFacts ? { featurePipeline: pipelineFacts } : {}),
    ...(previous ? { previous } : {}),
    ...(committee
      ? {
          lastCommittee: {
            entry: committee.entry.id,
            metrics: committee.promotion.challenger.metrics.candidate,
          },
        }
      : {}),
    approvedContexts: [...new Set(promotions.map((p) => p.promotion.context))],
    populationShifts: shifts
      .filter((entry) => latest === undefined || entry.index > latest.entry.index)
      .map(populationShiftOf),
  };
}

/** The candidate as the rules see it: its registration record, its metrics and the context asked for. */
export async function candidateOf(
  home: Home,
  model: ModelRegistration,
  metrics: MetricValues,
  context: string,
  featurePipeline?: Digest,
): Promise<Candidate> {
  const inputContract = model.inputContract ? await readContract(home, model.inputContract) : undefined;
  return {
    ...(featurePipeline !== undefined ? { featurePipeline } : {}),
    modelName: model.name,
    modelDigest: model.digest,
    class: model.class,
    family: model.hyperparameterFamily,
    ...(inputContract ? { inputContract } : {}),
    context,
    metrics,
  };
}

export interface Routed {
  readonly decision: RouteDecision;
  /** The route as it is sealed: materiality, tier, reasons and the policy document's digest. */
  readonly route: RouteRef;
  readonly view: LedgerView;
  readonly candidate: Candidate;
}

/** Routes a candidate under the policy in force. */
export async function routeCandidate(
  home: Home,
  policy: PolicyInForce,
  model: ModelRegistration,
  metrics: MetricValues,
  context: string,
  featurePipeline?: Digest,
): Promise<Routed> {
  const view = await gatherLedgerView(home, model.name, featurePipeline);
  const candidate = await candidateOf(home, model, metrics, context, featurePipeline);
  const decision = evaluatePolicy(policy.policy, view, candidate);
  return { decision, route: toRouteRef(decision, policy.record.policy), view, candidate };
}

async function previousOf(
  home: Home,
  entry: OpenedEntry,
  promotion: PromotionPredicate,
): Promise<PreviousPromotion> {
  let bandsForNext;
  if (promotion.bandsForNext !== undefined) {
    const checked = checkBands(promotion.bandsForNext);
    if (!checked.ok) {
      // We sealed checked bands: bands that do not check were written by someone else.
      throw new VerificationError(
        'INCONSISTENT_LOG',
        `the bands sealed by promotion ${entry.index} (${entry.id}) are not valid bands: ${checked.problems
          .map((p) => `${p.path} ${p.message}`)
          .join('; ')}`,
      );
    }
    bandsForNext = checked.value;
  }
  const inputContract = promotion.model.inputContract
    ? await readContract(home, promotion.model.inputContract)
    : undefined;
  return {
    entry: entry.id,
    class: typeof promotion.model.class === 'string' ? promotion.model.class : '',
    family:
      typeof promotion.model.hyperparameterFamily === 'string' ? promotion.model.hyperparameterFamily : '',
    ...(inputContract ? { inputContract } : {}),
    metrics: promotion.challenger.metrics.candidate,
    ...(bandsForNext ? { bandsForNext } : {}),
    route: promotion.route.materiality,
  };
}

/**
 * The facts about a referenced feature-pipeline promotion: missing (no such entry, or not a pipeline
 * promotion), revoked, and whether its output contract differs from that of the pipeline the model's
 * previous promotion consumed (a model that consumed none before changes its lineage: that counts as a
 * change). Undefined when a contract cannot be read: the engine's failClosed rule then fires.
 */
async function featurePipelineFacts(
  home: Home,
  ref: Digest,
  previousEntry: Digest | undefined,
  previous: PromotionPredicate | undefined,
): Promise<FeaturePipelineView | undefined> {
  const pipeline = await readPipelinePromotionEntry(home, ref);
  if (pipeline === undefined) return { entry: ref, status: 'missing', contractChanged: false };
  if (await findRevocation(home, ref)) return { entry: ref, status: 'revoked', contractChanged: false };
  const unchanged: FeaturePipelineView = { entry: ref, status: 'ok', contractChanged: false };
  if (previous === undefined || previousEntry === undefined) return unchanged;
  const before = previous.model.featurePipeline;
  if (before === undefined) {
    return {
      entry: ref,
      status: 'ok',
      contractChanged: true,
      diff: [`the previous promotion ${previousEntry} consumed no feature-pipeline promotion`],
    };
  }
  if (before === ref) return unchanged;
  const earlier = await readPipelinePromotionEntry(home, before);
  if (earlier === undefined) return undefined;
  const [from, to] = await Promise.all([
    readContract(home, earlier.pipeline.outputContract),
    readContract(home, pipeline.pipeline.outputContract),
  ]);
  if (from === undefined || to === undefined) return undefined;
  const diff = diffContracts(from, to);
  return isEmptyDiff(diff)
    ? unchanged
    : { entry: ref, status: 'ok', contractChanged: true, diff: describeDiff(diff) };
}

/** A feature-pipeline promotion by entry id; undefined when there is no such entry or it is another kind. */
export async function readPipelinePromotionEntry(
  home: Home,
  id: Digest,
): Promise<PipelinePromotionPredicate | undefined> {
  const stored = await home.ledger.find(id);
  if (!stored) return undefined;
  const entry = openEntry(stored.envelope, home.logPublicKey);
  if (entry.kind !== PIPELINE_PROMOTION_KIND) return undefined;
  return readPipelinePromotion(entry.statement.predicate);
}

/** An input contract object's features; undefined when it cannot be read or checked (fail closed). */
export async function readContract(
  home: Home,
  digest: Digest,
): Promise<{ features: readonly ContractFeature[] } | undefined> {
  try {
    const checked = parseInputContract(await home.objects.get(digest));
    return checked.ok ? { features: checked.value.features } : undefined;
  } catch {
    return undefined;
  }
}

/** `model` is a model name, or a `{ name }` record. */
function modelNameOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value['name'] === 'string') return value['name'];
  return undefined;
}

// Attacker-controlled: a malformed flag still counts (it fires the rule), with what can be read of it.
function populationShiftOf(entry: OpenedEntry): PopulationShift {
  const p = entry.statement.predicate;
  const text = (value: unknown): string =>
    typeof value === 'string' ? value : value === undefined ? '(not given)' : JSON.stringify(value);
  return {
    entry: entry.id,
    feature: text(p['feature']),
    psi: typeof p['psi'] === 'number' ? p['psi'] : Number.NaN,
    window: text(p['window']),
    context: text(p['context']),
  };
}
