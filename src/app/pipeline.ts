// Proposing a feature-pipeline promotion: the pipeline code is hashed, its output contract checked and
// stored, the proposal routed by the same engine as a model's (a contract change is material), the review
// document rendered and stored before the draft exists. Approving, rejecting and sealing then go through
// the same drafts, statements and signatures as a model promotion (decide.ts).
import { randomBytes } from 'node:crypto';

import { InputError } from '../errors.js';
import { openEntry } from '../ledger/entry.js';
import { evaluatePipelinePolicy, PIPELINE_RULE_NAMES, toRouteRef, type LedgerView } from '../policy/index.js';
import { signRequest } from '../promotion/draft.js';
import {
  assertNoProblems,
  collectProblems,
  parseInputContract,
  type SourcedProblem,
} from '../promotion/inputs.js';
import {
  PIPELINE_DRAFT_TYPE,
  PIPELINE_PROMOTION_KIND,
  PIPELINE_REGISTRATION_TYPE,
  readPipelinePromotion,
  type PipelineDraftInputs,
  type PipelinePromotionPredicate,
} from '../promotion/pipeline.js';
import type { RouteRef } from '../promotion/types.js';
import { renderPipelineReview } from '../review/pipeline.js';
import { canonicalize, parseJson } from '../signing/canonical-json.js';
import type { Digest } from '../signing/digest.js';
import {
  APPROVER_REQUIREMENT,
  requirementOfRoute,
  type ApprovalRequirement,
} from '../gate/verify-promotion.js';
import { loadAuthority } from './authority.js';
import { hashArtefact } from './hash-artefact.js';
import type { Home } from './home.js';
import { findPolicyInForce } from './policy.js';
import { CONTEXT_PATTERN, CONTEXT_RULE, DEFAULT_ROUTE, identityRef, type Actor } from './promote.js';
import { assertName, readInput } from './register.js';
import { readContract } from './route.js';

export interface PipelineRegistration {
  readonly type: typeof PIPELINE_REGISTRATION_TYPE;
  readonly name: string;
  readonly digest: Digest;
  readonly artefact: 'file' | 'directory';
  readonly size: number;
  readonly fileCount: number;
  readonly manifest?: Digest;
  readonly outputContract: Digest;
}

