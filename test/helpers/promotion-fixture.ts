// A Signet home with everything a promotion needs, built through the built CLI as people would: keys for
// admin, alice (the requester), bob and carol (approvers); the genesis admin; bound identities; approver
// grants for the model; two tiny model folders, an evaluation CSV, metrics naming the dataset digest, a
// request with the four sections, an SVG and a SHAP JSON explanation; registered and proposed.
// `clone()` copies the whole temporary folder (home, keys and inputs), so a test that mutates gets its
// own home without paying for the setup again.
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';

import { createTempHome, expectNoStackTrace, type TempHome } from './cli.js';
import type { RunResult } from './dist.js';

export const MODEL_NAME = 'credit';
export const CONTEXT = 'retail-credit/uk';
export const DATASET_LABEL = 'credit eval 2024-q4';
/** Data rows of the evaluation CSV (a header line, then these). */
export const DATASET_ROWS = 5;

export const REQUEST_MARKDOWN = [
  '# Credit scorecard: candidate v2',
  '',
  '## Justification',
  'The candidate separates good and bad payers better on the holdout (AUC +0.02).',
  '',
  '## Scope',
  'Retail unsecured credit applications in the UK.',
  '',
  '## Intended deployment',
  'Nightly batch scoring behind the existing cut-off.',
  '',
  '## Known limitations',
  'Thin-file applicants are under-represented in the evaluation set.',
  '',
].join('\n');

export const EXPLANATION_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">' +
  '<rect x="0" y="0" width="30" height="8" fill="#36c"/><rect x="0" y="10" width="12" height="8" fill="#c63"/>' +
  '</svg>\n';

export const SHAP_JSON = JSON.stringify({
  feature_names: ['age', 'income', 'utilisation'],
  values: [
    [0.12, -0.3, 0.05],
    [-0.04, 0.21, -0.17],
  ],
});

const EVAL_CSV = [
  'age,income,utilisation,default',
  '31,42000,0.35,0',
  '45,61000,0.10,0',
  '23,18000,0.92,1',
  '52,75000,0.22,0',
  '38,30500,0.67,1',
  '',
].join('\n');

export interface InputFiles {
  readonly incumbent: string;
  readonly candidate: string;
  readonly dataset: string;
  readonly metrics: string;
  readonly request: string;
  readonly svg: string;
  readonly shap: string;
}

export interface Registered {
  readonly incumbent: string;
  readonly candidate: string;
  readonly dataset: string;
  /** What `model register` printed for the candidate and `dataset register` for the CSV. */
  readonly modelOutput: string;
  readonly datasetOutput: string;
}

export interface Proposal {
  readonly draft: string;
  readonly view: string;
  readonly inputs: string;
}

/** The arguments of `signet propose` that can be swapped for a variant. */
export interface ProposeArgs {
  readonly model: string;
  readonly challenger: string;
  readonly dataset: string;
  readonly metrics: string;
  readonly explanations: readonly string[];
  readonly request: string;
  readonly context: string;
  readonly as: string;
}

