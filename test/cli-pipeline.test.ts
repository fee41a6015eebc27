// Feature-pipeline promotions end to end through the built `signet` executable: a pipeline promoted
// through its own draft, review and approvals; routed by the same engine (first promotion and a changed
// output contract material, a code change with the same contract low); a model promotion naming its
// pipeline promotion by entry id, routed material when that pipeline changed the contract, is missing
// or revoked; the gate denying a model whose pipeline promotion is revoked; `signet verify` checking
// pipeline promotions like model promotions.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTempHome, expectNoStackTrace, type TempHome } from './helpers/cli.js';
import type { RunResult } from './helpers/dist.js';
import { EXPLANATION_SVG, REQUEST_MARKDOWN } from './helpers/promotion-fixture.js';

const MODEL = 'credit';
const PIPELINE = 'credit-features';
const CONTEXT = 'retail-credit/uk';
const PEOPLE = ['admin', 'alice', 'oscar', 'dana', 'mia', 'carl'] as const;

const POLICY_YAML = `version: 1
defaults:
  bands:
    auc: { absolute: { down: 0.02, up: 0.05 } }
  psi: { warn: 0.1, material: 0.25 }
  tier: standard
  oncallRole: oncall
  contexts: [${CONTEXT}]
tiers:
  standard:
    committee: { roles: [model-risk, credit-risk], quorum: 2 }
  data:
    committee: { roles: [data-governance], quorum: 1 }
models:
  ${PIPELINE}: { tier: data }
`;

const FEATURES = [
  { name: 'age', type: 'integer' },
  { name: 'income', type: 'number' },
];

const PIPELINE_REQUEST = `# credit-features v2

## Justification
Refactors the income parser; the output contract is unchanged.
`;

interface Proposed {
  draft: string;
  view: string;
  route: { materiality: string; tier: string; reasons: string[] };
  requirement: { kind: string; roles: string[]; quorum: number };
}

interface Approved {
  sealed?: { entry: string; index: number };
}

let home: TempHome;
const dir = (): string => path.join(home.root, 'inputs');
const file = (name: string): string => path.join(dir(), name);
let datasetDigest: string;
let modelDigests: { v1: string; v2: string };

async function write(name: string, content: string): Promise<string> {
  await mkdir(path.dirname(file(name)), { recursive: true });
  await writeFile(file(name), content);
  return file(name);
}

async function ok(args: readonly string[]): Promise<string> {
  const result = await home.run(args);
  expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
  expectNoStackTrace(result);
  return result.stdout;
}

async function json<T>(args: readonly string[]): Promise<T> {
  return JSON.parse(await ok([...args, '--json'])) as T;
}

function expectRefused(result: RunResult, exit: 1 | 2, code: string): void {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(exit);
  expect(result.stderr).toContain(`[${code}]`);
  expectNoStackTrace(result);
}

function firstDigest(stdout: string): string {
  const match = /^(sha256:[0-9a-f]{64})\s/.exec(stdout);
  if (!match?.[1]) throw new Error(`no digest at the start of:\n${stdout}`);
  return match[1];
}

async function proposePipeline(code: string, contract: string): Promise<Proposed> {
  return json<Proposed>([
    'pipeline',
    'propose',
    await write(`pipeline/${code}.py`, `# ${code}\ndef features(row):\n    return row\n`),
    '--name',
    PIPELINE,
    '--output-contract',
    contract,
    '--request',
    file('pipeline-request.md'),
    '--context',
    CONTEXT,
    '--as',
    'alice',
  ]);
}

function proposeModel(model: 'v1' | 'v2', pipeline: string, challenger?: string): Promise<RunResult> {
  return home.run([
    'propose',
    '--model',
    modelDigests[model],
    ...(challenger ? ['--challenger', challenger] : []),
    '--dataset',
    datasetDigest,
    '--metrics',
    file(`metrics-${model}.json`),
    '--explanation',
    file('importance.svg'),
    '--request',
    file('request.md'),
    '--context',
    CONTEXT,
    '--feature-pipeline',
    pipeline,
    '--as',
    'alice',
    '--json',
  ]);
}

async function proposedModel(model: 'v1' | 'v2', pipeline: string, challenger?: string): Promise<Proposed> {
  const result = await proposeModel(model, pipeline, challenger);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Proposed;
}

async function sealedBy(draft: string, ...people: string[]): Promise<string> {
  let last: Approved = {};
  for (const person of people) last = await json<Approved>(['approve', draft, '--as', person]);
  expect(last.sealed, `draft ${draft} sealed by ${people.join(', ')}`).toBeDefined();
  return last.sealed!.entry;
}

