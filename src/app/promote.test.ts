// Proposing by route, in process on one home built through the app layer: without a policy every
// promotion must name its challenger; a generated request on a material draft is refused at approval
// (GENERATED_REQUEST) and nothing is recorded; `signet promote` that routed low a moment ago and finds
// the promotion material when it proposes makes no draft and says what a person must do. The tests run in
// order on the same home: each adds to the log what the next one expects.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { REQUEST, SVG } from '../../test/helpers/texts.js';
import { EXIT_NO, InputError, exitCodeOf, isSignetError } from '../errors.js';
import { predicateTypeOf, subjectOf } from '../ledger/entry.js';
import { createApproval } from '../promotion/approval.js';
import {
  createApprovalStatement,
  serializeDraftInputs,
  signRequest,
  type DraftInputs,
} from '../promotion/draft.js';
import type { SourcedProblem } from '../promotion/inputs.js';
import { GENERATED_REQUEST_MARKER, isGeneratedRequest } from '../promotion/request.js';
import { canonicalize } from '../signing/canonical-json.js';
import type { Digest } from '../signing/digest.js';
import { createSigner, generateKeyPair, type Signer } from '../signing/keys.js';
import { bindIdentity, grantRole, loadAuthority } from './authority.js';
import { approve, openDraft, submitApproval } from './decide.js';
import type { Home } from './home.js';
import { initHome } from './init.js';
import { applyPolicy } from './policy.js';
import {
  DEFAULT_ROUTE,
  identityRef,
  propose,
  renderView,
  type Actor,
  type ProposeOptions,
} from './promote.js';
import { promoteCi } from './promote-ci.js';
import { POPULATION_SHIFT_KIND } from './route.js';
import { registerDataset, registerModel } from './register.js';
import { tryRoute } from './try-route.js';
import type * as TryRouteModule from './try-route.js';

// Routing is real; the mock only lets a test move the log between routing and proposing.
vi.mock('./try-route.js', async (importOriginal) => {
  const actual = await importOriginal<typeof TryRouteModule>();
  return { ...actual, tryRoute: vi.fn(actual.tryRoute) };
});

const MODEL = 'credit';
const CONTEXT = 'retail-credit/uk';
const POLICY_YAML = `version: 1
defaults:
  bands:
    auc: { absolute: { down: 0.02, up: 0.05 } }
  committeeBands:
    auc: { absolute: { down: 0.03 } }
  psi: { warn: 0.1, material: 0.25 }
  tier: standard
  oncallRole: oncall
  contexts: [${CONTEXT}]
tiers:
  standard:
    committee: { roles: [model-risk, credit-risk], quorum: 2 }
`;

let root: string;
let home: Home;
const people: Record<string, Actor> = {};
let files: {
  v2: string;
  contract: string;
  csv: string;
  metricsV1: string;
  metricsV2: string;
  request: string;
  generated: string;
  svg: string;
};
let digests: { baseline: Digest; v1: Digest; dataset: Digest };
/** What propose said before any policy was in force, without --challenger and with a generated request. */
let noPolicy: unknown;
/** The first promotion (v1, material), proposed by alice and sealed by mia and carl. */
let firstDraft: string;

