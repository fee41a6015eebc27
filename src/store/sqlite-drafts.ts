// The SQLite Drafts adapter, in the home's database beside the ledger tables (which stay append-only).
import Database from 'better-sqlite3';

import { StoreError } from '../errors.js';
import type { Digest } from '../signing/digest.js';
import type { DraftRow, Drafts, RegistrationKind, RegistrationRow, StoredApproval } from './drafts.js';
import { toDraft, type DraftDbRow } from './draft-rows.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS registrations (
  kind TEXT NOT NULL,
  digest TEXT NOT NULL,
  name TEXT NOT NULL,
  registration TEXT NOT NULL,
  PRIMARY KEY (kind, digest)
);
CREATE TABLE IF NOT EXISTS drafts (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  inputs TEXT NOT NULL,
  view TEXT NOT NULL,
  requester TEXT NOT NULL,
  model TEXT NOT NULL,
  context TEXT NOT NULL,
  route TEXT NOT NULL,
  tier TEXT NOT NULL,
  request_signature TEXT NOT NULL,
  created_at TEXT NOT NULL,
  closed_by TEXT
);
CREATE TABLE IF NOT EXISTS approvals (
  draft TEXT NOT NULL,
  identity TEXT NOT NULL,
  view TEXT NOT NULL,
  approval TEXT NOT NULL,
  PRIMARY KEY (draft, identity)
);
`;

export function openSqliteDrafts(file: string, busyTimeoutMs = 60_000): Drafts & { close(): void } {
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.exec(SCHEMA);
  } catch (error) {
    throw new StoreError('STORE_FAILURE', `could not open the drafts database ${file}: ${String(error)}`);
  }
  return {
    async putRegistration(row: RegistrationRow) {
      db.prepare(
        'INSERT INTO registrations (kind, digest, name, registration) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (kind, digest) DO UPDATE SET name = excluded.name, registration = excluded.registration',
      ).run(row.kind, row.digest, row.name, row.registration);
    },
    async findRegistration(kind: RegistrationKind, digest: Digest) {
      const row = db
        .prepare('SELECT * FROM registrations WHERE kind = ? AND digest = ?')
        .get(kind, digest) as
        { kind: RegistrationKind; digest: string; name: string; registration: string } | undefined;
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
      db.prepare(
        'INSERT INTO drafts (id, status, inputs, view, requester, model, context, route, tier, request_signature, created_at) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
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
      );
    },
    async getDraft(id: string) {
      const row = db.prepare('SELECT * FROM drafts WHERE id = ?').get(id) as DraftDbRow | undefined;
      return row ? toDraft(row) : undefined;
    },
    async listDrafts(filter = {}) {
      const rows = (
        filter.status
          ? db.prepare('SELECT * FROM drafts WHERE status = ? ORDER BY created_at').all(filter.status)
          : db.prepare('SELECT * FROM drafts ORDER BY created_at').all()
      ) as DraftDbRow[];
      return rows.map(toDraft);
    },
    async closeDraft(id, status, entry) {
      const result = db
        .prepare("UPDATE drafts SET status = ?, closed_by = ? WHERE id = ? AND status = 'open'")
        .run(status, entry, id);
      return result.changes === 1;
    },
    async putApproval(approval: StoredApproval) {
      db.prepare(
        'INSERT INTO approvals (draft, identity, view, approval) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (draft, identity) DO UPDATE SET view = excluded.view, approval = excluded.approval',
      ).run(approval.draft, approval.identity, approval.view, JSON.stringify(approval.approval));
    },
    async listApprovals(draft: string) {
      const rows = db.prepare('SELECT * FROM approvals WHERE draft = ? ORDER BY identity').all(draft) as {
        draft: string;
        identity: string;
        view: string;
        approval: string;
      }[];
      return rows.map((row) => ({
        draft: row.draft,
        identity: row.identity,
        view: row.view as Digest,
        approval: JSON.parse(row.approval) as unknown,
      }));
    },
    close() {
      db.close();
    },
  };
}
