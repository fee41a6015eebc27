// Routing by materiality end to end through the built `signet` executable: a policy applied by an admin
// (its problems named by path), `policy show` and `policy test`, the first promotion under the policy
// going to committee, a retrain inside its bands sealed by one on-call approval, a new feature going to
// committee (2 of 3 members; the requester refused; one person counted once), an expired on-call window
// refused, and the requirement taken from the policy a draft was routed by, not the one in force later.
// Then small steps walking out of the committee band, the incumbent filled in as the challenger on the
// low path (and a material promotion refused without one, or with a generated request), a committee role
// of the wrong tier refused, and an approval that no longer counts once its role is revoked.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTempHome, expectNoStackTrace, type TempHome } from './helpers/cli.js';
import { distModule, runNodeScript, type RunResult } from './helpers/dist.js';
import { EXPLANATION_SVG, REQUEST_MARKDOWN } from './helpers/promotion-fixture.js';
import { GENERATED_REQUEST_MARKER } from '../src/promotion/request.js';

const MODEL = 'credit';
const CONTEXT = 'retail-credit/uk';
const PEOPLE = ['admin', 'alice', 'oscar', 'pat', 'mia', 'carl', 'rita'] as const;

const POLICY_YAML = `# the test policy
version: 1
defaults:
  bands:
    auc: { absolute: { down: 0.02, up: 0.05 } }
    ks: { relative: { down: 0.05 } }
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

const FEATURES = [
  { name: 'age', type: 'integer' },
  { name: 'income', type: 'number' },
  { name: 'utilisation', type: 'number' },
];

interface Digests {
  readonly baseline: string;
  readonly v1: string;
  readonly v2: string;
  readonly v3: string;
  readonly dataset: string;
}

interface Files {
  readonly policy: string;
  readonly metrics: { readonly v1: string; readonly v2: string; readonly v3: string };
  readonly request: string;
  readonly svg: string;
}

interface Proposed {
  draft: string;
  view: string;
  challenger: { kind: string; entry?: string; digest: string };
  route: { materiality: string; tier: string; reasons: string[]; policy?: string };
  requirement: { kind: string; roles: string[]; quorum: number };
}

interface Approved {
  approved: boolean;
  roles: string[];
  valid: number;
  required: number;
  sealed?: { entry: string; index: number };
}

/** The details of a refused proposal: every problem, and the route when it is known. */
interface ProposalProblems {
  problems: { source: string; path: string; message: string }[];
  route?: { materiality: string };
}

interface Shown {
  verified: boolean;
  promotion: {
    challenger: { against: { kind: string; entry?: string; digest: string } };
    route: { materiality: string; tier: string; reasons: string[]; policy?: string };
    approvals: { identity: { subject: string }; roles: string[] }[];
    bandsForNext?: Record<string, unknown>;
  };
}

class Home {
  constructor(
    readonly home: TempHome,
    readonly digests: Digests,
  ) {}

  get files(): Files {
    const dir = path.join(this.home.root, 'inputs');
    return {
      policy: path.join(dir, 'policy.yaml'),
      metrics: {
        v1: path.join(dir, 'metrics-v1.json'),
        v2: path.join(dir, 'metrics-v2.json'),
        v3: path.join(dir, 'metrics-v3.json'),
      },
      request: path.join(dir, 'request.md'),
      svg: path.join(dir, 'importance.svg'),
    };
  }

  run(args: readonly string[]): Promise<RunResult> {
    return this.home.run(args);
  }

  async ok(args: readonly string[]): Promise<string> {
    const result = await this.run(args);
    expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
    expectNoStackTrace(result);
    return result.stdout;
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, '--json'])) as T;
  }

  /** `signet propose` by alice of a model digest with a metrics file; no --challenger when undefined. */
  proposeArgs(
    model: string,
    challenger: string | undefined,
    metricsFile: string,
    request = this.files.request,
  ): string[] {
    return [
      'propose',
      '--model',
      model,
      ...(challenger !== undefined ? ['--challenger', challenger] : []),
      '--dataset',
      this.digests.dataset,
      '--metrics',
      metricsFile,
      '--explanation',
      this.files.svg,
      '--request',
      request,
      '--context',
      CONTEXT,
      '--as',
      'alice',
    ];
  }

  /** Registers another version of the model (the three-feature contract); returns its digest. */
  async register(name: string, weights: readonly number[]): Promise<string> {
    const dir = path.join(this.home.root, 'inputs');
    const file = path.join(dir, 'models', `${name}.json`);
    await write(file, JSON.stringify({ kind: 'logistic', weights }) + '\n');
    const args = ['model', 'register', file, '--name', MODEL, '--class', 'logistic-regression'];
    return firstDigest(await this.ok([...args, '--input-contract', path.join(dir, 'contract.json')]));
  }

  /** Writes a metrics file in the inputs folder; returns its path. */
  async metrics(name: string, candidate: [number, number], challenger: [number, number]): Promise<string> {
    const file = path.join(this.home.root, 'inputs', `metrics-${name}.json`);
    await write(file, metrics(this.digests.dataset, candidate, challenger));
    return file;
  }

  /** The number of entries in the log. */
  async size(): Promise<number> {
    return (await this.json<{ size: number }>(['log', 'checkpoint'])).size;
  }

  propose(model: 'v1' | 'v2' | 'v3', challenger: string | undefined): Promise<Proposed> {
    return this.json<Proposed>(this.proposeArgs(this.digests[model], challenger, this.files.metrics[model]));
  }

  approve(draft: string, as: string): Promise<RunResult> {
    return this.run(['approve', draft, '--as', as, '--json']);
  }

  async approved(draft: string, as: string): Promise<Approved> {
    return this.json<Approved>(['approve', draft, '--as', as]);
  }

  async clone(): Promise<Home> {
    const home = await this.home.clone();
    const copy = new Home(home, this.digests);
    homes.push(copy);
    return copy;
  }
}

const homes: Home[] = [];
/** The policy applied; nothing proposed yet. */
let applied: Home;
/** A copy of `applied` where v1, the first promotion, was proposed and sealed by mia and carl. */
let first: Home;
let firstProposal: Proposed;
let firstApprovals: { mia: Approved; oscar: RunResult; carl: Approved };
let firstEntry: string;

async function write(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

function metrics(dataset: string, candidate: [number, number], challenger: [number, number]): string {
  return JSON.stringify({
    dataset,
    candidate: { auc: candidate[0], ks: candidate[1] },
    challenger: { auc: challenger[0], ks: challenger[1] },
    higherIsBetter: { auc: true, ks: true },
  });
}

function firstDigest(stdout: string): string {
  const match = /^(sha256:[0-9a-f]{64})\s/.exec(stdout);
  if (!match?.[1]) throw new Error(`no digest at the start of:\n${stdout}`);
  return match[1];
}

/** A command refused with `code`: exit 1 for a "no", 2 for bad input; no stack trace. */
function expectRefused(result: RunResult, exit: 1 | 2, code: string): void {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(exit);
  expect(result.stderr).toContain(`[${code}]`);
  expect(result.stderr).not.toContain('internal error');
  expectNoStackTrace(result);
}

beforeAll(async () => {
  const home = await createTempHome('signet-routing-');
  const ok = async (args: readonly string[]): Promise<string> => {
    const result = await home.run(args);
    expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
    return result.stdout;
  };
  const keys = path.join(home.root, 'config', 'signet', 'keys');
  for (const id of PEOPLE) await ok(['keys', 'create', '--identity', id]);
  await ok(['init', '--admin', 'admin', '--admin-key', path.join(keys, 'admin.pub.pem')]);
  for (const id of PEOPLE.slice(1)) {
    await ok(['identity', 'bind', id, '--key', path.join(keys, `${id}.pub.pem`), '--as', 'admin']);
  }
  const grants: string[][] = [
    ['oscar', 'oncall', '--model', MODEL],
    // An on-call window that ended long ago.
    ['pat', 'oncall', '--model', MODEL, '--from', '2020-01-01T00:00:00Z', '--until', '2020-01-08T00:00:00Z'],
    ['mia', 'model-risk'],
    ['rita', 'model-risk'],
    ['carl', 'credit-risk'],
    // The requester sits on the committee too: she still cannot approve her own promotion.
    ['alice', 'model-risk'],
  ];
  for (const grant of grants) await ok(['roles', 'grant', ...grant, '--as', 'admin']);

  const dir = path.join(home.root, 'inputs');
  const contract = path.join(dir, 'contract.json');
  const contractWithTenure = path.join(dir, 'contract-tenure.json');
  await write(contract, JSON.stringify({ features: FEATURES }));
  await write(
    contractWithTenure,
    JSON.stringify({ features: [...FEATURES, { name: 'tenure', type: 'integer' }] }),
  );
  const register = async (name: string, weights: number[], inputContract: string): Promise<string> => {
    const file = path.join(dir, 'models', `${name}.json`);
    await write(file, JSON.stringify({ kind: 'logistic', weights }) + '\n');
    return firstDigest(
      await ok([
        'model',
        'register',
        file,
        '--name',
        MODEL,
        '--class',
        'logistic-regression',
        '--input-contract',
        inputContract,
      ]),
    );
  };
  const baseline = await register('baseline', [0.1, 0.1, 0.1], contract);
  const v1 = await register('v1', [0.4, -0.2, 1.1], contract);
  const v2 = await register('v2', [0.41, -0.21, 1.12], contract);
  const v3 = await register('v3', [0.4, -0.2, 1.1, 0.3], contractWithTenure);
  const csv = path.join(dir, 'eval.csv');
  await write(csv, 'age,income,utilisation,tenure,default\n31,42000,0.35,4,0\n23,18000,0.92,1,1\n');
  const dataset = firstDigest(await ok(['dataset', 'register', csv, '--label', 'credit eval']));

  applied = new Home(home, { baseline, v1, v2, v3, dataset });
  homes.push(applied);
  const files = applied.files;
  await write(files.metrics.v1, metrics(dataset, [0.8, 0.4], [0.78, 0.38]));
  // Inside every band of v1: auc +0.01 (band: down 0.02, up 0.05), ks +2.5% (band: down 5%).
  await write(files.metrics.v2, metrics(dataset, [0.81, 0.41], [0.8, 0.4]));
  await write(files.metrics.v3, metrics(dataset, [0.815, 0.41], [0.8, 0.4]));
  await write(files.request, REQUEST_MARKDOWN);
  await write(files.svg, EXPLANATION_SVG);
  await write(files.policy, POLICY_YAML);
  await ok(['policy', 'apply', files.policy, '--as', 'admin']);

  first = await applied.clone();
  firstProposal = await first.propose('v1', baseline);
  firstApprovals = {
    mia: await first.approved(firstProposal.draft, 'mia'),
    oscar: await first.approve(firstProposal.draft, 'oscar'),
    carl: await first.approved(firstProposal.draft, 'carl'),
  };
  firstEntry = firstApprovals.carl.sealed!.entry;
});

afterAll(async () => {
  await Promise.all(homes.map((h) => h.home.cleanup()));
});

describe('the policy', () => {
  it('apply refuses a document with problems in one error naming each path (exit 2); nothing is appended', async () => {
    const bad = path.join(applied.home.root, 'inputs', 'bad-policy.yaml');
    await write(
      bad,
      [
        'version: 1',
        'defaults:',
        '  tier: standard',
        '  psi: { material: 0.25 }',
        `  contexts: [${CONTEXT}]`,
        'tiers:',
        '  standard:',
        '    committee: { roles: [model-risk], quorum: 0 }',
        '',
      ].join('\n'),
    );
    const result = await applied.run(['policy', 'apply', bad, '--as', 'admin', '--json']);
    expectRefused(result, 2, 'INVALID_ARGUMENT');
    expect(result.stderr).toContain('has 2 problems');
    expect(result.stderr).toContain('/defaults/oncallRole is required');
    expect(result.stderr).toContain('/tiers/standard/committee/quorum');
    const error = (JSON.parse(result.stdout) as { error: { details: { problems: { path: string }[] } } })
      .error;
    expect(error.details.problems.map((p) => p.path).sort()).toEqual([
      '/defaults/oncallRole',
      '/tiers/standard/committee/quorum',
    ]);

    // JSON too, and the problems a schema cannot see (a tier that does not exist).
    const json = path.join(applied.home.root, 'inputs', 'bad-policy.json');
    await write(
      json,
      JSON.stringify({
        version: 1,
        defaults: { tier: 'gold', psi: { material: 0.25 }, oncallRole: 'oncall', contexts: [CONTEXT] },
        tiers: { standard: { committee: { roles: ['model-risk'], quorum: 1 } } },
      }),
    );
    const semantic = await applied.run(['policy', 'apply', json, '--as', 'admin']);
    expectRefused(semantic, 2, 'INVALID_ARGUMENT');
    expect(semantic.stderr).toContain('/defaults/tier names the tier "gold"');

    // Only an admin may apply a policy.
    const notAdmin = await applied.run(['policy', 'apply', applied.files.policy, '--as', 'alice']);
    expectRefused(notAdmin, 1, 'NOT_AUTHORISED');
    // The policy in force is still version 1.
    const shown = await applied.json<{ version: number }>(['policy', 'show']);
    expect(shown.version).toBe(1);
  });

  it('show prints the policy in force, and with --model how it applies to that model', async () => {
    const text = await applied.ok(['policy', 'show']);
    expect(text).toMatch(/^policy version 1 sha256:[0-9a-f]{64}\n {2}applied by admin: entry \d+ sha256:/);
    expect(text).toContain('oncallRole: oncall');
    const shown = await applied.json<{
      policy: string;
      document: { tiers: Record<string, unknown> };
      effective: { tier: string; oncallRole: string; committee: { roles: string[]; quorum: number } };
    }>(['policy', 'show', '--model', MODEL]);
    expect(shown.policy).toMatch(/^sha256:/);
    expect(shown.effective).toMatchObject({
      tier: 'standard',
      oncallRole: 'oncall',
      committee: { roles: ['model-risk', 'credit-risk'], quorum: 2 },
    });
    const forModel = await applied.ok(['policy', 'show', '--model', MODEL]);
    expect(forModel).toContain(`as it applies to ${MODEL}:`);
    // The policy object verifies with the log.
    await applied.ok(['verify']);
  });

  it('test shows the route, the reasons and the requirement without proposing anything', async () => {
    const args = [
      'policy',
      'test',
      '--model',
      applied.digests.v1,
      '--dataset',
      applied.digests.dataset,
      '--metrics',
      applied.files.metrics.v1,
      '--context',
      CONTEXT,
    ];
    const text = await applied.ok(args);
    expect(text).toContain('route     material, tier standard');
    expect(text).toContain('needs     2 approvals by distinct holders of model-risk or credit-risk');
    expect(text).toContain(`[firstPromotion] first promotion of ${MODEL}`);
    expect(text).toContain(`[newContext] context ${CONTEXT} was never approved for ${MODEL}`);
    expect(text).toContain('auc: absolute down 0.02, up 0.05');
    const result = await applied.json<{
      materiality: string;
      reasons: { rule: string; message: string }[];
      requirement: { kind: string; quorum: number };
    }>(args);
    expect(result.materiality).toBe('material');
    expect(result.reasons.map((r) => r.rule)).toEqual(['firstPromotion', 'newContext']);
    expect(result.requirement).toMatchObject({ kind: 'committee', quorum: 2 });
    // Nothing was proposed: no draft to review.
    const drafts = await applied.run(['review', 'draft-0000000000000000']);
    expectRefused(drafts, 2, 'NOT_FOUND');
  });
});

describe('routing promotions', () => {
  it('the first promotion under a policy is material ("first promotion") and needs the committee', async () => {
    expect(firstProposal.route).toMatchObject({ materiality: 'material', tier: 'standard' });
    expect(firstProposal.route.policy).toMatch(/^sha256:/);
    expect(firstProposal.route.reasons[0]).toContain(`first promotion of ${MODEL}`);
    expect(firstProposal.requirement).toEqual({
      kind: 'committee',
      roles: ['model-risk', 'credit-risk'],
      quorum: 2,
    });
    // One committee member is not enough; the on-call engineer is not on the committee.
    expect(firstApprovals.mia).toMatchObject({ valid: 1, required: 2, roles: ['model-risk'] });
    expect(firstApprovals.mia.sealed).toBeUndefined();
    expectRefused(firstApprovals.oscar, 1, 'NOT_AUTHORISED');
    expect(firstApprovals.carl).toMatchObject({ valid: 2, required: 2, roles: ['credit-risk'] });

    const shown = await first.json<Shown>(['show', firstEntry]);
    expect(shown.verified).toBe(true);
    expect(shown.promotion.route.materiality).toBe('material');
    expect(shown.promotion.approvals.map((a) => [a.identity.subject, a.roles[0]])).toEqual([
      ['carl', 'credit-risk'],
      ['mia', 'model-risk'],
    ]);
    expect(Object.keys(shown.promotion.bandsForNext ?? {}).sort()).toEqual(['auc', 'ks']);
    const text = await first.ok(['show', firstEntry]);
    expect(text).toContain('route       material, tier standard (policy sha256:');
    expect(text).toContain(`- first promotion of ${MODEL}`);
    const gate = await first.run(['gate', '--model', first.digests.v1, '--context', CONTEXT]);
    expect(gate.code, gate.stdout + gate.stderr).toBe(0);
    await first.ok(['verify']);
  });

  it('a retrain inside its bands, same contract, class and context, is low and sealed by one on-call approval', async () => {
    const fx = await first.clone();
    const proposed = await fx.propose('v2', firstEntry);
    expect(proposed.route.materiality).toBe('low');
    expect(proposed.route.reasons).toEqual([expect.stringContaining('no materiality rule fired')]);
    expect(proposed.requirement).toEqual({ kind: 'oncall', roles: ['oncall'], quorum: 1 });

    // pat's on-call window ended in 2020; mia sits on the committee but is not on call.
    expectRefused(await fx.approve(proposed.draft, 'pat'), 1, 'NOT_AUTHORISED');
    expectRefused(await fx.approve(proposed.draft, 'mia'), 1, 'NOT_AUTHORISED');
    const approved = await fx.approved(proposed.draft, 'oscar');
    expect(approved).toMatchObject({ valid: 1, required: 1, roles: ['oncall'] });
    const entry = approved.sealed!.entry;

    const shown = await fx.json<Shown>(['show', entry]);
    expect(shown.verified).toBe(true);
    expect(shown.promotion.route).toMatchObject({ materiality: 'low', policy: firstProposal.route.policy });
    expect(shown.promotion.approvals.map((a) => [a.identity.subject, a.roles[0]])).toEqual([
      ['oscar', 'oncall'],
    ]);
    const gate = await fx.run(['gate', '--model', fx.digests.v2, '--context', CONTEXT]);
    expect(gate.code, gate.stdout + gate.stderr).toBe(0);
    await fx.ok(['verify']);
  });

  it('a new feature in the input contract is material: 2 of 3 committee members, the requester refused, one person counted once', async () => {
    const fx = await first.clone();
    const proposed = await fx.propose('v3', firstEntry);
    expect(proposed.route.materiality).toBe('material');
    expect(proposed.route.reasons.join('\n')).toContain('the input contract changed since');
    expect(proposed.route.reasons.join('\n')).toContain('added tenure (integer)');
    expect(proposed.requirement).toMatchObject({ kind: 'committee', quorum: 2 });

    const mia = await fx.approved(proposed.draft, 'mia');
    expect(mia).toMatchObject({ valid: 1, required: 2 });
    expect(mia.sealed).toBeUndefined();
    // alice requested it: her committee role does not let her approve it.
    expectRefused(await fx.approve(proposed.draft, 'alice'), 1, 'SELF_APPROVAL');
    // The on-call engineer is not on the committee.
    expectRefused(await fx.approve(proposed.draft, 'oscar'), 1, 'NOT_AUTHORISED');
    // mia approving again is still one person.
    const again = await fx.approved(proposed.draft, 'mia');
    expect(again).toMatchObject({ valid: 1, required: 2 });
    expect(again.sealed).toBeUndefined();
    const rita = await fx.approved(proposed.draft, 'rita');
    expect(rita).toMatchObject({ valid: 2, required: 2 });
    const entry = rita.sealed!.entry;

    const shown = await fx.json<Shown>(['show', entry]);
    expect(shown.verified).toBe(true);
    expect(shown.promotion.approvals.map((a) => a.identity.subject)).toEqual(['mia', 'rita']);
    await fx.ok(['verify']);
  });

  it('a population-shift entry for the model since its last promotion makes the next one material', async () => {
    const fx = await first.clone();
    const args = [
      'policy',
      'test',
      '--model',
      fx.digests.v2,
      '--dataset',
      fx.digests.dataset,
      '--metrics',
      fx.files.metrics.v2,
      '--context',
      CONTEXT,
    ];
    expect((await fx.json<{ materiality: string }>(args)).materiality).toBe('low');
    // The monitor writes these entries (a later issue); here they are appended through the app layer.
    const script = `
      import { openHome } from ${JSON.stringify(distModule('app/home.js'))};
      import { predicateTypeOf, subjectOf } from ${JSON.stringify(distModule('ledger/entry.js'))};
      const home = await openHome(${JSON.stringify(fx.home.dir)});
      for (const model of ['${MODEL}', 'churn']) {
        await home.ledger.append({
          subject: [subjectOf(model, '${fx.digests.v1}')],
          predicateType: predicateTypeOf('population-shift'),
          predicate: { model, context: '${CONTEXT}', window: '2025-W14', feature: 'income', psi: 0.31 },
        });
      }
      await home.close();
    `;
    const appended = await runNodeScript(script, fx.home.env);
    expect(appended.code, appended.stderr).toBe(0);
    const routed = await fx.json<{ materiality: string; reasons: { rule: string; message: string }[] }>(args);
    expect(routed.materiality).toBe('material');
    // Only the flag for this model counts.
    expect(routed.reasons.map((r) => r.rule)).toEqual(['populationShift']);
    expect(routed.reasons[0]!.message).toContain('PSI 0.3100 on income over 2025-W14');
  });

  it('what a draft needs comes from the policy it was routed by, not from a policy applied later', async () => {
    const fx = await first.clone();
    const proposed = await fx.propose('v3', firstEntry);
    expect(proposed.requirement.quorum).toBe(2);
    const stricter = path.join(fx.home.root, 'inputs', 'policy-2.yaml');
    await write(stricter, POLICY_YAML.replace('quorum: 2', 'quorum: 3'));
    const applied2 = await fx.json<{ version: number; policy: string }>([
      'policy',
      'apply',
      stricter,
      '--as',
      'admin',
    ]);
    expect(applied2.version).toBe(2);
    expect(applied2.policy).not.toBe(firstProposal.route.policy);

    await fx.approved(proposed.draft, 'mia');
    const sealed = await fx.approved(proposed.draft, 'carl');
    expect(sealed).toMatchObject({ valid: 2, required: 2 });
    const gate = await fx.run(['gate', '--model', fx.digests.v3, '--context', CONTEXT]);
    expect(gate.code, gate.stdout + gate.stderr).toBe(0);
    await fx.ok(['verify']);

    // A new proposal is routed by the policy now in force: going back to v1 removes the tenure feature.
    const next = await fx.propose('v1', sealed.sealed!.entry);
    expect(next.route).toMatchObject({ materiality: 'material', policy: applied2.policy });
    expect(next.route.reasons.join('\n')).toContain('removed tenure (integer)');
    expect(next.requirement).toMatchObject({ kind: 'committee', quorum: 3 });
  });
});

describe('what a promotion must carry, and who may approve it', () => {
  it('a third small step that keeps each promotion inside its band but walks out of the committee band goes to committee', async () => {
    const fx = await first.clone();
    // v1 (committee-approved) has auc 0.80; each step is 0.016 down, inside the band of 0.02.
    const v4 = await fx.register('v4', [0.39, -0.2, 1.1]);
    const v5 = await fx.register('v5', [0.38, -0.2, 1.1]);
    const step2 = await fx.metrics('v4', [0.784, 0.4], [0.8, 0.4]);
    const step3 = await fx.metrics('v5', [0.768, 0.4], [0.784, 0.4]);

    const second = await fx.json<Proposed>(fx.proposeArgs(v4, firstEntry, step2));
    expect(second.route.materiality).toBe('low');
    const sealed = await fx.approved(second.draft, 'oscar');
    const secondEntry = sealed.sealed!.entry;

    // 0.80 → 0.768 is 0.032 since the last committee approval: beyond the committee band of 0.03. The
    // step itself (0.784 → 0.768) is inside its band, so committeeDrift is the only reason.
    const third = await fx.json<Proposed>(fx.proposeArgs(v5, secondEntry, step3));
    expect(third.route).toMatchObject({ materiality: 'material', tier: 'standard' });
    expect(third.route.reasons).toEqual([
      `auc fell by 0.0320 since the last committee-approved promotion ${firstEntry} (0.8000 → 0.7680), beyond the committee band of 0.0300`,
    ]);
    expect(third.requirement).toEqual({ kind: 'committee', roles: ['model-risk', 'credit-risk'], quorum: 2 });
    expectRefused(await fx.approve(third.draft, 'oscar'), 1, 'NOT_AUTHORISED');
  });

  it('propose without --challenger on the low path fills in the incumbent, exactly as naming its entry does', async () => {
    const fx = await first.clone();
    const named = await fx.propose('v2', firstEntry);
    const filled = await fx.propose('v2', undefined);
    expect(filled.route.materiality).toBe('low');
    const incumbent = { kind: 'incumbent', entry: firstEntry, digest: fx.digests.v1 };
    expect(filled.challenger).toEqual(incumbent);
    expect(named.challenger).toEqual(incumbent);
    const text = await fx.ok(fx.proposeArgs(fx.digests.v2, undefined, fx.files.metrics.v2));
    expect(text).toContain(`  challenger incumbent ${fx.digests.v1} (promotion ${firstEntry}), filled in\n`);

    const sealed = await fx.approved(filled.draft, 'oscar');
    const shown = await fx.json<Shown>(['show', sealed.sealed!.entry]);
    expect(shown.verified).toBe(true);
    expect(shown.promotion.challenger.against).toEqual(incumbent);
    expect(await fx.ok(['show', sealed.sealed!.entry])).toContain(
      `2 challenger  incumbent ${fx.digests.v1} (entry ${firstEntry})`,
    );
  });

  it('a material promotion without --challenger, or with a generated request, is refused by propose (exit 2), every problem at once', async () => {
    const refused = async (home: Home, args: string[]): Promise<ProposalProblems> => {
      const result = await home.run([...args, '--json']);
      expectRefused(result, 2, 'INVALID_ARGUMENT');
      return (JSON.parse(result.stdout) as { error: { details: ProposalProblems } }).error.details;
    };
    // A new feature makes v3 material.
    const v3 = await refused(first, first.proposeArgs(first.digests.v3, undefined, first.files.metrics.v3));
    expect(v3.problems.map((p) => p.source)).toEqual(['--challenger']);
    expect(v3.problems[0]!.message).toContain(
      'a material promotion must name its challenger: this one is routed material (the input contract changed since',
    );
    expect(v3.route?.materiality).toBe('material');
    // A first promotion has no incumbent to fill in.
    const v1 = await refused(
      applied,
      applied.proposeArgs(applied.digests.v1, undefined, applied.files.metrics.v1),
    );
    expect(v1.problems[0]!.message).toContain(`first promotion of ${MODEL}`);

    const generated = path.join(first.home.root, 'inputs', 'generated.md');
    await write(generated, `${GENERATED_REQUEST_MARKER}\n\n${REQUEST_MARKDOWN}`);
    const both = await refused(
      first,
      first.proposeArgs(first.digests.v3, undefined, first.files.metrics.v3, generated),
    );
    expect(both.problems.map((p) => p.source)).toEqual(['--challenger', '--request']);
    const named = await refused(
      first,
      first.proposeArgs(first.digests.v3, firstEntry, first.files.metrics.v3, generated),
    );
    expect(named.problems).toEqual([
      {
        source: '--request',
        path: '',
        message:
          "a material promotion's request must be written by a person, and this one was generated by `signet promote`",
      },
    ]);
    // On the low path the same generated request, and no --challenger, make a draft.
    const fx = await first.clone();
    const low = await fx.json<Proposed>(
      fx.proposeArgs(fx.digests.v2, undefined, fx.files.metrics.v2, generated),
    );
    expect(low.route.materiality).toBe('low');
  });

  it('a role of the wrong tier is refused: the draft stays open and nothing is appended', async () => {
    const fx = await first.clone();
    const tiers = path.join(fx.home.root, 'inputs', 'policy-tiers.yaml');
    await write(
      tiers,
      POLICY_YAML +
        [
          '  high:',
          '    committee: { roles: [board-risk], quorum: 1 }',
          'models:',
          `  ${MODEL}:`,
          '    tier: high',
          '',
        ].join('\n'),
    );
    await fx.ok(['policy', 'apply', tiers, '--as', 'admin']);
    await fx.ok(['roles', 'grant', 'carl', 'board-risk', '--as', 'admin']);
    const proposed = await fx.propose('v3', firstEntry);
    expect(proposed.route).toMatchObject({ materiality: 'material', tier: 'high' });
    expect(proposed.requirement).toEqual({ kind: 'committee', roles: ['board-risk'], quorum: 1 });

    // mia sits on the standard tier's committee (model-risk), not on the high tier's.
    const size = await fx.size();
    const refused = await fx.approve(proposed.draft, 'mia');
    expectRefused(refused, 1, 'NOT_AUTHORISED');
    expect(refused.stderr).toContain('board-risk');
    expect(await fx.size()).toBe(size);

    const sealed = await fx.approved(proposed.draft, 'carl');
    expect(sealed).toMatchObject({ valid: 1, required: 1, roles: ['board-risk'] });
    const shown = await fx.json<Shown>(['show', sealed.sealed!.entry]);
    expect(shown.promotion.approvals.map((a) => [a.identity.subject, a.roles[0]])).toEqual([
      ['carl', 'board-risk'],
    ]);
  });

  it('a committee approval stops counting once its role is revoked, and the revoked member is refused', async () => {
    const fx = await first.clone();
    const proposed = await fx.propose('v3', firstEntry);
    expect(await fx.approved(proposed.draft, 'mia')).toMatchObject({ valid: 1, required: 2 });
    await fx.ok(['roles', 'revoke', 'mia', 'model-risk', '--as', 'admin']);

    const carl = await fx.approved(proposed.draft, 'carl');
    expect(carl).toMatchObject({ valid: 1, required: 2 });
    expect(carl.sealed).toBeUndefined();
    expectRefused(await fx.approve(proposed.draft, 'mia'), 1, 'NOT_AUTHORISED');

    const rita = await fx.approved(proposed.draft, 'rita');
    expect(rita).toMatchObject({ valid: 2, required: 2 });
    const shown = await fx.json<Shown>(['show', rita.sealed!.entry]);
    expect(shown.verified).toBe(true);
    expect(shown.promotion.approvals.map((a) => a.identity.subject)).toEqual(['carl', 'rita']);
  });
});
