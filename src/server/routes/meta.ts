// Health, the OpenAPI document, its web page (all public), and who the caller is.
import { VERSION } from '../../cli/main.js';
import { callerOf } from '../auth.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { DOCS_CSP, renderDocs } from '../docs.js';

export function registerMetaRoutes(app: ApiApp, deps: RouteDeps): void {
  deps.publicRoutes.allow('GET', '/v1/health');
  deps.publicRoutes.allow('GET', '/v1/openapi.json');
  deps.publicRoutes.allow('GET', '/v1/docs');

  app.get('/v1/health', (c) => c.json({ status: 'ok', version: VERSION }));

  // Rendered once: the document does not change while the server runs.
  const documentText = JSON.stringify(deps.document);
  app.get('/v1/openapi.json', (c) => c.body(documentText, 200, { 'Content-Type': 'application/json' }));

  let page: string | undefined;
  app.get('/v1/docs', (c) => {
    page ??= renderDocs(deps.document);
    return c.html(page, 200, { 'Content-Security-Policy': DOCS_CSP });
  });

  app.get('/v1/whoami', (c) => {
    const caller = callerOf(c);
    return c.json({
      identity: caller.identity,
      via: caller.via.kind,
      ...(caller.via.kind === 'token' ? { tokenId: caller.via.tokenId } : {}),
    });
  });
}
