// The materiality policy in force, and how a registered candidate would be routed under it now.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { applyPolicy, showPolicy } from '../../app/policy.js';
import type { Actor } from '../../app/promote.js';
import type { Home } from '../../app/home.js';
import { tryRoute } from '../../app/try-route.js';
import { InputError } from '../../errors.js';
import type { Digest } from '../../signing/digest.js';
import { callerOf } from '../auth.js';
import { readBody, type ApiApp, type RouteDeps } from '../deps.js';
import { prepareAction, submitAction, type SignedAction } from '../signed-actions.js';
import { withTempDir, writeJsonFile } from '../temp.js';

interface PolicyTestBody {
  readonly model: Digest;
  readonly dataset: Digest;
  readonly metrics: Record<string, unknown>;
  readonly context: string;
  readonly featurePipeline?: Digest;
}

const MODEL_NAME_MAX = 128;

interface PolicyApplyPrepareBody {
  readonly document: string;
  readonly keyId?: Digest;
}

type PolicyApplySignedBody = Omit<SignedAction, never> & { readonly document: string };

/** Runs `applyPolicy` on the document text (YAML or JSON) as `actor`. */
async function applyText(home: Home, document: string, actor: Actor) {
  return withTempDir(home, async (dir) => {
    const file = path.join(dir, 'policy.yaml');
    await writeFile(file, document, { mode: 0o600 });
    return applyPolicy(home, file, actor);
  });
}

export function registerPolicyRoutes(app: ApiApp, deps: RouteDeps): void {
  const { home } = deps;

  app.get('/v1/policy', async (c) => {
    callerOf(c);
    const model = c.req.query('model');
    if (model !== undefined && (model.length === 0 || model.length > MODEL_NAME_MAX)) {
      throw new InputError('INVALID_ARGUMENT', `model must be 1–${MODEL_NAME_MAX} characters`);
    }
    return c.json(await showPolicy(home, model));
  });

  // Applying a policy is an admin's signed act: prepare the statement, sign it with the admin's own key,
  // submit it (as rejecting and revoking are).
  app.post('/v1/policy/apply/prepare', async (c) => {
    const caller = callerOf(c);
    const body = await readBody<PolicyApplyPrepareBody>(c, deps, 'PolicyApplyPrepare');
    return c.json(
      await prepareAction(home, caller.identity, body.keyId, (actor) =>
        applyText(home, body.document, actor),
      ),
    );
  });

  app.post('/v1/policy/apply', async (c) => {
    const caller = callerOf(c);
    const body = await readBody<PolicyApplySignedBody>(c, deps, 'PolicyApplySigned');
    const applied = await submitAction(home, caller.identity, body, (actor) =>
      applyText(home, body.document, actor),
    );
    return c.json(
      {
        entry: applied.entry.id,
        index: applied.entry.index,
        policy: applied.policy,
        version: applied.version,
      },
      201,
    );
  });

  app.post('/v1/policy/test', async (c) => {
    callerOf(c);
    const body = await readBody<PolicyTestBody>(c, deps, 'PolicyTestRequest');
    const result = await withTempDir(home, async (dir) =>
      tryRoute(home, {
        model: body.model,
        dataset: body.dataset,
        metricsFile: await writeJsonFile(dir, 'metrics.json', body.metrics),
        context: body.context,
        ...(body.featurePipeline !== undefined ? { featurePipeline: body.featurePipeline } : {}),
      }),
    );
    return c.json(result);
  });
}
