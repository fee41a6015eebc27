// Propose, approve, reject and seal: the draft's inputs are frozen as objects, the review document is
// rendered from them and stored before anyone can approve, approvals are signed statements over that
// view, and the promotion is sealed once the approvals meet the requirement. The candidate is routed
// before anything is stored, because what the proposal must carry depends on the route: on the low path
// the challenger may be left to Signet (the incumbent), on the material path a person names it and
// writes the request.
import { randomBytes } from 'node:crypto';

import { InputError } from '../errors.js';
import { openEntry } from '../ledger/entry.js';
import {
  assertNoProblems,
  assertProposalInputs,
  type ProposalInputs,
  type SourcedProblem,
} from '../promotion/inputs.js';
import {
  DRAFT_INPUTS_TYPE,
  serializeDraftInputs,
  signRequest,
  type DraftInputs,
} from '../promotion/draft.js';
import { isGeneratedRequest } from '../promotion/request.js';
import { PROMOTION_KIND, readPromotion } from '../promotion/seal.js';
import type { ChallengerRef, IdentityRef, RouteRef } from '../promotion/types.js';
import { RENDERER_VERSION, renderReview } from '../review/index.js';
import { canonicalize } from '../signing/canonical-json.js';
import { isDigest, type Digest } from '../signing/digest.js';
import type { Signer } from '../signing/keys.js';
import {
  APPROVER_REQUIREMENT,
  requirementOfRoute,
  type ApprovalRequirement,
} from '../gate/verify-promotion.js';
import { loadAuthority } from './authority.js';
import type { Home } from './home.js';
import { findPolicyInForce } from './policy.js';
import { routeCandidate, type Routed } from './route.js';
import {
  DATASET_REGISTRATION_TYPE,
  MODEL_REGISTRATION_TYPE,
  readInput,
  readRegistration,
  type DatasetRegistration,
  type ModelRegistration,
} from './register.js';

export const CONTEXT_PATTERN = /^[a-z0-9][a-z0-9._:/-]{0,127}$/;
export const CONTEXT_RULE = 'must be 1–128 lowercase letters, digits and . _ : / - (e.g. retail-credit/uk)';

export function assertContext(context: string): void {
  if (!CONTEXT_PATTERN.test(context)) {
    throw new InputError('INVALID_ARGUMENT', `--context ${JSON.stringify(context)} ${CONTEXT_RULE}`);
  }
}

/** Before a materiality policy is in force, every promotion needs one approval by an approver. */
export const DEFAULT_ROUTE: RouteRef = {
  materiality: 'material',
  tier: 'standard',
  reasons: ['no materiality policy is in force: one approval by a holder of the approver role is required'],
};

export interface Actor {
  readonly identity: string;
  readonly signer: Signer;
}

export interface ProposeOptions {
  readonly model: string;
  /**
   * A promotion entry id (the incumbent) or a registered model digest (a baseline). Without it, a
   * candidate routed low is measured against the incumbent (the model's previous promotion); a material
   * one must name its challenger.
   */
  readonly challenger?: string;
  readonly dataset: string;
  readonly metricsFile: string;
  readonly explanationFiles: readonly string[];
  readonly requestFile: string;
  readonly context: string;
  /** Entry id of the feature-pipeline promotion the model consumes (`--feature-pipeline`). */
  readonly featurePipeline?: string;
  readonly as: Actor;
}

export interface ProposeResult {
  readonly draft: string;
  readonly view: Digest;
  readonly inputs: Digest;
  /** The challenger the draft names: as given, or the incumbent filled in on the low path. */
  readonly challenger: ChallengerRef['against'];
  /** The route sealed in the draft, and what it needs from approvers. */
  readonly route: RouteRef;
  readonly requirement: ApprovalRequirement;
}

export function identityRef(home: Home, identity: string): IdentityRef {
  return { issuer: `signet:${home.config.origin}`, subject: identity };
}

