// People, keys and roles: bind an identity to a key, grant and revoke roles. Each is an entry signed by
// the acting admin; the authority state is folded from those entries.
import { signAction, assertIdentityId } from '../authority/actor.js';
import { ADMIN_ROLE, AUTHORITY_KINDS, AuthorityState } from '../authority/state.js';
import { InputError } from '../errors.js';
import { openEntry, predicateTypeOf, subjectOf, type Predicate, type SealedEntry } from '../ledger/entry.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import { keyIdOf, type Signer } from '../signing/keys.js';
import type { Home } from './home.js';

/** Folds every authority entry of the log (each checked as it is folded). */
export async function loadAuthority(home: Home): Promise<AuthorityState> {
  const state = new AuthorityState();
  for await (const stored of home.ledger.entriesOfKinds(AUTHORITY_KINDS)) {
    state.apply(openEntry(stored.envelope, home.logPublicKey));
  }
  return state;
}

/**
 * Signs `predicate` as `signer` (acting for `identity`), checks that they may do it now, and appends it.
 * The app checks first so that a refusal is a clear error and nothing is appended. The subject is
 * `subjectName` with `subjectDigest`, by default the SHA-256 of the name.
 */
export async function appendAdminAction(
  home: Home,
  kind: string,
  subjectName: string,
  predicate: Predicate,
  identity: string,
  signer: Signer,
  subjectDigest?: Digest,
): Promise<SealedEntry> {
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  authority.authorise({ identity, keyId: signer.keyId, ledgerSize: size }, ADMIN_ROLE, undefined, {
    size,
    time: new Date().toISOString(),
  });
  const signed = signAction(kind, predicate, identity, size, signer);
  return home.ledger.append({
    subject: [subjectOf(subjectName, subjectDigest ?? digestOfBytes(new TextEncoder().encode(subjectName)))],
    predicateType: predicateTypeOf(kind),
    predicate: signed,
  });
}

export async function bindIdentity(
  home: Home,
  identity: string,
  publicKey: Uint8Array,
  as: { identity: string; signer: Signer },
): Promise<SealedEntry> {
  assertIdentityId(identity);
  const predicate = {
    identity,
    key: {
      scheme: 'ed25519',
      keyId: keyIdOf(publicKey),
      publicKey: Buffer.from(publicKey).toString('base64'),
    },
  };
  return appendAdminAction(home, 'identity-key', identity, predicate, as.identity, as.signer);
}

export interface RoleSpec {
  readonly identity: string;
  readonly role: string;
  readonly model?: string;
  readonly from?: string;
  readonly until?: string;
}

const ROLE_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;

export async function grantRole(
  home: Home,
  spec: RoleSpec,
  as: { identity: string; signer: Signer },
): Promise<SealedEntry> {
  const normalised = normaliseRoleSpec(spec);
  const authority = await loadAuthority(home);
  if (!authority.hasAnyKey(spec.identity, { size: await home.ledger.size() })) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${spec.identity} has no bound key: run \`signet identity bind\` first`,
    );
  }
  return appendAdminAction(home, 'role-grant', spec.identity, { ...normalised }, as.identity, as.signer);
}

export async function revokeRole(
  home: Home,
  spec: RoleSpec,
  as: { identity: string; signer: Signer },
): Promise<SealedEntry> {
  normaliseRoleSpec(spec);
  const authority = await loadAuthority(home);
  const active = authority
    .allGrants()
    .some(
      (g) =>
        g.identity === spec.identity &&
        g.role === spec.role &&
        g.model === spec.model &&
        g.revokedAt === undefined,
    );
  if (!active) {
    const scope = spec.model ? ` for model ${spec.model}` : '';
    throw new InputError('NOT_FOUND', `${spec.identity} holds no ${spec.role} role${scope} to revoke`);
  }
  const predicate = {
    identity: spec.identity,
    role: spec.role,
    ...(spec.model ? { model: spec.model } : {}),
  };
  return appendAdminAction(home, 'role-revoke', spec.identity, predicate, as.identity, as.signer);
}

/** Validates a role spec and writes its time bounds as log times (UTC, milliseconds) so they compare. */
function normaliseRoleSpec(spec: RoleSpec): RoleSpec {
  assertIdentityId(spec.identity);
  if (!ROLE_PATTERN.test(spec.role)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `role ${JSON.stringify(spec.role)} must be lowercase letters, digits and -`,
    );
  }
  for (const [name, value] of [
    ['--from', spec.from],
    ['--until', spec.until],
  ] as const) {
    if (value !== undefined && (Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}T/.test(value))) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `${name} must be an RFC 3339 time, got ${JSON.stringify(value)}`,
      );
    }
  }
  return {
    identity: spec.identity,
    role: spec.role,
    ...(spec.model !== undefined ? { model: spec.model } : {}),
    ...(spec.from !== undefined ? { from: new Date(spec.from).toISOString() } : {}),
    ...(spec.until !== undefined ? { until: new Date(spec.until).toISOString() } : {}),
  };
}
