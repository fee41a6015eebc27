// The materiality policy in force, and how a registered candidate would be routed under it now.
import { showPolicy } from '../../app/policy.js';
import { tryRoute } from '../../app/try-route.js';
import { InputError } from '../../errors.js';
import type { Digest } from '../../signing/digest.js';
import { callerOf } from '../auth.js';
import { readBody, type ApiApp, type RouteDeps } from '../deps.js';
import { withTempDir, writeJsonFile } from '../temp.js';

interface PolicyTestBody {
  readonly model: Digest;
  readonly dataset: Digest;
  readonly metrics: Record<string, unknown>;
  readonly context: string;
  readonly featurePipeline?: Digest;
}

const MODEL_NAME_MAX = 128;

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
