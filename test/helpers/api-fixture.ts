// A home for the HTTP API tests, built in process through the app layer (fast: no CLI processes): keys
// made in the test for admin, alice (requester), bob (approver of the model), carol (approver of
// everything), mallory (bound,
// no role); a baseline and a candidate model, an evaluation CSV, metrics, a request and an SVG, all
// registered; drafts proposed by alice; an API token for each person. Nothing here is ever committed.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { bindIdentity, grantRole } from '../../src/app/authority.js';
import type { Home } from '../../src/app/home.js';
import { initHome } from '../../src/app/init.js';
import { propose, type Actor } from '../../src/app/promote.js';
import { registerDataset, registerModel } from '../../src/app/register.js';
import { createApiToken } from '../../src/app/tokens.js';
import { createSigner, generateKeyPair } from '../../src/signing/keys.js';
import type { Digest } from '../../src/signing/digest.js';
import { REQUEST, SVG } from './texts.js';

export const MODEL = 'credit';
export const CONTEXT = 'retail-credit/uk';
export const PEOPLE = ['admin', 'alice', 'bob', 'carol', 'mallory'] as const;
export type Person = (typeof PEOPLE)[number];

export { REQUEST, SVG };

export interface ApiFixture {
  readonly root: string;
  readonly home: Home;
  readonly people: Readonly<Record<Person, Actor>>;
  /** An API token secret for each person. */
  readonly tokens: Readonly<Record<Person, string>>;
  readonly digests: { readonly baseline: Digest; readonly candidate: Digest; readonly dataset: Digest };
  readonly files: {
    readonly candidate: string;
    readonly csv: string;
    readonly metrics: string;
    readonly request: string;
    readonly svg: string;
  };
  /** Proposes a new draft as alice (candidate against the baseline). */
  propose(): Promise<string>;
  cleanup(): Promise<void>;
}

async function write(file: string, content: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

export async function createApiFixture(): Promise<ApiFixture> {
  const root = await mkdtemp(path.join(tmpdir(), 'signet-api-'));
  const people = Object.fromEntries(
    PEOPLE.map((identity) => [identity, { identity, signer: createSigner(generateKeyPair().privatePem) }]),
  ) as Record<Person, Actor>;
  const { home } = await initHome(path.join(root, 'home'), {
    admin: { identity: 'admin', publicKey: people.admin.signer.publicKey },
  });
  for (const id of ['alice', 'bob', 'carol', 'mallory'] as const) {
    await bindIdentity(home, id, people[id].signer.publicKey, people.admin);
  }
  await grantRole(home, { identity: 'bob', role: 'approver', model: MODEL }, people.admin);
  // Carol approves for every model and feature pipeline.
  await grantRole(home, { identity: 'carol', role: 'approver' }, people.admin);
  const dir = path.join(root, 'inputs');
  const baselineFile = await write(
    path.join(dir, 'baseline.json'),
    JSON.stringify({ weights: [0.1] }) + '\n',
  );
  const candidate = await write(path.join(dir, 'candidate.json'), JSON.stringify({ weights: [0.4] }) + '\n');
  const csv = await write(path.join(dir, 'eval.csv'), 'age,default\n31,0\n23,1\n');
  const register = async (file: string): Promise<Digest> =>
    (await registerModel(home, file, { name: MODEL, class: 'logistic-regression' })).record.digest;
  const baseline = await register(baselineFile);
  const candidateDigest = await register(candidate);
  const dataset = (await registerDataset(home, csv, { label: 'eval.csv' })).record.digest;
  const files = {
    candidate,
    csv,
    metrics: await write(
      path.join(dir, 'metrics.json'),
      JSON.stringify({ dataset, candidate: { auc: 0.81 }, challenger: { auc: 0.78 } }),
    ),
    request: await write(path.join(dir, 'request.md'), REQUEST),
    svg: await write(path.join(dir, 'importance.svg'), SVG),
  };
  const tokens = {} as Record<Person, string>;
  for (const id of PEOPLE) {
    tokens[id] = (await createApiToken(home, { identity: id, name: `${id}-ci`, as: people.admin })).secret;
  }
  return {
    root,
    home,
    people,
    tokens,
    digests: { baseline, candidate: candidateDigest, dataset },
    files,
    propose: async () =>
      (
        await propose(home, {
          model: candidateDigest,
          challenger: baseline,
          dataset,
          metricsFile: files.metrics,
          explanationFiles: [files.svg],
          requestFile: files.request,
          context: CONTEXT,
          as: people.alice,
        })
      ).draft,
    cleanup: async () => {
      await home.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
