// Approve, reject, seal and revoke.
import { signAction } from '../authority/actor.js';
import { ADMIN_ROLE, APPROVER_ROLE } from '../authority/state.js';
import { AuthorityError, InputError } from '../errors.js';
import { openEntry, predicateTypeOf, subjectOf, type SealedEntry } from '../ledger/entry.js';
import { createApproval, verifyApproval } from '../promotion/approval.js';
import {
  createApprovalStatement,
  DRAFT_INPUTS_TYPE,
  type DecisionFacts,
  type DraftInputs,
} from '../promotion/draft.js';
import { buildPromotion, PROMOTION_KIND, readPromotion } from '../promotion/seal.js';
import type { Approval, Ed25519Signature } from '../promotion/types.js';
import { RENDERER_VERSION } from '../review/index.js';
import { parseJson } from '../signing/canonical-json.js';
import type { Digest } from '../signing/digest.js';
import { isRecord } from '../ledger/entry.js';
import type { DraftRow } from '../store/drafts.js';
import type { ApprovalRequirement } from '../gate/verify-promotion.js';
import { loadAuthority } from './authority.js';
import type { Home } from './home.js';
import { requirementOfSealedRoute } from './policy.js';
import { identityRef, type Actor } from './promote.js';

export async function openDraft(home: Home, id: string): Promise<{ draft: DraftRow; inputs: DraftInputs }> {
  const draft = await home.drafts.getDraft(id);
  if (!draft) throw new InputError('NOT_FOUND', `no draft ${JSON.stringify(id)}`);
  const inputs = parseJson(await home.objects.get(draft.inputs), 'draft inputs');
  if (!isRecord(inputs) || inputs['type'] !== DRAFT_INPUTS_TYPE) {
    throw new InputError('INVALID_JSON', `object ${draft.inputs} is not a draft`);
  }
  return { draft, inputs: inputs as unknown as DraftInputs };
}

function factsOf(draft: DraftRow, inputs: DraftInputs): DecisionFacts {
  return {
    draft: draft.id,
    view: draft.view,
    model: inputs.model.digest,
    request: inputs.request,
    context: inputs.context,
  };
}

function assertOpen(draft: DraftRow): void {
  if (draft.status !== 'open') {
    throw new InputError(
      'DRAFT_CLOSED',
      `draft ${draft.id} is ${draft.status}${draft.closedBy ? ` (entry ${draft.closedBy})` : ''}`,
    );
  }
}

export interface ApproveResult {
  readonly approval: Approval;
  readonly sealed?: SealedEntry;
  /** Distinct people whose approvals of the current view verify. */
  readonly valid: number;
  readonly required: number;
  /** What the draft's route needs (from the policy it was routed by). */
  readonly requirement: ApprovalRequirement;
}

/** Signs the approval statement for the draft's current view as `as`, records it, and seals if enough. */
export async function approve(home: Home, id: string, as: Actor): Promise<ApproveResult> {
  const { draft, inputs } = await openDraft(home, id);
  assertOpen(draft);
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  const requirement = await requirementOfSealedRoute(home, inputs.route, inputs.model.name);
  const statement = createApprovalStatement('approve', factsOf(draft, inputs), as.identity, size);
  const approval = createApproval(statement, as.signer, identityRef(home, as.identity), {
    authority,
    modelName: inputs.model.name,
    requester: draft.requester,
    roles: requirement.roles,
    position: { size, time: new Date().toISOString() },
  });
  return submitApproval(home, id, approval);
}

/** Records an approval signed elsewhere (attacker-controlled): it must verify for this draft and view. */
export async function submitApproval(home: Home, id: string, approval: Approval): Promise<ApproveResult> {
  const { draft, inputs } = await openDraft(home, id);
  assertOpen(draft);
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  if (
    !isRecord(approval) ||
    !isRecord(approval.statementBody) ||
    !isRecord(approval.identity) ||
    !isRecord(approval.signature) ||
    typeof approval.identity.subject !== 'string'
  ) {
    throw new InputError(
      'INVALID_JSON',
      'the approval is not a signed approval object (statementBody, identity, signature)',
    );
  }
  const requirement = await requirementOfSealedRoute(home, inputs.route, inputs.model.name);
  verifyApproval(approval, factsOf(draft, inputs), {
    authority,
    modelName: inputs.model.name,
    requester: draft.requester,
    roles: requirement.roles,
    position: { size, time: new Date().toISOString() },
  });
  await home.drafts.putApproval({
    draft: id,
    identity: approval.identity.subject,
    view: draft.view,
    approval,
  });
  return trySeal(home, id, approval);
}

