// The OpenAPI 3.1 description of the HTTP API: every route, parameter, request body and response, with
// JSON Schemas (2020-12). Served at /v1/openapi.json, rendered at /v1/docs, used by the server to check
// request bodies and by the tests to check every response body.
import { VERSION } from '../cli/main.js';

/** A JSON Schema (2020-12), as OpenAPI 3.1 embeds it; only the keywords this document uses. */
export interface JsonSchema {
  readonly $ref?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly maxItems?: number;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly pattern?: string;
  readonly format?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly oneOf?: readonly JsonSchema[];
  readonly contentMediaType?: string;
}

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly description: string;
  readonly schema: JsonSchema;
}

export interface MediaType {
  readonly schema: JsonSchema;
}

export interface Header {
  readonly description: string;
  readonly schema: JsonSchema;
}

export interface ResponseObject {
  readonly description: string;
  readonly headers?: Readonly<Record<string, Header>>;
  readonly content?: Readonly<Record<string, MediaType>>;
}

export interface RequestBody {
  readonly required: boolean;
  readonly description: string;
  readonly content: Readonly<Record<string, MediaType>>;
}

export type SecurityRequirement = Readonly<Record<string, readonly string[]>>;

export interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** Empty for a public operation; absent: the document's default (a token or a session). */
  readonly security?: readonly SecurityRequirement[];
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: RequestBody;
  readonly responses: Readonly<Record<string, ResponseObject>>;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type PathItem = Partial<Record<HttpMethod, Operation>>;

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly jsonSchemaDialect: string;
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  readonly security: readonly SecurityRequirement[];
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly securitySchemes: Readonly<Record<string, Readonly<Record<string, string>>>>;
  };
}

// ---- reusable pieces

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str = (description: string, extra: Omit<JsonSchema, 'type' | 'description'> = {}): JsonSchema => ({
  type: 'string',
  description,
  ...extra,
});
const int = (description: string, extra: Omit<JsonSchema, 'type' | 'description'> = {}): JsonSchema => ({
  type: 'integer',
  minimum: 0,
  description,
  ...extra,
});
const bool = (description: string): JsonSchema => ({ type: 'boolean', description });
const obj = (
  description: string,
  properties: Readonly<Record<string, JsonSchema>>,
  required: readonly string[],
  additionalProperties: boolean | JsonSchema = false,
): JsonSchema => ({ type: 'object', description, properties, required, additionalProperties });
const arr = (description: string, items: JsonSchema): JsonSchema => ({ type: 'array', description, items });
const anyObject = (description: string): JsonSchema => ({ type: 'object', description });

const DIGEST_PATTERN = '^sha256:[0-9a-f]{64}$';
const TIME = str('RFC 3339 UTC time', { format: 'date-time' });

const json = (schema: JsonSchema): Readonly<Record<string, MediaType>> => ({
  'application/json': { schema },
});
const ok = (description: string, schema: JsonSchema): ResponseObject => ({
  description,
  content: json(schema),
});

const ERROR_MEANINGS: Readonly<Record<number, string>> = {
  400: 'Bad input: a malformed parameter or body, or a request the app layer refuses as input (code says which).',
  401: 'No API token or session, or one that is not valid (UNAUTHENTICATED).',
  403: 'Refused by authority: not authorised, the requester approving, a key not bound, a generated request on a material route, or a cross-origin change with a session.',
  404: 'Not found (NOT_FOUND).',
  409: 'Conflict: the draft is closed, the view is stale, or the log moved since the statement was prepared.',
  413: 'The request body is over its limit (PAYLOAD_TOO_LARGE).',
  415: 'The request body is not JSON (UNSUPPORTED_MEDIA_TYPE).',
  422: 'A verification failure: a digest or signature that does not check out (DIGEST_MISMATCH, BAD_SIGNATURE, …).',
  500: 'A failure of the server; the body says only `internal error` (the cause is in the server log).',
  501: 'Not offered by the HTTP API yet (NOT_IMPLEMENTED).',
};

const errorResponse = (status: number): ResponseObject => ({
  description: ERROR_MEANINGS[status] ?? 'An error.',
  content: json(ref('Error')),
});

/** Error responses by status; an authenticated operation always has 401 and 500. */
function errors(...statuses: number[]): Record<string, ResponseObject> {
  const all = new Set([401, 500, ...statuses]);
  return Object.fromEntries([...all].sort().map((s) => [String(s), errorResponse(s)]));
}
/** A mutating operation with a JSON body adds 403 (cross-origin session), 413 and 415. */
const WITH_BODY = [400, 403, 413, 415];

const pathParam = (name: string, description: string, schema: JsonSchema): Parameter => ({
  name,
  in: 'path',
  required: true,
  description,
  schema,
});
const queryParam = (name: string, description: string, schema: JsonSchema, required = false): Parameter => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

const DIGEST_PARAM = pathParam('digest', 'An object digest, `sha256:<64 hex>`.', ref('Digest'));
const DRAFT_PARAM = pathParam('id', 'A draft id, `draft-<16 hex>`.', ref('DraftId'));
const ENTRY_REF_PARAM = pathParam(
  'ref',
  'An entry index (decimal) or an entry id (`sha256:…`).',
  ref('EntryRef'),
);
const PROMOTION_REF_PARAM = pathParam(
  'ref',
  'A model-promotion or feature-pipeline-promotion entry: its index or its id.',
  ref('EntryRef'),
);

const jsonBody = (description: string, schema: JsonSchema): RequestBody => ({
  required: true,
  description,
  content: json(schema),
});

// ---- schemas

