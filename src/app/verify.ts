// `signet verify`: the whole home checked as an auditor would — every entry, the tree, the latest
// checkpoint, an earlier checkpoint if given, and every referenced object. Log key rotations are
// followed from the genesis key (log-verifier.ts); the chain must end at this home's key.
import { InputError, SignetError, VerificationError } from '../errors.js';
import { AUTHORITY_KINDS, AuthorityState, POLICY_KIND } from '../authority/state.js';
import { LogVerifier } from '../ledger/log-verifier.js';
import { readActor, verifyActor } from '../authority/actor.js';
import { promotionReasons } from '../gate/verify-promotion.js';
import { PROMOTION_KIND, readPromotion } from '../promotion/seal.js';
import { PIPELINE_PROMOTION_KIND, readPipelinePromotion } from '../promotion/pipeline.js';
import { referencedObjects } from '../ledger/references.js';
import type { Checkpoint } from '../ledger/checkpoint.js';
import type { LogKeyEpoch } from '../ledger/log-keys.js';
import type { Policy } from '../policy/index.js';
import { isDigest, type Digest } from '../signing/digest.js';
import type { Home } from './home.js';
import { readPolicyObject } from './policy.js';

/** Entries that carry the signature of the person who asked for them (predicate.actor). */
const SIGNED_ACTION_KINDS: readonly string[] = ['rejection', 'revocation'];

