// The six sealed fields of a model promotion (DESIGN "The model-promotion predicate") and the draft that
// precedes it. Every field is required in the types; `buildPromotion` checks them again at run time.
import type { Digest } from '../signing/digest.js';
import type { WebAuthnSignature } from '../webauthn/types.js';

/** An authenticated identity: who, vouched for by which issuer (a Signet log, or later an IdP). */
export interface IdentityRef {
  /** `signet:<log origin>` for identities bound by identity-key entries of that log. */
  readonly issuer: string;
  /** The identity id, e.g. `alice@bank.example`. */
  readonly subject: string;
  readonly name?: string;
}

export interface ModelRef {
  readonly name: string;
  /** The artefact: a file's SHA-256, or a directory's manifest digest. */
  readonly digest: Digest;
  /** The manifest object of a directory artefact (equal to `digest`); absent for a single file. */
  readonly manifest?: Digest;
  readonly class: string;
  readonly hyperparameterFamily: string;
  /** Object digest of the hyperparameters JSON, when given. */
  readonly hyperparameters?: Digest;
  /** Object digest of the input contract JSON, when given. */
  readonly inputContract?: Digest;
  /** Entry id of the feature-pipeline promotion this model consumes (routing issue). */
  readonly featurePipeline?: Digest;
  /** Object digest of the registration record. */
  readonly registration: Digest;
}

export interface DatasetRef {
  readonly digest: Digest;
  /** A hint for people; the digest is the identity. */
  readonly label: string;
  readonly format: string;
  readonly rows?: number;
  readonly manifest?: Digest;
  readonly registration: Digest;
  readonly uri?: string;
}

export type MetricValues = Readonly<Record<string, number>>;

export interface ChallengerRef {
  readonly against: {
    readonly kind: 'incumbent' | 'baseline';
    /** The promotion entry of the incumbent, when the challenger is the incumbent. */
    readonly entry?: Digest;
    /** The challenger model's digest. */
    readonly digest: Digest;
  };
  /** The evaluation dataset the metrics were computed on (must equal the dataset field). */
  readonly evaluationSet: Digest;
  readonly metrics: { readonly candidate: MetricValues; readonly challenger: MetricValues };
  /** Object digest of the metrics file as given. */
  readonly report: Digest;
}

export interface RequestRef {
  /** Object digest of the Markdown text the approver read. */
  readonly document: Digest;
  readonly author: IdentityRef;
  /** The author's signature over the draft's inputs (what they asked to have approved). */
  readonly signature: Ed25519Signature;
  /** Object digest of the draft inputs the author signed. */
  readonly inputs: Digest;
}

export type ExplanationKind = 'png' | 'svg' | 'shap-json' | 'html';

export interface ExplanationRef {
  readonly kind: ExplanationKind;
  readonly mediaType: string;
  readonly digest: Digest;
  /** The file name it was proposed under, for people. */
  readonly name: string;
}

/** What an approver signs (canonical JSON); its digest is also the WebAuthn challenge later. */
export interface ApprovalStatement {
  readonly type: 'signet-approval-statement/v1';
  readonly decision: 'approve' | 'reject';
  readonly draft: string;
  readonly view: Digest;
  readonly model: Digest;
  readonly request: Digest;
  readonly context: string;
  readonly identity: string;
  /** The ledger size when the approver signed: authority is judged at this position. */
  readonly ledgerSize: number;
}

export interface Ed25519Signature {
  readonly scheme: 'ed25519';
  readonly keyId: Digest;
  /** Raw 32-byte public key, base64. */
  readonly publicKey: string;
  /** Signature over the canonical statement bytes, base64. */
  readonly signature: string;
}

/** Ed25519 (CLI, pipelines) or a passkey assertion (browser) over the statement's digest. */
export type ApprovalSignature = Ed25519Signature | WebAuthnSignature;

export interface Approval {
  readonly identity: IdentityRef;
  readonly roles: readonly string[];
  /** The role-grant entry that gave the authority (or the genesis entry for the first admin). */
  readonly grant: Digest;
  /** The identity-key entry that bound the signing key. */
  readonly key: Digest;
  /** Digest of the canonical statement. */
  readonly statement: Digest;
  readonly statementBody: ApprovalStatement;
  readonly signature: ApprovalSignature;
}

/** What population-shift monitoring measures scoring traffic against (src/monitor). */
export interface MonitoringRef {
  /**
   * Object digest of the reference bins (`signet-reference-bins/v1`): per input feature and for the
   * score, the bins frozen on the evaluation dataset and the dataset's counts in them.
   */
  readonly reference: Digest;
  /** The evaluation dataset's column holding the model's score, when it has one. */
  readonly scoreColumn?: string;
}

export interface RouteRef {
  readonly materiality: 'low' | 'material';
  readonly tier: string;
  readonly reasons: readonly string[];
  /** Object digest of the policy document in force (absent before the routing issue). */
  readonly policy?: Digest;
}

export interface ViewRef {
  readonly digest: Digest;
  readonly renderer: string;
}

/** The predicate of a `model-promotion` entry: the six fields plus how they were sealed. */
export interface PromotionPredicate {
  readonly model: ModelRef;
  readonly challenger: ChallengerRef;
  readonly request: RequestRef;
  readonly approvals: readonly Approval[];
  readonly explanations: readonly ExplanationRef[];
  readonly dataset: DatasetRef;
  readonly route: RouteRef;
  readonly view: ViewRef;
  readonly context: string;
  readonly draft: string;
  /** Entry id of the previous promotion of this model name, if any. */
  readonly previous?: Digest;
  /** The metric bands the next promotion of this model is measured against (routed promotions). */
  readonly bandsForNext?: Readonly<Record<string, unknown>>;
  /** The reference distributions of the evaluation dataset, when it was profiled at registration. */
  readonly monitoring?: MonitoringRef;
}
