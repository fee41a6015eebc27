// Drafts: proposing as a prepared proposal the caller signs, the inbox, one draft with what its route
// needs, the review document, the approval statement to sign, signed approvals, sealing, and rejection as
// a prepared statement the caller signs. Whoever the app layer records as acting must be the caller: a
// proposal is prepared for the caller and submitted only by them, an approval signed as someone else is
// refused before the app layer sees it, and a rejection is made as the caller by construction.
import { approvalStatementDigest, createApprovalStatement } from '../../promotion/draft.js';
import {
  formatProblem,
  MAX_EXPLANATION_BYTES,
  MAX_REQUEST_BYTES,
  type SourcedProblem,
} from '../../promotion/inputs.js';
import type { Approval, Ed25519Signature } from '../../promotion/types.js';
import { reject, seal, submitApproval, type ApproveResult } from '../../app/decide.js';
import { decisionFactsOf, openAnyDraft } from '../../app/draft-kinds.js';
import { draftFor, waitingContext, type DraftNeeds, type WaitingContext } from '../../app/inbox.js';
import type { Home } from '../../app/home.js';
import { readObjectWithin } from '../../app/objects.js';
import { requirementOfSealedRoute } from '../../app/policy.js';
import { prepareProposal, submitProposal, type ProposalBytes } from '../../app/promote.js';
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

interface PrepareProposalBody {
  readonly model: Digest;
  readonly dataset: Digest;
  /** The metrics JSON (metrics.v1) itself. */
  readonly metrics: Record<string, unknown>;
  /** Uploaded first with PUT /v1/objects/{digest}. */
  readonly explanations: readonly { readonly name: string; readonly digest: Digest }[];
  /** The request Markdown uploaded as an object, or `requestText`: exactly one of them. */
  readonly request?: Digest;
  readonly requestText?: string;
  readonly context: string;
  readonly challenger?: Digest;
  readonly featurePipeline?: Digest;
}

