// Who is calling. A pipeline sends `Authorization: Bearer sgt_…` (an API token an admin created for an
// identity); a browser sends the `signet_session` cookie. Every /v1 route needs one of them except the
// routes registered as public. The identity goes into the context, every mutating call is logged with it,
// and a browser session may change things only from the server's own origin (a cross-site form or fetch
// cannot carry the session cookie into a change).
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';

import { findLiveSession, findLiveToken } from '../app/tokens.js';
import type { Home } from '../app/home.js';
import { AuthorityError } from '../errors.js';
import type { ServerConfig } from './config.js';

export const SESSION_COOKIE = 'signet_session';

export interface Caller {
  readonly identity: string;
  /** How the caller authenticated: an API token (its id) or a browser session. */
  readonly via: { readonly kind: 'token'; readonly tokenId: string } | { readonly kind: 'session' };
}

/** The Hono environment of the API: the authenticated caller, once the auth middleware has run. */
export interface AppEnv {
  Variables: {
    caller: Caller | undefined;
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Routes anyone may call; every other /v1 route needs a token or a session. */
export class PublicRoutes {
  private readonly routes: { method: string; pattern: RegExp }[] = [];

  /** `path` in Hono's syntax (`/v1/passkeys/:id`). A public GET is a public HEAD too. */
  allow(method: string, path: string): void {
    const pattern = new RegExp(
      '^' +
        path
          .split('/')
          .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('/') +
        '$',
    );
    this.routes.push({ method: method.toUpperCase(), pattern });
  }

  isPublic(method: string, path: string): boolean {
    const wanted = method === 'HEAD' ? 'GET' : method;
    return this.routes.some((route) => route.method === wanted && route.pattern.test(path));
  }
}

/** The caller of an authenticated route; UNAUTHENTICATED if the route was reached without one. */
export function callerOf(c: Context<AppEnv>): Caller {
  const caller = c.get('caller');
  if (!caller) throw unauthenticated('this route needs an API token or a session');
  return caller;
}

export function unauthenticated(message: string): AuthorityError {
  return new AuthorityError('UNAUTHENTICATED', message);
}

/** Resolves the caller of every non-public /v1 request, or refuses it with 401. */
export function authenticate(
  home: Home,
  config: ServerConfig,
  publicRoutes: PublicRoutes,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (publicRoutes.isPublic(c.req.method, c.req.path)) return next();
    const caller = await resolveCaller(c, home);
    // Set first, so that a refused cross-origin attempt is logged with who it came in as.
    c.set('caller', caller);
    if (caller.via.kind === 'session' && !SAFE_METHODS.has(c.req.method)) {
      assertSameOrigin(c, config.origin);
    }
    return next();
  };
}

async function resolveCaller(c: Context<AppEnv>, home: Home): Promise<Caller> {
  const authorization = c.req.header('authorization');
  if (authorization !== undefined) {
    // A request that names a credential is judged by it, never by a cookie that happens to come along.
    const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('the Authorization header must be "Bearer <API token>"');
    const token = await findLiveToken(home, match[1]!);
    if (!token) throw unauthenticated('the API token is not valid, or has been revoked');
    return { identity: token.identity, via: { kind: 'token', tokenId: token.id } };
  }
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie !== undefined) {
    const session = await findLiveSession(home, cookie);
    if (!session) throw unauthenticated('the session has expired or was ended: sign in again');
    return { identity: session.identity, via: { kind: 'session' } };
  }
  throw unauthenticated('an API token (Authorization: Bearer sgt_…) or a session is required');
}

function assertSameOrigin(c: Context, origin: string): void {
  const sent = c.req.header('origin');
  if (sent !== origin) {
    throw new AuthorityError(
      'NOT_AUTHORISED',
      `a change made with a browser session must come from ${origin} (the request's Origin is ${sent === undefined ? 'missing' : JSON.stringify(sent.slice(0, 100))})`,
    );
  }
}

/** Logs `identity method path status` for every call that may change something. */
export function auditLog(config: ServerConfig): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (SAFE_METHODS.has(c.req.method)) return;
    const identity = c.get('caller')?.identity ?? '-';
    config.log(`${identity} ${c.req.method} ${c.req.path} ${c.res.status}`);
  };
}
