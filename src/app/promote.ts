// Propose, approve, reject and seal: the draft's inputs are frozen as objects, the review document is
// rendered from them and stored before anyone can approve, approvals are signed statements over that
// view, and the promotion is sealed once the approvals meet the requirement. The candidate is routed
// before anything is stored, because what the proposal must carry depends on the route: on the low path
// the challenger may be left to Signet (the incumbent), on the material path a person names it and
// writes the request. Proposing is two steps around the requester's signature, so that the key can stay
// wherever the requester keeps it (the CLI signs in between; over HTTP the caller does): prepare freezes
// the inputs, submit checks the signature and that the inputs are still what preparing gives, and makes
// the draft.
import { randomBytes } from 'node:crypto';

import { AuthorityError, InputError, VerificationError } from '../errors.js';
import { isRecord, openEntry } from '../ledger/entry.js';
import {
  assertNoProblems,
  assertProposalInputs,
  MAX_JSON_INPUT_BYTES,
  type ProposalInputs,
  type SourcedProblem,
} from '../promotion/inputs.js';
import {
  DRAFT_INPUTS_TYPE,
  serializeDraftInputs,
  serializeRequestStatement,
  signRequest,
  verifyRequestSignature,
  type DraftInputs,
} from '../promotion/draft.js';
import { isGeneratedRequest } from '../promotion/request.js';
import { PROMOTION_KIND, readPromotion, REVOCATION_KIND } from '../promotion/seal.js';
import type { ChallengerRef, Ed25519Signature, IdentityRef, RouteRef } from '../promotion/types.js';
import { RENDERER_VERSION, renderReview } from '../review/index.js';
import { encodeBase64 } from '../signing/base64.js';
import { canonicalize, parseJson } from '../signing/canonical-json.js';
import { assertDigest, digestOfBytes, isDigest, type Digest } from '../signing/digest.js';
import { keyIdOf, type Signer } from '../signing/keys.js';
import {
  APPROVER_REQUIREMENT,
  requirementOfRoute,
  type ApprovalRequirement,
} from '../gate/verify-promotion.js';
import { loadAuthority } from './authority.js';
import type { Home } from './home.js';
import { readObjectWithin } from './objects.js';
import { findPolicyInForce } from './policy.js';
import { freezeReference } from './reference-bins.js';
import { routeCandidate, type Routed } from './route.js';
import {
  DATASET_REGISTRATION_TYPE,
  MODEL_REGISTRATION_TYPE,
  readInput,
  readRegistration,
  type DatasetRegistration,
  type ModelRegistration,
} from './register.js';

export const CONTEXT_PATTERN = /^[a-z0-9][a-z0-9._:/-]{0,127}$/;
export const CONTEXT_RULE = 'must be 1–128 lowercase letters, digits and . _ : / - (e.g. retail-credit/uk)';

export function assertContext(context: string): void {
  if (!CONTEXT_PATTERN.test(context)) {
    throw new InputError('INVALID_ARGUMENT', `--context ${JSON.stringify(context)} ${CONTEXT_RULE}`);
  }
}

/** Before a materiality policy is in force, every promotion needs one approval by an approver. */
export const DEFAULT_ROUTE: RouteRef = {
  materiality: 'material',
  tier: 'standard',
  reasons: ['no materiality policy is in force: one approval by a holder of the approver role is required'],
};

export interface Actor {
  readonly identity: string;
  readonly signer: Signer;
}

/**
 * Who asks for a proposal. Preparing needs no key (the requester signs afterwards, wherever their key
 * is); when the signing key is known it is checked to be bound to the identity now.
 */
export interface Requester {
  readonly identity: string;
  readonly keyId?: string;
}