const SCHEMAS: Record<string, JsonSchema> = {
  Error: obj(
    'Every error response: a stable code (switch on it), a message for people, and machine-readable details where there are any.',
    {
      code: str('The error code, e.g. NOT_FOUND, STALE_VIEW.', { pattern: '^[A-Z][A-Z0-9_]*$' }),
      message: str('What went wrong, for people.'),
      details: anyObject(
        'Facts about the failure: a digest, a limit, a list of problems (`{ source?, path, message }`).',
      ),
    },
    ['code', 'message'],
  ),
  Digest: str('A SHA-256 digest.', { pattern: DIGEST_PATTERN }),
  DraftId: str('A draft id.', { pattern: '^draft-[0-9a-f]{16}$' }),
  EntryRef: str('An entry index or an entry id.', { pattern: '^(0|[1-9][0-9]{0,15}|sha256:[0-9a-f]{64})$' }),
  Identity: str('An identity id, e.g. `alice@bank.example`.', {
    pattern: '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$',
  }),
  Context: str('A deployment context, e.g. `retail-credit/uk`.', {
    pattern: '^[a-z0-9][a-z0-9._:/-]{0,127}$',
  }),
  Health: obj('The server is up.', { status: { const: 'ok' }, version: str('The Signet version.') }, [
    'status',
    'version',
  ]),
  LedgerHealth: obj(
    'The server answers and so does its ledger.',
    {
      status: { const: 'ok' },
      ledger: obj('The ledger.', { size: int('Entries in the log.') }, ['size']),
    },
    ['status', 'ledger'],
  ),
  LedgerUnavailable: obj(
    'The ledger failed or did not answer in time.',
    {
      status: { const: 'unavailable' },
      reason: str('Why, naming at most an error code (the cause is in the server log).'),
    },
    ['status', 'reason'],
  ),
  Caller: obj(
    'Who the request is authenticated as.',
    {
      identity: ref('Identity'),
      via: { enum: ['token', 'session'], description: 'An API token or a browser session.' },
      tokenId: str('The API token used, when `via` is `token`.'),
    },
    ['identity', 'via'],
  ),
  Reason: obj(
    'Why something does not hold (a gate deny, a failed check).',
    { code: str('A reason code, e.g. NO_PROMOTION, REVOKED.'), message: str('The reason, for people.') },
    ['code', 'message'],
  ),
  ApprovalRequirement: obj(
    "What a draft's route needs from approvers.",
    {
      kind: { enum: ['approver', 'oncall', 'committee'] },
      roles: arr('Roles accepted.', { type: 'string' }),
      quorum: int('Distinct people needed.'),
    },
    ['kind', 'roles', 'quorum'],
  ),
  RouteRef: obj(
    'A route as sealed in a draft or promotion.',
    {
      materiality: { enum: ['low', 'material'] },
      tier: str('The risk tier.'),
      reasons: arr('Why, for people.', { type: 'string' }),
      policy: ref('Digest'),
    },
    ['materiality', 'tier', 'reasons'],
  ),
  LogEntrySummary: obj(
    'One ledger entry, briefly.',
    {
      index: int('Its index in the log.'),
      id: ref('Digest'),
      kind: str('The entry kind (genesis, model-promotion, deployment, …).'),
      time: TIME,
    },
    ['index', 'id', 'kind', 'time'],
  ),
  LogEntryPage: obj(
    'A page of entries in log order.',
    {
      size: int('The size of the log when read.'),
      from: int('The first index asked for.'),
      limit: int('The page size asked for.'),
      entries: arr('The entries with from <= index < from + limit.', ref('LogEntrySummary')),
      next: int('The `from` of the next page; absent on the last page.'),
    },
    ['size', 'from', 'limit', 'entries'],
  ),
  DsseEnvelope: obj(
    'The DSSE envelope exactly as stored (its SHA-256 is the entry id; GET /v1/objects/{id} returns its exact bytes).',
    {
      payloadType: str('application/vnd.in-toto+json'),
      payload: str('The in-toto statement, base64.'),
      signatures: arr(
        'Log signatures.',
        obj('A signature.', { keyid: str('The key hint.'), sig: str('Ed25519 over the DSSE PAE, base64.') }, [
          'sig',
        ]),
      ),
    },
    ['payloadType', 'payload', 'signatures'],
  ),
  LogEntry: obj(
    'One entry, its log signature checked: the opened in-toto statement and the envelope.',
    {
      index: int('Its index.'),
      id: ref('Digest'),
      kind: str('The entry kind.'),
      time: TIME,
      statement: obj(
        'The in-toto Statement v1.',
        {
          _type: str('https://in-toto.io/Statement/v1'),
          subject: arr('What the entry is about.', anyObject('{ name, digest: { sha256 } }')),
          predicateType: str('urn:signet:<kind>:v1'),
          predicate: anyObject("The entry's fields, with its log stamp (`log`)."),
        },
        ['_type', 'subject', 'predicateType', 'predicate'],
      ),
      envelope: ref('DsseEnvelope'),
    },
    ['index', 'id', 'kind', 'time', 'statement', 'envelope'],
  ),
  InclusionProof: obj(
    'RFC 9162 inclusion proof, as `signet log prove inclusion --json` prints it.',
    {
      index: int('The entry index.'),
      size: int('The tree size.'),
      entryId: ref('Digest'),
      leafHash: str('Hex.', { pattern: '^[0-9a-f]{64}$' }),
      rootHash: str('Hex.', { pattern: '^[0-9a-f]{64}$' }),
      hashes: arr('The audit path, hex.', { type: 'string', pattern: '^[0-9a-f]{64}$' }),
    },
    ['index', 'size', 'entryId', 'leafHash', 'rootHash', 'hashes'],
  ),
  ConsistencyProof: obj(
    'RFC 9162 consistency proof, as `signet log prove consistency --json` prints it.',
    {
      oldSize: int('The older tree size.'),
      newSize: int('The newer tree size.'),
      oldRootHash: str('Hex.', { pattern: '^[0-9a-f]{64}$' }),
      newRootHash: str('Hex.', { pattern: '^[0-9a-f]{64}$' }),
      hashes: arr('The proof, hex.', { type: 'string', pattern: '^[0-9a-f]{64}$' }),
    },
    ['oldSize', 'newSize', 'oldRootHash', 'newRootHash', 'hashes'],
  ),
  ObjectPut: obj(
    'A stored object.',
    {
      digest: ref('Digest'),
      size: int('Bytes.'),
      created: bool('false when the same bytes were stored already.'),
    },
    ['digest', 'size', 'created'],
  ),
  RegisterModelRequest: obj(
    'Register a single-file model uploaded first with PUT /v1/objects/{digest}.',
    {
      name: str('The model name.', { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }),
      artefact: ref('Digest'),
      class: str('The model class, e.g. logistic-regression.', { minLength: 1, maxLength: 128 }),
      family: str('The hyperparameter family (default: the class).', { minLength: 1, maxLength: 128 }),
      hyperparameters: anyObject('Hyperparameters (schemas/hyperparameters.v1.schema.json).'),
      inputContract: anyObject('The input contract (schemas/input-contract.v1.schema.json).'),
    },
    ['name', 'artefact'],
  ),
  ModelRegistration: obj(
    'What `signet model register --json` prints.',
    {
      registration: ref('Digest'),
      type: { const: 'signet-model-registration/v1' },
      name: str('The model name.'),
      digest: ref('Digest'),
      artefact: { enum: ['file', 'directory'] },
      size: int('Bytes.'),
      fileCount: int('Files.'),
      manifest: ref('Digest'),
      class: str('The model class.'),
      hyperparameterFamily: str('The hyperparameter family.'),
      hyperparameters: ref('Digest'),
      inputContract: ref('Digest'),
    },
    [
      'registration',
      'type',
      'name',
      'digest',
      'artefact',
      'size',
      'fileCount',
      'class',
      'hyperparameterFamily',
    ],
  ),
  RegisterDatasetRequest: obj(
    'Register a single-file evaluation dataset uploaded first with PUT /v1/objects/{digest}.',
    {
      label: str('A label for people (the digest is the identity).', { minLength: 1, maxLength: 256 }),
      artefact: ref('Digest'),
      format: str('csv, ndjson, parquet… (rows are counted for csv and ndjson); default unknown.', {
        pattern: '^[A-Za-z0-9][A-Za-z0-9.+-]{0,31}$',
      }),
    },
    ['label', 'artefact'],
  ),
  DatasetRegistration: obj(
    'What `signet dataset register --json` prints.',
    {
      registration: ref('Digest'),
      type: { const: 'signet-dataset-registration/v1' },
      label: str('The label.'),
      digest: ref('Digest'),
      artefact: { enum: ['file', 'directory'] },
      size: int('Bytes.'),
      fileCount: int('Files.'),
      manifest: ref('Digest'),
      format: str('The format.'),
      rows: int('Data rows (csv, ndjson).'),
      profile: {
        ...ref('Digest'),
        description:
          'The dataset profile object (csv, ndjson): every column binned, for the reference bins a promotion seals.',
      },
      unprofiled: str(
        'Why a csv or ndjson file has no profile (its promotions then seal no reference bins).',
      ),
    },
    ['registration', 'type', 'label', 'digest', 'artefact', 'size', 'fileCount', 'format'],
  ),
  DraftRow: obj(
    'A draft in an inbox.',
    {
      id: ref('DraftId'),
      status: { enum: ['open', 'sealed', 'rejected'] },
      model: str('The model (or feature pipeline) name.'),
      context: str('The deployment context.'),
      route: { enum: ['low', 'material'] },
      tier: str('The risk tier.'),
      requester: ref('Identity'),
      createdAt: TIME,
      view: ref('Digest'),
      inputs: ref('Digest'),
      closedBy: ref('Digest'),
      waitingForMe: bool(
        'Open, not requested by the caller, not approved by them yet (for the current view), and its route needs a role they hold now for that model or pipeline.',
      ),
    },
    [
      'id',
      'status',
      'model',
      'context',
      'route',
      'tier',
      'requester',
      'createdAt',
      'view',
      'inputs',
      'waitingForMe',
    ],
  ),
  DraftList: obj('Drafts, oldest first.', { drafts: arr('The drafts.', ref('DraftRow')) }, ['drafts']),
  DraftDetail: obj(
    'A draft, its frozen inputs, what its route needs and the approvals recorded for its current view.',
    {
      draft: ref('DraftRow'),
      kind: { enum: ['model', 'pipeline'] },
      inputs: anyObject('The frozen inputs object (signet-draft/v1 or the feature-pipeline draft).'),
      requirement: ref('ApprovalRequirement'),
      approvals: arr(
        'Approvals recorded for the current view (each is re-checked when sealing).',
        obj('An approval.', { identity: ref('Identity'), roles: arr('Its role.', { type: 'string' }) }, [
          'identity',
          'roles',
        ]),
      ),
    },
    ['draft', 'kind', 'inputs', 'requirement', 'approvals'],
  ),
  PrepareProposalRequest: obj(
    'A proposal, prepared for the caller as its requester, as `signet propose` takes it: the registered candidate and evaluation dataset, the metrics, the explanations and the request (exactly one of `request`, an uploaded Markdown object, and `requestText`), the context, and the challenger (an incumbent promotion entry id or a registered baseline model digest; on the low path it may be left out) and the feature-pipeline promotion the model consumes, if any.',
    {
      model: ref('Digest'),
      dataset: ref('Digest'),
      metrics: anyObject(
        "The metrics (schemas/metrics.v1.schema.json): the candidate's and the challenger's, and the digest of the dataset they were computed on.",
      ),
      explanations: {
        type: 'array',
        description:
          'PNG, SVG, SHAP values JSON or HTML (told by content), each uploaded first with PUT /v1/objects/{digest}: at least one, at most 16.',
        maxItems: 16,
        items: obj(
          'An explanation.',
          {
            name: str('The name it is shown under, e.g. shap.json.', { minLength: 1, maxLength: 255 }),
            digest: ref('Digest'),
          },
          ['name', 'digest'],
        ),
      },
      request: ref('Digest'),
      requestText: str(
        'The request Markdown itself (Justification, Scope, Intended deployment, Known limitations), instead of `request`.',
      ),
      context: ref('Context'),
      challenger: ref('Digest'),
      featurePipeline: ref('Digest'),
    },
    ['model', 'dataset', 'metrics', 'explanations', 'context'],
  ),
  PreparedProposal: obj(
    'A proposal whose inputs are frozen and stored; no draft exists yet. Sign the decoded `toSign` bytes with your bound Ed25519 key and submit the signature with POST /v1/drafts.',
    {
      draft: ref('DraftId'),
      inputsDigest: ref('Digest'),
      inputs: anyObject(
        'The frozen inputs object (signet-draft/v1) stored under inputsDigest; the review document is rendered from it.',
      ),
      toSign: str(
        'Base64 of the bytes to sign: the canonical JSON (RFC 8785) {"inputs":"<inputsDigest>","type":"signet-request/v1"}.',
        { pattern: '^[A-Za-z0-9+/]+={0,2}$' },
      ),
      route: ref('RouteRef'),
      requirement: ref('ApprovalRequirement'),
    },
    ['draft', 'inputsDigest', 'inputs', 'toSign', 'route', 'requirement'],
  ),
  RequestSignature: obj(
    "The requester's Ed25519 signature over the `toSign` bytes; keyId is the SHA-256 of the raw public key.",
    {
      scheme: { const: 'ed25519' },
      keyId: ref('Digest'),
      publicKey: str('The raw 32-byte key, base64.', { maxLength: 64 }),
      signature: str('Ed25519 over the decoded toSign bytes, base64.', { maxLength: 128 }),
    },
    ['scheme', 'keyId', 'publicKey', 'signature'],
  ),
  SubmitProposalRequest: obj(
    'A prepared proposal, signed by its requester (the caller).',
    { inputsDigest: ref('Digest'), signature: ref('RequestSignature') },
    ['inputsDigest', 'signature'],
  ),
  ProposeResult: obj(
    'What `signet propose --json` prints: the draft, its stored review document (view) and inputs, its challenger, route and requirement.',
    {
      draft: ref('DraftId'),
      view: ref('Digest'),
      inputs: ref('Digest'),
      challenger: obj(
        'The challenger: as given, or the incumbent filled in on the low path.',
        {
          kind: { enum: ['incumbent', 'baseline'] },
          entry: ref('Digest'),
          digest: ref('Digest'),
        },
        ['kind', 'digest'],
      ),
      route: ref('RouteRef'),
      requirement: ref('ApprovalRequirement'),
    },
    ['draft', 'view', 'inputs', 'challenger', 'route', 'requirement'],
  ),
  ApprovalStatement: obj(
    'What an approver signs (canonical JSON, RFC 8785).',
    {
      type: { const: 'signet-approval-statement/v1' },
      decision: { enum: ['approve', 'reject'] },
      draft: ref('DraftId'),
      view: ref('Digest'),
      model: ref('Digest'),
      request: ref('Digest'),
      context: str('The deployment context.'),
      identity: ref('Identity'),
      ledgerSize: int('The ledger size when signed.'),
    },
    ['type', 'decision', 'draft', 'view', 'model', 'request', 'context', 'identity', 'ledgerSize'],
  ),
  ApprovalStatementToSign: obj(
    'The approval statement the caller would sign now.',
    {
      statement: ref('ApprovalStatement'),
      digest: ref('Digest'),
      challenge: str('base64url of the 32 digest bytes (the WebAuthn challenge).', {
        pattern: '^[A-Za-z0-9_-]{43}$',
      }),
    },
    ['statement', 'digest', 'challenge'],
  ),
  Approval: obj(
    'A signed approval, as `signet approve --approval FILE` accepts it.',
    {
      identity: obj(
        'The approver.',
        {
          issuer: str('signet:<log origin>'),
          subject: ref('Identity'),
          name: str('Not allowed by the log (refused).'),
        },
        ['issuer', 'subject'],
      ),
      roles: {
        type: 'array',
        items: { type: 'string' },
        maxItems: 16,
        description: 'The role that authorises it.',
      },
      grant: ref('Digest'),
      key: ref('Digest'),
      statement: ref('Digest'),
      statementBody: ref('ApprovalStatement'),
      signature: obj(
        'The signature over the canonical statement.',
        {
          scheme: { const: 'ed25519' },
          keyId: ref('Digest'),
          publicKey: str('The raw 32-byte key, base64.', { maxLength: 64 }),
          signature: str('Ed25519, base64.', { maxLength: 128 }),
        },
        ['scheme', 'keyId', 'publicKey', 'signature'],
      ),
    },
    ['identity', 'roles', 'grant', 'key', 'statement', 'statementBody', 'signature'],
  ),
  ApproveResult: obj(
    'What `signet approve --json` prints.',
    {
      approved: { const: true },
      statement: ref('Digest'),
      roles: arr('The role of the approval.', { type: 'string' }),
      valid: int('Distinct people whose approvals of the current view verify.'),
      required: int('How many are needed.'),
      requirement: ref('ApprovalRequirement'),
      sealed: ref('SealedRef'),
    },
    ['approved', 'statement', 'roles', 'valid', 'required', 'requirement'],
  ),
  PasskeyDecision: obj(
    'A statement and the passkey assertion over its digest.',
    {
      statement: anyObject('The statement as the server gave it.'),
      response: anyObject('The WebAuthn authentication response, JSON-serialised (base64url fields).'),
    },
    ['statement', 'response'],
  ),
  RejectionReason: obj('Why the draft is rejected.', { reason: str('The reason (1–10,000 characters).') }, [
    'reason',
  ]),
  PasskeyStatementToSign: obj(
    'A statement to sign with a passkey.',
    {
      statement: anyObject('The action statement: type, kind, predicate, identity, ledgerSize.'),
      digest: ref('Digest'),
      challenge: str('base64url of the 32 digest bytes: the WebAuthn challenge.'),
    },
    ['statement', 'digest', 'challenge'],
  ),
  PasskeyRejection: obj(
    'The rejection entry appended.',
    { rejected: { const: true }, entry: ref('Digest'), index: int('Its index.') },
    ['rejected', 'entry', 'index'],
  ),
  SealedRef: obj(
    'The entry that sealed the promotion.',
    { entry: ref('Digest'), index: int('Its index.'), time: TIME },
    ['entry', 'index'],
  ),
  SealResult: obj(
    'What `signet seal --json` prints: `sealed` is there when the approvals sufficed.',
    {
      sealed: ref('SealedRef'),
      valid: int('Distinct people whose approvals verify now.'),
      required: int('How many are needed.'),
      requirement: ref('ApprovalRequirement'),
    },
    ['valid', 'required', 'requirement'],
  ),
  PrepareAction: obj(
    'Ask for the action statement to sign (a rejection or a revocation) as the caller.',
    {
      reason: str('Why.', { minLength: 1, maxLength: 4096 }),
      keyId: ref('Digest'),
    },
    ['reason'],
  ),
  ActionStatementToSign: obj(
    'The exact bytes the caller signs with their bound Ed25519 key (what the CLI signs for them), then sends back with the signature.',
    {
      statement: anyObject('The action statement (signet-action/v1): kind, predicate, identity, ledgerSize.'),
      bytes: str('The canonical JSON bytes to sign, base64.'),
      digest: ref('Digest'),
      keyId: ref('Digest'),
      ledgerSize: int('The ledger size the statement names: if the log moves first, prepare again.'),
    },
    ['statement', 'bytes', 'digest', 'keyId', 'ledgerSize'],
  ),
  SignedAction: obj(
    'A prepared action statement, signed.',
    {
      reason: str('The same reason as prepared.', { minLength: 1, maxLength: 4096 }),
      keyId: ref('Digest'),
      statementDigest: ref('Digest'),
      signature: str('Ed25519 over the statement bytes, base64.', { minLength: 1, maxLength: 128 }),
    },
    ['reason', 'keyId', 'statementDigest', 'signature'],
  ),
  PolicyApplyPrepare: obj(
    'Ask for the policy statement to sign, as an admin.',
    {
      document: str('The policy document, YAML or JSON (schemas/policy.v1.schema.json).', {
        minLength: 1,
        maxLength: 262144,
      }),
      keyId: ref('Digest'),
    },
    ['document'],
  ),
  PolicyApplySigned: obj(
    'A prepared policy statement, signed by the admin.',
    {
      document: str('The same document as prepared.', { minLength: 1, maxLength: 262144 }),
      keyId: ref('Digest'),
      statementDigest: ref('Digest'),
      signature: str('Ed25519 over the statement bytes, base64.', { minLength: 1, maxLength: 128 }),
    },
    ['document', 'keyId', 'statementDigest', 'signature'],
  ),
  PolicyApplied: obj(
    'The policy entry appended.',
    {
      entry: ref('Digest'),
      index: int('Its index.'),
      policy: ref('Digest'),
      version: int('The policy version in this log.'),
    },
    ['entry', 'index', 'policy', 'version'],
  ),
  EntryRefResult: obj(
    'The entry appended.',
    { entry: ref('Digest'), index: int('Its index.'), rejected: { const: true }, revoked: { const: true } },
    ['entry', 'index'],
  ),
  PromotionView: obj(
    'What `signet show --json` prints: the sealed fields and whether they verify now (a failed check is an answer: verified false with reasons).',
    {
      kind: { enum: ['model-promotion', 'feature-pipeline-promotion'] },
      entry: ref('Digest'),
      index: int('Its index.'),
      time: TIME,
      verified: bool('Log signature, inclusion, request, approvals and authority, objects.'),
      reasons: arr('Why it does not verify.', ref('Reason')),
      promotion: anyObject('The sealed predicate.'),
    },
    ['kind', 'entry', 'index', 'time', 'verified', 'reasons', 'promotion'],
  ),
  ReplayResult: obj(
    'What `signet replay --json` prints (nothing is written).',
    {
      ok: bool('Identical and verified.'),
      entry: ref('Digest'),
      view: ref('Digest'),
      identical: bool('The review document re-renders to the same bytes.'),
      firstDifference: int('The first differing byte.'),
      reasons: arr('Every problem.', ref('Reason')),
      written: arr('Always empty over HTTP.', { type: 'string' }),
    },
    ['ok', 'entry', 'view', 'identical', 'reasons', 'written'],
  ),
  GateRequest: obj('A deployment to allow or deny.', { model: ref('Digest'), context: ref('Context') }, [
    'model',
    'context',
  ]),
  GateResult: obj(
    'The decision; the deployment entry was appended before it, for a deny too.',
    {
      allow: bool('Allowed.'),
      model: ref('Digest'),
      context: str('The context.'),
      promotion: ref('Digest'),
      reasons: arr('Why not.', ref('Reason')),
      deployment: ref('Digest'),
      deploymentIndex: int('Its index.'),
    },
    ['allow', 'model', 'context', 'reasons', 'deployment', 'deploymentIndex'],
  ),
  PolicyView: obj(
    'What `signet policy show --json` prints.',
    {
      entry: ref('Digest'),
      index: int('The policy entry index.'),
      time: TIME,
      version: int('Its version in this log.'),
      appliedBy: ref('Identity'),
      policy: ref('Digest'),
      document: anyObject('The policy document (schemas/policy.v1.schema.json).'),
      effective: anyObject('With ?model: the policy as it applies to that model.'),
    },
    ['entry', 'index', 'time', 'version', 'appliedBy', 'policy', 'document'],
  ),
  PolicyTestRequest: obj(
    'A registered candidate to route, as `signet policy test` takes it.',
    {
      model: ref('Digest'),
      dataset: ref('Digest'),
      metrics: anyObject('Metrics (schemas/metrics.v1.schema.json).'),
      context: ref('Context'),
      featurePipeline: ref('Digest'),
    },
    ['model', 'dataset', 'metrics', 'context'],
  ),
  IngestTrafficResult: anyObject(
    'What an ingestion counted and judged: model, context, promotion {entry, index}, reference (digest), thresholds {warn?, material}, policy (digest or null: no flag recorded), minimumCount, report (format, window, time, columns with missing/unparsable counts, totals: bytes, rows, counted, blankLines, malformed {count, first}, untimed {count, first}), absent (features not in the traffic), windows (per window and feature: n, psi, chiSquare, df, pValue, level, reason, flag?), flags (window, feature, psi, pValue, entry, index, appended, counts).',
  ),
  MonitorStatus: anyObject(
    'One context of a model: model, context, promotion {entry, index}, reference, thresholds, policy, minimumCount, windows, series (name, role feature|score, points: window, n, psi, chiSquare, df, pValue, level insufficient|ok|warn|material, reason, flag?), flags (entry, index, window, feature, psi, pValue).',
  ),
  RouteResult: obj(
    'What `signet policy test --json` prints.',
    {
      model: obj('The candidate.', { name: str('Its name.'), digest: ref('Digest') }, ['name', 'digest']),
      context: str('The context.'),
      policy: obj(
        'The policy in force.',
        { digest: ref('Digest'), version: int('Version.'), entry: ref('Digest') },
        ['digest', 'version', 'entry'],
      ),
      materiality: { enum: ['low', 'material'] },
      tier: str('The tier.'),
      reasons: arr(
        'Every rule that fired, with its values.',
        obj(
          'A reason.',
          { rule: str('The rule.'), message: str('Why.'), values: anyObject('The numbers.') },
          ['rule', 'message', 'values'],
        ),
      ),
      route: ref('RouteRef'),
      requirement: ref('ApprovalRequirement'),
      bandsForNext: anyObject('The bands the next promotion is measured against.'),
      previous: ref('Digest'),
    },
    ['model', 'context', 'policy', 'materiality', 'tier', 'reasons', 'route', 'requirement', 'bandsForNext'],
  ),
};

