// Checks a sealed promotion the way the gate, replay and verify do, given the authority state and the
// promotion's own position: the requester's signature and bound key, every approval (signature,
// statement about this decision and view, key bound and role held at its ledger size and at the seal),
// and that the approvals meet the requirement. Pure: objects and inclusion are checked by the caller.
import type { AuthorityState } from '../authority/state.js';
import { SignetError } from '../errors.js';
import type { OpenedEntry } from '../ledger/entry.js';
import { verifyApproval } from '../promotion/approval.js';
import { verifyRequestSignature } from '../promotion/draft.js';
import type { PromotionPredicate, RouteRef } from '../promotion/types.js';
import { keyIdOf } from '../signing/keys.js';

export interface Reason {
  readonly code: string;
  readonly message: string;
}

/** How many distinct valid approvals a route needs (before policies: one). */
export function requiredApprovals(route: RouteRef): number {
  return route.materiality === 'low' || route.materiality === 'material' ? 1 : Number.POSITIVE_INFINITY;
}

export function promotionReasons(
  entry: OpenedEntry,
  promotion: PromotionPredicate,
  authority: AuthorityState,
): Reason[] {
  const reasons: Reason[] = [];
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
    model: promotion.model.digest,
    request: promotion.request.document,
    context: promotion.context,
  };
  const approvers = new Set<string>();
  for (const approval of promotion.approvals) {
    try {
      verifyApproval(approval, facts, {
        authority,
        modelName: promotion.model.name,
        requester: promotion.request.author.subject,
        position,
      });
      approvers.add(approval.identity.subject);
    } catch (error) {
      fail(error, `approval by ${approval.identity?.subject ?? 'unknown'}`);
    }
  }
  const required = requiredApprovals(promotion.route);
  if (approvers.size < required) {
    reasons.push({
      code: 'NOT_APPROVED',
      message: `${approvers.size} valid approval(s) from distinct people; the route needs ${required}`,
    });
  }
  return reasons;
}
