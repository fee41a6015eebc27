// The web UI: server-rendered pages over the same home, for approvers and auditors. Every page but
// sign-in and enrolment needs a browser session (made by a passkey sign-in); without one a page redirects
// to sign-in. Pages are sent with a strict Content-Security-Policy (scripts only from this origin, no
// inline script or style); a stored review document is served by its digest, byte for byte, under its
// own CSP with `sandbox`, to be shown in a sandboxed iframe.
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';

import { findRevocation } from '../app/decide.js';
import { draftFor, waitingContext } from '../app/inbox.js';
import { DEPLOYMENT_KIND } from '../app/gate-cache.js';
import type { Home } from '../app/home.js';
import { openAnyDraft } from '../app/draft-kinds.js';
import { parseEntryRef, proveInclusion, readEntry } from '../app/log.js';
import { showPolicy } from '../app/policy.js';
import { replay } from '../app/replay.js';
import { monitorStatus } from '../app/monitor.js';
import { findLiveSession } from '../app/tokens.js';
import { describeRequirement, type Reason } from '../gate/verify-promotion.js';
import { openCheckpoint } from '../ledger/checkpoint.js';
import { openEntry, type OpenedEntry } from '../ledger/entry.js';
import { requirementOfSealedRoute } from '../app/policy.js';
import { PIPELINE_PROMOTION_KIND } from '../promotion/pipeline.js';
import { PROMOTION_KIND, readPromotion, REVOCATION_KIND } from '../promotion/seal.js';
import type { Approval, PromotionPredicate } from '../promotion/types.js';
import type { PipelinePromotionPredicate } from '../promotion/pipeline.js';
import { isDigest } from '../signing/digest.js';
import { InputError, isSignetError } from '../errors.js';
import { SESSION_COOKIE, type AppEnv } from './auth.js';
import type { ApiApp, RouteDeps } from './deps.js';
import { mapError } from './http.js';
import { relyingPartyOf } from './routes/passkeys.js';
import { REVIEW_CSP } from './routes/drafts.js';
import {
  PASSKEY_CLIENT_JS,
  SIGNET_CSS,
  renderEnrolPage,
  renderEntryPage,
  renderErrorPage,
  renderEventPage,
  renderInboxPage,
  renderLedgerPage,
  renderModelsPage,
  renderPolicyPage,
  renderReviewPage,
  renderSignInPage,
  signInPath,
  type EventApproval,
  type EventPageData,
  type DeploymentWindow,
  type ModelSummary,
} from './pages/index.js';
import { renderMonitorPage } from './pages/monitor.js';