export async function propose(home: Home, options: ProposeOptions): Promise<ProposeResult> {
  const problems: SourcedProblem[] = [];
  const problem = (source: string, message: string): void =>
    void problems.push({ source, path: '', message });
  if (!CONTEXT_PATTERN.test(options.context)) {
    problem('--context', CONTEXT_RULE);
  }
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

  let parsed: ProposalInputs | undefined;
  let requestBytes: Uint8Array | undefined;
  const readAll = async (): Promise<void> => {
    requestBytes = await readInput(options.requestFile, '--request');
    parsed = assertProposalInputs({
      dataset: options.dataset,
      metrics: await readInput(options.metricsFile, '--metrics'),
      request: requestBytes,
      explanations: await Promise.all(
        options.explanationFiles.map(async (file) => ({
          name: baseName(file),
          bytes: await readInput(file, '--explanation'),
        })),
      ),
    });
  };
  try {
    await readAll();
  } catch (error) {
    const listed =
      error instanceof InputError ? (error.details?.['problems'] as SourcedProblem[] | undefined) : undefined;
    if (!listed) throw error;
    problems.push(...listed);
  }
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  if (!authority.hasAnyKey(options.as.identity, { size })) {
    problem(
      '--as',
      `${options.as.identity} has no bound key: an admin must run \`signet identity bind\` first`,
    );
  } else if (!authority.keyAt(options.as.identity, options.as.signer.keyId, { size })) {
    problem('--as', `the key in your keys folder is not the key bound to ${options.as.identity}`);
  }
  // Route by rule (DESIGN invariant 8) when a policy is in force; before the first policy entry, every
  // promotion takes the default route. Without a model or readable metrics the route is unknown, and
  // what depends on it waits until the other problems are fixed.
  const inForce = await findPolicyInForce(home, authority, size);
  let routed: Routed | undefined;
  if (inForce && model && parsed) {
    routed = await routeCandidate(
      home,
      inForce,
      model.record,
      parsed.metrics.candidate,
      options.context,
      featurePipeline !== undefined && isDigest(featurePipeline) ? featurePipeline : undefined,
    );
  }
  const route = inForce ? routed?.route : DEFAULT_ROUTE;
  const previous = model ? await findPreviousPromotion(home, model.record.name) : undefined;
  const challenger =
    options.challenger !== undefined
      ? await resolveChallenger(home, options.challenger, problem)
      : await fillInChallenger(home, route, model?.record.name, previous, problem);
  if (route?.materiality === 'material' && requestBytes && isGeneratedRequest(requestBytes)) {
    problem(
      '--request',
      "a material promotion's request must be written by a person, and this one was generated by `signet promote`",
    );
  }
  assertProposable(problems, route);
  if (!parsed || !model || !dataset || !challenger || !route || !requestBytes)
    throw new InputError('INVALID_ARGUMENT', 'the proposal is incomplete');

  const id = `draft-${randomBytes(8).toString('hex')}`;
  const request = (await home.objects.put(requestBytes)).digest;
  const report = (await home.objects.put(canonicalize(parsed.metrics))).digest;
  const explanations = [];
  for (const [i, file] of options.explanationFiles.entries()) {
    const stored = await home.objects.put(await readInput(file, '--explanation'));
    const detected = parsed.explanations[i]!;
    explanations.push({
      kind: detected.kind,
      mediaType: detected.mediaType,
      digest: stored.digest,
      name: detected.name,
    });
  }
  const inputs: DraftInputs = {
    type: DRAFT_INPUTS_TYPE,
    draft: id,
    model: {
      name: model.record.name,
      digest: model.record.digest,
      ...(model.record.manifest ? { manifest: model.record.manifest } : {}),
      class: model.record.class,
      hyperparameterFamily: model.record.hyperparameterFamily,
      ...(model.record.hyperparameters ? { hyperparameters: model.record.hyperparameters } : {}),
      ...(model.record.inputContract ? { inputContract: model.record.inputContract } : {}),
      ...(featurePipeline !== undefined && isDigest(featurePipeline) ? { featurePipeline } : {}),
      registration: model.registration,
    },
    challenger: {
      ...challenger,
      evaluationSet: parsed.metrics.dataset,
      metrics: { candidate: parsed.metrics.candidate, challenger: parsed.metrics.challenger },
      report,
    },
    request,
    requester: identityRef(home, options.as.identity),
    explanations,
    dataset: {
      digest: dataset.record.digest,
      label: dataset.record.label,
      format: dataset.record.format,
      ...(dataset.record.rows !== undefined ? { rows: dataset.record.rows } : {}),
      ...(dataset.record.manifest ? { manifest: dataset.record.manifest } : {}),
      registration: dataset.registration,
    },
    context: options.context,
    route,
    ...(routed ? { bandsForNext: routed.decision.bandsForNext } : {}),
    ...(parsed.metrics.higherIsBetter ? { higherIsBetter: parsed.metrics.higherIsBetter } : {}),
    ...(previous ? { previous } : {}),
  };
  const inputsDigest = (await home.objects.put(serializeDraftInputs(inputs))).digest;
  const requestSignature = signRequest(inputsDigest, options.as.signer);
  const requestSignatureObject = (await home.objects.put(canonicalize(requestSignature))).digest;
  // The view is stored before the draft exists, so nobody can approve a screen that is not frozen.
  const view = (await home.objects.put(await renderView(home, inputs))).digest;
  await home.drafts.createDraft({
    id,
    status: 'open',
    inputs: inputsDigest,
    view,
    requester: options.as.identity,
    model: inputs.model.name,
    context: inputs.context,
    route: inputs.route.materiality,
    tier: inputs.route.tier,
    createdAt: new Date().toISOString(),
    requestSignature: requestSignatureObject,
  });
  const requirement = inForce
    ? requirementOfRoute(inputs.route, inputs.model.name, inForce.policy)
    : APPROVER_REQUIREMENT;
  return {
    draft: id,
    view,
    inputs: inputsDigest,
    challenger: challenger.against,
    route: inputs.route,
    requirement,
  };
}

