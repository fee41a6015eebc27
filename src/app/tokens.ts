// API tokens for pipelines, and the secrets behind every credential of `signet serve`. An admin creates a
// token for an identity that has a bound key, proving who they are with their own key as for any admin
// action; the secret is shown once and only its SHA-256 is stored. A revoked token is refused from the
// next request on. Tokens are server state, not evidence: they authenticate calls, while every decision
// a call makes is still signed and sealed in the ledger.
import { createHash, randomBytes } from 'node:crypto';

import { assertIdentityId } from '../authority/actor.js';
import { ADMIN_ROLE, type AuthorityState } from '../authority/state.js';
import { InputError } from '../errors.js';
import type { Signer } from '../signing/keys.js';
import type { ApiTokenRow, SessionRow } from '../store/auth.js';
import { loadAuthority } from './authority.js';
import type { Home } from './home.js';
import { coalesceReads } from '../store/fresh-read.js';

/** Secret prefixes: a leaked secret says what it is (and secret scanners can find it). */
export const SECRET_PREFIX = { token: 'sgt_', session: 'sgs_', invite: 'sgi_' } as const;
export type SecretKind = keyof typeof SECRET_PREFIX;
/** 32 random bytes. */
export const SECRET_BYTES = 32;
const SECRET_PATTERN = /^sg[tsi]_[A-Za-z0-9_-]{43}$/;
const TOKEN_ID_PATTERN = /^tok-[0-9a-f]{16}$/;
const NAME_MAX = 128;

/** A new secret: the prefix of its kind and 32 random bytes, base64url. */
export function createSecret(kind: SecretKind): string {
  return SECRET_PREFIX[kind] + randomBytes(SECRET_BYTES).toString('base64url');
}

/** SHA-256 (hex) of a secret's text: what the store keeps. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `text` is shaped like a secret of `kind` (checked before any lookup). */
export function isSecretOf(kind: SecretKind, text: string): boolean {
  return SECRET_PATTERN.test(text) && text.startsWith(SECRET_PREFIX[kind]);
}

export function isTokenId(value: string): boolean {
  return TOKEN_ID_PATTERN.test(value);
}

export interface AdminActor {
  readonly identity: string;
  readonly signer: Signer;
}

export interface CreatedToken {
  readonly token: ApiTokenRow;
  /** The secret, shown once: it is not stored anywhere. */
  readonly secret: string;
}

/**
 * Creates an API token for `identity`, which must have a bound key. `as` must hold the admin role now,
 * with the key that signs for them bound to them.
 */
export async function createApiToken(
  home: Home,
  options: { readonly identity: string; readonly name?: string; readonly as: AdminActor },
): Promise<CreatedToken> {
  assertIdentityId(options.identity);
  const name = options.name ?? options.identity;
  if (name.trim().length === 0 || name.length > NAME_MAX || /\p{Cc}/u.test(name)) {
    throw new InputError('INVALID_ARGUMENT', `--name must be 1–${NAME_MAX} printable characters`);
  }
  const { authority, size } = await assertAdmin(home, options.as);
  if (!authority.hasAnyKey(options.identity, { size })) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${options.identity} has no bound key: run \`signet identity bind\` first`,
    );
  }
  const secret = createSecret('token');
  const token: ApiTokenRow = {
    id: `tok-${randomBytes(8).toString('hex')}`,
    identity: options.identity,
    name,
    createdBy: options.as.identity,
    createdAt: new Date().toISOString(),
  };
  await home.auth.createToken({ ...token, tokenHash: hashSecret(secret) });
  return { token, secret };
}

export async function listApiTokens(home: Home, filter: { identity?: string } = {}): Promise<ApiTokenRow[]> {
  return home.auth.listTokens(filter);
}

/** Revokes a token (an admin action); revoking a revoked token changes nothing and says so. */
export async function revokeApiToken(
  home: Home,
  id: string,
  as: AdminActor,
): Promise<{ readonly token: ApiTokenRow; readonly revoked: boolean }> {
  if (!isTokenId(id)) {
    throw new InputError('INVALID_ARGUMENT', `${JSON.stringify(id)} is not a token id (tok-<16 hex>)`);
  }
  await assertAdmin(home, as);
  if (!(await home.auth.getToken(id))) throw new InputError('NOT_FOUND', `no API token ${id}`);
  const revoked = await home.auth.revokeToken(id, new Date().toISOString());
  const token = await home.auth.getToken(id);
  if (!token) throw new InputError('NOT_FOUND', `no API token ${id}`);
  return { token, revoked };
}

const tokenReads = new WeakMap<Home['auth'], (hash: string) => Promise<ApiTokenRow | undefined>>();

/**
 * The live (not revoked) token whose secret is `secret`; undefined for anything else. Requests that carry
 * the same token at the same time share one read of it (store/fresh-read.ts), never one sent before they
 * arrived: a revocation committed before a request still refuses that request.
 */
export async function findLiveToken(home: Home, secret: string): Promise<ApiTokenRow | undefined> {
  if (!isSecretOf('token', secret)) return undefined;
  let read = tokenReads.get(home.auth);
  if (read === undefined) {
    const { auth } = home;
    read = coalesceReads((hash: string) => auth.findTokenByHash(hash));
    tokenReads.set(auth, read);
  }
  const token = await read(hashSecret(secret));
  return token && token.revokedAt === undefined ? token : undefined;
}

/**
 * Starts a session for `identity` lasting `lifetimeMs` from `now`: stores only the SHA-256 of its
 * secret, and returns the secret (the cookie's value).
 */
export async function startSession(
  home: Home,
  identity: string,
  lifetimeMs: number,
  now: number = Date.now(),
): Promise<string> {
  const secret = createSecret('session');
  await home.auth.createSession({
    idHash: hashSecret(secret),
    identity,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + lifetimeMs).toISOString(),
  });
  return secret;
}

/** The live (not revoked, not expired at `now`) session whose secret is `secret`. */
export async function findLiveSession(
  home: Home,
  secret: string,
  now: Date = new Date(),
): Promise<SessionRow | undefined> {
  if (!isSecretOf('session', secret)) return undefined;
  const session = await home.auth.findSessionByHash(hashSecret(secret));
  if (!session || session.revokedAt !== undefined) return undefined;
  return Date.parse(session.expiresAt) > now.getTime() ? session : undefined;
}

/** Refuses unless `as` holds the admin role at the end of the log, signing with a key bound to them. */
async function assertAdmin(home: Home, as: AdminActor): Promise<{ authority: AuthorityState; size: number }> {
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  authority.authorise(
    { identity: as.identity, keyId: as.signer.keyId, ledgerSize: size },
    ADMIN_ROLE,
    undefined,
    {
      size,
      time: new Date().toISOString(),
    },
  );
  return { authority, size };
}