/** What every page may load and do. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; " +
  "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const PAGE_SIZE = 50;

type PageContext = Context<AppEnv & { Variables: { pageIdentity: string } }>;

export function registerWebRoutes(app: ApiApp, deps: RouteDeps): void {
  const { home } = deps;
  const rp = relyingPartyOf(deps.config);

  const html = (c: Context, body: string, status = 200): Response =>
    c.html(body, status as 200, {
      'Content-Security-Policy': PAGE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });

  const signedIn: MiddlewareHandler<AppEnv> = async (c, next) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    const session = cookie === undefined ? undefined : await findLiveSession(home, cookie);
    if (!session) return c.redirect(signInPath(c.req.path + (new URL(c.req.url).search || '')), 303);
    (c as unknown as PageContext).set('pageIdentity', session.identity);
    return next();
  };
  const who = (c: Context): string => (c as unknown as PageContext).get('pageIdentity');
  const page = (render: (c: Context) => Promise<string>) => async (c: Context) => {
    try {
      return html(c, await render(c));
    } catch (error) {
      const mapped = mapError(error);
      if (mapped.status >= 500) deps.config.log(`page ${c.req.path}: ${String(error)}`);
      return html(
        c,
        renderErrorPage({
          status: mapped.status,
          code: mapped.body.code,
          message: mapped.status >= 500 ? 'internal error' : mapped.body.message,
        }),
        mapped.status,
      );
    }
  };

  app.get('/assets/signet.css', (c) =>
    c.body(SIGNET_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' }),
  );
  app.get('/assets/passkey.js', (c) =>
    c.body(PASSKEY_CLIENT_JS, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'no-cache',
    }),
  );
  app.get('/', (c) => c.redirect('/inbox', 303));
  app.get(
    '/signin',
    page(async (c) =>
      renderSignInPage(c.req.query('next') !== undefined ? { notice: 'Sign in to continue.' } : {}),
    ),
  );
  app.get(
    '/enrol',
    page(async () => renderEnrolPage({ invite: '' })),
  );

  for (const path of [
    '/inbox',
    '/drafts/*',
    '/views/*',
    '/ledger',
    '/ledger/*',
    '/models',
    '/models/*',
    '/policy',
  ]) {
    app.use(path, signedIn);
  }

  app.get(
    '/inbox',
    page(async (c) => {
      const identity = who(c);
      const drafts = [];
      let othersWaiting = 0;
      const now = Date.now();
      const context = await waitingContext(home, now);
      for (const row of await home.drafts.listDrafts({ status: 'open' })) {
        const state = await draftFor(home, row, identity, context);
        if (state === 'waiting') drafts.push(row);
        else if (state === 'needs-another-role') othersWaiting += 1;
      }
      return renderInboxPage({ identity, drafts, othersWaiting, now });
    }),
  );

  app.get(
    '/drafts/:id',
    page(async (c) => {
      const identity = who(c);
      const opened = await openAnyDraft(home, c.req.param('id') ?? '');
      const { draft } = opened;
      const requirement = await requirementOfSealedRoute(home, opened.route, opened.subject.name);
      const approvals = (await home.drafts.listApprovals(draft.id))
        .filter((a) => a.view === draft.view)
        .map((a) => ({ identity: a.identity, roles: (a.approval as Approval).roles ?? [] }));
      let closedReason: string | undefined;
      if (draft.status === 'rejected' && draft.closedBy) {
        const entry = await readEntry(home, draft.closedBy);
        const reason = entry.statement.predicate['reason'];
        if (typeof reason === 'string') closedReason = reason;
      }
      return renderReviewPage({
        identity,
        rpId: rp.rpId,
        draft: {
          ...draft,
          kind: opened.kind,
          reasons: opened.route.reasons,
          requirement: describeRequirement(requirement),
          approvals,
          ...(closedReason !== undefined ? { closedReason } : {}),
        },
      });
    }),
  );

  // The stored review document, byte for byte, for a sandboxed iframe: only the view of a known draft.
  app.get('/views/:digest', async (c) => {
    const digest = decodeURIComponent(c.req.param('digest') ?? '');
    if (!isDigest(digest)) return c.json({ code: 'INVALID_DIGEST', message: 'not a digest' }, 400);
    const known = (await home.drafts.listDrafts()).some((d) => d.view === digest);
    if (!known) return c.json({ code: 'NOT_FOUND', message: `no review document ${digest}` }, 404);
    const bytes = await home.objects.get(digest);
    return c.body(new Uint8Array(bytes), 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `${REVIEW_CSP}; frame-ancestors 'self'`,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
      'X-Signet-View-Digest': digest,
    });
  });

  app.get(
    '/ledger',
    page(async (c) => {
      const size = await home.ledger.size();
      const from = boundedCount(c.req.query('from'), 0, Math.max(0, size - 1));
      const entries = [];
      for await (const entry of home.ledger.entries(from, Math.min(size, from + PAGE_SIZE))) {
        entries.push({ index: entry.index, id: entry.id, kind: entry.kind, time: entry.time });
      }
      const checkpoint = Buffer.from((await home.ledger.checkpoint()).note).toString('utf8');
      const proveText = c.req.query('prove');
      let prove;
      if (proveText !== undefined) {
        const index = Number(proveText);
        prove =
          /^\d+$/.test(proveText) && index < size
            ? { index, proof: await proveInclusion(home, index) }
            : {
                index: Number.isSafeInteger(index) ? index : -1,
                error: `no entry ${proveText} in a log of ${size}`,
              };
      }
      return renderLedgerPage({
        identity: who(c),
        entries,
        from,
        limit: PAGE_SIZE,
        size,
        checkpoint,
        ...(prove ? { prove } : {}),
      });
    }),
  );

  app.get(
    '/ledger/:ref',
    page(async (c) => {
      const identity = who(c);
      const ref = parseEntryRef(decodeURIComponent(c.req.param('ref') ?? ''));
      const entry = await readEntry(home, ref);
      if (entry.kind === PROMOTION_KIND || entry.kind === PIPELINE_PROMOTION_KIND) {
        return renderEventPage({ ...(await eventOf(deps, entry)), identity });
      }
      return renderEntryPage({
        identity,
        entry: { index: entry.index, id: entry.id, kind: entry.kind, time: entry.time },
        statement: JSON.stringify(entry.statement, null, 2),
      });
    }),
  );

  app.get(
    '/models',
    page(async (c) => renderModelsPage({ identity: who(c), ...(await modelsOf(home)) })),
  );

  app.get(
    '/models/:model/monitor',
    page(async (c) => {
      const identity = who(c);
      const model = decodeURIComponent(c.req.param('model') ?? '');
      if (model.length === 0 || model.length > 128) {
        throw new InputError('INVALID_ARGUMENT', 'a model name is 1–128 characters');
      }
      const asked = c.req.query('context');
      // Every monitored context, for the links; the one asked for, else the first.
      const all = await monitorStatus(home, { model });
      const contexts = all.map((s) => s.context);
      const context = asked ?? contexts[0];
      let status = all.find((s) => s.context === context) ?? null;
      let problem: string | undefined;
      if (status === null && asked !== undefined) {
        try {
          [status = null] = await monitorStatus(home, { model, context: asked });
        } catch (error) {
          if (!(isSignetError(error) && error.code === 'NOT_FOUND')) throw error;
          problem = error.message;
        }
      }
      return renderMonitorPage({
        identity,
        model,
        status,
        contexts,
        ...(context !== undefined ? { context } : {}),
        ...(problem !== undefined ? { problem } : {}),
      });
    }),
  );

  app.get(
    '/policy',
    page(async (c) => {
      const identity = who(c);
      let view;
      try {
        view = await showPolicy(home);
      } catch (error) {
        if (isSignetError(error) && error.code === 'NOT_FOUND') return renderPolicyPage({ identity });
        throw error;
      }
      const entry = await readEntry(home, view.entry);
      return renderPolicyPage({
        identity,
        policy: {
          version: view.version,
          digest: view.policy,
          appliedBy: view.appliedBy,
          appliedAt: view.time,
          entry: { index: entry.index, id: entry.id, time: entry.time },
          text: JSON.stringify(view.document, null, 2),
          format: 'json',
          document: view.document,
        },
      });
    }),
  );
}

function boundedCount(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return fallback;
  return Math.min(Number(text), max);
}

/** Everything the event page shows about a sealed promotion: the fields, each check, and the replay. */
async function eventOf(deps: RouteDeps, entry: OpenedEntry): Promise<EventPageData> {
  const { home } = deps;
  // Replay runs the gate's checks too: one pass gives both.
  const replayed = await replay(home, entry.id);
  const check = replayed.check;
  const stored = await home.ledger.checkpoint();
  const checkpoint = openCheckpoint(stored.note, home.config.origin, home.logPublicKey);
  const reasons: readonly Reason[] = check.reasons;
  const about = (prefix: string): Reason[] => reasons.filter((r) => r.message.startsWith(prefix));
  const failed = (list: Reason[]) =>
    list.length === 0 ? { ok: true } : { ok: false, detail: list.map((r) => r.message).join('; ') };
  const promotion = check.promotion;
  const approvals: EventApproval[] = promotion.approvals.map((approval) => {
    const mine = about(`approval by ${approval.identity.subject}`);
    const signature = mine.filter((r) => r.code === 'BAD_SIGNATURE');
    const authorityProblems = mine.filter((r) => r.code !== 'BAD_SIGNATURE');
    return {
      identity: approval.identity,
      roles: approval.roles,
      grant: approval.grant,
      key: approval.key,
      statement: approval.statement,
      signature: { scheme: approval.signature.scheme, keyId: approval.signature.keyId },
      verification: { signature: failed(signature), authority: failed(authorityProblems) },
    };
  });
  const revocation = await findRevocation(home, entry.id);
  const revokedBy = revocation ? await readEntry(home, revocation) : undefined;
  const common = {
    entry: { index: entry.index, id: entry.id, time: entry.time },
    route: promotion.route,
    context: promotion.context,
    ...(promotion.previous ? { previous: promotion.previous } : {}),
    request: { document: promotion.request.document, author: promotion.request.author },
    approvals,
    view: promotion.view,
    verification: {
      logSignature: { ok: true, detail: `signed by the log key of ${home.config.origin}` },
      inclusion: {
        ...failed(about('inclusion')),
        checkpointSize: checkpoint.size,
        rootHash: Buffer.from(checkpoint.rootHash).toString('hex'),
      },
      request: failed(about('request')),
      objects: failed(reasons.filter((r) => r.message.startsWith('sealed object'))),
      reasons,
    },
    replay: {
      rendered: replayed.rendered,
      identical: replayed.identical,
      ...(replayed.firstDifference !== undefined ? { firstDifference: replayed.firstDifference } : {}),
    },
    ...(revokedBy ? { revokedBy: { index: revokedBy.index, id: revokedBy.id, time: revokedBy.time } } : {}),
  };
  if ('model' in promotion) {
    const p: PromotionPredicate = promotion;
    return {
      ...common,
      kind: 'model-promotion',
      model: p.model,
      challenger: p.challenger,
      explanations: p.explanations,
      dataset: p.dataset,
    };
  }
  const p: PipelinePromotionPredicate = promotion;
  return { ...common, kind: 'feature-pipeline-promotion', pipeline: p.pipeline };
}