/**
 * Throws the proposal's problems as one InputError; the route goes with them in `details.route` when it
 * is known, so a caller can tell "material now" from bad input (`signet promote` does).
 */
function assertProposable(problems: readonly SourcedProblem[], route: RouteRef | undefined): void {
  try {
    assertNoProblems(problems);
  } catch (error) {
    if (!(error instanceof InputError) || route === undefined) throw error;
    throw new InputError(error.code, error.message, { details: { ...error.details, route } });
  }
}

/** Renders the review document of a draft from its frozen inputs and the objects they name. */
export async function renderView(home: Home, inputs: DraftInputs): Promise<Uint8Array> {
  const markdown = Buffer.from(await home.objects.get(inputs.request)).toString('utf8');
  const explanations = [];
  for (const ref of inputs.explanations)
    explanations.push({ ref, bytes: await home.objects.get(ref.digest) });
  return renderReview({
    draft: inputs.draft,
    model: inputs.model,
    context: inputs.context,
    request: { markdown, digest: inputs.request, author: inputs.requester },
    challenger: inputs.challenger,
    ...(inputs.higherIsBetter ? { higherIsBetter: inputs.higherIsBetter } : {}),
    explanations,
    dataset: inputs.dataset,
    route: inputs.route,
  });
}

export { RENDERER_VERSION };

function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] ?? file;
}

/** A registered model or dataset by digest; a problem (and undefined) when it is not one. */
export async function findRegistered<T extends ModelRegistration | DatasetRegistration>(
  home: Home,
  kind: 'model' | 'dataset',
  digest: string,
  source: string,
  problem: (source: string, message: string) => void,
): Promise<{ registration: Digest; record: T } | undefined> {
  if (!isDigest(digest)) {
    problem(source, 'must be "sha256:" followed by 64 lowercase hex digits');
    return undefined;
  }
  const row = await home.drafts.findRegistration(kind, digest);
  if (!row) {
    problem(source, `${digest} is not registered: run \`signet ${kind} register\` first`);
    return undefined;
  }
  const type = kind === 'model' ? MODEL_REGISTRATION_TYPE : DATASET_REGISTRATION_TYPE;
  return { registration: row.registration, record: await readRegistration<T>(home, row.registration, type) };
}

/** `--challenger`: the entry id of a promotion (the incumbent) or the digest of a registered model. */
async function resolveChallenger(
  home: Home,
  ref: string,
  problem: (source: string, message: string) => void,
): Promise<Pick<ChallengerRef, 'against'> | undefined> {
  if (!isDigest(ref)) {
    problem('--challenger', 'must be a promotion entry id or a registered model digest (sha256:…)');
    return undefined;
  }
  const stored = await home.ledger.find(ref);
  if (stored) {
    const entry = openEntry(stored.envelope, home.logPublicKey);
    if (entry.kind !== PROMOTION_KIND) {
      problem('--challenger', `entry ${ref} is a ${entry.kind} entry, not a model promotion`);
      return undefined;
    }
    const promotion = readPromotion(entry.statement.predicate);
    return { against: { kind: 'incumbent', entry: entry.id, digest: promotion.model.digest } };
  }
  if (await home.drafts.findRegistration('model', ref)) return { against: { kind: 'baseline', digest: ref } };
  problem('--challenger', `${ref} is neither a promotion entry nor a registered model`);
  return undefined;
}

/**
 * No `--challenger`: on the low path the incumbent, resolved exactly as if its promotion entry id had
 * been given. A material promotion (or any promotion while no policy is in force, or a first one) must
 * name its challenger. Nothing is reported while the route is unknown (the other problems come first).
 */
async function fillInChallenger(
  home: Home,
  route: RouteRef | undefined,
  modelName: string | undefined,
  previous: Digest | undefined,
  problem: (source: string, message: string) => void,
): Promise<Pick<ChallengerRef, 'against'> | undefined> {
  if (route === undefined) return undefined;
  if (route.policy !== undefined && route.materiality === 'low' && previous !== undefined) {
    return resolveChallenger(home, previous, problem);
  }
  const why =
    route.policy === undefined
      ? 'no materiality policy is in force, so every promotion is material'
      : route.materiality === 'material'
        ? `this one is routed material (${route.reasons.join('; ')})`
        : `${modelName ?? 'the model'} has no previous promotion to fill in`;
  problem(
    '--challenger',
    `a material promotion must name its challenger: ${why}; pass the incumbent's promotion entry id or a registered baseline model digest`,
  );
  return undefined;
}

/** The latest promotion entry of a model name, if any. */
export async function findPreviousPromotion(home: Home, modelName: string): Promise<Digest | undefined> {
  let latest: Digest | undefined;
  for await (const stored of home.ledger.entriesOfKinds([PROMOTION_KIND])) {
    const entry = openEntry(stored.envelope, home.logPublicKey);
    if (readPromotion(entry.statement.predicate).model.name === modelName) latest = entry.id;
  }
  return latest;
}
