// Checks a sealed promotion the way the gate, replay and verify do, given the authority state and the
// promotion's own position: the requester's signature and bound key, every approval (signature,
// statement about this decision and view, key bound and a role the route accepts held at its ledger
// size and at the seal), and that the approvals meet the requirement of the sealed route, computed from
// the policy document the route names (never from the policy in force today). Pure: objects and
// inclusion are checked by the caller, which also reads the sealed policy document.
import { APPROVER_ROLE, type AuthorityState } from '../authority/state.js';
import { InputError, SignetError } from '../errors.js';
import type { OpenedEntry } from '../ledger/entry.js';
import { requirementFor, type Policy } from '../policy/index.js';
import { verifyApproval } from '../promotion/approval.js';
import { verifyRequestSignature } from '../promotion/draft.js';
import type { PipelinePromotionPredicate } from '../promotion/pipeline.js';
import type { PromotionPredicate, RouteRef } from '../promotion/types.js';
import type { Digest } from '../signing/digest.js';
import { keyIdOf } from '../signing/keys.js';

export interface Reason {
  readonly code: string;
  readonly message: string;
}

/**
 * What a sealed route needs from approvers: `quorum` distinct people, none of them the requester, each
 * holding one of `roles` for the model. `approver`: a route sealed before any policy was in force (one
 * holder of the approver role); `oncall`: the low path (one holder of the policy's on-call role);
 * `committee`: the material path (the tier's committee).
 */
export interface ApprovalRequirement {
  readonly kind: 'approver' | 'oncall' | 'committee';
  readonly roles: readonly string[];
  readonly quorum: number;
}

/** Before a materiality policy is in force: one approval by a holder of the approver role. */
export const APPROVER_REQUIREMENT: ApprovalRequirement = {
  kind: 'approver',
  roles: [APPROVER_ROLE],
  quorum: 1,
};

/**
 * The requirement of a sealed route. A route that names no policy needs one approver; one that names a
 * policy needs what that policy says for the route (`requirementFor`), and `policy` must be that
 * document (the caller reads it by the digest the route names). Throws InputError INVALID_ARGUMENT when
 * the route names a policy and none is given, or the policy defines no such tier.
 *
 * @example
 * requirementOfRoute(promotion.route, promotion.model.name, await readSealedPolicy(promotion.route.policy));
 * // { kind: 'committee', roles: ['model-risk', 'credit-risk'], quorum: 2 }
 */
export function requirementOfRoute(
  route: RouteRef,
  modelName: string,
  policy: Policy | undefined,
): ApprovalRequirement {
  if (route.policy === undefined) return APPROVER_REQUIREMENT;
  if (policy === undefined) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `the route names the policy ${route.policy}, which could not be read: what it needs is unknown`,
    );
  }
  const requirement = requirementFor(policy, modelName, route);
  return requirement.kind === 'oncall'
    ? { kind: 'oncall', roles: [requirement.role], quorum: 1 }
    : { kind: 'committee', roles: [...requirement.roles], quorum: requirement.quorum };
}

/** `one approval by a holder of oncall`, `2 distinct approvals by holders of model-risk or credit-risk`. */
export function describeRequirement(requirement: ApprovalRequirement): string {
  const roles = requirement.roles.join(' or ');
  return requirement.quorum === 1
    ? `one approval by a holder of ${roles}`
    : `${requirement.quorum} approvals by distinct holders of ${roles}`;
}

/** A sealed decision: a model promotion or a feature-pipeline promotion. */
export type SealedDecision = PromotionPredicate | PipelinePromotionPredicate;

/** What a sealed decision is about: the model, or the feature pipeline (name and content digest). */
export function subjectOfDecision(decision: SealedDecision): {
  readonly name: string;
  readonly digest: Digest;
} {
  return 'pipeline' in decision ? decision.pipeline : decision.model;
}

/**
 * Every reason the sealed promotion (of a model or a feature pipeline) does not verify; empty when it does. `policy` is the policy document
 * the sealed route names (read by the caller from the object store), undefined when it names none or it
 * could not be read (the caller reports why).
 */
export function promotionReasons(
  entry: OpenedEntry,
  promotion: SealedDecision,
  authority: AuthorityState,
  policy: Policy | undefined,
): Reason[] {
  const reasons: Reason[] = [];
  const subject = subjectOfDecision(promotion);
  const position = { size: entry.index, time: entry.time };
  const fail = (error: unknown, what: string): void => {
    reasons.push(
      error instanceof SignetError
        ? { code: error.code, message: `${what}: ${error.message}` }
        : { code: 'INTERNAL', message: `${what}: ${String(error)}` },
    );
  };
  try {
    const publicKey = verifyRequestSignature(promotion.request.inputs, promotion.request.signature);
    if (!authority.keyAt(promotion.request.author.subject, keyIdOf(publicKey), position)) {
      reasons.push({
        code: 'KEY_NOT_BOUND',
        message: `the requester's key is not bound to ${promotion.request.author.subject}`,
      });
    }
  } catch (error) {
    fail(error, 'request');
  }
  const facts = {
    draft: promotion.draft,
    view: promotion.view.digest,
    model: subject.digest,
    request: promotion.request.document,
    context: promotion.context,
  };
  const sealedPolicy = promotion.route.policy;
  if (
    sealedPolicy !== undefined &&
    !authority.policies().some((p) => p.policy === sealedPolicy && p.index < entry.index)
  ) {
    reasons.push({
      code: 'INCONSISTENT_LOG',
      message: `the route names the policy ${sealedPolicy}, which no policy entry before this promotion applied`,
    });
  }
  let requirement: ApprovalRequirement;
  try {
    requirement = requirementOfRoute(promotion.route, subject.name, policy);
  } catch (error) {
    fail(error, 'the requirement of the sealed route');
    reasons.push({ code: 'NOT_APPROVED', message: 'the approvals cannot be checked against the route' });
    return reasons;
  }
  const approvers = new Set<string>();
  for (const approval of promotion.approvals) {
    try {
      verifyApproval(approval, facts, {
        authority,
        modelName: subject.name,
        requester: promotion.request.author.subject,
        roles: requirement.roles,
        position,
      });
      approvers.add(approval.identity.subject);
    } catch (error) {
      fail(error, `approval by ${approval.identity?.subject ?? 'unknown'}`);
    }
  }
  if (approvers.size < requirement.quorum) {
    reasons.push({
      code: 'NOT_APPROVED',
      message: `${approvers.size} valid approval(s) from distinct people; the ${promotion.route.materiality} route needs ${describeRequirement(requirement)}`,
    });
  }
  return reasons;
}
