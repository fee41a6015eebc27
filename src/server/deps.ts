// What every route module is given: the home, the server config, the published document and its
// validator, the list of public routes (a module that adds a route anyone may call says so there), and
// the app's metrics.
import type { Context, Hono } from 'hono';

import type { Home } from '../app/home.js';
import type { AppEnv, PublicRoutes } from './auth.js';
import type { ServerConfig } from './config.js';
import { readJsonBody } from './http.js';
import type { Metrics } from './metrics.js';
import type { OpenApiDocument } from './openapi.js';
import type { SchemaValidator } from './schemas.js';

export interface ServerDeps {
  readonly home: Home;
  readonly config: ServerConfig;
  /**
   * Whether /metrics also carries the process metrics (CPU, memory, event loop, GC): a real server
   * does (`startServer`); apps made in tests do not, since each would keep its observers for the life
   * of the test process.
   */
  readonly processMetrics?: boolean;
}

export interface RouteDeps extends ServerDeps {
  readonly document: OpenApiDocument;
  readonly schemas: SchemaValidator;
  readonly publicRoutes: PublicRoutes;
  /** What GET /metrics serves; the gate and verification call sites observe into it. */
  readonly metrics: Metrics;
}

export type ApiApp = Hono<AppEnv>;

/** A JSON request body checked against `components.schemas[name]` of the published document. */
export async function readBody<T>(c: Context<AppEnv>, deps: RouteDeps, name: string): Promise<T> {
  const schema = deps.document.components.schemas[name];
  if (!schema) throw new Error(`no schema ${name} in the OpenAPI document`);
  const value = await readJsonBody(c, deps.config.maxJsonBytes);
  deps.schemas.assertBody<T>(schema, value);
  return value;
}
