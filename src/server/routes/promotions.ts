// Sealed promotions: show (the sealed fields and whether they verify), replay (re-rendered and compared,
// nothing written), revocation as a prepared statement the caller signs, and the deployment gate. A
// failed verification and a gate deny are answers (200), not errors.
import { assertContext } from '../../app/promote.js';
import { loadAuthority } from '../../app/authority.js';
import { revokePromotion } from '../../app/decide.js';
import { checkPipelinePromotion, checkPromotion, gate } from '../../app/gate.js';
import type { Home } from '../../app/home.js';
import { loadAnyPromotionEntry, replay } from '../../app/replay.js';
import { PIPELINE_PROMOTION_KIND } from '../../promotion/pipeline.js';
import type { Digest } from '../../signing/digest.js';
import { callerOf } from '../auth.js';
import { readBody, type ApiApp, type RouteDeps } from '../deps.js';
import { entryRefParam } from '../http.js';
import { timeGate, timeVerify } from '../metrics.js';
import { prepareAction, submitAction, type SignedAction } from '../signed-actions.js';

interface PrepareBody {
  readonly reason: string;
  readonly keyId?: Digest;
}

type SignedBody = SignedAction & { readonly reason: string };

export function registerPromotionRoutes(app: ApiApp, deps: RouteDeps): void {
  const { home } = deps;

  app.get('/v1/promotions/:ref', async (c) => {
    callerOf(c);
    const entry = await loadAnyPromotionEntry(home, await entryRefParam(c, home.ledger));
    const authority = await loadAuthority(home);
    const check = await timeVerify(
      deps.metrics,
      async () =>
        entry.kind === PIPELINE_PROMOTION_KIND
          ? await checkPipelinePromotion(home, entry, authority)
          : await checkPromotion(home, entry, authority),
      (result) => result.reasons.length === 0,
    );
    return c.json({
      kind: check.entry.kind,
      entry: check.entry.id,
      index: check.entry.index,
      time: check.entry.time,
      verified: check.reasons.length === 0,
      reasons: check.reasons,
      promotion: check.promotion,
    });
  });

  app.get('/v1/promotions/:ref/replay', async (c) => {
    callerOf(c);
    const result = await replay(home, await entryRefParam(c, home.ledger));
    return c.json({
      ok: result.identical && result.reasons.length === 0,
      entry: result.entry,
      view: result.view,
      identical: result.identical,
      ...(result.firstDifference !== undefined ? { firstDifference: result.firstDifference } : {}),
      reasons: result.reasons,
      written: result.written,
    });
  });

  app.post('/v1/promotions/:ref/revoke/prepare', async (c) => {
    const caller = callerOf(c);
    const id = await promotionId(home, await entryRefParam(c, home.ledger));
    const body = await readBody<PrepareBody>(c, deps, 'PrepareAction');
    const prepared = await prepareAction(home, caller.identity, body.keyId, (actor) =>
      revokePromotion(home, id, actor, body.reason),
    );
    return c.json(prepared);
  });

  app.post('/v1/promotions/:ref/revoke', async (c) => {
    const caller = callerOf(c);
    const id = await promotionId(home, await entryRefParam(c, home.ledger));
    const body = await readBody<SignedBody>(c, deps, 'SignedAction');
    const entry = await submitAction(home, caller.identity, body, (actor) =>
      revokePromotion(home, id, actor, body.reason),
    );
    return c.json({ revoked: true, entry: entry.id, index: entry.index }, 201);
  });

  app.post('/v1/gate', async (c) => {
    const caller = callerOf(c);
    const body = await readBody<{ model: Digest; context: string }>(c, deps, 'GateRequest');
    assertContext(body.context);
    // Who asked is sealed in the deployment entry, with how they signed in.
    const requestedBy = { identity: caller.identity, via: caller.via.kind };
    return c.json(await timeGate(deps.metrics, () => gate(home, body.model, body.context, { requestedBy })));
  });
}

/** The id of the promotion entry `ref` names (an index or an id), checked to be a promotion. */
async function promotionId(home: Home, ref: number | Digest): Promise<Digest> {
  return (await loadAnyPromotionEntry(home, ref)).id;
}
