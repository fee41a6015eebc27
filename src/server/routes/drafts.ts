// Drafts: the inbox, one draft with what its route needs, the review document, the approval statement
// to sign, signed approvals, sealing, and rejection as a prepared statement the caller signs. Whoever
// the app layer records as acting must be the caller: an approval signed as someone else is refused
// before the app layer sees it, and a rejection is made as the caller by construction.
import { approvalStatementDigest, createApprovalStatement } from '../../promotion/draft.js';
import type { Approval } from '../../promotion/types.js';
import { reject, seal, submitApproval } from '../../app/decide.js';
import { decisionFactsOf, openAnyDraft } from '../../app/draft-kinds.js';
import type { Home } from '../../app/home.js';
import { requirementOfSealedRoute } from '../../app/policy.js';
import { AuthorityError, InputError } from '../../errors.js';
import { digestBytes, type Digest } from '../../signing/digest.js';
import type { DraftRow, DraftStatus } from '../../store/drafts.js';
import { encodeBase64Url } from '../../webauthn/base64url.js';
import { callerOf } from '../auth.js';
import { readBody, type ApiApp, type RouteDeps } from '../deps.js';
import { draftIdParam } from '../http.js';
import { prepareAction, submitAction, type SignedAction } from '../signed-actions.js';

/** What a browser may do with a stored review document: show it, nothing else. */
export const REVIEW_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox";

const STATUSES: readonly DraftStatus[] = ['open', 'sealed', 'rejected'];

interface PrepareBody {
  readonly reason: string;
  readonly keyId?: Digest;
}

type SignedBody = SignedAction & { readonly reason: string };

export function registerDraftRoutes(app: ApiApp, deps: RouteDeps): void {
  const { home } = deps;

  app.get('/v1/drafts', async (c) => {
    const caller = callerOf(c);
    const status = c.req.query('status');
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
      throw new InputError('INVALID_ARGUMENT', `status must be one of ${STATUSES.join(', ')}`);
    }
    const rows = await home.drafts.listDrafts(status !== undefined ? { status: status as DraftStatus } : {});
    const drafts = [];
    for (const row of rows) drafts.push(await draftView(home, row, caller.identity));
    return c.json({ drafts });
  });

  app.post('/v1/drafts', (c) => {
    callerOf(c);
    throw new InputError(
      'NOT_IMPLEMENTED',
      'proposing is not offered over HTTP yet (the requester signs the frozen inputs with their key): use `signet propose` or `signet promote`',
    );
  });

  app.get('/v1/drafts/:id', async (c) => {
    const caller = callerOf(c);
    const opened = await openAnyDraft(home, draftIdParam(c));
    const { draft } = opened;
    const requirement = await requirementOfSealedRoute(home, opened.route, opened.subject.name);
    const approvals = (await home.drafts.listApprovals(draft.id))
      .filter((stored) => stored.view === draft.view)
      .map((stored) => ({ identity: stored.identity, roles: rolesOf(stored.approval) }));
    return c.json({
      draft: await draftView(home, draft, caller.identity),
      kind: opened.kind,
      inputs: opened.inputs,
      requirement,
      approvals,
    });
  });

  app.get('/v1/drafts/:id/review', async (c) => {
    callerOf(c);
    const id = draftIdParam(c);
    const draft = await home.drafts.getDraft(id);
    if (!draft) throw new InputError('NOT_FOUND', `no draft ${JSON.stringify(id)}`);
    // The exact stored bytes, re-hashed by the store: what the approver signs is what is shown.
    const bytes = await home.objects.get(draft.view);
    return c.body(new Uint8Array(bytes), 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': REVIEW_CSP,
      'X-Signet-View-Digest': draft.view,
    });
  });

  app.get('/v1/drafts/:id/approval-statement', async (c) => {
    const caller = callerOf(c);
    const opened = await openAnyDraft(home, draftIdParam(c));
    assertOpen(opened.draft);
    const statement = createApprovalStatement(
      'approve',
      decisionFactsOf(opened),
      caller.identity,
      await home.ledger.size(),
    );
    const digest = approvalStatementDigest(statement);
    return c.json({ statement, digest, challenge: encodeBase64Url(digestBytes(digest)) });
  });

  app.post('/v1/drafts/:id/approvals', async (c) => {
    const caller = callerOf(c);
    const id = draftIdParam(c);
    const approval = await readBody<Approval>(c, deps, 'Approval');
    if (
      approval.statementBody.identity !== caller.identity ||
      approval.identity.subject !== caller.identity
    ) {
      throw new AuthorityError(
        'NOT_AUTHORISED',
        `the approval is signed as ${approval.statementBody.identity}, but the request is authenticated as ${caller.identity}`,
      );
    }
    const result = await submitApproval(home, id, approval);
    return c.json(
      {
        approved: true,
        statement: result.approval.statement,
        roles: result.approval.roles,
        valid: result.valid,
        required: result.required,
        requirement: result.requirement,
        ...(result.sealed
          ? { sealed: { entry: result.sealed.id, index: result.sealed.index, time: result.sealed.time } }
          : {}),
      },
      201,
    );
  });

  app.post('/v1/drafts/:id/seal', async (c) => {
    callerOf(c);
    const result = await seal(home, draftIdParam(c));
    return c.json({
      ...(result.sealed ? { sealed: { entry: result.sealed.id, index: result.sealed.index } } : {}),
      valid: result.valid,
      required: result.required,
      requirement: result.requirement,
    });
  });

  app.post('/v1/drafts/:id/reject/prepare', async (c) => {
    const caller = callerOf(c);
    const id = draftIdParam(c);
    const body = await readBody<PrepareBody>(c, deps, 'PrepareAction');
    const prepared = await prepareAction(home, caller.identity, body.keyId, (actor) =>
      reject(home, id, actor, body.reason),
    );
    return c.json(prepared);
  });

  app.post('/v1/drafts/:id/reject', async (c) => {
    const caller = callerOf(c);
    const id = draftIdParam(c);
    const body = await readBody<SignedBody>(c, deps, 'SignedAction');
    const entry = await submitAction(home, caller.identity, body, (actor) =>
      reject(home, id, actor, body.reason),
    );
    return c.json({ rejected: true, entry: entry.id, index: entry.index }, 201);
  });
}

/** A draft row for the caller: `waitingForMe` when it is open, not theirs, and not approved by them yet. */
async function draftView(home: Home, row: DraftRow, caller: string) {
  let waitingForMe = false;
  if (row.status === 'open' && row.requester !== caller) {
    const approvals = await home.drafts.listApprovals(row.id);
    waitingForMe = !approvals.some((a) => a.identity === caller && a.view === row.view);
  }
  return {
    id: row.id,
    status: row.status,
    model: row.model,
    context: row.context,
    route: row.route,
    tier: row.tier,
    requester: row.requester,
    createdAt: row.createdAt,
    view: row.view,
    inputs: row.inputs,
    ...(row.closedBy !== undefined ? { closedBy: row.closedBy } : {}),
    waitingForMe,
  };
}

function rolesOf(approval: unknown): string[] {
  const roles = (approval as { roles?: unknown } | null)?.roles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}

function assertOpen(draft: DraftRow): void {
  if (draft.status !== 'open') {
    throw new InputError('DRAFT_CLOSED', `draft ${draft.id} is ${draft.status}`);
  }
}
