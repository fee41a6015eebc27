// The Drafts port: the workflow state before a promotion is sealed — registrations (an index from an
// artefact digest to its registration object), drafts and the approvals collected on them. Nothing here
// is evidence: what counts is sealed into the ledger; this is a working index that points at objects.
import type { Digest } from '../signing/digest.js';

export type RegistrationKind = 'model' | 'dataset';

export interface RegistrationRow {
  readonly kind: RegistrationKind;
  readonly digest: Digest;
  readonly name: string;
  /** Object digest of the registration record. */
  readonly registration: Digest;
}

export type DraftStatus = 'open' | 'sealed' | 'rejected';

export interface DraftRow {
  readonly id: string;
  readonly status: DraftStatus;
  /** Object digest of the draft's inputs (canonical JSON). */
  readonly inputs: Digest;
  /** Object digest of the review document rendered from those inputs. */
  readonly view: Digest;
  readonly requester: string;
  readonly model: string;
  readonly context: string;
  readonly route: string;
  readonly tier: string;
  /** Object digest of the requester's signature over `inputs`. */
  readonly requestSignature: Digest;
  /** Wall-clock time the draft was created, for inboxes (never evidence). */
  readonly createdAt: string;
  /** The entry that closed it: the model-promotion or the rejection. */
  readonly closedBy?: Digest;
}

export interface StoredApproval {
  readonly draft: string;
  readonly identity: string;
  readonly view: Digest;
  /** The approval as it will be sealed (JSON). */
  readonly approval: unknown;
}

export interface Drafts {
  putRegistration(row: RegistrationRow): Promise<void>;
  findRegistration(kind: RegistrationKind, digest: Digest): Promise<RegistrationRow | undefined>;
  createDraft(row: DraftRow): Promise<void>;
  getDraft(id: string): Promise<DraftRow | undefined>;
  listDrafts(filter?: { status?: DraftStatus }): Promise<DraftRow[]>;
  /** Closes an open draft; false if it was not open (another process closed it first). */
  closeDraft(id: string, status: Exclude<DraftStatus, 'open'>, entry: Digest): Promise<boolean>;
  /** Records (or replaces) an identity's approval of a draft. */
  putApproval(approval: StoredApproval): Promise<void>;
  listApprovals(draft: string): Promise<StoredApproval[]>;
}
