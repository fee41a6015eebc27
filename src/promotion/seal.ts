// Sealing: the six fields — model, challenger comparison, request, approvals, explanations, dataset —
// with the route and the view, in one model-promotion entry (DESIGN invariant 3). A promotion missing
// any of them cannot be built: the types require each, and `buildPromotion` checks again at run time,
// since values arrive from stored JSON.
import { InputError, VerificationError } from '../errors.js';
import { isRecord, predicateTypeOf, subjectOf, type EntryDraft } from '../ledger/entry.js';
import { checkBands } from '../policy/schema.js';
import { isDigest, type Digest } from '../signing/digest.js';
import type { DraftInputs } from './draft.js';
import type { Approval, Ed25519Signature, PromotionPredicate, ViewRef } from './types.js';

export const PROMOTION_KIND = 'model-promotion';
/** The kind of the entry that withdraws a promotion (model or feature-pipeline). */
export const REVOCATION_KIND = 'revocation';
export const PROMOTION_PREDICATE_TYPE = predicateTypeOf(PROMOTION_KIND);

export interface SealInput {
  readonly inputs: DraftInputs;
  readonly inputsDigest: Digest;
  readonly requestSignature: Ed25519Signature;
  readonly view: ViewRef;
  readonly approvals: readonly Approval[];
}

export function buildPromotion(input: SealInput): EntryDraft {
  const { inputs } = input;
  const predicate: PromotionPredicate = {
    model: inputs.model,
    challenger: inputs.challenger,
    request: {
      document: inputs.request,
      author: inputs.requester,
      signature: input.requestSignature,
      inputs: input.inputsDigest,
    },
    approvals: input.approvals,
    explanations: inputs.explanations,
    dataset: inputs.dataset,
    route: inputs.route,
    view: input.view,
    context: inputs.context,
    draft: inputs.draft,
    ...(inputs.previous ? { previous: inputs.previous } : {}),
    ...(inputs.bandsForNext ? { bandsForNext: inputs.bandsForNext } : {}),
    ...(inputs.monitoring ? { monitoring: inputs.monitoring } : {}),
  };
  const problems = promotionProblems(predicate);
  if (problems.length > 0) {
    throw new InputError('INVALID_STATEMENT', `a promotion cannot be sealed: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return {
    subject: [
      subjectOf(inputs.model.name, inputs.model.digest),
      subjectOf(inputs.dataset.label, inputs.dataset.digest),
    ],
    predicateType: PROMOTION_PREDICATE_TYPE,
    predicate: predicate as unknown as Record<string, unknown>,
  };
}

/** Reads a model-promotion predicate from an entry (attacker-controlled) and checks its shape. */
export function readPromotion(predicate: Readonly<Record<string, unknown>>): PromotionPredicate {
  const problems = promotionProblems(predicate);
  if (problems.length > 0) {
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `a malformed model-promotion entry: ${problems.join('; ')}`,
    );
  }
  return predicate as unknown as PromotionPredicate;
}

/** Every missing or malformed sealed field, by name. */
export function promotionProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(value)) return ['the predicate is not an object'];
  const need = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  const model = value['model'];
  need(
    isRecord(model) && isDigest(model['digest']) && typeof model['name'] === 'string',
    'model (name and digest)',
  );
  const challenger = value['challenger'];
  need(
    isRecord(challenger) &&
      isRecord(challenger['against']) &&
      isDigest(challenger['against']['digest']) &&
      isDigest(challenger['evaluationSet']) &&
      isRecord(challenger['metrics']) &&
      isDigest(challenger['report']),
    'challenger comparison (against, evaluation set, metrics, report)',
  );
  const explanations = value['explanations'];
  need(
    Array.isArray(explanations) &&
      explanations.length > 0 &&
      explanations.every((e) => isRecord(e) && isDigest(e['digest']) && typeof e['kind'] === 'string'),
    'explanations (at least one, by digest)',
  );
  const dataset = value['dataset'];
  need(isRecord(dataset) && isDigest(dataset['digest']), 'dataset (by digest)');
  need(
    value['bandsForNext'] === undefined || checkBands(value['bandsForNext']).ok,
    'bandsForNext (metric bands)',
  );
  const monitoring = value['monitoring'];
  need(
    monitoring === undefined ||
      (isRecord(monitoring) &&
        isDigest(monitoring['reference']) &&
        (monitoring['scoreColumn'] === undefined || typeof monitoring['scoreColumn'] === 'string')),
    'monitoring (reference bins by digest)',
  );
  problems.push(...sealedDecisionProblems(value));
  if (isRecord(dataset) && isRecord(challenger) && dataset['digest'] !== challenger['evaluationSet']) {
    problems.push('the challenger metrics were computed on another dataset than the sealed one');
  }
  return problems;
}

/**
 * The problems of the fields every sealed decision has, of a model or a feature pipeline: the request,
 * the approvals, the view, the route, the context and the draft.
 */
export function sealedDecisionProblems(value: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  const request = value['request'];
  need(
    isRecord(request) &&
      isDigest(request['document']) &&
      isRecord(request['author']) &&
      isRecord(request['signature']) &&
      isDigest(request['inputs']),
    'approval request (document, author, signature)',
  );
  const approvals = value['approvals'];
  need(
    Array.isArray(approvals) && approvals.length > 0 && approvals.every(isRecord),
    'approvals (at least one)',
  );
  const view = value['view'];
  need(
    isRecord(view) && isDigest(view['digest']) && typeof view['renderer'] === 'string',
    'view (digest and renderer)',
  );
  const route = value['route'];
  need(
    isRecord(route) &&
      (route['materiality'] === 'low' || route['materiality'] === 'material') &&
      typeof route['tier'] === 'string' &&
      Array.isArray(route['reasons']) &&
      (route['policy'] === undefined || isDigest(route['policy'])),
    'route (materiality, tier, reasons, policy digest)',
  );
  need(typeof value['context'] === 'string' && value['context'].length > 0, 'context');
  need(typeof value['draft'] === 'string', 'draft');
  return problems;
}

/** Every object a promotion references: `signet verify`, the gate and replay check each. */
export function promotionObjects(promotion: PromotionPredicate): Digest[] {
  const { model, challenger, request, explanations, dataset, view, route } = promotion;
  return [
    model.registration,
    ...(model.manifest ? [model.manifest] : []),
    ...(model.hyperparameters ? [model.hyperparameters] : []),
    ...(model.inputContract ? [model.inputContract] : []),
    challenger.report,
    request.document,
    request.inputs,
    ...explanations.map((e) => e.digest),
    dataset.registration,
    ...(dataset.manifest ? [dataset.manifest] : []),
    view.digest,
    ...(route.policy ? [route.policy] : []),
    ...(promotion.monitoring ? [promotion.monitoring.reference] : []),
  ];
}