interface SubmitProposalBody {
  readonly inputsDigest: Digest;
  readonly signature: Ed25519Signature;
}

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
    const context = await waitingContext(home);
    for (const row of rows) drafts.push(await draftView(home, row, caller.identity, context));
    return c.json({ drafts });
  });

  app.post('/v1/drafts/prepare', async (c) => {
    const caller = callerOf(c);
    const body = await readBody<PrepareProposalBody>(c, deps, 'PrepareProposalRequest');
    const bytes = await readProposalObjects(home, body);
    try {
      const prepared = await prepareProposal(home, {
        model: body.model,
        ...(body.challenger !== undefined ? { challenger: body.challenger } : {}),
        dataset: body.dataset,
        context: body.context,
        ...(body.featurePipeline !== undefined ? { featurePipeline: body.featurePipeline } : {}),
        ...bytes,
        as: { identity: caller.identity },
      });
      return c.json({
        draft: prepared.draft,
        inputsDigest: prepared.inputsDigest,
        inputs: prepared.inputs,
        toSign: prepared.toSign,
        route: prepared.route,
        requirement: prepared.requirement,
      });
    } catch (error) {
      throw withBodySources(error, body);
    }
  });

  app.post('/v1/drafts', async (c) => {
    const caller = callerOf(c);
    const body = await readBody<SubmitProposalBody>(c, deps, 'SubmitProposalRequest');
    const result = await submitProposal(home, {
      inputsDigest: body.inputsDigest,
      signature: body.signature,
      as: caller.identity,
    });
    return c.json(result, 201);
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
      draft: await draftView(home, draft, caller.identity, await waitingContext(home), {
        name: opened.subject.name,
        roles: requirement.roles,
      }),
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
    return c.json(approveResultView(result), 201);
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

/**
 * The request and the explanations a prepare body names by digest, read from the store within their
 * limits (an object may be as large as any upload; these are read into memory). Every object that is
 * missing or too large is listed at once: NOT_FOUND when one is missing, INVALID_ARGUMENT otherwise.
 */
async function readProposalObjects(home: Home, body: PrepareProposalBody): Promise<ProposalBytes> {
  const problems: SourcedProblem[] = [];
  let missing = false;
  const read = async (source: string, digest: Digest, limit: number, what: string) => {
    if (!(await home.objects.has(digest))) {
      missing = true;
      problems.push({
        source,
        path: '',
        message: `object ${digest} is not in the store: upload it first (PUT /v1/objects/${digest})`,
      });
      return undefined;
    }
    const bytes = await readObjectWithin(home.objects, digest, limit);
    if (!bytes) {
      problems.push({
        source,
        path: '',
        message: `object ${digest} is over the limit of ${limit} bytes (${limit / 2 ** 20} MiB) for ${what}`,
      });
    }
    return bytes;
  };
  let request: Uint8Array | undefined;
  if ((body.request === undefined) === (body.requestText === undefined)) {
    problems.push({
      source: '/request',
      path: '',
      message: 'give the request exactly once: as an uploaded object (request) or as text (requestText)',
    });
  } else if (body.request !== undefined) {
    request = await read('/request', body.request, MAX_REQUEST_BYTES, 'a request');
  } else {
    request = new TextEncoder().encode(body.requestText);
  }
  const explanations: { name: string; bytes: Uint8Array }[] = [];
  for (const [i, { name, digest }] of body.explanations.entries()) {
    const bytes = await read(`/explanations/${i}`, digest, MAX_EXPLANATION_BYTES, 'an explanation');
    if (bytes) explanations.push({ name, bytes });
  }
  if (problems.length > 0 || request === undefined) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new InputError(
      missing ? 'NOT_FOUND' : 'INVALID_ARGUMENT',
      `the proposal has ${count}:\n${problems.map((p) => `- ${formatProblem(p)}`).join('\n')}`,
      { details: { problems } },
    );
  }
  // The metrics travel in the body as JSON; the app layer checks them as it checks a metrics file.
  return { metrics: new TextEncoder().encode(JSON.stringify(body.metrics)), request, explanations };
}

/** The app layer names the inputs of a proposal as the CLI does (`--metrics`); over HTTP, the body's. */
const BODY_SOURCES: Readonly<Record<string, string>> = {
  '--model': '/model',
  '--dataset': '/dataset',
  '--metrics': '/metrics',
  '--context': '/context',
  '--challenger': '/challenger',
  '--feature-pipeline': '/featurePipeline',
  '--explanation': '/explanations',
  '--as': 'caller',
};

/** A proposal's problems with each `source` the member of the body it is about (a JSON pointer). */
function withBodySources(error: unknown, body: PrepareProposalBody): unknown {
  const listed = error instanceof InputError ? error.details?.['problems'] : undefined;
  if (!(error instanceof InputError) || !Array.isArray(listed)) return error;
  const sourceOf = (source: string): string => {
    if (source === '--request') return body.request !== undefined ? '/request' : '/requestText';
    if (source.startsWith('--explanation ')) {
      const at = body.explanations.findIndex((e) => e.name === source.slice('--explanation '.length));
      if (at !== -1) return `/explanations/${at}`;
    }
    return BODY_SOURCES[source] ?? source;
  };
  const problems = (listed as SourcedProblem[]).map((p) => ({ ...p, source: sourceOf(p.source) }));
  const heading = error.message.split('\n')[0]!;
  return new InputError(
    error.code,
    `${heading}\n${problems.map((p) => `- ${formatProblem(p)}`).join('\n')}`,
    { cause: error, details: { ...error.details, problems } },
  );
}

/**
 * A draft row for the caller: `waitingForMe` when it is open, not theirs, not approved by them yet, and
 * needs a role they hold (app/inbox.ts).
 */
async function draftView(
  home: Home,
  row: DraftRow,
  caller: string,
  context: WaitingContext,
  needs?: DraftNeeds,
) {
  const waitingForMe = (await draftFor(home, row, caller, context, needs)) === 'waiting';
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

/** An approval's result as the API answers it (what `signet approve --json` prints). */
export function approveResultView(result: ApproveResult): Record<string, unknown> {
  return {
    approved: true,
    statement: result.approval.statement,
    roles: result.approval.roles,
    valid: result.valid,
    required: result.required,
    requirement: result.requirement,
    ...(result.sealed
      ? { sealed: { entry: result.sealed.id, index: result.sealed.index, time: result.sealed.time } }
      : {}),
  };
}
