// Who held which key and which role at which ledger position (DESIGN invariant 6), and which
// materiality policy was in force there. Built by folding the log's genesis, identity-key, role-grant,
// role-revoke and policy entries in order. Every such entry is itself checked as it is folded: its
// actor's signature, with a key bound to them before the position they signed at, and their admin role
// at that position and at the entry's own position. Pure.
import { createHash } from 'node:crypto';

import { AuthorityError, VerificationError } from '../errors.js';
import { decodeBase64UrlStrict } from '../webauthn/base64url.js';
import { parseCosePublicKey } from '../webauthn/cose.js';
import { keyIdOfCose } from '../webauthn/verify.js';
import { decodeBase64Strict } from '../signing/base64.js';
import { keyIdOf } from '../signing/keys.js';
import { isRecord, type OpenedEntry, type Predicate } from '../ledger/entry.js';
import { isDigest, type Digest } from '../signing/digest.js';
import { verifyActorSignature, readActor, isIdentityId, type ActorSignature } from './actor.js';

export const ADMIN_ROLE = 'admin';
export const APPROVER_ROLE = 'approver';
/** The kind of the entry that puts a materiality policy version in force (an admin action). */
export const POLICY_KIND = 'policy';
/** The entry kinds the authority state is made of. */
/** An admin's invitation for a person to enrol a passkey (the passkey-binding entry consumes it). */
export const INVITE_KIND = 'identity-invite';
export const AUTHORITY_KINDS = [
  'genesis',
  'identity-key',
  INVITE_KIND,
  'role-grant',
  'role-revoke',
  POLICY_KIND,
] as const;

export interface KeyBinding {
  readonly identity: string;
  readonly keyId: string;
  /** `ed25519`: the raw 32-byte key; `webauthn`: the passkey's COSE_Key bytes. */
  readonly scheme: 'ed25519' | 'webauthn';
  readonly publicKey: Uint8Array;
  /** A passkey's credential id (base64url) and the relying party it was enrolled for. */
  readonly credentialId?: string;
  readonly rpId?: string;
  /** The entry that bound it (genesis for the first admin). */
  readonly entry: Digest;
  readonly index: number;
}

/** An admin's invitation (an `identity-invite` entry) for `identity` to enrol one passkey. */
export interface Invite {
  readonly identity: string;
  /** SHA-256 (hex) of the invite secret; the secret travels only in the link given to the person. */
  readonly secretHash: string;
  /** RFC 3339: a binding after this log time is refused. */
  readonly expires: string;
  readonly entry: Digest;
  readonly index: number;
  readonly invitedBy: string;
  usedBy?: Digest;
}

export interface RoleGrant {
  readonly identity: string;
  readonly role: string;
  /** A model name; absent: every model. */
  readonly model?: string;
  /** RFC 3339 bounds of a time-bounded grant (on-call rotas). */
  readonly from?: string;
  readonly until?: string;
  readonly entry: Digest;
  readonly index: number;
  revokedAt?: number;
}

/** A policy entry: the policy document (an object) in force from the entry on, until the next one. */
export interface PolicyRecord {
  /** Object digest of the policy document (its canonical JSON). */
  readonly policy: Digest;
  /** 1 for the first policy entry of the log, then 2, 3…: the policy's version in this log. */
  readonly version: number;
  readonly entry: Digest;
  readonly index: number;
  readonly time: string;
  /** The admin who applied it. */
  readonly actor: string;
}

export interface Position {
  /** The ledger size the act was signed at: entries with index < size are in force. */
  readonly size: number;
  /** The log time of the act, for time-bounded grants. */
  readonly time?: string;
}

export class AuthorityState {
  private readonly keys: KeyBinding[] = [];
  private readonly grants: RoleGrant[] = [];
  private readonly policyRecords: PolicyRecord[] = [];
  private readonly inviteRecords = new Map<Digest, Invite>();
  private origin: string | undefined;

  get issuer(): string {
    return `signet:${this.origin ?? 'unknown'}`;
  }

