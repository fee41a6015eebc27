// The materiality policy in the log: `apply` stores a checked policy document as an object (its canonical
// JSON) and appends an admin-signed `policy` entry naming it; the policy in force at a position is the
// latest such entry before it. A sealed route names the policy it was routed by, and what the route
// needs from approvers is always computed from that document, read back by its digest.
import { ADMIN_ROLE, POLICY_KIND, type AuthorityState, type PolicyRecord } from '../authority/state.js';
import { InputError, SignetError, VerificationError } from '../errors.js';
import type { SealedEntry } from '../ledger/entry.js';
import { effectivePolicy, parsePolicy, type EffectivePolicy, type Policy } from '../policy/index.js';
import {
  APPROVER_REQUIREMENT,
  requirementOfRoute,
  type ApprovalRequirement,
} from '../gate/verify-promotion.js';
import type { Problem } from '../promotion/inputs.js';
import type { RouteRef } from '../promotion/types.js';
import { canonicalize } from '../signing/canonical-json.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import type { Signer } from '../signing/keys.js';
import { appendAdminAction, loadAuthority } from './authority.js';
import type { Home } from './home.js';
import { readInput } from './register.js';

/** The subject name of policy entries; the subject digest is the policy object's. */
export const POLICY_SUBJECT = 'materiality-policy';

export interface AppliedPolicy {
  readonly entry: SealedEntry;
  /** Object digest of the policy document's canonical JSON. */
  readonly policy: Digest;
  readonly version: number;
}

/**
 * Checks a policy file (YAML or JSON), stores its canonical JSON as an object and appends a `policy`
 * entry signed by `as`, who must hold the admin role. Every problem of the document is reported in one
 * InputError INVALID_ARGUMENT naming each path (`details.problems`), before anything is stored.
 */
export async function applyPolicy(
  home: Home,
  file: string,
  as: { identity: string; signer: Signer },
): Promise<AppliedPolicy> {
  const bytes = await readInput(file, 'policy');
  const checked = parsePolicy(bytes, 'auto');
  if (!checked.ok) throw policyProblems(file, checked.problems);
  const document = canonicalize(checked.value);
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  // Refusals come before anything is stored.
  authority.authorise(
    { identity: as.identity, keyId: as.signer.keyId, ledgerSize: size },
    ADMIN_ROLE,
    undefined,
    {
      size,
      time: new Date().toISOString(),
    },
  );
  const current = authority.policyAt({ size });
  const version = (current?.version ?? 0) + 1;
  if (current?.policy === digestOfBytes(document)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `this policy (${current.policy}) is already in force: policy entry ${current.index} ${current.entry}`,
    );
  }
  const stored = await home.objects.put(document);
  const entry = await appendAdminAction(
    home,
    POLICY_KIND,
    POLICY_SUBJECT,
    { policy: stored.digest, version },
    as.identity,
    as.signer,
    stored.digest,
  );
  return { entry, policy: stored.digest, version };
}

function policyProblems(file: string, problems: readonly Problem[]): InputError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((p) => `- ${p.path === '' ? '(document)' : p.path} ${p.message}`);
  return new InputError('INVALID_ARGUMENT', `the policy ${file} has ${count}:\n${lines.join('\n')}`, {
    details: { problems: problems.map((p) => ({ source: file, ...p })) },
  });
}

/**
 * Reads a policy document back from the object store by its digest (the store re-checks the digest) and
 * checks it again. A stored policy that no longer reads as one is a corrupt log: VerificationError
 * INCONSISTENT_LOG; a missing one: VerificationError OBJECT_MISSING.
 */
export async function readPolicyObject(home: Home, digest: Digest): Promise<Policy> {
  let bytes: Uint8Array;
  try {
    bytes = await home.objects.get(digest);
  } catch (error) {
    if (error instanceof SignetError && error.code === 'NOT_FOUND') {
      throw new VerificationError('OBJECT_MISSING', `the policy document ${digest} is missing`, {
        details: { digest },
      });
    }
    throw error;
  }
  const checked = parsePolicy(bytes, 'json');
  if (!checked.ok) {
    const first = checked.problems[0];
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `the stored policy ${digest} is not a valid policy${first ? `: ${first.path} ${first.message}` : ''}`,
      { details: { digest, problems: checked.problems.map((p) => ({ ...p })) } },
    );
  }
  return checked.value;
}

export interface PolicyInForce {
  readonly record: PolicyRecord;
  readonly policy: Policy;
}

/** The policy in force at the end of the log (or at `size`), read back; undefined before any policy. */
export async function findPolicyInForce(
  home: Home,
  authority?: AuthorityState,
  size?: number,
): Promise<PolicyInForce | undefined> {
  const state = authority ?? (await loadAuthority(home));
  const record = state.policyAt({ size: size ?? (await home.ledger.size()) });
  if (record === undefined) return undefined;
  return { record, policy: await readPolicyObject(home, record.policy) };
}

export interface PolicyView {
  readonly entry: Digest;
  readonly index: number;
  readonly time: string;
  readonly version: number;
  readonly appliedBy: string;
  readonly policy: Digest;
  readonly document: Policy;
  /** With `--model`: the policy as it applies to that model. */
  readonly effective?: EffectivePolicy;
}

/** What `signet policy show` prints: the policy in force, and with a model name its effective section. */
export async function showPolicy(home: Home, modelName?: string): Promise<PolicyView> {
  const found = await findPolicyInForce(home);
  if (!found) {
    throw new InputError(
      'NOT_FOUND',
      'no materiality policy is in force: every promotion needs one approval by a holder of the approver role (run `signet policy apply FILE --as ADMIN`)',
    );
  }
  const { record, policy } = found;
  return {
    entry: record.entry,
    index: record.index,
    time: record.time,
    version: record.version,
    appliedBy: record.actor,
    policy: record.policy,
    document: policy,
    ...(modelName !== undefined ? { effective: effectivePolicy(policy, modelName) } : {}),
  };
}

/**
 * What a draft's or a sealed promotion's route needs, computed from the policy document the route names
 * (read from the object store), never from the policy in force now.
 */
export async function requirementOfSealedRoute(
  home: Home,
  route: RouteRef,
  modelName: string,
): Promise<ApprovalRequirement> {
  if (route.policy === undefined) return APPROVER_REQUIREMENT;
  return requirementOfRoute(route, modelName, await readPolicyObject(home, route.policy));
}