// The story, built once: P1 (first pipeline promotion, committee), M1 (first model promotion naming P1),
// P2 (a code change with the same contract: low, on-call).
let p1: Proposed;
let p1Entry: string;
let m1Entry: string;
let p2: Proposed;
let p2Entry: string;

beforeAll(async () => {
  home = await createTempHome('signet-pipeline-');
  const keys = path.join(home.root, 'config', 'signet', 'keys');
  for (const id of PEOPLE) await ok(['keys', 'create', '--identity', id]);
  await ok(['init', '--admin', 'admin', '--admin-key', path.join(keys, 'admin.pub.pem')]);
  for (const id of PEOPLE.slice(1)) {
    await ok(['identity', 'bind', id, '--key', path.join(keys, `${id}.pub.pem`), '--as', 'admin']);
  }
  for (const grant of [
    ['oscar', 'oncall', '--model', MODEL],
    ['oscar', 'oncall', '--model', PIPELINE],
    ['dana', 'data-governance'],
    ['mia', 'model-risk'],
    ['carl', 'credit-risk'],
  ]) {
    await ok(['roles', 'grant', ...grant, '--as', 'admin']);
  }
  await ok(['policy', 'apply', await write('policy.yaml', POLICY_YAML), '--as', 'admin']);
  await write('contract.json', JSON.stringify({ features: FEATURES }));
  await write(
    'contract-tenure.json',
    JSON.stringify({ features: [...FEATURES, { name: 'tenure', type: 'integer' }] }),
  );
  await write('pipeline-request.md', PIPELINE_REQUEST);
  await write('request.md', REQUEST_MARKDOWN);
  await write('importance.svg', EXPLANATION_SVG);
  const register = async (name: string, weights: number[]): Promise<string> =>
    firstDigest(
      await ok([
        'model',
        'register',
        await write(`models/${name}.json`, JSON.stringify({ weights }) + '\n'),
        '--name',
        MODEL,
        '--class',
        'logistic-regression',
        '--input-contract',
        file('contract.json'),
      ]),
    );
  const baseline = await register('baseline', [0.1, 0.1]);
  modelDigests = { v1: await register('v1', [0.4, -0.2]), v2: await register('v2', [0.41, -0.21]) };
  datasetDigest = firstDigest(
    await ok([
      'dataset',
      'register',
      await write('eval.csv', 'age,income,default\n31,42000,0\n'),
      '--label',
      'eval',
    ]),
  );
  const metrics = (candidate: number, challenger: number): string =>
    JSON.stringify({
      dataset: datasetDigest,
      candidate: { auc: candidate },
      challenger: { auc: challenger },
    });
  await write('metrics-v1.json', metrics(0.8, 0.78));
  await write('metrics-v2.json', metrics(0.81, 0.8));

  p1 = await proposePipeline('v1', file('contract.json'));
  p1Entry = await sealedBy(p1.draft, 'dana');
  const m1 = await proposedModel('v1', p1Entry, baseline);
  m1Entry = await sealedBy(m1.draft, 'mia', 'carl');
  p2 = await proposePipeline('v2', file('contract.json'));
  p2Entry = await sealedBy(p2.draft, 'oscar');
});

afterAll(async () => {
  await home.cleanup();
});