  /** Folds the next authority entry (in log order). Throws if the entry was not authorised. */
  apply(entry: OpenedEntry): void {
    const predicate = entry.statement.predicate;
    switch (entry.kind) {
      case 'genesis':
        this.applyGenesis(entry, predicate);
        return;
      case 'identity-key': {
        const identity = predicate['identity'];
        const key = predicate['key'];
        if (!isIdentityId(identity) || !isRecord(key) || typeof key['publicKey'] !== 'string') {
          throw invalidEntry(entry, 'an identity-key entry needs an identity and a key');
        }
        if (key['scheme'] === 'webauthn') {
          this.bindPasskey(entry, identity, key, predicate);
          return;
        }
        this.checkAdminAction(entry);
        this.bindKey(entry, identity, key['publicKey']);
        return;
      }
      case INVITE_KIND: {
        const actor = this.checkAdminAction(entry);
        const { identity, secretHash, expires } = predicate;
        if (
          !isIdentityId(identity) ||
          typeof secretHash !== 'string' ||
          !/^[0-9a-f]{64}$/.test(secretHash) ||
          typeof expires !== 'string' ||
          !isTimestamp(expires)
        ) {
          throw invalidEntry(
            entry,
            'an identity-invite entry needs an identity, a secret hash and an expiry',
          );
        }
        this.inviteRecords.set(entry.id, {
          identity,
          secretHash,
          expires,
          entry: entry.id,
          index: entry.index,
          invitedBy: actor.identity,
        });
        return;
      }
      case 'role-grant': {
        this.checkAdminAction(entry);
        const { identity, role, model, from, until } = predicate;
        if (!isIdentityId(identity) || typeof role !== 'string' || role.length === 0) {
          throw invalidEntry(entry, 'a role-grant entry needs an identity and a role');
        }
        this.grants.push({
          identity,
          role,
          ...(typeof model === 'string' ? { model } : {}),
          ...(typeof from === 'string' ? { from } : {}),
          ...(typeof until === 'string' ? { until } : {}),
          entry: entry.id,
          index: entry.index,
        });
        return;
      }
      case 'role-revoke': {
        this.checkAdminAction(entry);
        const { identity, role, model } = predicate;
        let revoked = 0;
        for (const grant of this.grants) {
          if (
            grant.revokedAt === undefined &&
            grant.identity === identity &&
            grant.role === role &&
            (grant.model ?? null) === (typeof model === 'string' ? model : null)
          ) {
            grant.revokedAt = entry.index;
            revoked += 1;
          }
        }
        if (revoked === 0) throw invalidEntry(entry, 'a role-revoke entry that revokes no grant');
        return;
      }
      case POLICY_KIND: {
        const actor = this.checkAdminAction(entry);
        const { policy, version } = predicate;
        if (!isDigest(policy)) throw invalidEntry(entry, 'a policy entry needs the policy object digest');
        const expected = this.policyRecords.length + 1;
        if (version !== expected) {
          throw invalidEntry(
            entry,
            `a policy entry must carry version ${expected} (the policy entries before it plus one), not ${JSON.stringify(version)}`,
          );
        }
        this.policyRecords.push({
          policy,
          version: expected,
          entry: entry.id,
          index: entry.index,
          time: entry.time,
          actor: actor.identity,
        });
        return;
      }
      default:
        return;
    }
  }

  /** The policy in force at `position`: the latest policy entry before it; undefined before the first. */
  policyAt(position: Position): PolicyRecord | undefined {
    let found: PolicyRecord | undefined;
    for (const record of this.policyRecords) if (record.index < position.size) found = record;
    return found;
  }

  /** Every policy entry folded so far, in log order. */
  policies(): readonly PolicyRecord[] {
    return this.policyRecords;
  }

  /** An invitation by its entry id. */
  invite(entry: Digest): Invite | undefined {
    return this.inviteRecords.get(entry);
  }

  /** The open invitation whose secret hashes to `secretHash` (not used, not expired at `time`). */
  openInvite(secretHash: string, time: string): Invite | undefined {
    for (const invite of this.inviteRecords.values()) {
      if (invite.secretHash === secretHash && invite.usedBy === undefined && time < invite.expires)
        return invite;
    }
    return undefined;
  }

  /** Every passkey bound so far, in log order. */
  passkeys(): readonly KeyBinding[] {
    return this.keys.filter((k) => k.scheme === 'webauthn');
  }

  /** Every key binding of `identity` in force at `position`. */
  keysOf(identity: string, position: Position): readonly KeyBinding[] {
    return this.keys.filter((k) => k.identity === identity && k.index < position.size);
  }

  /** The key `keyId` bound to `identity` by an entry before `position`. */
  keyAt(identity: string, keyId: string, position: Position): KeyBinding | undefined {
    return this.keys.find((k) => k.identity === identity && k.keyId === keyId && k.index < position.size);
  }