/** What a proposal names: the candidate, its challenger and dataset by digest, and where it deploys. */
export interface ProposalRefs {
  readonly model: string;
  /**
   * A promotion entry id (the incumbent) or a registered model digest (a baseline). Without it, a
   * candidate routed low is measured against the incumbent (the model's previous promotion); a material
   * one must name its challenger.
   */
  readonly challenger?: string;
  readonly dataset: string;
  readonly context: string;
  /** Entry id of the feature-pipeline promotion the model consumes (`--feature-pipeline`). */
  readonly featurePipeline?: string;
  /** The evaluation dataset's score column (`--score-column`; default `score` when it has one). */
  readonly scoreColumn?: string;
}

/** A proposal's files as bytes: over HTTP they arrive in the body or as uploaded objects. */
export interface ProposalBytes {
  readonly metrics: Uint8Array;
  readonly request: Uint8Array;
  /** Each explanation with the name it is shown under. */
  readonly explanations: readonly { readonly name: string; readonly bytes: Uint8Array }[];
}

export interface ProposeOptions extends ProposalRefs {
  readonly metricsFile: string;
  readonly explanationFiles: readonly string[];
  readonly requestFile: string;
  readonly as: Actor;
}

export interface PrepareProposalOptions extends ProposalRefs, ProposalBytes {
  readonly as: Requester;
}

export interface PreparedProposal {
  readonly draft: string;
  /** The frozen inputs object (signet-draft/v1), stored under `inputsDigest`. */
  readonly inputs: DraftInputs;
  readonly inputsDigest: Digest;
  /** Base64 of the canonical request statement over `inputsDigest`: what the requester signs (Ed25519). */
  readonly toSign: string;
  readonly route: RouteRef;
  readonly requirement: ApprovalRequirement;
  /** The challenger the inputs name: as given, or the incumbent filled in on the low path. */
  readonly challenger: ChallengerRef['against'];
}

export interface SubmitProposalOptions {
  /** The `inputsDigest` of a prepared proposal. */
  readonly inputsDigest: string;
  /** The requester's Ed25519 signature over the request statement (attacker-controlled). */
  readonly signature: Ed25519Signature;
  /** The identity submitting it: it must be the requester the inputs name. */
  readonly as: string;
}

export interface ProposeResult {
  readonly draft: string;
  readonly view: Digest;
  readonly inputs: Digest;
  /** The challenger the draft names: as given, or the incumbent filled in on the low path. */
  readonly challenger: ChallengerRef['against'];
  /** The route sealed in the draft, and what it needs from approvers. */
  readonly route: RouteRef;
  readonly requirement: ApprovalRequirement;
}

export function identityRef(home: Home, identity: string): IdentityRef {
  return { issuer: `signet:${home.config.origin}`, subject: identity };
}

const DRAFT_ID_PATTERN = /^draft-[0-9a-f]{16}$/;
/** Largest inputs object a submit reads: a prepared one is a few KiB; anything else is not one. */
const MAX_INPUTS_BYTES = MAX_JSON_INPUT_BYTES;
/**
 * The fields of the inputs that depend on the log and the registrations when they are frozen: if one of
 * them differs when a prepared proposal is submitted, the log (or a registration) moved in between.
 */
const MOVABLE_FIELDS: readonly string[] = [
  'route',
  'bandsForNext',
  'previous',
  'model',
  'dataset',
  'monitoring',
];

/**
 * Proposes as `signet propose` does: prepares the proposal from the files, signs the request statement
 * with the requester's key, and submits it. Over HTTP the same two steps run with the signature made by
 * the caller in between.
 */
export async function propose(home: Home, options: ProposeOptions): Promise<ProposeResult> {
  const prepared = await prepareProposal(home, {
    ...refsOf(options),
    ...(await readProposalFiles(options)),
    as: { identity: options.as.identity, keyId: options.as.signer.keyId },
  });
  return submitProposal(home, {
    inputsDigest: prepared.inputsDigest,
    signature: signRequest(prepared.inputsDigest, options.as.signer),
    as: options.as.identity,
  });
}

