// The AuthStore port: who may call the HTTP API. API tokens (for pipelines), browser sessions, passkey
// enrolment invites and WebAuthn challenges. Nothing here is evidence (what counts is in the ledger); it
// is the server's working state. Secrets never reach the store: only the SHA-256 (hex) of each secret is
// kept, so a copy of the database does not let anyone call the API.

export interface NewApiToken {
  /** `tok-<16 hex>`: names the token in lists and in `tokens revoke`; not a secret. */
  readonly id: string;
  /** The identity every call made with the token is attributed to. */
  readonly identity: string;
  /** A label for people ("ci-credit-nightly"). */
  readonly name: string;
  /** SHA-256 (hex) of the secret. */
  readonly tokenHash: string;
  /** The admin who created it. */
  readonly createdBy: string;
  /** RFC 3339. */
  readonly createdAt: string;
}

export interface ApiTokenRow {
  readonly id: string;
  readonly identity: string;
  readonly name: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export interface NewSession {
  /** SHA-256 (hex) of the session secret (the cookie value). */
  readonly idHash: string;
  readonly identity: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface SessionRow extends NewSession {
  readonly revokedAt?: string;
}

export interface NewInvite {
  readonly id: string;
  /** SHA-256 (hex) of the invite secret. */
  readonly tokenHash: string;
  readonly identity: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface InviteRow extends Omit<NewInvite, 'tokenHash'> {
  readonly usedAt?: string;
}

export interface NewChallenge {
  readonly id: string;
  /** What the challenge is for, e.g. `login`, `enrol`, `approve`. A challenge is consumed for its purpose only. */
  readonly purpose: string;
  /** The challenge bytes, base64url. */
  readonly challenge: string;
  readonly identity?: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface ChallengeRow extends NewChallenge {
  readonly usedAt?: string;
}

export interface AuthStore {
  createToken(token: NewApiToken): Promise<void>;
  /** The token whose secret hashes to `tokenHash`, revoked or not (the caller decides). */
  findTokenByHash(tokenHash: string): Promise<ApiTokenRow | undefined>;
  getToken(id: string): Promise<ApiTokenRow | undefined>;
  /** Every token, oldest first. */
  listTokens(filter?: { readonly identity?: string }): Promise<ApiTokenRow[]>;
  /** Marks a token revoked at `at`; false when there is no such token or it was revoked already. */
  revokeToken(id: string, at: string): Promise<boolean>;

  createSession(session: NewSession): Promise<void>;
  findSessionByHash(idHash: string): Promise<SessionRow | undefined>;
  /** false when there is no such session or it was revoked already. */
  revokeSession(idHash: string, at: string): Promise<boolean>;

  createInvite(invite: NewInvite): Promise<void>;
  findInviteByHash(tokenHash: string): Promise<InviteRow | undefined>;
  /**
   * Uses an invite once, atomically: the row as used at `at`, or undefined when it does not exist, was
   * used already (by this or another process) or expired at or before `at`.
   */
  consumeInvite(id: string, at: string): Promise<InviteRow | undefined>;

  createChallenge(challenge: NewChallenge): Promise<void>;
  /** Uses a challenge once, atomically, for `purpose`: as consumeInvite. */
  consumeChallenge(id: string, purpose: string, at: string): Promise<ChallengeRow | undefined>;

  /** Deletes sessions, invites and challenges that expired at or before `at`; returns how many. */
  purgeExpired(at: string): Promise<number>;
}