async function trySeal(home: Home, id: string, latest: Approval): Promise<ApproveResult> {
  const { draft, inputs } = await openDraft(home, id);
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  // What the route needs comes from the policy it was routed by, whatever policy is in force now.
  const requirement = await requirementOfSealedRoute(home, inputs.route, inputs.model.name);
  const valid: Approval[] = [];
  const people = new Set<string>();
  for (const stored of await home.drafts.listApprovals(id)) {
    // Approvals of an older view no longer count; each is re-checked at the position it would be sealed at.
    if (stored.view !== draft.view) continue;
    const approval = stored.approval as Approval;
    try {
      verifyApproval(approval, factsOf(draft, inputs), {
        authority,
        modelName: inputs.model.name,
        requester: draft.requester,
        roles: requirement.roles,
        position: { size, time: new Date().toISOString() },
      });
      // One person counts once, however many approvals of theirs are stored.
      if (people.has(approval.identity.subject)) continue;
      people.add(approval.identity.subject);
      valid.push(approval);
    } catch {
      // An approval that no longer verifies (a revoked role, say) simply does not count.
    }
  }
  const requestSignature = parseJson(
    await home.objects.get(draft.requestSignature),
    'request signature',
  ) as Ed25519Signature;
  const required = requirement.quorum;
  if (people.size < required) {
    return { approval: latest, valid: people.size, required, requirement };
  }
  const sealed = await home.ledger.append(
    buildPromotion({
      inputs,
      inputsDigest: draft.inputs,
      requestSignature,
      view: { digest: draft.view, renderer: RENDERER_VERSION },
      approvals: valid,
    }),
  );
  await home.drafts.closeDraft(id, 'sealed', sealed.id);
  return { approval: latest, sealed, valid: people.size, required, requirement };
}

/** Appends a rejection entry: rejections are records too. */
export async function reject(home: Home, id: string, as: Actor, reason: string): Promise<SealedEntry> {
  if (reason.trim().length === 0) throw new InputError('INVALID_ARGUMENT', '--reason must not be empty');
  const { draft, inputs } = await openDraft(home, id);
  assertOpen(draft);
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  // Whoever may approve the draft's route may reject it.
  const requirement = await requirementOfSealedRoute(home, inputs.route, inputs.model.name);
  authority.authoriseAny(
    { identity: as.identity, keyId: as.signer.keyId, ledgerSize: size },
    requirement.roles,
    inputs.model.name,
    {
      size,
      time: new Date().toISOString(),
    },
  );
  const predicate = {
    draft: draft.id,
    model: { name: inputs.model.name, digest: inputs.model.digest },
    context: inputs.context,
    view: draft.view,
    request: inputs.request,
    reason,
  };
  const entry = await home.ledger.append({
    subject: [subjectOf(inputs.model.name, inputs.model.digest)],
    predicateType: predicateTypeOf('rejection'),
    predicate: signAction('rejection', predicate, as.identity, size, as.signer),
  });
  await home.drafts.closeDraft(id, 'rejected', entry.id);
  return entry;
}

/** Withdraws a sealed promotion: the gate denies it from the next request on. */
export async function revokePromotion(
  home: Home,
  promotionId: Digest,
  as: Actor,
  reason: string,
): Promise<SealedEntry> {
  if (reason.trim().length === 0) throw new InputError('INVALID_ARGUMENT', '--reason must not be empty');
  const stored = await home.ledger.find(promotionId);
  if (!stored) throw new InputError('NOT_FOUND', `no entry ${promotionId}`);
  const entry = openEntry(stored.envelope, home.logPublicKey);
  if (entry.kind !== PROMOTION_KIND)
    throw new InputError(
      'INVALID_ARGUMENT',
      `entry ${promotionId} is a ${entry.kind}, not a model promotion`,
    );
  const promotion = readPromotion(entry.statement.predicate);
  if (await findRevocation(home, promotionId))
    throw new InputError('DRAFT_CLOSED', `promotion ${promotionId} is already revoked`);
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  const actor = { identity: as.identity, keyId: as.signer.keyId, ledgerSize: size };
  const position = { size, time: new Date().toISOString() };
  // An approver, anyone who may approve the promotion's route (its on-call role or committee), or an admin.
  let roles: string[] = [APPROVER_ROLE];
  try {
    const requirement = await requirementOfSealedRoute(home, promotion.route, promotion.model.name);
    roles = [...new Set([APPROVER_ROLE, ...requirement.roles])];
  } catch {
    // The sealed policy cannot be read: approvers and admins may still withdraw the promotion.
  }
  try {
    authority.authoriseAny(actor, roles, promotion.model.name, position);
  } catch (error) {
    if (!(error instanceof AuthorityError) || error.code !== 'NOT_AUTHORISED') throw error;
    authority.authorise(actor, ADMIN_ROLE, undefined, position);
  }
  const predicate = {
    promotion: promotionId,
    model: { name: promotion.model.name, digest: promotion.model.digest },
    context: promotion.context,
    reason,
  };
  return home.ledger.append({
    subject: [subjectOf(promotion.model.name, promotion.model.digest)],
    predicateType: predicateTypeOf('revocation'),
    predicate: signAction('revocation', predicate, as.identity, size, as.signer),
  });
}

export async function findRevocation(home: Home, promotionId: Digest): Promise<Digest | undefined> {
  for await (const stored of home.ledger.entriesOfKinds(['revocation'])) {
    const entry = openEntry(stored.envelope, home.logPublicKey);
    if (entry.statement.predicate['promotion'] === promotionId) return entry.id;
  }
  return undefined;
}
