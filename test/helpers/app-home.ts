// A Signet home built in process through the app layer, for tests of what reads sealed promotions (the
// gate, routing): admin (genesis), alice (requester), bob and carol (approvers for the model), a dataset,
// an input contract, metrics, a request and an SVG explanation. `registerNew` registers a fresh model
// version of MODEL; `seal` proposes one as alice and seals it with an approval.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

import { bindIdentity, grantRole } from '../../src/app/authority.js';
import { approve } from '../../src/app/decide.js';
import type { Home } from '../../src/app/home.js';
import { initHome } from '../../src/app/init.js';
import { propose, type Actor } from '../../src/app/promote.js';
import { registerDataset, registerModel } from '../../src/app/register.js';
import type { Digest } from '../../src/signing/digest.js';
import { createSigner, generateKeyPair } from '../../src/signing/keys.js';
import { REQUEST, SVG } from './texts.js';

export const MODEL = 'credit';
export const CONTEXT = 'retail-credit/uk';

export interface AppHome {
  readonly root: string;
  /** The home's folder (config and log key): another process or server opens it with `openHome`. */
  readonly dir: string;
  readonly home: Home;
  readonly admin: Actor;
  readonly alice: Actor;
  readonly bob: Actor;
  readonly carol: Actor;
  /** A baseline model version registered at set-up (the challenger of every proposal). */
  readonly baseline: Digest;
  /** Registers a new version of MODEL; its digest. */
  registerNew(): Promise<Digest>;
  /** Proposes `model` as alice (in CONTEXT unless given); the draft id. */
  proposeDraft(model: Digest, context?: string): Promise<string>;
  /** Proposes `model` and seals it with `approver`'s approval (bob by default); the promotion entry id. */
  seal(model: Digest, options?: { approver?: Actor; context?: string }): Promise<Digest>;
  /** Closes the home and removes the folder. */
  close(): Promise<void>;
}

function actor(identity: string): Actor {
  return { identity, signer: createSigner(generateKeyPair().privatePem) };
}

/**
 * `options.env`: where `SIGNET_DATABASE_URL` is read from (a home on PostgreSQL when it names a database);
 * the process environment by default.
 */
export async function createAppHome(
  prefix: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<AppHome> {
  const root = await mkdtemp(path.join(tmpdir(), prefix));
  const write = async (name: string, content: string): Promise<string> => {
    const file = path.join(root, 'inputs', name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    return file;
  };
  const admin = actor('admin');
  const dir = path.join(root, 'home');
  const { home } = await initHome(dir, {
    admin: { identity: 'admin', publicKey: admin.signer.publicKey },
    ...(options.env ? { env: options.env } : {}),
  });
  const [alice, bob, carol] = [actor('alice'), actor('bob'), actor('carol')];
  for (const person of [alice, bob, carol]) {
    await bindIdentity(home, person.identity, person.signer.publicKey, admin);
  }
  await grantRole(home, { identity: 'bob', role: 'approver' }, admin);
  await grantRole(home, { identity: 'carol', role: 'approver' }, admin);
  const dataset = (
    await registerDataset(home, await write('eval.csv', 'age,default\n31,0\n'), { label: 'eval' })
  ).record.digest;
  const files = {
    contract: await write('contract.json', JSON.stringify({ features: [{ name: 'age', type: 'integer' }] })),
    metrics: await write(
      'metrics.json',
      JSON.stringify({ dataset, candidate: { auc: 0.8 }, challenger: { auc: 0.78 } }),
    ),
    request: await write('request.md', REQUEST),
    svg: await write('importance.svg', SVG),
  };
  let models = 0;
  const registerNew = async (): Promise<Digest> => {
    models += 1;
    const file = await write(`model-${models}.json`, JSON.stringify({ weights: [models / 100] }));
    return (
      await registerModel(home, file, {
        name: MODEL,
        class: 'logistic-regression',
        inputContractFile: files.contract,
      })
    ).record.digest;
  };
  const baseline = await registerNew();
  const proposeDraft = async (model: Digest, context = CONTEXT): Promise<string> =>
    (
      await propose(home, {
        model,
        challenger: baseline,
        dataset,
        metricsFile: files.metrics,
        explanationFiles: [files.svg],
        requestFile: files.request,
        context,
        as: alice,
      })
    ).draft;
  return {
    root,
    dir,
    home,
    admin,
    alice,
    bob,
    carol,
    baseline,
    registerNew,
    proposeDraft,
    async seal(model, options = {}) {
      const draft = await proposeDraft(model, options.context);
      const sealed = (await approve(home, draft, options.approver ?? bob)).sealed;
      expect(sealed).toBeDefined();
      return sealed!.id;
    },
    async close() {
      await home.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