  hasAnyKey(identity: string, position: Position): boolean {
    return this.keys.some((k) => k.identity === identity && k.index < position.size);
  }

  /**
   * A grant of `role` to `identity` in force at `position`: made before it, not revoked before it, for
   * this model or for every model, and (if time-bounded) covering the position's time.
   */
  grantAt(
    identity: string,
    role: string,
    model: string | undefined,
    position: Position,
  ): RoleGrant | undefined {
    return this.grants.find(
      (g) =>
        g.identity === identity &&
        g.role === role &&
        (g.model === undefined || g.model === model) &&
        g.index < position.size &&
        (g.revokedAt === undefined || g.revokedAt >= position.size) &&
        (g.from === undefined || (position.time !== undefined && position.time >= g.from)) &&
        (g.until === undefined || (position.time !== undefined && position.time < g.until)),
    );
  }

  /** Every grant ever made, for display. */
  allGrants(): readonly RoleGrant[] {
    return this.grants;
  }

  /**
   * Checks that `actor` signed with a key bound to them and held `role` (for `model`) at the position
   * they signed at and at `current` (the position where the act is recorded): a role revoked since
   * cannot be used by signing against an older ledger size (backdating).
   */
  authorise(
    actor: { identity: string; keyId: string; ledgerSize: number },
    role: string,
    model: string | undefined,
    current: Position,
  ): { key: KeyBinding; grant: RoleGrant } {
    if (actor.ledgerSize > current.size) {
      throw new AuthorityError(
        'NOT_AUTHORISED',
        `${actor.identity} signed at ledger size ${actor.ledgerSize}, after the position ${current.size} it is recorded at`,
      );
    }
    const signedAt: Position = { size: actor.ledgerSize, ...(current.time ? { time: current.time } : {}) };
    const key = this.keyAt(actor.identity, actor.keyId, signedAt);
    if (!key) {
      throw new AuthorityError(
        'KEY_NOT_BOUND',
        this.hasAnyKey(actor.identity, current)
          ? `the key ${actor.keyId} is not bound to ${actor.identity}`
          : `${actor.identity} has no bound key: an admin must run \`signet identity bind\` first`,
      );
    }
    const scope = model === undefined ? '' : ` for model ${model}`;
    const grant = this.grantAt(actor.identity, role, model, signedAt);
    if (!grant) {
      throw new AuthorityError(
        'NOT_AUTHORISED',
        `${actor.identity} did not hold the ${role} role${scope} at ledger size ${actor.ledgerSize}`,
      );
    }
    if (!this.grantAt(actor.identity, role, model, current)) {
      throw new AuthorityError(
        'NOT_AUTHORISED',
        `${actor.identity} no longer holds the ${role} role${scope} at ledger size ${current.size}`,
      );
    }
    return { key, grant };
  }

  /**
   * `authorise` for the first of `roles` the actor holds (in the order given): an approval on a route
   * that accepts several roles (a committee) is authorised by whichever of them the approver holds. A key
   * problem is reported as such; holding none of the roles is NOT_AUTHORISED naming each role.
   */
  authoriseAny(
    actor: { identity: string; keyId: string; ledgerSize: number },
    roles: readonly string[],
    model: string | undefined,
    current: Position,
  ): { key: KeyBinding; grant: RoleGrant } {
    const refusals: AuthorityError[] = [];
    for (const role of roles) {
      try {
        return this.authorise(actor, role, model, current);
      } catch (error) {
        if (!(error instanceof AuthorityError) || error.code !== 'NOT_AUTHORISED') throw error;
        refusals.push(error);
      }
    }
    if (refusals.length === 1) throw refusals[0]!;
    const scope = model === undefined ? '' : ` for model ${model}`;
    throw new AuthorityError(
      'NOT_AUTHORISED',
      roles.length === 0
        ? `no role is accepted here${scope}`
        : `${actor.identity} may act in none of the roles ${roles.join(', ')}${scope}: ${refusals.map((e) => e.message).join('; ')}`,
    );
  }

