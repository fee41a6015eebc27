// `signet promote`, the one command from CI, end to end through the built executable: the first
// promotion under a policy is material (exit 3; a generated request refused, a person's request leaves a
// draft the committee seals), then a retrain inside its bands is low: one `promote --wait` notifies the
// webhook, the on-call engineer approves once and the waiting `promote` prints the sealed entry. A
// material retrain with a person's request but no named challenger is refused too (exit 3, no draft).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTempHome, expectNoStackTrace, type TempHome } from './helpers/cli.js';
import type { RunResult } from './helpers/dist.js';
import { EXPLANATION_SVG, REQUEST_MARKDOWN } from './helpers/promotion-fixture.js';

const MODEL = 'credit';
const CONTEXT = 'retail-credit/uk';
const PEOPLE = ['admin', 'ci', 'oscar', 'mia', 'carl'] as const;

const POLICY_YAML = `version: 1
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

interface Promoted {
  draft?: string;
  materiality: string;
  reasons: string[];
  requirement: { kind: string; roles: string[]; quorum: number };
  challenger?: string;
  incumbent?: string;
  generatedRequest: boolean;
  refusal?: string;
  approvers: string[];
  approveCommands?: string[];
  webhook?: { status: number | string };
  waited?: { status: string; entry?: string };
}

interface Hook {
  draft: string;
  model: { name: string; digest: string };
  context: string;
  route: { materiality: string };
  approveCommand: string;
}

let home: TempHome;
let dir: string;
let server: Server;
let hookUrl: string;
const received: Hook[] = [];
const waiters: ((hook: Hook) => void)[] = [];
let datasetDigest: string;
let firstEntry: string;

async function write(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

async function ok(args: readonly string[]): Promise<string> {
  const result = await home.run(args);
  expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
  expectNoStackTrace(result);
  return result.stdout;
}

function metrics(candidate: [number, number], challenger: [number, number]): string {
  return JSON.stringify({
    dataset: datasetDigest,
    candidate: { auc: candidate[0], ks: candidate[1] },
    challenger: { auc: challenger[0], ks: challenger[1] },
    higherIsBetter: { auc: true, ks: true },
  });
}

function promoteArgs(version: 'v1' | 'v2' | 'v3', extra: readonly string[] = []): string[] {
  return [
    'promote',
    '--model',
    path.join(dir, 'models', `${version}.json`),
    '--name',
    MODEL,
    '--class',
    'logistic-regression',
    '--input-contract',
    path.join(dir, 'contract.json'),
    '--dataset',
    path.join(dir, 'eval.csv'),
    '--metrics',
    path.join(dir, `metrics-${version}.json`),
    '--explanation',
    path.join(dir, 'importance.svg'),
    '--context',
    CONTEXT,
    '--as',
    'ci',
    ...extra,
  ];
}

function parse(result: RunResult): Promoted {
  expectNoStackTrace(result);
  return JSON.parse(result.stdout) as Promoted;
}

function nextHook(): Promise<Hook> {
  return new Promise((resolve) => waiters.push(resolve));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const hook = JSON.parse(body) as Hook;
      received.push(hook);
      res.writeHead(204).end();
      waiters.shift()?.(hook);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

  home = await createTempHome('signet-promote-');
  dir = path.join(home.root, 'inputs');
  const keys = path.join(home.root, 'config', 'signet', 'keys');
  for (const id of PEOPLE) await ok(['keys', 'create', '--identity', id]);
  await ok(['init', '--admin', 'admin', '--admin-key', path.join(keys, 'admin.pub.pem')]);
  for (const id of PEOPLE.slice(1)) {
    await ok(['identity', 'bind', id, '--key', path.join(keys, `${id}.pub.pem`), '--as', 'admin']);
  }
  await ok(['roles', 'grant', 'oscar', 'oncall', '--model', MODEL, '--as', 'admin']);
  await ok(['roles', 'grant', 'mia', 'model-risk', '--as', 'admin']);
  await ok(['roles', 'grant', 'carl', 'credit-risk', '--as', 'admin']);

  const features = [
    { name: 'age', type: 'integer' },
    { name: 'income', type: 'number' },
  ];
  await write(path.join(dir, 'contract.json'), JSON.stringify({ features }));
  await write(path.join(dir, 'models', 'baseline.json'), JSON.stringify({ weights: [0.1, 0.1] }) + '\n');
  await write(path.join(dir, 'models', 'v1.json'), JSON.stringify({ weights: [0.4, -0.2] }) + '\n');
  await write(path.join(dir, 'models', 'v2.json'), JSON.stringify({ weights: [0.41, -0.21] }) + '\n');
  await write(path.join(dir, 'models', 'v3.json'), JSON.stringify({ weights: [0.3, -0.1] }) + '\n');
  const csv = path.join(dir, 'eval.csv');
  await write(csv, 'age,income,default\n31,42000,0\n23,18000,1\n');
  datasetDigest = (await ok(['hash', csv])).split(/\s/)[0]!;
  await write(path.join(dir, 'metrics-v1.json'), metrics([0.8, 0.4], [0.78, 0.38]));
  // Inside v1's bands: auc +0.01 (down 0.02, up 0.05), ks +2.5% (down 5%).
  await write(path.join(dir, 'metrics-v2.json'), metrics([0.81, 0.41], [0.8, 0.4]));
  // Far outside every band: auc −0.11.
  await write(path.join(dir, 'metrics-v3.json'), metrics([0.7, 0.41], [0.81, 0.41]));
  await write(path.join(dir, 'request.md'), REQUEST_MARKDOWN);
  await write(path.join(dir, 'importance.svg'), EXPLANATION_SVG);
  await write(path.join(dir, 'policy.yaml'), POLICY_YAML);
  await ok(['policy', 'apply', path.join(dir, 'policy.yaml'), '--as', 'admin']);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await home.cleanup();
});

describe('signet promote', () => {
  it('requires --name', async () => {
    const args = promoteArgs('v1');
    args.splice(args.indexOf('--name'), 2);
    const result = await home.run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--name is required');
  });

  it('a first promotion is material: exit 3 with the reasons, and a generated request is refused', async () => {
    const result = await home.run(promoteArgs('v1', ['--json']), {
      env: { SIGNET_WEBHOOK_URL: hookUrl },
    });
    expect(result.code, result.stderr).toBe(3);
    const promoted = parse(result);
    expect(promoted.materiality).toBe('material');
    expect(promoted.draft).toBeUndefined();
    expect(promoted.challenger).toBeUndefined();
    expect(promoted.reasons.join('\n')).toContain(`[firstPromotion] first promotion of ${MODEL}`);
    expect(promoted.refusal).toContain('must be written by a person');
    expect(promoted.refusal).toContain('its challenger must be named');
    expect(result.stderr).toContain('must be written by a person');
    expect(received).toHaveLength(0);

    const text = await home.run(promoteArgs('v1'));
    expect(text.code).toBe(3);
    expect(text.stdout).toContain('route material, tier standard');
    expect(text.stdout).toContain('challenger none (first promotion)');
  });

  it('with a request written by a person, the material promotion leaves a draft the committee seals', async () => {
    const baseline = (
      await ok([
        'model',
        'register',
        path.join(dir, 'models', 'baseline.json'),
        '--name',
        MODEL,
        '--class',
        'logistic-regression',
      ])
    ).split(/\s/)[0]!;
    const result = await home.run(
      promoteArgs('v1', ['--request', path.join(dir, 'request.md'), '--challenger', baseline, '--json']),
    );
    expect(result.code, result.stderr).toBe(3);
    const promoted = parse(result);
    expect(promoted).toMatchObject({ materiality: 'material', generatedRequest: false });
    expect(promoted.requirement).toMatchObject({ kind: 'committee', quorum: 2 });
    expect(result.stderr).toContain(`draft ${promoted.draft!} is left for the committee`);

    await ok(['approve', promoted.draft!, '--as', 'mia']);
    const sealed = JSON.parse(await ok(['approve', promoted.draft!, '--as', 'carl', '--json'])) as {
      sealed: { entry: string };
    };
    firstEntry = sealed.sealed.entry;
  });

  it('a retrain inside its bands is low: one promote --wait, the webhook, one on-call approval seals it', async () => {
    const hook = nextHook();
    const running = home.run(promoteArgs('v2', ['--wait', '--timeout', '60', '--json']), {
      env: { SIGNET_WEBHOOK_URL: hookUrl },
    });
    // The hook, or the promote process ending without calling it (a failure to report, not a hang).
    const body = await Promise.race([
      hook,
      running.then((r) => {
        throw new Error(`promote ended before the webhook was called (${r.code}):\n${r.stdout}\n${r.stderr}`);
      }),
    ]);
    expect(body).toMatchObject({
      model: { name: MODEL },
      context: CONTEXT,
      route: { materiality: 'low' },
      approveCommand: `signet approve ${body.draft} --as oscar`,
    });
    expect(body.draft).toMatch(/^draft-[0-9a-f]{16}$/);
    expect(body.model.digest).toMatch(/^sha256:/);

    // The generated request quotes the numbers and says no person wrote it.
    const review = await ok(['review', body.draft]);
    expect(review).toContain('generated by');
    expect(review).toContain('auc: candidate 0.81, incumbent 0.8');

    const approved = JSON.parse(await ok(['approve', body.draft, '--as', 'oscar', '--json'])) as {
      sealed: { entry: string };
    };
    const result = await running;
    expect(result.code, result.stderr).toBe(0);
    const promoted = parse(result);
    expect(promoted).toMatchObject({
      draft: body.draft,
      materiality: 'low',
      challenger: firstEntry,
      generatedRequest: true,
      approvers: ['oscar'],
      approveCommands: [`signet approve ${body.draft} --as oscar`],
      webhook: { status: 204 },
      waited: { status: 'sealed', entry: approved.sealed.entry },
    });
    expect(promoted.requirement).toEqual({ kind: 'oncall', roles: ['oncall'], quorum: 1 });

    const shown = JSON.parse(await ok(['show', approved.sealed.entry, '--json'])) as {
      verified: boolean;
      promotion: { route: { materiality: string }; challenger: { against: { entry?: string } } };
    };
    expect(shown.verified).toBe(true);
    expect(shown.promotion.route.materiality).toBe('low');
    expect(shown.promotion.challenger.against.entry).toBe(firstEntry);
    const gate = await home.run(['gate', '--model', body.model.digest, '--context', CONTEXT]);
    expect(gate.code, gate.stdout + gate.stderr).toBe(0);
  });

  it('a webhook that cannot be reached is a warning; --wait times out with exit 2', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await home.run(promoteArgs('v2', ['--wait', '--timeout', '1']), {
      env: { SIGNET_WEBHOOK_URL: `http://127.0.0.1:${port}/hook` },
    });
    expect(result.code, result.stderr).toBe(2);
    expectNoStackTrace(result);
    expect(result.stderr).toContain('warning: the webhook could not be called');
    expect(result.stderr).toContain('timed out after 1 s');
    expect(result.stdout).toContain('signet approve draft-');
    expect(result.stdout).toContain('--as oscar');
  });

  it('a material retrain with a request but no --challenger: exit 3, no draft, the challenger must be named', async () => {
    const last = JSON.parse(await ok(['log', 'checkpoint', '--json'])) as { size: number };
    const args = promoteArgs('v3', ['--request', path.join(dir, 'request.md')]);
    const result = await home.run([...args, '--json']);
    expect(result.code, result.stderr).toBe(3);
    const promoted = parse(result);
    expect(promoted).toMatchObject({ materiality: 'material', generatedRequest: false });
    expect(promoted.draft).toBeUndefined();
    expect(promoted.challenger).toBeUndefined();
    expect(promoted.incumbent).toMatch(/^sha256:/);
    expect(promoted.reasons.join('\n')).toContain('[metricBands] auc fell by 0.1100');
    expect(promoted.refusal).toContain('its challenger must be named');
    expect(promoted.refusal).not.toContain('written by a person');
    // Registering the model and the dataset appends nothing; no draft means no entry either.
    expect((JSON.parse(await ok(['log', 'checkpoint', '--json'])) as { size: number }).size).toBe(last.size);

    const text = await home.run(args);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain('challenger none named (a material promotion must name it)');
    expect(text.stderr).toContain('--challenger ENTRY|DIGEST');
  });
});
