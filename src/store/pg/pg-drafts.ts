// The PostgreSQL Drafts adapter: the same rows as the SQLite one, in tables beside the ledger's. Working
// state, not evidence: drafts are closed by an UPDATE that only an open draft matches, so of two servers
// closing the same draft exactly one wins.
import { InputError } from '../../errors.js';
import type { Digest } from '../../signing/digest.js';
import type { DraftRow, Drafts, RegistrationKind, RegistrationRow, StoredApproval } from '../drafts.js';
import { toDraft, type DraftDbRow } from '../draft-rows.js';
import { pgStoreError, sqlStateOf, UNIQUE_VIOLATION, type PgPool } from './sql.js';

interface RegistrationDbRow {
  kind: RegistrationKind;
  digest: string;
  name: string;
  registration: string;
}

interface ApprovalDbRow {
  draft: string;
  identity: string;
  view: string;
  approval: string;
}

/** Drafts on a migrated database (migrations.ts); the pool belongs to the caller. */
export function openPgDrafts(pool: PgPool): Drafts {
  async function query<R extends object>(what: string, text: string, values: unknown[] = []) {
    try {
      return await pool.query<R & Record<string, unknown>>(text, values);
    } catch (error) {
      throw pgStoreError(`could not ${what}`, error);
    }
  }
  return {
    async putRegistration(row: RegistrationRow) {
      await query(
        'store the registration',
        'INSERT INTO registrations (kind, digest, name, registration) VALUES ($1, $2, $3, $4) ' +
          'ON CONFLICT (kind, digest) DO UPDATE SET name = excluded.name, registration = excluded.registration',
        [row.kind, row.digest, row.name, row.registration],
      );
    },
    async findRegistration(kind: RegistrationKind, digest: Digest) {
      const row = (
        await query<RegistrationDbRow>(
          'read the registration',
          'SELECT kind, digest, name, registration FROM registrations WHERE kind = $1 AND digest = $2',
          [kind, digest],
        )
      ).rows[0];
      return row
        ? {
            kind: row.kind,
            digest: row.digest as Digest,
            name: row.name,
            registration: row.registration as Digest,
          }
        : undefined;
    },
    async createDraft(row: DraftRow) {
      try {
        await pool.query(
          'INSERT INTO drafts (id, status, inputs, view, requester, model, context, route, tier, request_signature, created_at) ' +
            'VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
          [
            row.id,
            row.status,
            row.inputs,
            row.view,
            row.requester,
            row.model,
            row.context,
            row.route,
            row.tier,
            row.requestSignature,
            row.createdAt,
          ],
        );
      } catch (error) {
        if (sqlStateOf(error) === UNIQUE_VIOLATION) {
          throw new InputError('DRAFT_EXISTS', `draft ${row.id} exists already`, {
            cause: error,
            details: { draft: row.id },
          });
        }
        throw pgStoreError(`could not create draft ${row.id}`, error);
      }
    },
    async getDraft(id: string) {
      const row = (await query<DraftDbRow>('read the draft', 'SELECT * FROM drafts WHERE id = $1', [id]))
        .rows[0];
      return row ? toDraft(row) : undefined;
    },
    async listDrafts(filter = {}) {
      const rows = filter.status
        ? await query<DraftDbRow>(
            'list drafts',
            'SELECT * FROM drafts WHERE status = $1 ORDER BY created_at, id',
            [filter.status],
          )
        : await query<DraftDbRow>('list drafts', 'SELECT * FROM drafts ORDER BY created_at, id');
      return rows.rows.map(toDraft);
    },
    async closeDraft(id, status, entry) {
      const result = await query(
        `close draft ${id}`,
        "UPDATE drafts SET status = $1, closed_by = $2 WHERE id = $3 AND status = 'open'",
        [status, entry, id],
      );
      return result.rowCount === 1;
    },
    async putApproval(approval: StoredApproval) {
      await query(
        'store the approval',
        'INSERT INTO approvals (draft, identity, view, approval) VALUES ($1, $2, $3, $4) ' +
          'ON CONFLICT (draft, identity) DO UPDATE SET view = excluded.view, approval = excluded.approval',
        [approval.draft, approval.identity, approval.view, JSON.stringify(approval.approval)],
      );
    },
    async listApprovals(draft: string) {
      const rows = await query<ApprovalDbRow>(
        'list approvals',
        'SELECT draft, identity, view, approval FROM approvals WHERE draft = $1 ORDER BY identity',
        [draft],
      );
      return rows.rows.map((row) => ({
        draft: row.draft,
        identity: row.identity,
        view: row.view as Digest,
        approval: JSON.parse(row.approval) as unknown,
      }));
    },
  };
}
