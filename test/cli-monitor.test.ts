// Population-shift monitoring end to end through the built `signet` executable: the evaluation dataset
// profiled at registration; the first promotion sealing reference bins for every input feature and the
// score; scoring traffic ingested per day — a stable stream raises no flag and the next retrain takes
// the low path, a shifted one is flagged once per day and feature and sends the same retrain to the
// committee with the flag quoted; malformed and untimed rows counted and reported; a small day judged
// "insufficient"; `monitor status`; and the errors a user meets.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTempHome, expectNoStackTrace, type TempHome } from './helpers/cli.js';
import type { RunResult } from './helpers/dist.js';
import { EXPLANATION_SVG, REQUEST_MARKDOWN } from './helpers/promotion-fixture.js';

const MODEL = 'credit';
const CONTEXT = 'retail-credit/uk';
const PEOPLE = ['admin', 'alice', 'oscar', 'mia', 'carl'] as const;
const FEATURES = [
  { name: 'age', type: 'integer' },
  { name: 'income', type: 'number' },
  { name: 'utilisation', type: 'number' },
  { name: 'region', type: 'category', categories: ['north', 'south', 'west'] },
];
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
`;
const DAY1 = '2026-11-02';
const DAY2 = '2026-11-03';

/** A deterministic stream of uniforms in [0, 1) (a 32-bit LCG): the same rows on every run. */
function uniforms(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Applicant {
  readonly age: number;
  readonly income: number;
  readonly utilisation: number;
  readonly region: string;
  readonly score: number;
}

/** One applicant; `shift` moves utilisation up and income down, as a changed population would. */
function applicant(next: () => number, shift: boolean): Applicant {
  const age = 18 + Math.floor(next() * 60);
  const income = Math.round(15000 + 90000 * next() ** (shift ? 2.5 : 1));
  const utilisation = Number((shift ? next() ** 0.3 : next()).toFixed(4));
  const region = ['north', 'south', 'west'][Math.floor(next() * 3)]!;
  const score = Number((1 / (1 + Math.exp(-(3 * utilisation - income / 40000)))).toFixed(6));
  return { age, income, utilisation, region, score };
}

function evaluationCsv(rows: number): string {
  const next = uniforms(7);
  const lines = ['age,income,utilisation,region,score,default'];
  for (let i = 0; i < rows; i += 1) {
    const a = applicant(next, false);
    lines.push(`${a.age},${a.income},${a.utilisation},${a.region},${a.score},${next() < a.score ? 1 : 0}`);
  }
  return lines.join('\n') + '\n';
}

/** Traffic for one day: `rows` scorings spread over the day, from the reference or a shifted population. */
function trafficCsv(day: string, rows: number, shift: boolean, seed: number, header = true): string {
  const next = uniforms(seed);
  const lines = header ? ['scored_at,age,income,utilisation,region,score'] : [];
  for (let i = 0; i < rows; i += 1) {
    const a = applicant(next, shift);
    const second = Math.floor((i * 86400) / rows);
    const time = new Date(Date.parse(`${day}T00:00:00Z`) + second * 1000).toISOString();
    lines.push(`${time},${a.age},${a.income},${a.utilisation},${a.region},${a.score}`);
  }
  return lines.join('\n') + '\n';
}

interface Proposed {
  draft: string;
  route: { materiality: string; tier: string; reasons: string[] };
}

interface Ingested {
  promotion: { entry: string; index: number };
  reference: string;
  minimumCount: number;
  policy: string | null;
  report: {
    totals: {
      rows: number;
      counted: number;
      malformed: { count: number; first: { line: number; reason: string }[] };
      untimed: { count: number; first: { line: number; reason: string }[] };
    };
    columns: { name: string; missing: number; unparsable: number }[];
  };
  windows: {
    window: string;
    feature: string;
    role: string;
    n: number;
    psi: number | null;
    pValue: number | null;
    level: string;
    flag?: { entry: string; index: number };
  }[];
  flags: { window: string; feature: string; psi: number; entry: string; index: number; appended: boolean }[];
}

interface Status {
  model: string;
  context: string;
  promotion: { entry: string };
  windows: string[];
  series: { name: string; role: string; points: { window: string; n: number; level: string }[] }[];
  flags: { entry: string; window: string; feature: string }[];
}

class Fixture {
  constructor(readonly home: TempHome) {}

  get inputs(): string {
    return path.join(this.home.root, 'inputs');
  }

  async ok(args: readonly string[], input?: Uint8Array): Promise<string> {
    const result = await this.home.run(args, input ? { input } : undefined);
    expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
    expectNoStackTrace(result);
    return result.stdout;
  }

  async json<T>(args: readonly string[], input?: Uint8Array): Promise<T> {
    return JSON.parse(await this.ok([...args, '--json'], input)) as T;
  }

  run(args: readonly string[], input?: Uint8Array): Promise<RunResult> {
    return this.home.run(args, input ? { input } : undefined);
  }

  async writeTraffic(name: string, csv: string): Promise<string> {
    const file = path.join(this.inputs, name);
    await writeFile(file, csv);
    return file;
  }

  ingest(file: string, extra: readonly string[] = []): Promise<Ingested> {
    return this.json<Ingested>([
      'monitor',
      'ingest',
      '--model',
      MODEL,
      '--context',
      CONTEXT,
      '--timestamp-column',
      'scored_at',
      ...extra,
      file,
    ]);
  }

  /** Proposes v2 against v1's promotion, inside every band of v1: low unless something flagged. */
  proposeRetrain(digests: Digests): Promise<Proposed> {
    return this.json<Proposed>([
      'propose',
      '--model',
      digests.v2,
      '--challenger',
      digests.firstEntry,
      '--dataset',
      digests.dataset,
      '--metrics',
      path.join(this.inputs, 'metrics-v2.json'),
      '--explanation',
      path.join(this.inputs, 'importance.svg'),
      '--request',
      path.join(this.inputs, 'request.md'),
      '--context',
      CONTEXT,
      '--as',
      'alice',
    ]);
  }

  async clone(): Promise<Fixture> {
    const home = await this.home.clone();
    const copy = new Fixture(home);
    fixtures.push(copy);
    return copy;
  }
}

interface Digests {
  readonly v1: string;
  readonly v2: string;
  readonly dataset: string;
  readonly firstEntry: string;
  readonly reference: string;
}

const fixtures: Fixture[] = [];
/** v1 promoted by the committee; no traffic yet. */
let promoted: Fixture;
let digests: Digests;

function firstDigest(stdout: string): string {
  const match = /^(sha256:[0-9a-f]{64})\s/.exec(stdout);
  if (!match?.[1]) throw new Error(`no digest at the start of:\n${stdout}`);
  return match[1];
}

function metrics(dataset: string, candidate: number, challenger: number): string {
  return JSON.stringify({
    dataset,
    candidate: { auc: candidate },
    challenger: { auc: challenger },
    higherIsBetter: { auc: true },
  });
}

beforeAll(async () => {
  const fixture = new Fixture(await createTempHome('signet-monitor-'));
  fixtures.push(fixture);
  const keys = path.join(fixture.home.root, 'config', 'signet', 'keys');
  for (const id of PEOPLE) await fixture.ok(['keys', 'create', '--identity', id]);
  await fixture.ok(['init', '--admin', 'admin', '--admin-key', path.join(keys, 'admin.pub.pem')]);
  for (const id of PEOPLE.slice(1)) {
    await fixture.ok(['identity', 'bind', id, '--key', path.join(keys, `${id}.pub.pem`), '--as', 'admin']);
  }
  for (const grant of [
    ['oscar', 'oncall', '--model', MODEL],
    ['mia', 'model-risk'],
    ['carl', 'credit-risk'],
  ]) {
    await fixture.ok(['roles', 'grant', ...grant, '--as', 'admin']);
  }
  const dir = fixture.inputs;
  await mkdir(path.join(dir, 'models'), { recursive: true });
  await writeFile(path.join(dir, 'contract.json'), JSON.stringify({ features: FEATURES }));
  const register = async (name: string, weights: number[]): Promise<string> => {
    const file = path.join(dir, 'models', `${name}.json`);
    await writeFile(file, JSON.stringify({ kind: 'logistic', weights }) + '\n');
    return firstDigest(
      await fixture.ok([
        'model',
        'register',
        file,
        '--name',
        MODEL,
        '--class',
        'logistic-regression',
        '--input-contract',
        path.join(dir, 'contract.json'),
      ]),
    );
  };
  const baseline = await register('baseline', [0.1, 0.1, 0.1]);
  const v1 = await register('v1', [0.4, -0.2, 1.1]);
  const v2 = await register('v2', [0.41, -0.21, 1.12]);
  const csv = path.join(dir, 'eval.csv');
  await writeFile(csv, evaluationCsv(2000));
  const registered = await fixture.json<{ digest: string; profile?: string; rows: number }>([
    'dataset',
    'register',
    csv,
    '--label',
    'credit eval',
  ]);
  expect(registered.rows).toBe(2000);
  expect(registered.profile).toMatch(/^sha256:[0-9a-f]{64}$/);
  const dataset = registered.digest;
  await writeFile(path.join(dir, 'metrics-v1.json'), metrics(dataset, 0.8, 0.78));
  await writeFile(path.join(dir, 'metrics-v2.json'), metrics(dataset, 0.81, 0.8));
  await writeFile(path.join(dir, 'request.md'), REQUEST_MARKDOWN);
  await writeFile(path.join(dir, 'importance.svg'), EXPLANATION_SVG);
  await writeFile(path.join(dir, 'policy.yaml'), POLICY_YAML);
  await fixture.ok(['policy', 'apply', path.join(dir, 'policy.yaml'), '--as', 'admin']);

  const first = await fixture.json<Proposed>([
    'propose',
    '--model',
    v1,
    '--challenger',
    baseline,
    '--dataset',
    dataset,
    '--metrics',
    path.join(dir, 'metrics-v1.json'),
    '--explanation',
    path.join(dir, 'importance.svg'),
    '--request',
    path.join(dir, 'request.md'),
    '--context',
    CONTEXT,
    '--as',
    'alice',
  ]);
  expect(first.route.materiality).toBe('material');
  await fixture.ok(['approve', first.draft, '--as', 'mia']);
  const sealed = await fixture.json<{ sealed?: { entry: string } }>(['approve', first.draft, '--as', 'carl']);
  const firstEntry = sealed.sealed!.entry;
  const shown = await fixture.json<{
    promotion: { monitoring?: { reference: string; scoreColumn?: string } };
  }>(['show', firstEntry]);
  expect(shown.promotion.monitoring?.scoreColumn).toBe('score');
  digests = { v1, v2, dataset, firstEntry, reference: shown.promotion.monitoring!.reference };
  promoted = fixture;
}, 120_000);

afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.home.cleanup()));
});

describe('reference bins sealed with the promotion', () => {
  it('bins every input feature in the contract order, with its kind, and the score', async () => {
    const reference = JSON.parse(await promoted.ok(['object', 'get', digests.reference])) as {
      type: string;
      dataset: string;
      features: { name: string; kind: string; edges?: number[]; categories?: string[]; counts: number[] }[];
      score?: { name: string; kind: string; edges: number[]; counts: number[] };
    };
    expect(reference.type).toBe('signet-reference-bins/v1');
    expect(reference.dataset).toBe(digests.dataset);
    expect(reference.features.map((f) => [f.name, f.kind])).toEqual([
      ['age', 'numeric'],
      ['income', 'numeric'],
      ['utilisation', 'numeric'],
      ['region', 'categorical'],
    ]);
    const income = reference.features[1]!;
    expect(income.edges).toHaveLength(9); // deciles
    // Ten value bins of about 200 rows each, and an empty missing bin.
    expect(income.counts.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(income.counts.at(-1)).toBe(0);
    for (const count of income.counts.slice(0, -1)) expect(Math.abs(count - 200)).toBeLessThanOrEqual(2);
    expect(reference.features[3]!.categories).toEqual(['north', 'south', 'west']);
    expect(reference.score?.name).toBe('score');
    // `signet verify` checks the sealed object is there and intact.
    await promoted.ok(['verify']);
  });
});

describe('a stable population', () => {
  it('raises no flag, and the next retrain inside its bands takes the low path', async () => {
    const fixture = await promoted.clone();
    const file = await fixture.writeTraffic(
      'stable.csv',
      trafficCsv(DAY1, 3000, false, 11) + trafficCsv(DAY2, 3000, false, 12, false),
    );
    const ingested = await fixture.ingest(file);
    expect(ingested.promotion.entry).toBe(digests.firstEntry);
    expect(ingested.report.totals).toMatchObject({ rows: 6000, counted: 6000 });
    expect(ingested.flags).toEqual([]);
    // 2 days × (4 features + the score), each judged on 3000 rows.
    expect(ingested.windows).toHaveLength(10);
    for (const w of ingested.windows) {
      expect(w.n).toBe(3000);
      expect(w.level, `${w.window} ${w.feature} PSI ${w.psi}`).toBe('ok');
      expect(w.psi!).toBeLessThan(0.05);
    }
    const retrain = await fixture.proposeRetrain(digests);
    expect(retrain.route.materiality).toBe('low');
  });
});

describe('a shifted population', () => {
  let flagged: Fixture;
  let ingested: Ingested;

  beforeAll(async () => {
    flagged = await promoted.clone();
    const file = await flagged.writeTraffic(
      'shifted.csv',
      trafficCsv(DAY1, 3000, false, 21) + trafficCsv(DAY2, 3000, true, 22, false),
    );
    ingested = await flagged.ingest(file);
  });

  it('flags the shifted day for the shifted features and the score, and only them', () => {
    const material = ingested.windows.filter((w) => w.level === 'material');
    expect(material.map((w) => w.window)).toEqual(material.map(() => `${DAY2}T00:00:00Z`));
    const names = material.map((w) => w.feature).sort();
    expect(names).toEqual(['income', 'score', 'utilisation']);
    expect(ingested.flags.map((f) => f.feature).sort()).toEqual(names);
    for (const flag of ingested.flags) {
      expect(flag.appended).toBe(true);
      expect(flag.psi).toBeGreaterThanOrEqual(0.25);
    }
    const day1 = ingested.windows.filter((w) => w.window === `${DAY1}T00:00:00Z`);
    expect(day1.every((w) => w.level === 'ok')).toBe(true);
    // age and region are drawn the same way in both populations.
    const unshifted = ingested.windows.filter(
      (w) => w.window.startsWith(DAY2) && ['age', 'region'].includes(w.feature),
    );
    expect(unshifted.every((w) => w.level === 'ok')).toBe(true);
  });

  it('appends each flag once: ingesting more of the same day adds counts but no second entry', async () => {
    const fixture = await flagged.clone();
    const file = await fixture.writeTraffic('more.csv', trafficCsv(DAY2, 600, true, 23));
    const again = await fixture.ingest(file);
    expect(again.flags.length).toBe(3);
    expect(again.flags.every((f) => !f.appended)).toBe(true);
    expect(again.flags.map((f) => f.entry).sort()).toEqual(ingested.flags.map((f) => f.entry).sort());
    expect(again.windows.every((w) => w.n === 3600)).toBe(true);
  });

  it('sends the next retrain, inside its bands, to the committee, quoting the flag entries', async () => {
    const fixture = await flagged.clone();
    const retrain = await fixture.proposeRetrain(digests);
    expect(retrain.route.materiality).toBe('material');
    const quoted = retrain.route.reasons.filter((r) =>
      r.startsWith('population shift since the last promotion'),
    );
    expect(quoted).toHaveLength(3);
    for (const flag of ingested.flags) {
      expect(quoted.some((r) => r.includes(flag.entry) && r.includes(flag.feature))).toBe(true);
    }
    // The on-call engineer alone can no longer seal it.
    const oncall = await fixture.run(['approve', retrain.draft, '--as', 'oscar', '--json']);
    expect(oncall.code).not.toBe(0);
  });

  it('shows the windows, levels and flags in `monitor status`', async () => {
    const [status] = await flagged.json<Status[]>(['monitor', 'status', '--model', MODEL]);
    expect(status).toBeDefined();
    expect(status!.context).toBe(CONTEXT);
    expect(status!.promotion.entry).toBe(digests.firstEntry);
    expect(status!.windows).toEqual([`${DAY1}T00:00:00Z`, `${DAY2}T00:00:00Z`]);
    expect(status!.series.map((s) => s.name)).toEqual(['score', 'age', 'income', 'utilisation', 'region']);
    expect(status!.flags.map((f) => f.entry).sort()).toEqual(ingested.flags.map((f) => f.entry).sort());
    const text = await flagged.ok(['monitor', 'status', '--model', MODEL]);
    expect(text).toContain('windows under 500 rows raise no flag');
    expect(text).toMatch(/utilisation\n(.*\n)*.*MATERIAL {2}flagged: entry \d+/);
  });

  it('keeps every flag verifiable: `signet verify` passes and the counts object recomputes the PSI', async () => {
    await flagged.ok(['verify']);
    const entry = ingested.flags[0]!.entry;
    const shown = await flagged.json<{
      statement?: { predicate: { counts: string; psi: number; policy: string } };
    }>(['log', 'entry', entry]);
    const predicate = shown.statement?.predicate;
    expect(predicate?.psi).toBe(ingested.flags[0]!.psi);
    const counts = JSON.parse(await flagged.ok(['object', 'get', predicate!.counts])) as {
      type: string;
      counts: number[];
      reference: string;
    };
    expect(counts.type).toBe('signet-window-counts/v1');
    expect(counts.reference).toBe(digests.reference);
    expect(counts.counts.reduce((a, b) => a + b, 0)).toBe(3000);
  });
});

describe('what ingestion reports', () => {
  it('counts malformed rows, rows without a timestamp and unparsable values, and judges a small day insufficient', async () => {
    const fixture = await promoted.clone();
    // A quote never closed swallows the rest of the input into one record: it comes last.
    const csv =
      trafficCsv(DAY1, 40, true, 31) +
      'not-a-time,30,20000,0.5,north,0.4\n' +
      ',31,21000,0.6,south,0.4\n' +
      '2026-11-02T05:00:00Z,n/a,22000,0.7,west,0.4\n' +
      '2026-11-02T06:00:00Z,44,"unterminated,0.5,north,0.5\n';
    const file = await fixture.writeTraffic('messy.csv', csv);
    const ingested = await fixture.ingest(file);
    const totals = ingested.report.totals;
    expect(totals.rows).toBe(totals.counted + totals.malformed.count + totals.untimed.count);
    expect(totals.untimed.count).toBe(2);
    expect(totals.untimed.first.map((p) => p.reason).sort()).toEqual([
      'invalid-timestamp',
      'missing-timestamp',
    ]);
    expect(totals.malformed.count).toBe(1);
    expect(totals.counted).toBe(41);
    expect(ingested.report.columns.find((c) => c.name === 'age')?.unparsable).toBe(1);
    // 41 rows on the day: far below the minimum, so the huge shift raises no flag.
    expect(ingested.minimumCount).toBe(500);
    expect(ingested.flags).toEqual([]);
    expect(ingested.windows.every((w) => w.level === 'insufficient')).toBe(true);
    const text = await fixture.ok([
      'monitor',
      'ingest',
      '--model',
      MODEL,
      '--context',
      CONTEXT,
      '--timestamp-column',
      'scored_at',
      file,
    ]);
    expect(text).toMatch(/without a readable timestamp 2/);
    expect(text).toContain('INSUFFICIENT');
  });

  it('reads NDJSON from standard input, in hourly windows', async () => {
    const fixture = await promoted.clone();
    const lines = trafficCsv(DAY1, 20, false, 41)
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [scored_at, age, income, utilisation, region, score] = line.split(',');
        return JSON.stringify({
          scored_at,
          age: Number(age),
          income: Number(income),
          utilisation: Number(utilisation),
          region,
          score: Number(score),
        });
      });
    const ingested = await fixture.json<Ingested>(
      [
        'monitor',
        'ingest',
        '--model',
        MODEL,
        '--context',
        CONTEXT,
        '--timestamp-column',
        'scored_at',
        '--window',
        'hour',
        '--format',
        'ndjson',
        '-',
      ],
      new TextEncoder().encode(lines.join('\n') + '\n'),
    );
    expect(ingested.report.totals.counted).toBe(20);
    // 20 rows over a day: one row every 72 minutes, in 17 different hours.
    expect(new Set(ingested.windows.map((w) => w.window)).size).toBeGreaterThan(10);
    expect(ingested.windows.every((w) => w.window.startsWith(DAY1))).toBe(true);
  });

  it('refuses what it cannot use, with a clear error and nothing counted', async () => {
    const fixture = await promoted.clone();
    const file = await fixture.writeTraffic('ok.csv', trafficCsv(DAY1, 5, false, 51));
    const refusals: [string[], string][] = [
      [['--model', 'nobody', '--context', CONTEXT], 'NOT_FOUND'],
      [['--model', MODEL, '--context', 'retail-credit/fr'], 'NOT_FOUND'],
      [['--model', MODEL, '--context', CONTEXT, '--window', 'week'], 'INVALID_ARGUMENT'],
      [['--model', MODEL, '--context', CONTEXT, '--format', 'xlsx'], 'INVALID_ARGUMENT'],
    ];
    for (const [args, code] of refusals) {
      const result = await fixture.run(['monitor', 'ingest', ...args, file]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`[${code}]`);
      expectNoStackTrace(result);
    }
    const missing = await fixture.run([
      'monitor',
      'ingest',
      '--model',
      MODEL,
      '--context',
      CONTEXT,
      path.join(fixture.inputs, 'nope.csv'),
    ]);
    expect(missing.code).toBe(2);
    expectNoStackTrace(missing);
    const [status] = await fixture.json<Status[]>(['monitor', 'status', '--model', MODEL]);
    expect(status!.windows).toEqual([]);
    // The evaluation file is still what was registered.
    expect((await readFile(path.join(fixture.inputs, 'eval.csv'), 'utf8')).split('\n')).toHaveLength(2002);
  });
});
