// A draft row as both SQL adapters read it (snake_case columns, NULL for absent), and its mapping to the
// port's row: one definition, so that the two backends cannot drift apart.
import type { Digest } from '../signing/digest.js';
import type { DraftRow, DraftStatus } from './drafts.js';

export interface DraftDbRow {
  id: string;
  status: DraftStatus;
  inputs: string;
  view: string;
  requester: string;
  model: string;
  context: string;
  route: string;
  tier: string;
  request_signature: string;
  created_at: string;
  closed_by: string | null;
}

export function toDraft(row: DraftDbRow): DraftRow {
  return {
    id: row.id,
    status: row.status,
    inputs: row.inputs as Digest,
    view: row.view as Digest,
    requester: row.requester,
    model: row.model,
    context: row.context,
    route: row.route,
    tier: row.tier,
    requestSignature: row.request_signature as Digest,
    createdAt: row.created_at,
    ...(row.closed_by ? { closedBy: row.closed_by as Digest } : {}),
  };
}