export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export class PromotionFixture {
  constructor(
    readonly home: TempHome,
    readonly registered: Registered,
    /** The draft proposed by alice with the fixture's inputs. */
    readonly proposal: Proposal,
  ) {}

  get root(): string {
    return this.home.root;
  }

  get keyDir(): string {
    return path.join(this.home.root, 'config', 'signet', 'keys');
  }

  publicKey(identity: string): string {
    return path.join(this.keyDir, `${identity}.pub.pem`);
  }

  privateKey(identity: string): string {
    return path.join(this.keyDir, `${identity}.key.pem`);
  }

  get files(): InputFiles {
    return inputFiles(this.home.root);
  }

  /** Where the filesystem object store keeps `digest`. */
  objectFile(digest: string): string {
    const hex = digest.slice('sha256:'.length);
    return path.join(this.home.dir, 'objects', 'sha256', hex.slice(0, 2), hex.slice(2));
  }

  run(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
    return this.home.run(args, env ? { env } : {});
  }

  /** Runs a command that must succeed; returns its standard output. */
  async ok(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
    const result = await this.run(args, env);
    expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
    expectNoStackTrace(result);
    return result.stdout;
  }

  /** Runs a `--json` command that must succeed and parses its output. */
  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, '--json'])) as T;
  }

  /** The number of entries in the ledger, read from its SQLite file (no CLI process needed). */
  ledgerSize(): number {
    const db = new Database(path.join(this.home.dir, 'ledger.sqlite'), { fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM entries').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  proposeArgs(overrides: Partial<ProposeArgs> = {}): string[] {
    const files = this.files;
    const args: ProposeArgs = {
      model: this.registered.candidate,
      challenger: this.registered.incumbent,
      dataset: this.registered.dataset,
      metrics: files.metrics,
      explanations: [files.svg, files.shap],
      request: files.request,
      context: CONTEXT,
      as: 'alice',
      ...overrides,
    };
    return [
      'propose',
      '--model',
      args.model,
      '--challenger',
      args.challenger,
      '--dataset',
      args.dataset,
      '--metrics',
      args.metrics,
      ...args.explanations.flatMap((file) => ['--explanation', file]),
      '--request',
      args.request,
      '--context',
      args.context,
      '--as',
      args.as,
    ];
  }

  /** Proposes (another) draft with the fixture's inputs, or variants of them. */
  propose(overrides: Partial<ProposeArgs> = {}): Promise<Proposal> {
    return this.json<Proposal>(this.proposeArgs(overrides));
  }

  /** An independent copy of this fixture: the home, the keys and the inputs, in a new temporary folder. */
  async clone(): Promise<PromotionFixture> {
    const home = await createTempHome('signet-promotion-');
    await cp(this.home.root, home.root, { recursive: true, preserveTimestamps: true });
    return new PromotionFixture(home, this.registered, this.proposal);
  }

  cleanup(): Promise<void> {
    return this.home.cleanup();
  }
}

function inputFiles(root: string): InputFiles {
  const dir = path.join(root, 'inputs');
  return {
    incumbent: path.join(dir, 'models', 'incumbent'),
    candidate: path.join(dir, 'models', 'candidate'),
    dataset: path.join(dir, 'eval.csv'),
    metrics: path.join(dir, 'metrics.json'),
    request: path.join(dir, 'request.md'),
    svg: path.join(dir, 'importance.svg'),
    shap: path.join(dir, 'shap-values.json'),
  };
}

async function writeModel(dir: string, weights: readonly number[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.json'), JSON.stringify({ kind: 'logistic', weights }) + '\n');
  await writeFile(path.join(dir, 'features.txt'), 'age\nincome\nutilisation\n');
}

export interface FixtureOptions {
  /** Who holds the approver role for the model (default bob and carol). */
  readonly approvers?: readonly string[];
}

/** Builds the home through the CLI, registers the inputs and proposes one draft as alice. */
export async function createPromotionFixture(options: FixtureOptions = {}): Promise<PromotionFixture> {
  const home = await createTempHome('signet-promotion-');
  try {
    const ok = async (args: readonly string[]): Promise<string> => {
      const result = await home.run(args);
      expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
      return result.stdout;
    };
    const keys = path.join(home.root, 'config', 'signet', 'keys');
    for (const id of ['admin', 'alice', 'bob', 'carol']) await ok(['keys', 'create', '--identity', id]);
    await ok(['init', '--admin', 'admin', '--admin-key', path.join(keys, 'admin.pub.pem')]);
    for (const id of ['alice', 'bob', 'carol']) {
      await ok(['identity', 'bind', id, '--key', path.join(keys, `${id}.pub.pem`), '--as', 'admin']);
    }
    for (const id of options.approvers ?? ['bob', 'carol']) {
      await ok(['roles', 'grant', id, 'approver', '--model', MODEL_NAME, '--as', 'admin']);
    }

    const files = inputFiles(home.root);
    await writeModel(files.incumbent, [0.4, -0.2, 1.1]);
    await writeModel(files.candidate, [0.5, -0.25, 1.3]);
    await writeFile(files.dataset, EVAL_CSV);
    await writeFile(files.request, REQUEST_MARKDOWN);
    await writeFile(files.svg, EXPLANATION_SVG);
    await writeFile(files.shap, SHAP_JSON);

    const registerModel = (dir: string): Promise<string> =>
      ok(['model', 'register', dir, '--name', MODEL_NAME, '--class', 'logistic-regression']);
    const incumbent = firstDigest(await registerModel(files.incumbent));
    const modelOutput = await registerModel(files.candidate);
    const datasetOutput = await ok(['dataset', 'register', files.dataset, '--label', DATASET_LABEL]);
    const dataset = firstDigest(datasetOutput);
    // A single-file dataset's digest is the SHA-256 of its bytes.
    expect(dataset).toBe(sha256Digest(await readFile(files.dataset)));
    await writeFile(
      files.metrics,
      JSON.stringify({
        dataset,
        candidate: { auc: 0.81, ks: 0.42 },
        challenger: { auc: 0.79, ks: 0.4 },
        higherIsBetter: { auc: true, ks: true },
      }),
    );
    const registered: Registered = {
      incumbent,
      candidate: firstDigest(modelOutput),
      dataset,
      modelOutput,
      datasetOutput,
    };
    const draft = new PromotionFixture(home, registered, { draft: '', view: '', inputs: '' });
    return new PromotionFixture(home, registered, await draft.propose());
  } catch (error) {
    await home.cleanup();
    throw error;
  }
}

function firstDigest(stdout: string): string {
  const match = /^(sha256:[0-9a-f]{64})\s/.exec(stdout);
  if (!match?.[1]) throw new Error(`no digest at the start of:\n${stdout}`);
  return match[1];
}
