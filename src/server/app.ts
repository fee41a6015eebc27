// The HTTP API as a Hono app over one home: tests call `app.request()` in process, `startServer` puts it
// behind a real listener. Middleware, outermost first: the request metrics, the API headers, the audit
// log of mutating calls, 405 for a known path with another method, then authentication; errors of every
// layer become coded JSON, an unknown route a 404 JSON.
import { Hono } from 'hono';
import { methodNotAllowed } from 'hono/method-not-allowed';

import type { Home } from '../app/home.js';
import { InputError } from '../errors.js';
import { auditLog, authenticate, PublicRoutes, type AppEnv } from './auth.js';
import type { ApiApp, RouteDeps, ServerDeps } from './deps.js';
import { apiHeaders, errorResponse, mapError } from './http.js';
import { createMetrics, httpMetrics, instrumentLedger } from './metrics.js';
import { OPENAPI } from './openapi.js';
import { registerDraftRoutes } from './routes/drafts.js';
import { registerLogRoutes } from './routes/log.js';
import { registerMetaRoutes } from './routes/meta.js';
import { registerMonitorRoutes } from './routes/monitor.js';
import { registerObjectRoutes } from './routes/objects.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerPasskeyRoutes } from './routes/passkeys.js';
import { registerPolicyRoutes } from './routes/policy.js';
import { registerPromotionRoutes } from './routes/promotions.js';
import { registerRegistrationRoutes } from './routes/registrations.js';
import { createSchemaValidator } from './schemas.js';
import { registerWebRoutes } from './web.js';

export type { ServerDeps } from './deps.js';

/** Every route module, in the order they register. */
const ROUTE_MODULES: readonly ((app: ApiApp, deps: RouteDeps) => void)[] = [
  registerMetaRoutes,
  registerOpsRoutes,
  registerLogRoutes,
  registerObjectRoutes,
  registerRegistrationRoutes,
  registerDraftRoutes,
  registerPromotionRoutes,
  registerPolicyRoutes,
  registerPasskeyRoutes,
  registerMonitorRoutes,
  registerWebRoutes,
];

/**
 * The API over `deps.home`. The home stays the caller's: the app never closes it.
 *
 * @example
 * ```ts
 * const app = createApp({ home, config: createServerConfig({ host: '127.0.0.1', port: 8080 }) });
 * const res = await app.request('/v1/health');
 * ```
 */
export function createApp(deps: ServerDeps): ApiApp {
  const app = new Hono<AppEnv>();
  // A registry per app, so that two apps in one process never share a count. Every route sees the
  // instrumented ledger: each append is timed and counted, the gate's deployment entries included.
  const metrics = createMetrics({ processMetrics: deps.processMetrics ?? false });
  const home: Home = { ...deps.home, ledger: instrumentLedger(deps.home.ledger, metrics) };
  const routeDeps: RouteDeps = {
    ...deps,
    home,
    metrics,
    document: OPENAPI,
    schemas: createSchemaValidator(OPENAPI),
    publicRoutes: new PublicRoutes(),
  };
  const { config } = deps;

  // First, so that it counts the answers of every other middleware (401, 405) and of onError.
  app.use('*', httpMetrics(metrics));
  app.use('/v1/*', apiHeaders);
  app.use('/v1/*', auditLog(config));
  app.use(
    '*',
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        errorResponse(
          c,
          new InputError(
            'METHOD_NOT_ALLOWED',
            `${c.req.method} is not allowed here; use ${methods.join(', ')}`,
          ),
          config.log,
          { Allow: methods.join(', ') },
        ),
    }),
  );
  app.use('/v1/*', authenticate(home, config, routeDeps.publicRoutes));
  for (const register of ROUTE_MODULES) register(app, routeDeps);

  app.notFound((c) =>
    errorResponse(c, new InputError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`), config.log),
  );
  app.onError((error, c) => {
    const headers: Record<string, string> =
      mapError(error).status === 401 ? { 'WWW-Authenticate': 'Bearer realm="signet"' } : {};
    return errorResponse(c, error, config.log, headers);
  });
  return app;
}
