// The ledger: the signed checkpoint, entries a page at a time, one entry opened, RFC 9162 proofs (the
// same JSON as `signet log prove … --json`).
import { proveConsistency, proveInclusion, readEntry } from '../../app/log.js';
import { parseJson } from '../../signing/canonical-json.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { countQuery, entryRefParam, requiredCountQuery } from '../http.js';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

export function registerLogRoutes(app: ApiApp, { home }: RouteDeps): void {
  app.get('/v1/log/checkpoint', async (c) => {
    const checkpoint = await home.ledger.checkpoint();
    return c.body(new Uint8Array(checkpoint.note), 200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Signet-Tree-Size': String(checkpoint.size),
    });
  });

  app.get('/v1/log/entries', async (c) => {
    const from = countQuery(c, 'from', { fallback: 0 })!;
    const limit = countQuery(c, 'limit', { fallback: DEFAULT_PAGE, min: 1, max: MAX_PAGE })!;
    const size = await home.ledger.size();
    const to = Math.min(size, from + limit);
    const entries = [];
    if (from < to) {
      for await (const entry of home.ledger.entries(from, to)) {
        entries.push({ index: entry.index, id: entry.id, kind: entry.kind, time: entry.time });
      }
    }
    return c.json({ size, from, limit, entries, ...(to < size ? { next: to } : {}) });
  });

  app.get('/v1/log/entries/:ref', async (c) => {
    const entry = await readEntry(home, await entryRefParam(c, home.ledger));
    return c.json({
      index: entry.index,
      id: entry.id,
      kind: entry.kind,
      time: entry.time,
      statement: entry.statement,
      envelope: parseJson(entry.envelope, 'the stored envelope'),
    });
  });

  app.get('/v1/log/proofs/inclusion', async (c) => {
    const index = requiredCountQuery(c, 'index');
    const size = countQuery(c, 'size');
    return c.json(await proveInclusion(home, index, size));
  });

  app.get('/v1/log/proofs/consistency', async (c) => {
    const first = requiredCountQuery(c, 'first');
    const second = requiredCountQuery(c, 'second');
    return c.json(await proveConsistency(home, first, second));
  });
}