/** Reads the request, the metrics and the explanations (named by their file names) of `signet propose`. */
async function readProposalFiles(
  options: Pick<ProposeOptions, 'metricsFile' | 'explanationFiles' | 'requestFile'>,
): Promise<ProposalBytes> {
  const request = await readInput(options.requestFile, '--request');
  const metrics = await readInput(options.metricsFile, '--metrics');
  const explanations = await Promise.all(
    options.explanationFiles.map(async (file) => ({
      name: baseName(file),
      bytes: await readInput(file, '--explanation'),
    })),
  );
  return { metrics, request, explanations };
}

/**
 * Checks a proposal, routes it, fills in the challenger on the low path, refuses a generated request on a
 * material route, stores its files and its frozen inputs object, and says what the requester must sign.
 * No draft exists yet: `submitProposal` makes it once the requester's signature is there. Every problem
 * is reported in one InputError (`details.problems`, and `details.route` once the route is known).
 *
 * @example
 * const prepared = await prepareProposal(home, { model, challenger, dataset, context, metrics, request,
 *   explanations: [{ name: 'shap.json', bytes }], as: { identity: 'alice@bank.example' } });
 * const signature = signRequest(prepared.inputsDigest, signer); // wherever the key is
 * await submitProposal(home, { inputsDigest: prepared.inputsDigest, signature, as: 'alice@bank.example' });
 */
export async function prepareProposal(
  home: Home,
  options: PrepareProposalOptions,
): Promise<PreparedProposal> {
  const frozen = await freezeProposal(home, options, `draft-${randomBytes(8).toString('hex')}`);
  for (const bytes of frozen.objects) await home.objects.put(bytes);
  const inputsDigest = (await home.objects.put(frozen.bytes)).digest;
  return {
    draft: frozen.inputs.draft,
    inputs: frozen.inputs,
    inputsDigest,
    toSign: encodeBase64(serializeRequestStatement(inputsDigest)),
    route: frozen.inputs.route,
    requirement: frozen.requirement,
    challenger: frozen.inputs.challenger.against,
  };
}

/**
 * Makes the draft of a prepared proposal once its requester has signed it: the signature must verify
 * with a key bound to the requester now, the draft must not exist yet, and the stored inputs must be
 * exactly what preparing them gives now. That is checked by freezing them again from what they name,
 * which both catches a log that moved (a route, bands or incumbent that would differ now:
 * STALE_STATEMENT, prepare again) and refuses an inputs object that prepare did not make (anyone may
 * upload objects: DIGEST_MISMATCH). Then the review document is rendered and stored before the draft
 * row exists, so nobody can approve a screen that is not frozen.
 */
export async function submitProposal(home: Home, options: SubmitProposalOptions): Promise<ProposeResult> {
  assertDigest(options.inputsDigest, 'inputsDigest');
  const inputsDigest = options.inputsDigest;
  const stored = await readPreparedInputs(home, inputsDigest);
  const requester = identityRef(home, options.as);
  const named = stored.inputs.requester;
  if (named.subject !== requester.subject || named.issuer !== requester.issuer) {
    throw new AuthorityError(
      'NOT_AUTHORISED',
      `the proposal ${inputsDigest} was prepared for ${JSON.stringify(named.subject)}, not ${options.as}: only its requester submits it`,
    );
  }
  if (await home.drafts.getDraft(stored.inputs.draft)) throw draftExists(inputsDigest, stored.inputs.draft);
  const publicKey = verifyRequestSignature(inputsDigest, options.signature);
  const keyId = keyIdOf(publicKey);
  const authority = await loadAuthority(home);
  if (!authority.keyAt(options.as, keyId, { size: await home.ledger.size() })) {
    throw new AuthorityError(
      'KEY_NOT_BOUND',
      `the request is signed with key ${keyId}, which is not bound to ${options.as}`,
    );
  }
  // From here on the inputs are the ones preparing gives now, byte for byte.
  const { inputs, requirement } = await refreeze(home, stored, inputsDigest, keyId);
  // The record as verified, rebuilt: nothing else the caller put in it is sealed.
  const signature: Ed25519Signature = {
    scheme: 'ed25519',
    keyId,
    publicKey: encodeBase64(publicKey),
    signature: options.signature.signature,
  };
  const requestSignature = (await home.objects.put(canonicalize(signature))).digest;
  const view = (await home.objects.put(await renderView(home, inputs))).digest;
  try {
    await home.drafts.createDraft({
      id: inputs.draft,
      status: 'open',
      inputs: inputsDigest,
      view,
      requester: options.as,
      model: inputs.model.name,
      context: inputs.context,
      route: inputs.route.materiality,
      tier: inputs.route.tier,
      createdAt: new Date().toISOString(),
      requestSignature,
    });
  } catch (error) {
    // Submitted twice at once: the other one made the draft first.
    if (await home.drafts.getDraft(inputs.draft)) throw draftExists(inputsDigest, inputs.draft, error);
    throw error;
  }
  return {
    draft: inputs.draft,
    view,
    inputs: inputsDigest,
    challenger: inputs.challenger.against,
    route: inputs.route,
    requirement,
  };
}

