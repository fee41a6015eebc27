// The SQLite AuthStore, in the home's database beside the ledger and draft tables, in tables of its own.
// Consuming an invite or a challenge is one UPDATE … WHERE used_at IS NULL … RETURNING: of two processes
// racing to use the same one, exactly one gets the row.
import Database from 'better-sqlite3';

import { StoreError } from '../errors.js';
import type { AuthStore, NewApiToken, NewChallenge, NewInvite, NewSession } from './auth.js';
import {
  toChallenge,
  toInvite,
  toSession,
  toToken,
  type ChallengeDbRow,
  type InviteDbRow,
  type SessionDbRow,
  type TokenDbRow,
} from './auth-rows.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  identity TEXT NOT NULL,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY,
  identity TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS invites (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  identity TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
);
CREATE TABLE IF NOT EXISTS challenges (
  id TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  challenge TEXT NOT NULL,
  identity TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
);
`;

const TOKEN_COLUMNS = 'id, identity, name, created_by, created_at, revoked_at';
const INVITE_COLUMNS = 'id, identity, created_by, created_at, expires_at, used_at';

export function openSqliteAuth(file: string, busyTimeoutMs = 60_000): AuthStore & { close(): void } {
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.exec(SCHEMA);
  } catch (error) {
    throw new StoreError('STORE_FAILURE', `could not open the auth database ${file}: ${String(error)}`, {
      cause: error,
    });
  }
  // Each statement is prepared once, on first use: preparing costs more than running these lookups, and
  // the token lookup runs on every API request.
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    async createToken(token: NewApiToken) {
      prepared(
        'INSERT INTO api_tokens (id, identity, name, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(token.id, token.identity, token.name, token.tokenHash, token.createdBy, token.createdAt);
    },
    async findTokenByHash(tokenHash: string) {
      const row = prepared(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?`).get(tokenHash) as
        TokenDbRow | undefined;
      return row ? toToken(row) : undefined;
    },
    async getToken(id: string) {
      const row = prepared(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = ?`).get(id) as
        TokenDbRow | undefined;
      return row ? toToken(row) : undefined;
    },
    async listTokens(filter = {}) {
      const rows = (
        filter.identity !== undefined
          ? prepared(
              `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE identity = ? ORDER BY created_at, id`,
            ).all(filter.identity)
          : prepared(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id`).all()
      ) as TokenDbRow[];
      return rows.map(toToken);
    },
    async revokeToken(id: string, at: string) {
      const result = prepared('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(
        at,
        id,
      );
      return result.changes === 1;
    },

    async createSession(session: NewSession) {
      prepared('INSERT INTO sessions (id_hash, identity, created_at, expires_at) VALUES (?, ?, ?, ?)').run(
        session.idHash,
        session.identity,
        session.createdAt,
        session.expiresAt,
      );
    },
    async findSessionByHash(idHash: string) {
      const row = prepared('SELECT * FROM sessions WHERE id_hash = ?').get(idHash) as
        SessionDbRow | undefined;
      return row ? toSession(row) : undefined;
    },
    async revokeSession(idHash: string, at: string) {
      const result = prepared(
        'UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL',
      ).run(at, idHash);
      return result.changes === 1;
    },

    async createInvite(invite: NewInvite) {
      prepared(
        'INSERT INTO invites (id, token_hash, identity, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(
        invite.id,
        invite.tokenHash,
        invite.identity,
        invite.createdBy,
        invite.createdAt,
        invite.expiresAt,
      );
    },
    async findInviteByHash(tokenHash: string) {
      const row = prepared(`SELECT ${INVITE_COLUMNS} FROM invites WHERE token_hash = ?`).get(tokenHash) as
        InviteDbRow | undefined;
      return row ? toInvite(row) : undefined;
    },
    async consumeInvite(id: string, at: string) {
      const row = prepared(
        `UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ? RETURNING ${INVITE_COLUMNS}`,
      ).get(at, id, at) as InviteDbRow | undefined;
      return row ? toInvite(row) : undefined;
    },

    async createChallenge(challenge: NewChallenge) {
      prepared(
        'INSERT INTO challenges (id, purpose, challenge, identity, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(
        challenge.id,
        challenge.purpose,
        challenge.challenge,
        challenge.identity ?? null,
        challenge.createdAt,
        challenge.expiresAt,
      );
    },
    async consumeChallenge(id: string, purpose: string, at: string) {
      const row = prepared(
        'UPDATE challenges SET used_at = ? WHERE id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? RETURNING *',
      ).get(at, id, purpose, at) as ChallengeDbRow | undefined;
      return row ? toChallenge(row) : undefined;
    },

    async purgeExpired(at: string) {
      const purge = db.transaction(() => {
        let removed = 0;
        for (const table of ['sessions', 'invites', 'challenges']) {
          removed += prepared(`DELETE FROM ${table} WHERE expires_at <= ?`).run(at).changes;
        }
        return removed;
      });
      return purge();
    },

    close() {
      db.close();
    },
  };
}