  private applyGenesis(entry: OpenedEntry, predicate: Predicate): void {
    const origin = predicate['origin'];
    this.origin = typeof origin === 'string' ? origin : undefined;
    const admin = predicate['admin'];
    if (admin === undefined) return;
    if (!isRecord(admin) || !isIdentityId(admin['identity']) || typeof admin['publicKey'] !== 'string') {
      throw invalidEntry(entry, 'the genesis admin needs an identity and a public key');
    }
    this.bindKey(entry, admin['identity'], admin['publicKey']);
    this.grants.push({ identity: admin['identity'], role: ADMIN_ROLE, entry: entry.id, index: entry.index });
  }

  private bindKey(entry: OpenedEntry, identity: string, publicKeyText: string): void {
    const publicKey = decodeBase64Strict(publicKeyText);
    if (!publicKey || publicKey.length !== 32)
      throw invalidEntry(entry, 'the bound public key is not 32 bytes of base64');
    this.keys.push({
      identity,
      keyId: keyIdOf(publicKey),
      scheme: 'ed25519',
      publicKey,
      entry: entry.id,
      index: entry.index,
    });
  }

  /**
   * A passkey binding: appended by the server after a WebAuthn registration ceremony, not signed by an
   * admin. Its authority is the admin-signed invite it consumes: the entry names the invite and reveals
   * its secret, which must hash to the invite's; the invite must be for this identity, unused and not
   * expired at this entry's log time. The key id is the SHA-256 of the COSE key bytes.
   */
  private bindPasskey(
    entry: OpenedEntry,
    identity: string,
    key: Readonly<Record<string, unknown>>,
    predicate: Predicate,
  ): void {
    const inviteId = predicate['invite'];
    const secret = predicate['secret'];
    const invite = isDigest(inviteId) ? this.inviteRecords.get(inviteId) : undefined;
    if (!invite) throw invalidEntry(entry, 'a passkey binding must name an identity-invite entry before it');
    if (typeof secret !== 'string' || sha256Hex(secret) !== invite.secretHash) {
      throw invalidEntry(entry, `the secret does not match invite ${invite.entry}`);
    }
    if (invite.identity !== identity) {
      throw invalidEntry(entry, `invite ${invite.entry} is for ${invite.identity}, not ${identity}`);
    }
    if (invite.usedBy !== undefined) {
      throw invalidEntry(entry, `invite ${invite.entry} was already used by entry ${invite.usedBy}`);
    }
    if (!(entry.time < invite.expires)) {
      throw invalidEntry(entry, `invite ${invite.entry} expired at ${invite.expires}`);
    }
    const publicKey =
      typeof key['publicKey'] === 'string' ? decodeBase64UrlStrict(key['publicKey']) : undefined;
    const credentialId = key['credentialId'];
    const rpId = key['rpId'];
    if (!publicKey || typeof credentialId !== 'string' || typeof rpId !== 'string') {
      throw invalidEntry(
        entry,
        'a passkey binding needs the COSE key (base64url), the credential id and the rpId',
      );
    }
    try {
      parseCosePublicKey(publicKey, 'the bound passkey');
    } catch (error) {
      throw invalidEntry(entry, error instanceof Error ? error.message : String(error));
    }
    const keyId = keyIdOfCose(publicKey);
    if (key['keyId'] !== keyId) throw invalidEntry(entry, 'the key id is not the digest of the COSE key');
    invite.usedBy = entry.id;
    this.keys.push({
      identity,
      keyId,
      scheme: 'webauthn',
      publicKey,
      credentialId,
      rpId,
      entry: entry.id,
      index: entry.index,
    });
  }

  /** An admin action: signed by a bound key of an admin, at the signed position and at the entry's. */
  private checkAdminAction(entry: OpenedEntry): ActorSignature {
    const predicate = entry.statement.predicate;
    const { actor } = readActor(predicate);
    try {
      const { key } = this.authorise(actor, ADMIN_ROLE, undefined, { size: entry.index, time: entry.time });
      return verifyActorSignature(entry.kind, predicate, key.publicKey);
    } catch (error) {
      if (error instanceof AuthorityError || error instanceof VerificationError) {
        throw invalidEntry(entry, error.message);
      }
      throw error;
    }
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function isTimestamp(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(text) && !Number.isNaN(Date.parse(text));
}

function invalidEntry(entry: OpenedEntry, message: string): VerificationError {
  return new VerificationError(
    'INCONSISTENT_LOG',
    `entry ${entry.index} (${entry.kind} ${entry.id}): ${message}`,
    {
      details: { index: entry.index, id: entry.id },
    },
  );
}