function draftExists(digest: Digest, draft: string, cause?: unknown): InputError {
  return new InputError('DRAFT_EXISTS', `the proposal ${digest} is draft ${draft} already`, {
    ...(cause !== undefined ? { cause } : {}),
    details: { draft },
  });
}

/** A proposal frozen: its inputs object, its bytes, the objects it names, and what its route needs. */
interface FrozenProposal {
  readonly inputs: DraftInputs;
  readonly bytes: Uint8Array;
  /** The request, the metrics report and the explanations, to be stored under their digests. */
  readonly objects: readonly Uint8Array[];
  readonly requirement: ApprovalRequirement;
}

/**
 * Everything `signet propose` decides before it stores anything: the checks, the route, the challenger,
 * the generated-request refusal, and the inputs object of draft `id`. Objects are named by the digests
 * of their bytes; nothing is written.
 */
async function freezeProposal(
  home: Home,
  options: PrepareProposalOptions,
  id: string,
): Promise<FrozenProposal> {
  const problems: SourcedProblem[] = [];
  const problem = (source: string, message: string): void =>
    void problems.push({ source, path: '', message });
  if (!CONTEXT_PATTERN.test(options.context)) {
    problem('--context', CONTEXT_RULE);
  }
  const featurePipeline = options.featurePipeline;
  if (featurePipeline !== undefined && !isDigest(featurePipeline)) {
    problem('--feature-pipeline', 'must be the entry id of a feature-pipeline promotion (sha256:…)');
  }
  const model = await findRegistered<ModelRegistration>(home, 'model', options.model, '--model', problem);
  const dataset = await findRegistered<DatasetRegistration>(
    home,
    'dataset',
    options.dataset,
    '--dataset',
    problem,
  );

  let parsed: ProposalInputs | undefined;
  try {
    parsed = assertProposalInputs({
      dataset: options.dataset,
      metrics: options.metrics,
      request: options.request,
      explanations: options.explanations,
    });
  } catch (error) {
    const listed =
      error instanceof InputError ? (error.details?.['problems'] as SourcedProblem[] | undefined) : undefined;
    if (!listed) throw error;
    problems.push(...listed);
  }
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  const identity = options.as.identity;
  if (!authority.hasAnyKey(identity, { size })) {
    problem('--as', `${identity} has no bound key: an admin must run \`signet identity bind\` first`);
  } else if (options.as.keyId !== undefined && !authority.keyAt(identity, options.as.keyId, { size })) {
    problem('--as', `the key in your keys folder is not the key bound to ${identity}`);
  }
  // Route by rule (DESIGN invariant 8) when a policy is in force; before the first policy entry, every
  // promotion takes the default route. Without a model or readable metrics the route is unknown, and
  // what depends on it waits until the other problems are fixed.
  const inForce = await findPolicyInForce(home, authority, size);
  let routed: Routed | undefined;
  if (inForce && model && parsed) {
    routed = await routeCandidate(
      home,
      inForce,
      model.record,
      parsed.metrics.candidate,
      options.context,
      featurePipeline !== undefined && isDigest(featurePipeline) ? featurePipeline : undefined,
    );
  }
  const route = inForce ? routed?.route : DEFAULT_ROUTE;
  const previous = model ? await findPreviousPromotion(home, model.record.name) : undefined;
  const challenger =
    options.challenger !== undefined
      ? await resolveChallenger(home, options.challenger, problem)
      : await fillInChallenger(home, route, model?.record.name, previous, problem);
  if (route?.materiality === 'material' && isGeneratedRequest(options.request)) {
    problem(
      '--request',
      "a material promotion's request must be written by a person, and this one was generated by `signet promote`",
    );
  }
  const reference =
    model && dataset
      ? await freezeReference(home, model.record, dataset.record, options.scoreColumn, problem)
      : undefined;
  assertProposable(problems, route);
  if (!parsed || !model || !dataset || !challenger || !route)
    throw new InputError('INVALID_ARGUMENT', 'the proposal is incomplete');

  const report = canonicalize(parsed.metrics);
  const explanations = parsed.explanations.map((detected, i) => ({
    kind: detected.kind,
    mediaType: detected.mediaType,
    digest: digestOfBytes(options.explanations[i]!.bytes),
    name: detected.name,
  }));
  const inputs: DraftInputs = {
    type: DRAFT_INPUTS_TYPE,
    draft: id,
    model: {
      name: model.record.name,
      digest: model.record.digest,
      ...(model.record.manifest ? { manifest: model.record.manifest } : {}),
      class: model.record.class,
      hyperparameterFamily: model.record.hyperparameterFamily,
      ...(model.record.hyperparameters ? { hyperparameters: model.record.hyperparameters } : {}),
      ...(model.record.inputContract ? { inputContract: model.record.inputContract } : {}),
      ...(featurePipeline !== undefined && isDigest(featurePipeline) ? { featurePipeline } : {}),
      registration: model.registration,
    },
    challenger: {
      ...challenger,
      evaluationSet: parsed.metrics.dataset,
      metrics: { candidate: parsed.metrics.candidate, challenger: parsed.metrics.challenger },
      report: digestOfBytes(report),
    },
    request: digestOfBytes(options.request),
    requester: identityRef(home, identity),
    explanations,
    dataset: {
      digest: dataset.record.digest,
      label: dataset.record.label,
      format: dataset.record.format,
      ...(dataset.record.rows !== undefined ? { rows: dataset.record.rows } : {}),
      ...(dataset.record.manifest ? { manifest: dataset.record.manifest } : {}),
      registration: dataset.registration,
    },
    context: options.context,
    route,
    ...(routed ? { bandsForNext: routed.decision.bandsForNext } : {}),
    ...(parsed.metrics.higherIsBetter ? { higherIsBetter: parsed.metrics.higherIsBetter } : {}),
    ...(previous ? { previous } : {}),
    ...(reference ? { monitoring: reference.monitoring } : {}),
  };
  return {
    inputs,
    bytes: serializeDraftInputs(inputs),
    objects: [
      options.request,
      report,
      ...options.explanations.map((e) => e.bytes),
      ...(reference ? [reference.bytes] : []),
    ],
    requirement: inForce
      ? requirementOfRoute(route, model.record.name, inForce.policy)
      : APPROVER_REQUIREMENT,
  };
}