// ---- operations

const tokenNote =
  'Authenticate with `Authorization: Bearer sgt_…` (an API token from `signet tokens create`) or a browser session.';

const PATHS: Record<string, PathItem> = {
  '/v1/health': {
    get: {
      operationId: 'getHealth',
      summary: 'Is the server up',
      tags: ['meta'],
      security: [],
      responses: { '200': ok('Up.', ref('Health')), '500': errorResponse(500) },
    },
  },
  '/v1/openapi.json': {
    get: {
      operationId: 'getOpenApi',
      summary: 'This document',
      tags: ['meta'],
      security: [],
      responses: { '200': ok('The OpenAPI 3.1 document.', anyObject('OpenAPI 3.1')) },
    },
  },
  '/v1/docs': {
    get: {
      operationId: 'getDocs',
      summary: 'This document as a web page',
      tags: ['meta'],
      security: [],
      responses: {
        '200': {
          description: 'HTML, no scripts, no external assets.',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
      },
    },
  },
  '/healthz': {
    get: {
      operationId: 'getHealthz',
      summary: 'Is the server ready: does the ledger answer',
      description:
        'For load balancers and orchestrators, outside /v1: asks the ledger its size and waits at most 2 s. `GET /v1/health` says only that the process is up.',
      tags: ['ops'],
      security: [],
      responses: {
        '200': ok('The ledger answered.', ref('LedgerHealth')),
        '503': { description: 'Not ready.', content: json(ref('LedgerUnavailable')) },
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description:
        'The Prometheus text format 0.0.4: ledger appends, gate decisions and verifications counted and timed, HTTP requests by method, route template and status, and the process metrics. Outside /v1, but authenticated like it: scrape with a token (`authorization: { credentials_file: … }`).',
      tags: ['ops'],
      responses: {
        '200': {
          description: 'The metrics.',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        ...errors(),
      },
    },
  },
  '/v1/whoami': {
    get: {
      operationId: 'getCaller',
      summary: 'Who the request is authenticated as',
      tags: ['meta'],
      responses: { '200': ok('The caller.', ref('Caller')), ...errors() },
    },
  },
  '/v1/log/checkpoint': {
    get: {
      operationId: 'getCheckpoint',
      summary: 'The latest signed checkpoint',
      description: 'The C2SP tlog-checkpoint signed note, exactly as signed.',
      tags: ['log'],
      responses: {
        '200': {
          description: 'The signed note.',
          headers: {
            'X-Signet-Tree-Size': {
              description: 'The tree size it commits to.',
              schema: { type: 'integer' },
            },
          },
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        ...errors(404),
      },
    },
  },
  '/v1/log/entries': {
    get: {
      operationId: 'listEntries',
      summary: 'Entries in log order, a page at a time',
      tags: ['log'],
      parameters: [
        queryParam('from', 'The first index (default 0).', int('Index.')),
        queryParam('limit', 'Page size, 1–1000 (default 100).', int('Count.', { minimum: 1, maximum: 1000 })),
      ],
      responses: { '200': ok('A page.', ref('LogEntryPage')), ...errors(400) },
    },
  },
  '/v1/log/entries/{ref}': {
    get: {
      operationId: 'getEntry',
      summary: 'One entry, its log signature checked',
      tags: ['log'],
      parameters: [ENTRY_REF_PARAM],
      responses: { '200': ok('The entry.', ref('LogEntry')), ...errors(400, 404, 422) },
    },
  },
  '/v1/log/proofs/inclusion': {
    get: {
      operationId: 'proveInclusion',
      summary: 'RFC 9162 inclusion proof',
      tags: ['log'],
      parameters: [
        queryParam('index', 'The entry index.', int('Index.'), true),
        queryParam('size', 'The tree size (default: the current size).', int('Size.')),
      ],
      responses: { '200': ok('The proof.', ref('InclusionProof')), ...errors(400) },
    },
  },
  '/v1/log/proofs/consistency': {
    get: {
      operationId: 'proveConsistency',
      summary: 'RFC 9162 consistency proof',
      tags: ['log'],
      parameters: [
        queryParam('first', 'The older tree size.', int('Size.'), true),
        queryParam('second', 'The newer tree size.', int('Size.'), true),
      ],
      responses: { '200': ok('The proof.', ref('ConsistencyProof')), ...errors(400) },
    },
  },
  '/v1/objects/{digest}': {
    get: {
      operationId: 'getObject',
      summary: 'Stream an object by digest',
      description:
        'The bytes stream as they are read and are re-hashed on the way: if they no longer hash to the digest, the connection is aborted before the end (a clean end means the digest checked out).',
      tags: ['objects'],
      parameters: [DIGEST_PARAM],
      responses: {
        '200': {
          description: 'The bytes.',
          headers: {
            'X-Signet-Digest': { description: 'The digest, sha256:<hex>.', schema: ref('Digest') },
            Digest: { description: 'RFC 3230: sha-256=<base64>.', schema: { type: 'string' } },
          },
          content: {
            'application/octet-stream': {
              schema: { type: 'string', contentMediaType: 'application/octet-stream' },
            },
          },
        },
        ...errors(400, 404, 422),
      },
    },
    put: {
      operationId: 'putObject',
      summary: 'Store an object under its digest',
      description:
        'The body streams to the store; it is refused beyond the object size limit (counted while streaming) and when it does not hash to the digest in the path. Nothing is stored then.',
      tags: ['objects'],
      parameters: [DIGEST_PARAM],
      requestBody: {
        required: true,
        description: 'The bytes.',
        content: {
          'application/octet-stream': {
            schema: { type: 'string', contentMediaType: 'application/octet-stream' },
          },
        },
      },
      responses: {
        '200': ok('Already stored (a no-op).', ref('ObjectPut')),
        '201': ok('Stored.', ref('ObjectPut')),
        ...errors(400, 403, 413, 422),
      },
    },
  },
  '/v1/models': {
    post: {
      operationId: 'registerModel',
      summary: 'Register a model',
      tags: ['registrations'],
      requestBody: jsonBody('The model.', ref('RegisterModelRequest')),
      responses: { '201': ok('Registered.', ref('ModelRegistration')), ...errors(...WITH_BODY, 404, 422) },
    },
  },
  '/v1/datasets': {
    post: {
      operationId: 'registerDataset',
      summary: 'Register an evaluation dataset',
      tags: ['registrations'],
      requestBody: jsonBody('The dataset.', ref('RegisterDatasetRequest')),
      responses: { '201': ok('Registered.', ref('DatasetRegistration')), ...errors(...WITH_BODY, 404, 422) },
    },
  },
  '/v1/drafts': {
    get: {
      operationId: 'listDrafts',
      summary: 'Drafts (an inbox)',
      tags: ['drafts'],
      parameters: [
        queryParam('status', 'Only drafts with this status.', { enum: ['open', 'sealed', 'rejected'] }),
      ],
      responses: { '200': ok('The drafts.', ref('DraftList')), ...errors(400) },
    },
    post: {
      operationId: 'propose',
      summary: 'Propose: make the draft of a prepared proposal its requester signed',
      description:
        'The caller must be the requester the proposal was prepared for (403 NOT_AUTHORISED otherwise), and sign `toSign` with an Ed25519 key bound to them now (403 KEY_NOT_BOUND; 422 BAD_SIGNATURE when it does not verify). The inputs must still be what preparing them gives now: when the log moved so that the route, the bands or the incumbent would differ, it is refused with 409 STALE_STATEMENT (prepare again and sign that); an inputs object that prepare did not make is 422 DIGEST_MISMATCH, and a digest of no prepared proposal 404. A proposal is made into a draft once (409 DRAFT_EXISTS). The review document is rendered and stored before the draft exists. Nothing is created when it is refused.',
      tags: ['drafts'],
      requestBody: jsonBody('The inputs digest and the signature.', ref('SubmitProposalRequest')),
      responses: {
        '201': ok('The draft.', ref('ProposeResult')),
        ...errors(...WITH_BODY, 404, 409, 422),
      },
    },
  },
  '/v1/drafts/prepare': {
    post: {
      operationId: 'prepareProposal',
      summary: 'Prepare a proposal for the caller to sign',
      description:
        'Checks the proposal as `signet propose` does and lists every problem at once (400, each `source` the member of the body it is about, `path` where inside it), routes it, fills in the challenger on the low path, refuses a request generated by `signet promote` on a material route, and stores the request, the metrics and the frozen inputs. The caller is the requester and needs a bound key. Objects named by digest must be uploaded first (404 when one is not). Answers the bytes to sign; no draft exists until POST /v1/drafts.',
      tags: ['drafts'],
      requestBody: jsonBody('The proposal.', ref('PrepareProposalRequest')),
      responses: {
        '200': ok('To sign.', ref('PreparedProposal')),
        ...errors(...WITH_BODY, 404, 422),
      },
    },
  },
  '/v1/drafts/{id}': {
    get: {
      operationId: 'getDraft',
      summary: 'A draft with its inputs, requirement and approvals',
      tags: ['drafts'],
      parameters: [DRAFT_PARAM],
      responses: { '200': ok('The draft.', ref('DraftDetail')), ...errors(400, 404, 422) },
    },
  },
  '/v1/drafts/{id}/review': {
    get: {
      operationId: 'getReview',
      summary: "The stored review document (the approver's screen)",
      description:
        'The exact stored bytes, served with a Content-Security-Policy that allows no script and no network (inline styles and data: images only) in a sandbox.',
      tags: ['drafts'],
      parameters: [DRAFT_PARAM],
      responses: {
        '200': {
          description: 'The review document.',
          headers: {
            'X-Signet-View-Digest': { description: 'The digest of these bytes.', schema: ref('Digest') },
            'Content-Security-Policy': {
              description: "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox",
              schema: { type: 'string' },
            },
          },
          content: { 'text/html': { schema: { type: 'string' } } },
        },
        ...errors(400, 404, 422),
      },
    },
  },
  '/v1/drafts/{id}/approval-statement': {
    get: {
      operationId: 'getApprovalStatement',
      summary: 'The approval statement the caller would sign now',
      tags: ['drafts'],
      parameters: [DRAFT_PARAM],
      responses: {
        '200': ok('The statement.', ref('ApprovalStatementToSign')),
        ...errors(400, 404, 409, 422),
      },
    },
  },
  '/v1/drafts/{id}/approvals': {
    post: {
      operationId: 'submitApproval',
      summary: 'Submit a signed approval',
      description:
        'The approval must be signed as the caller, for this draft and its current view; it seals the promotion when the approvals suffice.',
      tags: ['drafts'],
      parameters: [DRAFT_PARAM],
      requestBody: jsonBody('The signed approval.', ref('Approval')),
      responses: { '201': ok('Recorded.', ref('ApproveResult')), ...errors(...WITH_BODY, 404, 409, 422) },
    },
  },
  '/v1/drafts/{id}/seal': {
    post: {
      operationId: 'sealDraft',
      summary: 'Seal a draft if its approvals suffice',
      tags: ['drafts'],
      parameters: [DRAFT_PARAM],
      responses: {
        '200': ok('Sealed, or how many approvals count.', ref('SealResult')),
        ...errors(400, 403, 404, 409, 422),
      },
    },
  },
  '/v1/drafts/{id}/passkey-approvals': {
    post: {
      operationId: 'approveWithPasskey',
      summary: 'Approve with a passkey (browser session)',
      description:
        "The statement from GET approval-statement and the passkey's assertion over its digest (WebAuthn JSON). The passkey must be bound to the signed-in person; the event stores the COSE key, authenticatorData, clientDataJSON and signature for offline verification.",
      tags: ['drafts'],
      parameters: [DRAFT_PARAM],
      requestBody: jsonBody('The statement and the passkey assertion.', ref('PasskeyDecision')),
      responses: { '201': ok('Recorded.', ref('ApproveResult')), ...errors(...WITH_BODY, 404, 409, 422) },
    },
  },
  '/v1/drafts/{id}/rejection-statement': {
    post: {
      operationId: 'passkeyRejectionStatement',
      summary: 'The rejection statement a passkey signs',
      description:
        "The action statement (signet-action/v1, kind rejection) the signed-in person would sign now, its digest, and the challenge (base64url of the digest's 32 bytes) for navigator.credentials.get().",
      tags: ['drafts'],
      parameters: [DRAFT_PARAM],
      requestBody: jsonBody('Why the draft is rejected.', ref('RejectionReason')),
      responses: { '200': ok('To sign.', ref('PasskeyStatementToSign')), ...errors(...WITH_BODY, 404, 409) },
    },
  },
  '/v1/drafts/{id}/passkey-rejections': {
    post: {
      operationId: 'rejectWithPasskey',
      summary: 'Reject with a passkey (browser session)',
      tags: ['drafts'],
      parameters: [DRAFT_PARAM],
      requestBody: jsonBody('The rejection statement and the passkey assertion.', ref('PasskeyDecision')),
      responses: { '201': ok('Rejected.', ref('PasskeyRejection')), ...errors(...WITH_BODY, 404, 409, 422) },
    },
  },
  '/v1/drafts/{id}/reject/prepare': {
    post: {
      operationId: 'prepareRejection',
      summary: 'The rejection statement the caller would sign',
      tags: ['drafts'],
      parameters: [DRAFT_PARAM],
      requestBody: jsonBody('The reason (and which bound key will sign).', ref('PrepareAction')),
      responses: {
        '200': ok('To sign.', ref('ActionStatementToSign')),
        ...errors(...WITH_BODY, 404, 409, 422),
      },
    },
  },
  '/v1/drafts/{id}/reject': {
    post: {
      operationId: 'rejectDraft',
      summary: 'Reject a draft with a signed rejection statement',
      tags: ['drafts'],
      parameters: [DRAFT_PARAM],
      requestBody: jsonBody('The signed statement.', ref('SignedAction')),
      responses: {
        '201': ok('The rejection entry.', ref('EntryRefResult')),
        ...errors(...WITH_BODY, 404, 409, 422),
      },
    },
  },
  '/v1/promotions/{ref}': {
    get: {
      operationId: 'showPromotion',
      summary: 'The sealed fields of a promotion, and whether it verifies',
      tags: ['promotions'],
      parameters: [PROMOTION_REF_PARAM],
      responses: { '200': ok('The promotion.', ref('PromotionView')), ...errors(400, 404, 422) },
    },
  },
  '/v1/promotions/{ref}/replay': {
    get: {
      operationId: 'replayPromotion',
      summary: 'Re-render the review document and compare it byte for byte',
      tags: ['promotions'],
      parameters: [PROMOTION_REF_PARAM],
      responses: { '200': ok('The comparison.', ref('ReplayResult')), ...errors(400, 404, 422) },
    },
  },
  '/v1/promotions/{ref}/revoke/prepare': {
    post: {
      operationId: 'prepareRevocation',
      summary: 'The revocation statement the caller would sign',
      tags: ['promotions'],
      parameters: [PROMOTION_REF_PARAM],
      requestBody: jsonBody('The reason (and which bound key will sign).', ref('PrepareAction')),
      responses: {
        '200': ok('To sign.', ref('ActionStatementToSign')),
        ...errors(...WITH_BODY, 404, 409, 422),
      },
    },
  },
  '/v1/promotions/{ref}/revoke': {
    post: {
      operationId: 'revokePromotion',
      summary: 'Withdraw a promotion with a signed revocation statement',
      tags: ['promotions'],
      parameters: [PROMOTION_REF_PARAM],
      requestBody: jsonBody('The signed statement.', ref('SignedAction')),
      responses: {
        '201': ok('The revocation entry.', ref('EntryRefResult')),
        ...errors(...WITH_BODY, 404, 409, 422),
      },
    },
  },
  '/v1/policy/apply/prepare': {
    post: {
      operationId: 'preparePolicy',
      summary: 'The policy statement an admin would sign',
      description:
        'The document is checked against the policy schema first (400 naming every path); the caller must hold the admin role.',
      tags: ['policy'],
      requestBody: jsonBody(
        'The policy document (and which bound key will sign).',
        ref('PolicyApplyPrepare'),
      ),
      responses: { '200': ok('To sign.', ref('ActionStatementToSign')), ...errors(...WITH_BODY, 409, 422) },
    },
  },
  '/v1/policy/apply': {
    post: {
      operationId: 'applyPolicy',
      summary: 'Put a policy in force with a signed policy statement',
      tags: ['policy'],
      requestBody: jsonBody('The signed statement.', ref('PolicyApplySigned')),
      responses: { '201': ok('The policy entry.', ref('PolicyApplied')), ...errors(...WITH_BODY, 409, 422) },
    },
  },
  '/v1/gate': {
    post: {
      operationId: 'gate',
      summary: 'Allow or deny a deployment',
      description:
        'A deny is an answer (200, allow false, with reasons), not an error. The deployment entry is appended before the answer, for a deny too, and names the caller: `requestedBy` {identity, via: token | session}.',
      tags: ['promotions'],
      requestBody: jsonBody('The deployment.', ref('GateRequest')),
      responses: { '200': ok('The decision.', ref('GateResult')), ...errors(...WITH_BODY) },
    },
  },
  '/v1/policy': {
    get: {
      operationId: 'showPolicy',
      summary: 'The materiality policy in force',
      tags: ['policy'],
      parameters: [
        queryParam('model', 'A model name: how the policy applies to it.', {
          type: 'string',
          maxLength: 128,
        }),
      ],
      responses: { '200': ok('The policy.', ref('PolicyView')), ...errors(400, 404, 422) },
    },
  },
  '/v1/policy/test': {
    post: {
      operationId: 'testPolicy',
      summary: 'How a registered candidate would be routed now',
      tags: ['policy'],
      requestBody: jsonBody('The candidate.', ref('PolicyTestRequest')),
      responses: { '200': ok('The route.', ref('RouteResult')), ...errors(...WITH_BODY, 404, 422) },
    },
  },
  '/v1/monitor/ingest': {
    post: {
      operationId: 'ingestTraffic',
      summary: 'Count scoring traffic for population-shift monitoring',
      description:
        "The body streams (CSV with a header as text/csv, or NDJSON as application/x-ndjson) and is counted in the reference bins sealed with the model's promotion in force in the context, per window of time; nothing of it is kept. PSI and chi-square are then computed per window and feature on everything counted so far, and a window reaching the policy's material threshold with at least the minimum rows is flagged in the log (a population-shift entry, once per window and feature): the model's next promotion then routes material. Malformed rows and rows without a readable timestamp are counted and reported. As `signet monitor ingest`.",
      tags: ['monitor'],
      parameters: [
        queryParam('model', 'The model name.', { type: 'string', minLength: 1, maxLength: 128 }, true),
        queryParam(
          'context',
          'The deployment context.',
          { type: 'string', minLength: 1, maxLength: 128 },
          true,
        ),
        queryParam('window', 'The window of time (default day).', { enum: ['hour', 'day'] }),
        queryParam('timestampColumn', "Each row's time, RFC 3339; without it, the arrival time.", {
          type: 'string',
          maxLength: 256,
        }),
        queryParam(
          'scoreColumn',
          "The traffic's score column, when not named as in the evaluation dataset.",
          {
            type: 'string',
            maxLength: 256,
          },
        ),
      ],
      requestBody: {
        required: true,
        description: 'The traffic.',
        content: {
          'text/csv': { schema: { type: 'string' } },
          'application/x-ndjson': { schema: { type: 'string' } },
        },
      },
      responses: {
        '200': ok('What was counted, judged and flagged.', ref('IngestTrafficResult')),
        ...errors(...WITH_BODY, 404, 422),
      },
    },
  },
  '/v1/monitor/status': {
    get: {
      operationId: 'monitorStatus',
      summary: "A model's population-shift monitoring, per context",
      description:
        'Per context with a promotion in force that seals reference bins: the promotion, the thresholds and minimum window, every window counted with its PSI, chi-square p-value and level per feature and for the score, and the flags recorded since the promotion. As `signet monitor status --json`.',
      tags: ['monitor'],
      parameters: [
        queryParam('model', 'The model name.', { type: 'string', minLength: 1, maxLength: 128 }, true),
        queryParam('context', 'One deployment context (default: every monitored one).', {
          type: 'string',
          maxLength: 128,
        }),
      ],
      responses: {
        '200': ok('One status per context.', arr('Statuses.', ref('MonitorStatus'))),
        ...errors(400, 404, 422),
      },
    },
  },
};

export const OPENAPI: OpenApiDocument = {
  openapi: '3.1.0',
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  info: {
    title: 'Signet',
    version: VERSION,
    description:
      'Sealed, signed, replayable model-promotion decisions with a deployment gate, over HTTP. ' +
      tokenNote +
      ' Errors are JSON `{ code, message, details? }`. JSON bodies are limited to 1 MiB by default, objects to 256 MiB.',
  },
  tags: [
    { name: 'meta', description: 'Health, this document, who you are.' },
    { name: 'log', description: 'The append-only ledger: checkpoint, entries, RFC 9162 proofs.' },
    { name: 'objects', description: 'Write-once objects by digest.' },
    { name: 'registrations', description: 'Models and evaluation datasets.' },
    { name: 'drafts', description: 'Proposed promotions: review, approve, reject, seal.' },
    { name: 'promotions', description: 'Sealed promotions: show, replay, revoke, and the gate.' },
    { name: 'policy', description: 'The materiality policy.' },
    { name: 'monitor', description: 'Population-shift monitoring of scoring traffic.' },
    { name: 'ops', description: 'Readiness and Prometheus metrics, for operators, outside /v1.' },
  ],
  security: [{ bearerToken: [] }, { sessionCookie: [] }],
  paths: PATHS,
  components: {
    schemas: SCHEMAS,
    securitySchemes: {
      bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token, sgt_…' },
      sessionCookie: {
        type: 'apiKey',
        in: 'cookie',
        name: 'signet_session',
        description: 'A browser session.',
      },
    },
  },
};

/** Every operation of the document with its method and path, in document order. */
export function operationsOf(
  document: OpenApiDocument,
): { readonly method: HttpMethod; readonly path: string; readonly operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => {
      const operation = item[method];
      return operation ? [{ method, path, operation }] : [];
    }),
  );
}