async function write(file: string, content: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

function actor(identity: string): Actor {
  const pair = generateKeyPair();
  const signer: Signer = createSigner(pair.privatePem);
  return (people[identity] = { identity, signer });
}

function proposal(model: string, metrics: string, extra: Partial<ProposeOptions> = {}): ProposeOptions {
  return {
    model,
    dataset: digests.dataset,
    metricsFile: metrics,
    explanationFiles: [files.svg],
    requestFile: files.request,
    context: CONTEXT,
    as: people['alice']!,
    ...extra,
  };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

function problemsOf(error: unknown): SourcedProblem[] {
  expect(error).toBeInstanceOf(InputError);
  return ((error as InputError).details?.['problems'] ?? []) as SourcedProblem[];
}

/** A new open draft with the inputs of `from`, its request replaced by `request`: as propose writes one. */
async function draftLike(from: string, request: string): Promise<string> {
  const { inputs } = await openDraft(home, from);
  const id = `draft-${randomBytes(8).toString('hex')}`;
  const copy: DraftInputs = {
    ...inputs,
    draft: id,
    request: (await home.objects.put(new TextEncoder().encode(request))).digest,
  };
  const inputsDigest = (await home.objects.put(serializeDraftInputs(copy))).digest;
  const signature = signRequest(inputsDigest, people['alice']!.signer);
  await home.drafts.createDraft({
    id,
    status: 'open',
    inputs: inputsDigest,
    view: (await home.objects.put(await renderView(home, copy))).digest,
    requester: 'alice',
    model: copy.model.name,
    context: copy.context,
    route: copy.route.materiality,
    tier: copy.route.tier,
    createdAt: new Date().toISOString(),
    requestSignature: (await home.objects.put(canonicalize(signature))).digest,
  });
  return id;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'signet-propose-'));
  const admin = actor('admin');
  ({ home } = await initHome(path.join(root, 'home'), {
    admin: { identity: 'admin', publicKey: admin.signer.publicKey },
  }));
  for (const id of ['alice', 'mia', 'carl', 'oscar']) {
    await bindIdentity(home, id, actor(id).signer.publicKey, admin);
  }
  await grantRole(home, { identity: 'oscar', role: 'oncall', model: MODEL }, admin);
  await grantRole(home, { identity: 'mia', role: 'model-risk' }, admin);
  await grantRole(home, { identity: 'carl', role: 'credit-risk' }, admin);

  const dir = path.join(root, 'inputs');
  const contract = await write(
    path.join(dir, 'contract.json'),
    JSON.stringify({ features: [{ name: 'age', type: 'integer' }] }),
  );
  const model = async (name: string, weights: number[]): Promise<string> =>
    write(path.join(dir, `${name}.json`), JSON.stringify({ weights }) + '\n');
  const register = async (file: string): Promise<Digest> =>
    (
      await registerModel(home, file, {
        name: MODEL,
        class: 'logistic-regression',
        inputContractFile: contract,
      })
    ).record.digest;
  const csv = await write(path.join(dir, 'eval.csv'), 'age,default\n31,0\n23,1\n');
  const dataset = (await registerDataset(home, csv, { label: 'eval.csv' })).record.digest;
  const metrics = (candidate: number, challenger: number): string =>
    JSON.stringify({ dataset, candidate: { auc: candidate }, challenger: { auc: challenger } });
  files = {
    v2: await model('v2', [0.41]),
    contract,
    csv,
    metricsV1: await write(path.join(dir, 'metrics-v1.json'), metrics(0.8, 0.78)),
    // Inside v1's band (auc down 0.02, up 0.05): low, unless the log says otherwise.
    metricsV2: await write(path.join(dir, 'metrics-v2.json'), metrics(0.81, 0.8)),
    request: await write(path.join(dir, 'request.md'), REQUEST),
    generated: await write(path.join(dir, 'generated.md'), `${GENERATED_REQUEST_MARKER}\n\n${REQUEST}`),
    svg: await write(path.join(dir, 'importance.svg'), SVG),
  };
  digests = {
    baseline: await register(await model('baseline', [0.1])),
    v1: await register(await model('v1', [0.4])),
    dataset,
  };

  noPolicy = await caught(
    propose(home, proposal(digests.v1, files.metricsV1, { requestFile: files.generated })),
  );

  await applyPolicy(home, await write(path.join(dir, 'policy.yaml'), POLICY_YAML), admin);
  firstDraft = (await propose(home, proposal(digests.v1, files.metricsV1, { challenger: digests.baseline })))
    .draft;
  await approve(home, firstDraft, people['mia']!);
  expect((await approve(home, firstDraft, people['carl']!)).sealed).toBeDefined();
});