describe('feature-pipeline promotions', () => {
  it('the first promotion of a pipeline is material and needs the committee of its tier', () => {
    expect(p1.route.materiality).toBe('material');
    expect(p1.route.tier).toBe('data');
    expect(p1.route.reasons).toEqual([`first promotion of ${PIPELINE}: no earlier promotion in the log`]);
    expect(p1.requirement).toEqual({ kind: 'committee', roles: ['data-governance'], quorum: 1 });
  });

  it('a code change with the same output contract is low and sealed by one on-call approval', () => {
    expect(p2.route.materiality).toBe('low');
    expect(p2.requirement).toEqual({ kind: 'oncall', roles: ['oncall'], quorum: 1 });
  });

  it('the review document shows the pipeline, its output contract and the route; show prints the sealed entry', async () => {
    const review = await ok(['review', p1.draft]);
    expect(review).toContain('Review of a feature-pipeline promotion');
    expect(review).toContain('<code>income</code>');
    expect(review).toContain(`first promotion of ${PIPELINE}`);
    const shown = await json<{ kind: string; promotion: { pipeline: { name: string } }; verified: boolean }>([
      'show',
      p1Entry,
    ]);
    expect(shown.kind).toBe('feature-pipeline-promotion');
    expect(shown.promotion.pipeline.name).toBe(PIPELINE);
    expect(shown.verified).toBe(true);
  });

  it('replay re-renders the pipeline review document byte for byte', async () => {
    const replayed = await json<{ ok: boolean; identical: boolean; view: string }>(['replay', p1Entry]);
    expect(replayed).toMatchObject({ ok: true, identical: true, view: p1.view });
  });

  it('a changed output contract is material, with the diff in the reason', async () => {
    const p3 = await proposePipeline('v3', file('contract-tenure.json'));
    expect(p3.route.materiality).toBe('material');
    expect(p3.route.reasons).toEqual([
      `the output contract changed since ${p2Entry}: added tenure (integer)`,
    ]);
  });

  it('the requester cannot approve their own pipeline promotion; a wrong-tier role is refused', async () => {
    const p = await proposePipeline('v4', file('contract-tenure.json'));
    expectRefused(await home.run(['approve', p.draft, '--as', 'alice', '--json']), 1, 'SELF_APPROVAL');
    expectRefused(await home.run(['approve', p.draft, '--as', 'mia', '--json']), 1, 'NOT_AUTHORISED');
    // Nothing counts yet: `seal` says so with exit 1 and appends nothing.
    const notYet = await home.run(['seal', p.draft, '--json']);
    expect(notYet.code).toBe(1);
    expect(JSON.parse(notYet.stdout)).toMatchObject({ valid: 0, required: 1 });
    await ok(['reject', p.draft, '--reason', 'tenure is not computed for joint applicants', '--as', 'dana']);
    expectRefused(await home.run(['seal', p.draft, '--json']), 2, 'DRAFT_CLOSED');
  });

  it('a model naming a pipeline promotion with the same contract as before is routed low', async () => {
    const m2 = await proposedModel('v2', p2Entry);
    expect(m2.route.materiality, m2.route.reasons.join('\n')).toBe('low');
  });

  it('a model naming a pipeline promotion that changed the contract is material, with the diff', async () => {
    const p5 = await proposePipeline('v5', file('contract-tenure.json'));
    const p5Entry = await sealedBy(p5.draft, 'dana');
    const m = await proposedModel('v2', p5Entry, m1Entry);
    expect(m.route.materiality).toBe('material');
    expect(m.route.reasons).toContain(
      `the referenced feature-pipeline promotion ${p5Entry} changed the input contract: added tenure (integer)`,
    );
  });

  it('a model naming an entry that is not a pipeline promotion is material ("not in the log")', async () => {
    const m = await proposedModel('v2', m1Entry, m1Entry);
    expect(m.route.materiality).toBe('material');
    expect(m.route.reasons).toContain(
      `the referenced feature-pipeline promotion ${m1Entry} is not in the log`,
    );
    const bad = await proposeModel('v2', 'not-a-digest', m1Entry);
    expectRefused(bad, 2, 'INVALID_ARGUMENT');
    expect(bad.stderr).toContain('--feature-pipeline');
    // Sealed anyway by the committee, the gate still denies it: the entry is not a pipeline promotion.
    await sealedBy(m.draft, 'mia', 'carl');
    const result = await home.run(['gate', '--model', modelDigests.v2, '--context', CONTEXT, '--json']);
    expect(result.code).toBe(1);
    const answer = JSON.parse(result.stdout) as { reasons: { code: string; message: string }[] };
    expect(answer.reasons.map((r) => r.code)).toContain('PIPELINE_MISSING');
  });

  it('the gate allows the model while its pipeline promotion stands, and denies it once that is revoked', async () => {
    const before = JSON.parse(
      (await home.run(['gate', '--model', modelDigests.v1, '--context', CONTEXT, '--json'])).stdout,
    ) as { allow: boolean };
    expect(before.allow).toBe(true);
    await ok(['revoke', p1Entry, '--reason', 'the income parser leaks the label', '--as', 'dana']);
    const result = await home.run(['gate', '--model', modelDigests.v1, '--context', CONTEXT, '--json']);
    expect(result.code).toBe(1);
    const after = JSON.parse(result.stdout) as {
      allow: boolean;
      reasons: { code: string; message: string }[];
    };
    expect(after.allow).toBe(false);
    expect(after.reasons.map((r) => r.code)).toContain('PIPELINE_REVOKED');
    // A model naming the revoked pipeline promotion now routes material.
    const m = await proposedModel('v2', p1Entry, m1Entry);
    expect(m.route.reasons).toContain(`the referenced feature-pipeline promotion ${p1Entry} was revoked`);
  });

  it('signet verify checks pipeline promotions like model promotions', async () => {
    const report = await json<{ ok: boolean; kinds: Record<string, number> }>(['verify']);
    expect(report.ok).toBe(true);
    expect(report.kinds['feature-pipeline-promotion']).toBeGreaterThanOrEqual(3);
  });
});
