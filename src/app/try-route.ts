// `signet policy test`: how a candidate would be routed under the policy in force, without proposing it.
// Nothing is stored and nothing is appended.
import { InputError } from '../errors.js';
import type { Reason, RouteDecision } from '../policy/index.js';
import { assertNoProblems, collectProblems, parseMetrics, type SourcedProblem } from '../promotion/inputs.js';
import type { RouteRef } from '../promotion/types.js';
import { equalDigests, isDigest, type Digest } from '../signing/digest.js';
import { requirementOfRoute, type ApprovalRequirement } from '../gate/verify-promotion.js';
import type { Home } from './home.js';
import { findPolicyInForce } from './policy.js';
import { CONTEXT_PATTERN, CONTEXT_RULE, findRegistered } from './promote.js';
import { readInput, type DatasetRegistration, type ModelRegistration } from './register.js';
import { routeCandidate } from './route.js';

export interface TryRouteOptions {
  readonly model: string;
  readonly dataset: string;
  readonly metricsFile: string;
  readonly context: string;
  /** Entry id of the feature-pipeline promotion the model consumes. */
  readonly featurePipeline?: string;
}

export interface TryRouteResult {
  readonly model: { readonly name: string; readonly digest: Digest };
  readonly context: string;
  readonly policy: { readonly digest: Digest; readonly version: number; readonly entry: Digest };
  readonly materiality: RouteDecision['materiality'];
  readonly tier: string;
  /** Every reason with the values that fired it (empty when low). */
  readonly reasons: readonly Reason[];
  /** The route as a promotion would seal it now. */
  readonly route: RouteRef;
  readonly requirement: ApprovalRequirement;
  readonly bandsForNext: RouteDecision['bandsForNext'];
  /** The previous promotion the candidate was measured against, if any. */
  readonly previous?: Digest;
}

export async function tryRoute(home: Home, options: TryRouteOptions): Promise<TryRouteResult> {
  const problems: SourcedProblem[] = [];
  const problem = (source: string, message: string): void =>
    void problems.push({ source, path: '', message });
  if (!CONTEXT_PATTERN.test(options.context)) problem('--context', CONTEXT_RULE);
  const featurePipeline = options.featurePipeline;
  if (featurePipeline !== undefined && !isDigest(featurePipeline)) {
    problem('--feature-pipeline', 'must be the entry id of a feature-pipeline promotion (sha256:…)');
  }
  const model = await findRegistered<ModelRegistration>(home, 'model', options.model, '--model', problem);
  const dataset = await findRegistered<DatasetRegistration>(
    home,
    'dataset',
    options.dataset,
    '--dataset',
    problem,
  );
  const metrics = collectProblems(
    problems,
    '--metrics',
    parseMetrics(await readInput(options.metricsFile, '--metrics')),
  );
  if (metrics && dataset && !equalDigests(metrics.dataset, dataset.record.digest)) {
    problem(
      '--dataset',
      `the metrics were computed on ${metrics.dataset} but --dataset is ${options.dataset}`,
    );
  }
  assertNoProblems(problems, 'the candidate');
  if (!model || !metrics) throw new InputError('INVALID_ARGUMENT', 'the candidate is incomplete');
  const inForce = await findPolicyInForce(home);
  if (!inForce) {
    throw new InputError(
      'NOT_FOUND',
      'no materiality policy is in force, so there is nothing to route by: every promotion needs one approval by a holder of the approver role',
    );
  }
  const routed = await routeCandidate(
    home,
    inForce,
    model.record,
    metrics.candidate,
    options.context,
    featurePipeline !== undefined && isDigest(featurePipeline) ? featurePipeline : undefined,
  );
  return {
    model: { name: model.record.name, digest: model.record.digest },
    context: options.context,
    policy: { digest: inForce.record.policy, version: inForce.record.version, entry: inForce.record.entry },
    materiality: routed.decision.materiality,
    tier: routed.decision.tier,
    reasons: routed.decision.reasons,
    route: routed.route,
    requirement: requirementOfRoute(routed.route, model.record.name, inForce.policy),
    bandsForNext: routed.decision.bandsForNext,
    ...(routed.view.previous ? { previous: routed.view.previous.entry } : {}),
  };
}