afterAll(async () => {
  await home?.close();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe('isGeneratedRequest', () => {
  it('is true when the request starts with the marker (after a BOM or blank lines), false otherwise', () => {
    const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
    expect(isGeneratedRequest(bytes(`${GENERATED_REQUEST_MARKER}\n\n${REQUEST}`))).toBe(true);
    expect(isGeneratedRequest(bytes(`\uFEFF\n  ${GENERATED_REQUEST_MARKER}\n${REQUEST}`))).toBe(true);
    expect(isGeneratedRequest(bytes(REQUEST))).toBe(false);
    // Quoted further down by a person, it does not make the request generated.
    expect(isGeneratedRequest(bytes(`${REQUEST}\n> ${GENERATED_REQUEST_MARKER}\n`))).toBe(false);
    expect(isGeneratedRequest(new Uint8Array([0xff, 0xfe, 0x5f]))).toBe(false);
  });
});

describe('propose', () => {
  it('without a policy in force, every promotion must name its challenger and have a request by a person', () => {
    const problems = problemsOf(noPolicy);
    expect(problems.map((p) => p.source)).toEqual(['--challenger', '--request']);
    expect(problems[0]!.message).toContain(
      'a material promotion must name its challenger: no materiality policy is in force',
    );
    expect(problems[1]!.message).toContain('must be written by a person');
    // The route goes with the problems: the default route, which needs an approver.
    expect((noPolicy as InputError).details?.['route']).toEqual(DEFAULT_ROUTE);
  });
});

describe('approving a material draft whose request was generated', () => {
  it('is refused with GENERATED_REQUEST (exit 1), signed here or elsewhere; nothing is recorded', async () => {
    const generated = await draftLike(firstDraft, `${GENERATED_REQUEST_MARKER}\n\n${REQUEST}`);
    const written = await draftLike(firstDraft, REQUEST);
    const size = await home.ledger.size();

    const signedHere = await caught(approve(home, generated, people['mia']!));
    expect(isSignetError(signedHere) && signedHere.code).toBe('GENERATED_REQUEST');
    expect(exitCodeOf(signedHere)).toBe(EXIT_NO);

    // An approval signed elsewhere, valid in every other respect, is refused as well.
    const { draft, inputs } = await openDraft(home, generated);
    const statement = createApprovalStatement(
      'approve',
      {
        draft: draft.id,
        view: draft.view,
        model: inputs.model.digest,
        request: inputs.request,
        context: CONTEXT,
      },
      'carl',
      size,
    );
    const approval = createApproval(statement, people['carl']!.signer, identityRef(home, 'carl'), {
      authority: await loadAuthority(home),
      modelName: MODEL,
      requester: 'alice',
      roles: ['model-risk', 'credit-risk'],
      position: { size },
    });
    const relayed = await caught(submitApproval(home, generated, approval));
    expect(isSignetError(relayed) && relayed.code).toBe('GENERATED_REQUEST');

    expect(await home.drafts.listApprovals(generated)).toEqual([]);
    expect((await home.drafts.getDraft(generated))?.status).toBe('open');
    expect(await home.ledger.size()).toBe(size);

    // The same draft with a request a person wrote is approved: the refusal is the generated request's.
    expect(await approve(home, written, people['mia']!)).toMatchObject({ valid: 1, required: 2 });
  });
});

describe('signet promote when the log moves between routing and proposing', () => {
  it('routed low a moment ago, material now: no draft, exit-3 reasons, and a person must write the request', async () => {
    const { tryRoute: realTryRoute } = await vi.importActual<typeof TryRouteModule>('./try-route.js');
    vi.mocked(tryRoute).mockImplementationOnce(async (h, options) => {
      const routed = await realTryRoute(h, options);
      // The monitor flags a population shift right after `promote` routed the candidate.
      await h.ledger.append({
        subject: [subjectOf(MODEL, digests.v1)],
        predicateType: predicateTypeOf(POPULATION_SHIFT_KIND),
        predicate: { model: MODEL, context: CONTEXT, window: '2025-W14', feature: 'age', psi: 0.31 },
      });
      return routed;
    });
    const open = (await home.drafts.listDrafts({ status: 'open' })).length;

    const result = await promoteCi(home, {
      modelPath: files.v2,
      name: MODEL,
      class: 'logistic-regression',
      inputContractFile: files.contract,
      datasetPath: files.csv,
      metricsFile: files.metricsV2,
      explanationFiles: [files.svg],
      context: CONTEXT,
      as: people['oscar']!,
    });

    const routed = await vi.mocked(tryRoute).mock.results.at(-1)!.value;
    expect(routed).toMatchObject({ materiality: 'low' });
    expect(result.materiality).toBe('material');
    expect(result.proposal).toBeUndefined();
    expect(result.challenger).toBeUndefined();
    expect(result.requirement).toMatchObject({ kind: 'committee', quorum: 2 });
    expect(result.reasons.join('\n')).toContain('PSI 0.3100 on age over 2025-W14');
    expect(result.refusal).toContain('material now');
    expect(result.refusal).toContain('its request must be written by a person');
    expect(result.refusal).toContain('its challenger must be named');
    expect((await home.drafts.listDrafts({ status: 'open' })).length).toBe(open);
  });
});