/** A stored inputs object as a submit reads it: the bytes, and the fields a re-freeze starts from. */
interface StoredInputs {
  readonly bytes: Uint8Array;
  readonly inputs: DraftInputs;
}

/**
 * The inputs object a submit names (attacker-controlled: anyone may upload an object), checked only as
 * far as reading the references out of it needs; `refreeze` checks the rest by building it again.
 */
async function readPreparedInputs(home: Home, digest: Digest): Promise<StoredInputs> {
  const notPrepared = (why: string): InputError =>
    new InputError(
      'NOT_FOUND',
      `no prepared proposal ${digest} (${why}): prepare the proposal first and sign what it returns`,
      { details: { digest } },
    );
  if (!(await home.objects.has(digest))) throw notPrepared('no such object');
  const bytes = await readObjectWithin(home.objects, digest, MAX_INPUTS_BYTES);
  if (!bytes) throw notPrepared('the object is larger than any inputs object');
  let value: unknown;
  try {
    value = parseJson(bytes, 'the inputs object');
  } catch (error) {
    if (error instanceof InputError) throw notPrepared('the object is not JSON');
    throw error;
  }
  // Attacker-controlled: any member may be missing or of any type.
  const at = (...path: string[]): unknown =>
    path.reduce<unknown>((inner, key) => (isRecord(inner) ? inner[key] : undefined), value);
  const digestOrAbsent = (inner: unknown): boolean => inner === undefined || isDigest(inner);
  const draft = at('draft');
  const explanations = at('explanations');
  const wellFormed =
    at('type') === DRAFT_INPUTS_TYPE &&
    typeof draft === 'string' &&
    DRAFT_ID_PATTERN.test(draft) &&
    typeof at('requester', 'issuer') === 'string' &&
    typeof at('requester', 'subject') === 'string' &&
    isDigest(at('model', 'digest')) &&
    digestOrAbsent(at('model', 'featurePipeline')) &&
    isDigest(at('dataset', 'digest')) &&
    typeof at('context') === 'string' &&
    isRecord(at('route')) &&
    isDigest(at('challenger', 'report')) &&
    isDigest(at('challenger', 'against', 'digest')) &&
    digestOrAbsent(at('challenger', 'against', 'entry')) &&
    isDigest(at('request')) &&
    Array.isArray(explanations) &&
    explanations.every((e) => isRecord(e) && typeof e['name'] === 'string' && isDigest(e['digest']));
  if (!wellFormed) throw notPrepared(`the object is not a ${DRAFT_INPUTS_TYPE} inputs object`);
  return { bytes, inputs: value as DraftInputs };
}