/**
 * How many gate decisions the models page lists: the latest `perVersion` of each model version, found
 * among the log's last `window` entries. The gate appends an entry for every request, so a busy log
 * holds millions of them; opening (signature-checking) each on every view of the page would take
 * minutes. Every one of them is on the ledger page.
 */
export const MODELS_PAGE_DEPLOYMENTS = { window: 2_000, perVersion: 20 } as const;

/**
 * Every model name: its versions, their promotions (with route) and the latest deployments (gate
 * answers) of each version within `limits`, newest first.
 */
export async function modelsOf(
  home: Home,
  limits: { readonly window: number; readonly perVersion: number } = MODELS_PAGE_DEPLOYMENTS,
): Promise<{ models: ModelSummary[]; deployments: DeploymentWindow }> {
  const byName = new Map<
    string,
    Map<string, { class?: string; promotions: unknown[]; deployments: unknown[] }>
  >();
  const versionOf = (name: string, digest: string) => {
    let versions = byName.get(name);
    if (!versions) byName.set(name, (versions = new Map()));
    let version = versions.get(digest);
    if (!version) versions.set(digest, (version = { promotions: [], deployments: [] }));
    return version;
  };
  // Read first: whatever is appended while the page is built is left for the next view.
  const size = await home.ledger.size();
  const digestToName = new Map<string, string>();
  const revoked = new Map<string, { index: number; id: string; time: string }>();
  for await (const stored of home.ledger.entriesOfKinds([REVOCATION_KIND])) {
    if (stored.index >= size) break;
    const entry = openEntry(stored.envelope, home.logPublicKey);
    const target = entry.statement.predicate['promotion'];
    if (typeof target === 'string')
      revoked.set(target, { index: entry.index, id: entry.id, time: entry.time });
  }
  for await (const stored of home.ledger.entriesOfKinds([PROMOTION_KIND])) {
    if (stored.index >= size) break;
    const entry = openEntry(stored.envelope, home.logPublicKey);
    const p = readPromotion(entry.statement.predicate);
    digestToName.set(p.model.digest, p.model.name);
    const version = versionOf(p.model.name, p.model.digest);
    version.class = p.model.class;
    const revokedBy = revoked.get(entry.id);
    version.promotions.push({
      entry: { index: entry.index, id: entry.id, time: entry.time },
      context: p.context,
      route: { materiality: p.route.materiality, tier: p.route.tier },
      ...(revokedBy ? { revokedBy } : {}),
    });
  }
  const from = Math.max(0, size - limits.window);
  for await (const stored of home.ledger.entriesOfKinds([DEPLOYMENT_KIND], from)) {
    if (stored.index >= size) break;
    const entry = openEntry(stored.envelope, home.logPublicKey);
    const predicate = entry.statement.predicate;
    const model = predicate['model'];
    const name = typeof model === 'string' ? digestToName.get(model) : undefined;
    if (name === undefined || typeof model !== 'string') continue;
    const reasons = Array.isArray(predicate['reasons'])
      ? predicate['reasons'].map((r) =>
          typeof r === 'object' && r !== null ? String((r as { message?: unknown }).message) : String(r),
        )
      : [];
    const requester = predicate['requestedBy'];
    const requestedBy =
      typeof requester === 'object' && requester !== null
        ? (requester as { identity?: unknown }).identity
        : undefined;
    const { deployments } = versionOf(name, model);
    deployments.push({
      entry: { index: entry.index, id: entry.id, time: entry.time },
      context: String(predicate['context']),
      decision: predicate['decision'] === 'allow' ? 'allow' : 'deny',
      reasons,
      ...(typeof requestedBy === 'string' ? { requestedBy } : {}),
    });
    if (deployments.length > limits.perVersion) deployments.shift();
  }
  const models = [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, versions]) => ({
      name,
      versions: [...versions.entries()].map(([digest, v]) => ({
        digest,
        ...(v.class !== undefined ? { class: v.class } : {}),
        promotions: v.promotions as ModelSummary['versions'][number]['promotions'],
        deployments: v.deployments.reverse() as ModelSummary['versions'][number]['deployments'],
      })),
    }));
  return { models, deployments: { from, to: size - 1, perVersion: limits.perVersion } };
}
