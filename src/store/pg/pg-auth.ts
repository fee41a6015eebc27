// The PostgreSQL AuthStore: the SQLite adapter's tables and queries. Consuming an invite or a challenge is
// one UPDATE … WHERE used_at IS NULL … RETURNING: under READ COMMITTED the second of two racing servers
// re-checks the row after the first commits and matches nothing, so exactly one gets it.
import type { AuthStore, NewApiToken, NewChallenge, NewInvite, NewSession } from '../auth.js';
import {
  toChallenge,
  toInvite,
  toSession,
  toToken,
  type ChallengeDbRow,
  type InviteDbRow,
  type SessionDbRow,
  type TokenDbRow,
} from '../auth-rows.js';
import { inTransaction, pgStoreError, type PgPool } from './sql.js';

const TOKEN_COLUMNS = 'id, identity, name, created_by, created_at, revoked_at';
const SESSION_COLUMNS = 'id_hash, identity, created_at, expires_at, revoked_at';
const INVITE_COLUMNS = 'id, identity, created_by, created_at, expires_at, used_at';
const CHALLENGE_COLUMNS = 'id, purpose, challenge, identity, created_at, expires_at, used_at';

/** Auth on a migrated database (migrations.ts); the pool belongs to the caller. */
export function openPgAuth(pool: PgPool): AuthStore {
  async function query<R extends object>(what: string, text: string, values: unknown[] = []) {
    try {
      return await pool.query<R & Record<string, unknown>>(text, values);
    } catch (error) {
      throw pgStoreError(`could not ${what}`, error);
    }
  }
  return {
    async createToken(token: NewApiToken) {
      await query(
        'create the token',
        'INSERT INTO api_tokens (id, identity, name, token_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [token.id, token.identity, token.name, token.tokenHash, token.createdBy, token.createdAt],
      );
    },
    async findTokenByHash(tokenHash: string) {
      const row = (
        await query<TokenDbRow>(
          'read the token',
          `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1`,
          [tokenHash],
        )
      ).rows[0];
      return row ? toToken(row) : undefined;
    },
    async getToken(id: string) {
      const row = (
        await query<TokenDbRow>('read the token', `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = $1`, [
          id,
        ])
      ).rows[0];
      return row ? toToken(row) : undefined;
    },
    async listTokens(filter = {}) {
      const rows =
        filter.identity !== undefined
          ? await query<TokenDbRow>(
              'list tokens',
              `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE identity = $1 ORDER BY created_at, id`,
              [filter.identity],
            )
          : await query<TokenDbRow>(
              'list tokens',
              `SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id`,
            );
      return rows.rows.map(toToken);
    },
    async revokeToken(id: string, at: string) {
      const result = await query(
        'revoke the token',
        'UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
        [at, id],
      );
      return result.rowCount === 1;
    },

    async createSession(session: NewSession) {
      await query(
        'create the session',
        'INSERT INTO sessions (id_hash, identity, created_at, expires_at) VALUES ($1, $2, $3, $4)',
        [session.idHash, session.identity, session.createdAt, session.expiresAt],
      );
    },
    async findSessionByHash(idHash: string) {
      const row = (
        await query<SessionDbRow>(
          'read the session',
          `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id_hash = $1`,
          [idHash],
        )
      ).rows[0];
      return row ? toSession(row) : undefined;
    },
    async revokeSession(idHash: string, at: string) {
      const result = await query(
        'revoke the session',
        'UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND revoked_at IS NULL',
        [at, idHash],
      );
      return result.rowCount === 1;
    },

    async createInvite(invite: NewInvite) {
      await query(
        'create the invite',
        'INSERT INTO invites (id, token_hash, identity, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [invite.id, invite.tokenHash, invite.identity, invite.createdBy, invite.createdAt, invite.expiresAt],
      );
    },
    async findInviteByHash(tokenHash: string) {
      const row = (
        await query<InviteDbRow>(
          'read the invite',
          `SELECT ${INVITE_COLUMNS} FROM invites WHERE token_hash = $1`,
          [tokenHash],
        )
      ).rows[0];
      return row ? toInvite(row) : undefined;
    },
    async consumeInvite(id: string, at: string) {
      const row = (
        await query<InviteDbRow>(
          'use the invite',
          `UPDATE invites SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1 RETURNING ${INVITE_COLUMNS}`,
          [at, id],
        )
      ).rows[0];
      return row ? toInvite(row) : undefined;
    },

    async createChallenge(challenge: NewChallenge) {
      await query(
        'create the challenge',
        'INSERT INTO challenges (id, purpose, challenge, identity, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [
          challenge.id,
          challenge.purpose,
          challenge.challenge,
          challenge.identity ?? null,
          challenge.createdAt,
          challenge.expiresAt,
        ],
      );
    },
    async consumeChallenge(id: string, purpose: string, at: string) {
      const row = (
        await query<ChallengeDbRow>(
          'use the challenge',
          'UPDATE challenges SET used_at = $1 WHERE id = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 ' +
            `RETURNING ${CHALLENGE_COLUMNS}`,
          [at, id, purpose],
        )
      ).rows[0];
      return row ? toChallenge(row) : undefined;
    },

    async purgeExpired(at: string) {
      try {
        return await inTransaction(pool, async (client) => {
          let removed = 0;
          for (const table of ['sessions', 'invites', 'challenges']) {
            removed +=
              (await client.query(`DELETE FROM ${table} WHERE expires_at <= $1`, [at])).rowCount ?? 0;
          }
          return removed;
        });
      } catch (error) {
        throw pgStoreError('could not purge expired sessions, invites and challenges', error);
      }
    },
  };
}