export interface ProposePipelineOptions {
  /** The pipeline code: a file or a folder. */
  readonly path: string;
  readonly name: string;
  readonly outputContractFile: string;
  readonly requestFile: string;
  readonly context: string;
  readonly as: Actor;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ProposePipelineResult {
  readonly draft: string;
  readonly view: Digest;
  readonly inputs: Digest;
  readonly pipeline: Digest;
  readonly outputContract: Digest;
  readonly route: RouteRef;
  readonly requirement: ApprovalRequirement;
}

export async function proposePipeline(
  home: Home,
  options: ProposePipelineOptions,
): Promise<ProposePipelineResult> {
  assertName(options.name, '--name');
  // Every input is checked before anything is stored, and every problem is reported at once.
  const problems: SourcedProblem[] = [];
  const problem = (source: string, message: string): void =>
    void problems.push({ source, path: '', message });
  if (!CONTEXT_PATTERN.test(options.context)) problem('--context', CONTEXT_RULE);
  const contractBytes = await readInput(options.outputContractFile, '--output-contract');
  collectProblems(problems, '--output-contract', parseInputContract(contractBytes));
  const requestBytes = await readInput(options.requestFile, '--request');
  if (Buffer.from(requestBytes).toString('utf8').trim().length === 0) {
    problem('--request', 'the request is empty: say why this pipeline version should be promoted');
  }
  const authority = await loadAuthority(home);
  const size = await home.ledger.size();
  if (!authority.hasAnyKey(options.as.identity, { size })) {
    problem(
      '--as',
      `${options.as.identity} has no bound key: an admin must run \`signet identity bind\` first`,
    );
  } else if (!authority.keyAt(options.as.identity, options.as.signer.keyId, { size })) {
    problem('--as', `the key in your keys folder is not the key bound to ${options.as.identity}`);
  }
  assertNoProblems(problems);

  const hashed = await hashArtefact(
    options.path,
    options.onProgress ? { onProgress: options.onProgress } : {},
  );
  if (hashed.kind === 'directory') await home.objects.put(hashed.manifest);
  const outputContract = (await home.objects.put(canonicalize(parseJson(contractBytes, '--output-contract'))))
    .digest;
  const record: PipelineRegistration = {
    type: PIPELINE_REGISTRATION_TYPE,
    name: options.name,
    digest: hashed.digest,
    artefact: hashed.kind,
    size: hashed.size,
    fileCount: hashed.fileCount,
    ...(hashed.kind === 'directory' ? { manifest: hashed.digest } : {}),
    outputContract,
  };
  const registration = (await home.objects.put(canonicalize(record))).digest;
  const request = (await home.objects.put(requestBytes)).digest;

  const history = await pipelineHistory(home, options.name);
  const inForce = await findPolicyInForce(home, authority, size);
  let route = DEFAULT_ROUTE;
  if (inForce) {
    const contract = await readContract(home, outputContract);
    const view: LedgerView = {
      ...(history.latest
        ? {
            previous: {
              entry: history.latest.id,
              class: 'feature-pipeline',
              family: 'feature-pipeline',
              ...(history.latestContract ? { inputContract: history.latestContract } : {}),
              metrics: {},
              route: history.latest.promotion.route.materiality,
            },
          }
        : {}),
      approvedContexts: history.contexts,
      populationShifts: [],
    };
    const decision = evaluatePipelinePolicy(inForce.policy, view, {
      modelName: options.name,
      modelDigest: hashed.digest,
      class: 'feature-pipeline',
      family: 'feature-pipeline',
      ...(contract ? { inputContract: contract } : {}),
      context: options.context,
      metrics: {},
    });
    route = toRouteRef(decision, inForce.record.policy, PIPELINE_RULE_NAMES);
  }

  const id = `draft-${randomBytes(8).toString('hex')}`;
  const inputs: PipelineDraftInputs = {
    type: PIPELINE_DRAFT_TYPE,
    draft: id,
    pipeline: {
      name: options.name,
      digest: hashed.digest,
      ...(hashed.kind === 'directory' ? { manifest: hashed.digest } : {}),
      outputContract,
      registration,
    },
    request,
    requester: identityRef(home, options.as.identity),
    context: options.context,
    route,
    ...(history.latest ? { previous: history.latest.id } : {}),
  };
  const inputsDigest = (await home.objects.put(canonicalize(inputs))).digest;
  const requestSignature = signRequest(inputsDigest, options.as.signer);
  const requestSignatureObject = (await home.objects.put(canonicalize(requestSignature))).digest;
  // The view is stored before the draft exists, so nobody can approve a screen that is not frozen.
  const view = (await home.objects.put(await renderPipelineView(home, inputs))).digest;
  await home.drafts.createDraft({
    id,
    status: 'open',
    inputs: inputsDigest,
    view,
    requester: options.as.identity,
    model: options.name,
    context: options.context,
    route: route.materiality,
    tier: route.tier,
    createdAt: new Date().toISOString(),
    requestSignature: requestSignatureObject,
  });
  const requirement = inForce
    ? requirementOfRoute(route, options.name, inForce.policy)
    : APPROVER_REQUIREMENT;
  return {
    draft: id,
    view,
    inputs: inputsDigest,
    pipeline: hashed.digest,
    outputContract,
    route,
    requirement,
  };
}

/** Renders the review document of a pipeline draft from its frozen inputs and the objects they name. */
export async function renderPipelineView(home: Home, inputs: PipelineDraftInputs): Promise<Uint8Array> {
  const markdown = Buffer.from(await home.objects.get(inputs.request)).toString('utf8');
  const contract = parseInputContract(await home.objects.get(inputs.pipeline.outputContract));
  if (!contract.ok) {
    throw new InputError(
      'INVALID_JSON',
      `the output contract ${inputs.pipeline.outputContract} is not a valid contract`,
    );
  }
  return renderPipelineReview({
    draft: inputs.draft,
    pipeline: inputs.pipeline,
    context: inputs.context,
    request: { markdown, digest: inputs.request, author: inputs.requester },
    outputContract: contract.value,
    route: inputs.route,
    ...(inputs.previous ? { previous: inputs.previous } : {}),
  });
}

interface PipelineHistory {
  readonly latest?: { readonly id: Digest; readonly promotion: PipelinePromotionPredicate };
  readonly latestContract?: Awaited<ReturnType<typeof readContract>>;
  readonly contexts: string[];
}

/** The sealed promotions of a pipeline name: the latest (with its output contract) and every context. */
async function pipelineHistory(home: Home, name: string): Promise<PipelineHistory> {
  let latest: PipelineHistory['latest'];
  const contexts = new Set<string>();
  for await (const stored of home.ledger.entriesOfKinds([PIPELINE_PROMOTION_KIND])) {
    const entry = openEntry(stored.envelope, home.logPublicKey);
    const promotion = readPipelinePromotion(entry.statement.predicate);
    if (promotion.pipeline.name !== name) continue;
    latest = { id: entry.id, promotion };
    contexts.add(promotion.context);
  }
  if (!latest) return { contexts: [...contexts] };
  const latestContract = await readContract(home, latest.promotion.pipeline.outputContract);
  return { latest, ...(latestContract ? { latestContract } : {}), contexts: [...contexts] };
}