/**
 * Freezes a stored inputs object again from what it names, now, and checks that the result is the same
 * bytes. A difference in a field that depends on the log is a log that moved; any other is an inputs
 * object that prepare did not make.
 */
async function refreeze(
  home: Home,
  stored: StoredInputs,
  digest: Digest,
  keyId: string,
): Promise<FrozenProposal> {
  const { inputs } = stored;
  // The same object named twice is read once.
  const read = new Map<Digest, Promise<Uint8Array>>();
  const get = (d: Digest): Promise<Uint8Array> => {
    let bytes = read.get(d);
    if (!bytes) read.set(d, (bytes = home.objects.get(d)));
    return bytes;
  };
  const against = inputs.challenger.against;
  let frozen: FrozenProposal;
  try {
    frozen = await freezeProposal(
      home,
      {
        model: inputs.model.digest,
        challenger: against.entry ?? against.digest,
        dataset: inputs.dataset.digest,
        context: inputs.context,
        ...(inputs.model.featurePipeline !== undefined
          ? { featurePipeline: inputs.model.featurePipeline }
          : {}),
        ...(inputs.monitoring?.scoreColumn !== undefined
          ? { scoreColumn: inputs.monitoring.scoreColumn }
          : {}),
        metrics: await get(inputs.challenger.report),
        request: await get(inputs.request),
        explanations: await Promise.all(
          inputs.explanations.map(async (e) => ({ name: e.name, bytes: await get(e.digest) })),
        ),
        as: { identity: inputs.requester.subject, keyId },
      },
      inputs.draft,
    );
  } catch (error) {
    const route = error instanceof InputError ? error.details?.['route'] : undefined;
    if (route !== undefined && !sameJson(route, inputs.route)) {
      throw staleProposal(digest, ['route'], inputs.route, route as RouteRef);
    }
    if (error instanceof InputError && error.code === 'INVALID_ARGUMENT') {
      throw new VerificationError(
        'DIGEST_MISMATCH',
        `${digest} is not a proposal that prepare made: freezing what it names again fails (${error.message})`,
        { cause: error, details: { ...error.details, digest } },
      );
    }
    throw error;
  }
  if (equalBytes(frozen.bytes, stored.bytes)) return frozen;
  const now = frozen.inputs as unknown as Record<string, unknown>;
  const then = inputs as unknown as Record<string, unknown>;
  const differs = [...new Set([...Object.keys(now), ...Object.keys(then)])]
    .filter((key) => !sameJson(now[key], then[key]))
    .sort();
  const moved = differs.filter((key) => MOVABLE_FIELDS.includes(key));
  if (moved.length > 0) throw staleProposal(digest, moved, inputs.route, frozen.inputs.route);
  throw new VerificationError(
    'DIGEST_MISMATCH',
    `${digest} is not a proposal that prepare made: freezing what it names again gives ${digestOfBytes(frozen.bytes)}` +
      (differs.length > 0 ? ` (${differs.join(', ')} differ)` : ' (the same fields, encoded otherwise)'),
    { details: { digest, expected: digestOfBytes(frozen.bytes), differs } },
  );
}

