// The auth tables' rows as both SQL adapters read them (snake_case columns, NULL for absent), and the
// mapping to the port's rows: one definition, so that the two backends cannot drift apart.
import type { ApiTokenRow, ChallengeRow, InviteRow, SessionRow } from './auth.js';

export interface TokenDbRow {
  id: string;
  identity: string;
  name: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

export interface SessionDbRow {
  id_hash: string;
  identity: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface InviteDbRow {
  id: string;
  identity: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface ChallengeDbRow {
  id: string;
  purpose: string;
  challenge: string;
  identity: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export function toToken(row: TokenDbRow): ApiTokenRow {
  return {
    id: row.id,
    identity: row.identity,
    name: row.name,
    createdBy: row.created_by,
    createdAt: row.created_at,
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
  };
}

export function toSession(row: SessionDbRow): SessionRow {
  return {
    idHash: row.id_hash,
    identity: row.identity,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
  };
}

export function toInvite(row: InviteDbRow): InviteRow {
  return {
    id: row.id,
    identity: row.identity,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.used_at !== null ? { usedAt: row.used_at } : {}),
  };
}

export function toChallenge(row: ChallengeDbRow): ChallengeRow {
  return {
    id: row.id,
    purpose: row.purpose,
    challenge: row.challenge,
    ...(row.identity !== null ? { identity: row.identity } : {}),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.used_at !== null ? { usedAt: row.used_at } : {}),
  };
}