export interface VerifyOptions {
  /** An earlier checkpoint (signed note bytes) the caller kept: the log must be consistent with it. */
  readonly earlierCheckpoint?: Uint8Array;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface VerifyReport {
  readonly ok: true;
  readonly origin: string;
  readonly size: number;
  readonly rootHash: string;
  readonly kinds: Readonly<Record<string, number>>;
  readonly objectsChecked: number;
  readonly checkpoint: { readonly size: number };
  readonly earlierCheckpoint?: { readonly size: number };
  /** The log's keys in order, each with the entries it signs (`lastIndex` absent: in force now). */
  readonly logKeys: readonly LogKeySummary[];
}

export interface LogKeySummary {
  readonly keyId: string;
  readonly firstIndex: number;
  readonly lastIndex?: number;
  /** The id of the rotation entry that announced the key (absent for the genesis key). */
  readonly announcedBy?: string;
}

export function summariseLogKeys(epochs: readonly LogKeyEpoch[]): LogKeySummary[] {
  return epochs.map((epoch) => ({
    keyId: epoch.keyId,
    firstIndex: epoch.firstIndex,
    ...(epoch.lastIndex !== undefined ? { lastIndex: epoch.lastIndex } : {}),
    ...(epoch.announcedBy ? { announcedBy: epoch.announcedBy.id } : {}),
  }));
}

export async function verifyHome(home: Home, options: VerifyOptions = {}): Promise<VerifyReport> {
  // The chain of keys is followed from the genesis key; the genesis entry must name it.
  const verifier = new LogVerifier({
    origin: home.config.origin,
    logPublicKey: home.logPublicKey.genesis.publicKey,
  });
  const total = await home.ledger.size();
  const checked = new Set<Digest>();
  // Authority entries are checked as they are folded: each signed by a bound admin key, in force.
  const authority = new AuthorityState();
  const policies = new Map<Digest, Policy>();
  for await (const stored of home.ledger.entries(0)) {
    const entry = verifier.add(stored.envelope, stored.id);
    if ((AUTHORITY_KINDS as readonly string[]).includes(entry.kind)) authority.apply(entry);
    if (entry.kind === POLICY_KIND) {
      // The policy document must still read as a valid policy (its presence is checked below too).
      const policy = entry.statement.predicate['policy'];
      if (isDigest(policy) && !policies.has(policy)) {
        policies.set(policy, await readPolicyObject(home, policy));
      }
    }
    if (entry.kind === PROMOTION_KIND || entry.kind === PIPELINE_PROMOTION_KIND) {
      // Every sealed promotion's request, approvals and authority, judged at its own position, against
      // what the policy its route names required.
      const promotion =
        entry.kind === PROMOTION_KIND
          ? readPromotion(entry.statement.predicate)
          : readPipelinePromotion(entry.statement.predicate);
      const named = promotion.route.policy;
      let policy = named === undefined ? undefined : policies.get(named);
      if (named !== undefined && policy === undefined) policy = await readPolicyObject(home, named);
      const reasons = promotionReasons(entry, promotion, authority, policy);
      if (reasons.length > 0) {
        throw new VerificationError(
          reasons[0]!.code === 'BAD_SIGNATURE' ? 'BAD_SIGNATURE' : 'INCONSISTENT_LOG',
          `entry ${entry.index} (${entry.kind} ${entry.id}): ${reasons.map((r) => r.message).join('; ')}`,
          { details: { index: entry.index, id: entry.id, reasons } },
        );
      }
    }
    if (SIGNED_ACTION_KINDS.includes(entry.kind)) {
      // A rejection or revocation names who asked for it: their signature (Ed25519, or a passkey over
      // the action statement's digest) must verify with a key bound to them where they signed.
      try {
        const { actor } = readActor(entry.statement.predicate);
        if (actor.ledgerSize > entry.index) {
          throw new VerificationError(
            'INCONSISTENT_LOG',
            `signed at ledger size ${actor.ledgerSize}, after its own position`,
          );
        }
        const binding = authority.keyAt(actor.identity, actor.keyId, { size: actor.ledgerSize });
        if (!binding) {
          throw new VerificationError(
            'INCONSISTENT_LOG',
            `the key ${actor.keyId} was not bound to ${actor.identity} at ledger size ${actor.ledgerSize}`,
          );
        }
        verifyActor(entry.kind, entry.statement.predicate, binding);
      } catch (error) {
        if (!(error instanceof SignetError)) throw error;
        throw new VerificationError(
          error.code === 'BAD_SIGNATURE' ? 'BAD_SIGNATURE' : 'INCONSISTENT_LOG',
          `entry ${entry.index} (${entry.kind} ${entry.id}): ${error.message}`,
          { details: { index: entry.index, id: entry.id } },
        );
      }
    }
    for (const digest of referencedObjects(entry)) {
      if (checked.has(digest)) continue;
      await checkObject(home, digest, `entry ${entry.index} (${entry.id})`);
      checked.add(digest);
    }
    options.onProgress?.(verifier.size, total);
  }
  if (verifier.size === 0)
    throw new VerificationError('INCONSISTENT_LOG', 'the ledger has no entries, not even genesis');

  if (verifier.keys.current.keyId !== home.config.logKeyId) {
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `the log's key in force is ${verifier.keys.current.keyId}, not this home's ${home.config.logKeyId}`,
    );
  }
  const latest = await home.ledger.checkpoint();
  const checkpoint = verifier.checkCheckpoint(latest.note, 'latest checkpoint');
  if (checkpoint.size !== verifier.size) {
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `the latest checkpoint covers ${checkpoint.size} entries but the ledger holds ${verifier.size}`,
    );
  }
  let earlier: Checkpoint | undefined;
  if (options.earlierCheckpoint) {
    earlier = verifier.checkCheckpoint(options.earlierCheckpoint, 'the given checkpoint');
    // Also check the log's own consistency proof, as a client holding only the two checkpoints would.
    verifier.checkConsistencyProof(earlier, await home.ledger.proveConsistency(earlier.size, verifier.size));
  }
  const summary = verifier.summary();
  return {
    ok: true,
    origin: summary.origin,
    size: summary.size,
    rootHash: Buffer.from(summary.rootHash).toString('base64'),
    kinds: summary.kinds,
    objectsChecked: checked.size,
    checkpoint: { size: checkpoint.size },
    logKeys: summariseLogKeys(summary.logKeys),
    ...(earlier ? { earlierCheckpoint: { size: earlier.size } } : {}),
  };
}

async function checkObject(home: Home, digest: Digest, referrer: string): Promise<void> {
  try {
    for await (const chunk of home.objects.getStream(digest)) void chunk;
  } catch (error) {
    if (error instanceof InputError && error.code === 'NOT_FOUND') {
      throw new VerificationError(
        'OBJECT_MISSING',
        `object ${digest}, referenced by ${referrer}, is missing`,
        {
          details: { digest },
        },
      );
    }
    if (error instanceof SignetError && error.code === 'DIGEST_MISMATCH') {
      throw new VerificationError('DIGEST_MISMATCH', `${error.message} (referenced by ${referrer})`, {
        details: { digest },
      });
    }
    throw error;
  }
}