function staleProposal(
  digest: Digest,
  moved: readonly string[],
  then: RouteRef,
  now: RouteRef,
): AuthorityError {
  const fields = MOVABLE_FIELDS.filter((field) => moved.includes(field));
  const routed = sameJson(now, then)
    ? ''
    : ` (routed ${describeRoute(now)} now, ${describeRoute(then)} when prepared)`;
  return new AuthorityError(
    'STALE_STATEMENT',
    `the log moved since proposal ${digest} was prepared: its ${fields.join(', ')} would differ now${routed}. Prepare it again and sign that`,
    { details: { digest, differs: fields, route: now } },
  );
}

function describeRoute(route: RouteRef): string {
  return `${route.materiality}, tier ${route.tier}, ${route.policy !== undefined ? `by policy ${route.policy}` : 'with no policy in force'}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return equalBytes(canonicalize(a), canonicalize(b));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function refsOf(options: ProposalRefs): ProposalRefs {
  return {
    model: options.model,
    ...(options.challenger !== undefined ? { challenger: options.challenger } : {}),
    dataset: options.dataset,
    context: options.context,
    ...(options.featurePipeline !== undefined ? { featurePipeline: options.featurePipeline } : {}),
    ...(options.scoreColumn !== undefined ? { scoreColumn: options.scoreColumn } : {}),
  };
}

/**
 * Throws the proposal's problems as one InputError; the route goes with them in `details.route` when it
 * is known, so a caller can tell "material now" from bad input (`signet promote` does).
 */
function assertProposable(problems: readonly SourcedProblem[], route: RouteRef | undefined): void {
  try {
    assertNoProblems(problems);
  } catch (error) {
    if (!(error instanceof InputError) || route === undefined) throw error;
    throw new InputError(error.code, error.message, { details: { ...error.details, route } });
  }
}

/** Renders the review document of a draft from its frozen inputs and the objects they name. */
export async function renderView(home: Home, inputs: DraftInputs): Promise<Uint8Array> {
  const markdown = Buffer.from(await home.objects.get(inputs.request)).toString('utf8');
  const explanations = [];
  for (const ref of inputs.explanations)
    explanations.push({ ref, bytes: await home.objects.get(ref.digest) });
  return renderReview({
    draft: inputs.draft,
    model: inputs.model,
    context: inputs.context,
    request: { markdown, digest: inputs.request, author: inputs.requester },
    challenger: inputs.challenger,
    ...(inputs.higherIsBetter ? { higherIsBetter: inputs.higherIsBetter } : {}),
    explanations,
    dataset: inputs.dataset,
    route: inputs.route,
  });
}

export { RENDERER_VERSION };

function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] ?? file;
}

/** A registered model or dataset by digest; a problem (and undefined) when it is not one. */
export async function findRegistered<T extends ModelRegistration | DatasetRegistration>(
  home: Home,
  kind: 'model' | 'dataset',
  digest: string,
  source: string,
  problem: (source: string, message: string) => void,
): Promise<{ registration: Digest; record: T } | undefined> {
  if (!isDigest(digest)) {
    problem(source, 'must be "sha256:" followed by 64 lowercase hex digits');
    return undefined;
  }
  const row = await home.drafts.findRegistration(kind, digest);
  if (!row) {
    problem(source, `${digest} is not registered: run \`signet ${kind} register\` first`);
    return undefined;
  }
  const type = kind === 'model' ? MODEL_REGISTRATION_TYPE : DATASET_REGISTRATION_TYPE;
  return { registration: row.registration, record: await readRegistration<T>(home, row.registration, type) };
}

