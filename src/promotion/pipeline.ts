// The feature-pipeline promotion: the code that computes a model's features is promoted with its own
// sealed event — the pipeline code by content digest, the output contract it produces, the request, the
// approvals, the route and the frozen review document — so a model promotion can name the pipeline
// version it consumes by entry id and the lineage holds at the point auditors push on (the seed's "the
// feature pipeline needs its own promotion discipline"). Routed by the same engine: a change of the
// output contract is material. Approved through the same drafts, statements and signatures as a model.
import { InputError, VerificationError } from '../errors.js';
import { isRecord, predicateTypeOf, subjectOf, type EntryDraft } from '../ledger/entry.js';
import { isDigest, type Digest } from '../signing/digest.js';
import { sealedDecisionProblems } from './seal.js';
import type { Approval, Ed25519Signature, IdentityRef, RequestRef, RouteRef, ViewRef } from './types.js';

export const PIPELINE_PROMOTION_KIND = 'feature-pipeline-promotion';
export const PIPELINE_PROMOTION_PREDICATE_TYPE = predicateTypeOf(PIPELINE_PROMOTION_KIND);
export const PIPELINE_DRAFT_TYPE = 'signet-pipeline-draft/v1';
export const PIPELINE_REGISTRATION_TYPE = 'signet-pipeline-registration/v1';

/** The pipeline as sealed. */
export interface PipelineRef {
  readonly name: string;
  /** The pipeline code: a file's SHA-256, or a folder's manifest digest. */
  readonly digest: Digest;
  /** The manifest object of a folder (equal to `digest`); absent for a single file. */
  readonly manifest?: Digest;
  /** Object digest of the output contract (the features it produces; the input-contract format). */
  readonly outputContract: Digest;
  /** Object digest of the registration record. */
  readonly registration: Digest;
}

/** Every input of a pipeline promotion, frozen before anyone approves; its digest is what the requester signs. */
export interface PipelineDraftInputs {
  readonly type: typeof PIPELINE_DRAFT_TYPE;
  readonly draft: string;
  readonly pipeline: PipelineRef;
  /** Object digest of the request Markdown. */
  readonly request: Digest;
  readonly requester: IdentityRef;
  /** The deployment context whose models the pipeline feeds. */
  readonly context: string;
  readonly route: RouteRef;
  /** Entry id of the previous promotion of this pipeline name. */
  readonly previous?: Digest;
}

/** The predicate of a `feature-pipeline-promotion` entry. */
export interface PipelinePromotionPredicate {
  readonly pipeline: PipelineRef;
  readonly request: RequestRef;
  readonly approvals: readonly Approval[];
  readonly route: RouteRef;
  readonly view: ViewRef;
  readonly context: string;
  readonly draft: string;
  readonly previous?: Digest;
}

export interface PipelineSealInput {
  readonly inputs: PipelineDraftInputs;
  readonly inputsDigest: Digest;
  readonly requestSignature: Ed25519Signature;
  readonly view: ViewRef;
  readonly approvals: readonly Approval[];
}

export function buildPipelinePromotion(input: PipelineSealInput): EntryDraft {
  const { inputs } = input;
  const predicate: PipelinePromotionPredicate = {
    pipeline: inputs.pipeline,
    request: {
      document: inputs.request,
      author: inputs.requester,
      signature: input.requestSignature,
      inputs: input.inputsDigest,
    },
    approvals: input.approvals,
    route: inputs.route,
    view: input.view,
    context: inputs.context,
    draft: inputs.draft,
    ...(inputs.previous ? { previous: inputs.previous } : {}),
  };
  const problems = pipelinePromotionProblems(predicate);
  if (problems.length > 0) {
    throw new InputError(
      'INVALID_STATEMENT',
      `a feature-pipeline promotion cannot be sealed: ${problems.join('; ')}`,
      { details: { problems } },
    );
  }
  return {
    subject: [subjectOf(inputs.pipeline.name, inputs.pipeline.digest)],
    predicateType: PIPELINE_PROMOTION_PREDICATE_TYPE,
    predicate: predicate as unknown as Record<string, unknown>,
  };
}

/** Reads a feature-pipeline-promotion predicate (attacker-controlled) and checks its shape. */
export function readPipelinePromotion(
  predicate: Readonly<Record<string, unknown>>,
): PipelinePromotionPredicate {
  const problems = pipelinePromotionProblems(predicate);
  if (problems.length > 0) {
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `a malformed feature-pipeline-promotion entry: ${problems.join('; ')}`,
    );
  }
  return predicate as unknown as PipelinePromotionPredicate;
}

/** Every missing or malformed sealed field, by name. */
export function pipelinePromotionProblems(value: unknown): string[] {
  if (!isRecord(value)) return ['the predicate is not an object'];
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  const pipeline = value['pipeline'];
  need(
    isRecord(pipeline) &&
      typeof pipeline['name'] === 'string' &&
      pipeline['name'].length > 0 &&
      isDigest(pipeline['digest']) &&
      isDigest(pipeline['outputContract']) &&
      isDigest(pipeline['registration']) &&
      (pipeline['manifest'] === undefined || isDigest(pipeline['manifest'])),
    'pipeline (name, code digest, output contract, registration)',
  );
  problems.push(...sealedDecisionProblems(value));
  need(value['previous'] === undefined || isDigest(value['previous']), 'previous (an entry id)');
  return problems;
}

/** Every object a pipeline promotion references: verify, the gate and replay check each. */
export function pipelinePromotionObjects(promotion: PipelinePromotionPredicate): Digest[] {
  const { pipeline, request, view, route } = promotion;
  return [
    pipeline.registration,
    ...(pipeline.manifest ? [pipeline.manifest] : []),
    pipeline.outputContract,
    request.document,
    request.inputs,
    view.digest,
    ...(route.policy ? [route.policy] : []),
  ];
}
