// The draft: every input of a promotion, frozen as one canonical JSON object before anyone approves.
// Its digest is what the requester signs; the review document is rendered from it (and the objects it
// names); each approval statement names the draft, the view and the fields that identify the decision.
import { AuthorityError, VerificationError } from '../errors.js';
import { decodeBase64Strict, encodeBase64 } from '../signing/base64.js';
import { canonicalize } from '../signing/canonical-json.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import { keyIdOf, verifySignature, type Signer } from '../signing/keys.js';
import { isRecord } from '../ledger/entry.js';
import type { Bands } from '../policy/schema.js';
import type {
  ApprovalStatement,
  ChallengerRef,
  DatasetRef,
  Ed25519Signature,
  ExplanationRef,
  IdentityRef,
  MonitoringRef,
  ModelRef,
  RouteRef,
} from './types.js';

export const DRAFT_INPUTS_TYPE = 'signet-draft/v1';
export const APPROVAL_STATEMENT_TYPE = 'signet-approval-statement/v1';
export const REQUEST_STATEMENT_TYPE = 'signet-request/v1';

export interface DraftInputs {
  readonly type: typeof DRAFT_INPUTS_TYPE;
  readonly draft: string;
  readonly model: ModelRef;
  readonly challenger: ChallengerRef;
  /** Object digest of the request Markdown. */
  readonly request: Digest;
  readonly requester: IdentityRef;
  readonly explanations: readonly ExplanationRef[];
  readonly dataset: DatasetRef;
  readonly context: string;
  readonly route: RouteRef;
  readonly higherIsBetter?: Readonly<Record<string, boolean>>;
  /** Entry id of the previous promotion of this model name. */
  readonly previous?: Digest;
  /** The metric bands the next promotion of this model will be measured against (routed drafts). */
  readonly bandsForNext?: Bands;
  /** The reference bins for population-shift monitoring, computed from the dataset's profile. */
  readonly monitoring?: MonitoringRef;
}

export function serializeDraftInputs(inputs: DraftInputs): Uint8Array {
  return canonicalize(inputs);
}

/**
 * What a requester signs: they ask for exactly these inputs to be approved. The canonical JSON of
 * `{ type: 'signet-request/v1', inputs }`; a client that holds the key signs these bytes with Ed25519.
 */
export function serializeRequestStatement(inputs: Digest): Uint8Array {
  return canonicalize({ type: REQUEST_STATEMENT_TYPE, inputs });
}

export function signEd25519(message: Uint8Array, signer: Signer): Ed25519Signature {
  return {
    scheme: 'ed25519',
    keyId: signer.keyId as Digest,
    publicKey: encodeBase64(signer.publicKey),
    signature: encodeBase64(signer.sign(message)),
  };
}

/** Checks an Ed25519 signature record (attacker-controlled) over `message`; returns the raw key. */
export function verifyEd25519(record: Ed25519Signature, message: Uint8Array, what: string): Uint8Array {
  // Attacker-controlled: the record may be missing or have fields of any type.
  const fields: Record<string, unknown> = isRecord(record) ? record : {};
  const publicKey =
    typeof fields['publicKey'] === 'string' ? decodeBase64Strict(fields['publicKey']) : undefined;
  const signature =
    typeof fields['signature'] === 'string' ? decodeBase64Strict(fields['signature']) : undefined;
  if (fields['scheme'] !== 'ed25519' || !publicKey || publicKey.length !== 32 || !signature) {
    throw new VerificationError('BAD_SIGNATURE', `${what}: not a well-formed Ed25519 signature`);
  }
  if (keyIdOf(publicKey) !== record.keyId) {
    throw new VerificationError('BAD_SIGNATURE', `${what}: the key id does not match the public key`);
  }
  if (!verifySignature(publicKey, message, signature)) {
    throw new VerificationError('BAD_SIGNATURE', `${what}: the signature does not verify`);
  }
  return publicKey;
}

export function signRequest(inputs: Digest, signer: Signer): Ed25519Signature {
  return signEd25519(serializeRequestStatement(inputs), signer);
}

export function verifyRequestSignature(inputs: Digest, signature: Ed25519Signature): Uint8Array {
  return verifyEd25519(signature, serializeRequestStatement(inputs), 'the request signature');
}

export interface DecisionFacts {
  readonly draft: string;
  readonly view: Digest;
  readonly model: Digest;
  readonly request: Digest;
  readonly context: string;
}

export function createApprovalStatement(
  decision: 'approve' | 'reject',
  facts: DecisionFacts,
  identity: string,
  ledgerSize: number,
): ApprovalStatement {
  return {
    type: APPROVAL_STATEMENT_TYPE,
    decision,
    draft: facts.draft,
    view: facts.view,
    model: facts.model,
    request: facts.request,
    context: facts.context,
    identity,
    ledgerSize,
  };
}

export function serializeApprovalStatement(statement: ApprovalStatement): Uint8Array {
  return canonicalize(statement);
}

export function approvalStatementDigest(statement: ApprovalStatement): Digest {
  return digestOfBytes(serializeApprovalStatement(statement));
}

/**
 * Checks that a signed statement is about exactly this decision: same draft, view, model, request and
 * context. A statement replayed onto another draft, or made on an older view, fails here.
 */
export function assertStatementMatches(
  statement: ApprovalStatement,
  facts: DecisionFacts,
  decision: 'approve' | 'reject',
): void {
  const mismatches: string[] = [];
  if (statement.type !== APPROVAL_STATEMENT_TYPE) mismatches.push('type');
  if (statement.decision !== decision) mismatches.push('decision');
  if (statement.draft !== facts.draft) mismatches.push('draft');
  if (statement.model !== facts.model) mismatches.push('model');
  if (statement.request !== facts.request) mismatches.push('request');
  if (statement.context !== facts.context) mismatches.push('context');
  if (mismatches.length > 0) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      `the approval statement is about another decision (${mismatches.join(', ')} differ)`,
    );
  }
  if (statement.view !== facts.view) {
    throw new AuthorityError(
      'STALE_VIEW',
      `the approval was made on view ${statement.view}, but the draft's view is now ${facts.view}`,
    );
  }
}