/** `--challenger`: the entry id of a promotion (the incumbent) or the digest of a registered model. */
async function resolveChallenger(
  home: Home,
  ref: string,
  problem: (source: string, message: string) => void,
): Promise<Pick<ChallengerRef, 'against'> | undefined> {
  if (!isDigest(ref)) {
    problem('--challenger', 'must be a promotion entry id or a registered model digest (sha256:…)');
    return undefined;
  }
  const stored = await home.ledger.find(ref);
  if (stored) {
    const entry = openEntry(stored.envelope, home.logPublicKey);
    if (entry.kind !== PROMOTION_KIND) {
      problem('--challenger', `entry ${ref} is a ${entry.kind} entry, not a model promotion`);
      return undefined;
    }
    const promotion = readPromotion(entry.statement.predicate);
    return { against: { kind: 'incumbent', entry: entry.id, digest: promotion.model.digest } };
  }
  if (await home.drafts.findRegistration('model', ref)) return { against: { kind: 'baseline', digest: ref } };
  problem('--challenger', `${ref} is neither a promotion entry nor a registered model`);
  return undefined;
}

/**
 * No `--challenger`: on the low path the incumbent, resolved exactly as if its promotion entry id had
 * been given. A material promotion (or any promotion while no policy is in force, or a first one) must
 * name its challenger. Nothing is reported while the route is unknown (the other problems come first).
 */
async function fillInChallenger(
  home: Home,
  route: RouteRef | undefined,
  modelName: string | undefined,
  previous: Digest | undefined,
  problem: (source: string, message: string) => void,
): Promise<Pick<ChallengerRef, 'against'> | undefined> {
  if (route === undefined) return undefined;
  if (route.policy !== undefined && route.materiality === 'low' && previous !== undefined) {
    return resolveChallenger(home, previous, problem);
  }
  const why =
    route.policy === undefined
      ? 'no materiality policy is in force, so every promotion is material'
      : route.materiality === 'material'
        ? `this one is routed material (${route.reasons.join('; ')})`
        : `${modelName ?? 'the model'} has no previous promotion to fill in`;
  problem(
    '--challenger',
    `a material promotion must name its challenger: ${why}; pass the incumbent's promotion entry id or a registered baseline model digest`,
  );
  return undefined;
}

/** The latest promotion entry of a model name that was not revoked, if any. */
export async function findPreviousPromotion(home: Home, modelName: string): Promise<Digest | undefined> {
  const ids: Digest[] = [];
  const revoked = new Set<unknown>();
  for await (const stored of home.ledger.entriesOfKinds([PROMOTION_KIND, REVOCATION_KIND])) {
    const entry = openEntry(stored.envelope, home.logPublicKey);
    if (entry.kind === REVOCATION_KIND) revoked.add(entry.statement.predicate['promotion']);
    else if (readPromotion(entry.statement.predicate).model.name === modelName) ids.push(entry.id);
  }
  // The latest that was not withdrawn: a revoked promotion is not the incumbent.
  return ids.filter((id) => !revoked.has(id)).pop();
}
