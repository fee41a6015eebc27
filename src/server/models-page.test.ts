// The models page's data on a real home: the gate appends an entry per request, so the page lists only
// the latest gate decisions of each model version (newest first), from the log's latest entries, and says
// which entries those were; each with who asked, when a server's caller did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAppHome, CONTEXT, MODEL, type AppHome } from '../../test/helpers/app-home.js';
import { gate } from '../app/gate.js';
import type { Digest } from '../signing/digest.js';
import { modelsOf } from './web.js';

let app: AppHome;
let first: Digest;
let second: Digest;
/** The deployment entry indices of the gate's answers for `first`, in order. */
const firstDecisions: number[] = [];
let secondDecision: number;

beforeAll(async () => {
  app = await createAppHome('signet-models-page-');
  first = await app.registerNew();
  await app.seal(first);
  second = await app.registerNew();
  await app.seal(second);
  // As `signet serve` asks: the caller is recorded.
  secondDecision = (
    await gate(app.home, second, CONTEXT, { requestedBy: { identity: 'deployer', via: 'token' } })
  ).deploymentIndex;
  for (let i = 0; i < 25; i += 1) {
    const answer = await gate(app.home, first, CONTEXT);
    expect(answer.allow).toBe(true);
    firstDecisions.push(answer.deploymentIndex);
  }
}, 60_000);

afterAll(() => app.close());

const versionsOf = (models: Awaited<ReturnType<typeof modelsOf>>['models']) =>
  new Map(models.find((m) => m.name === MODEL)!.versions.map((v) => [v.digest, v]));

describe('the models page: the latest gate decisions of each version', () => {
  it('at most perVersion of them, newest first, from a window that covers the whole log', async () => {
    const size = await app.home.ledger.size();
    const { models, deployments } = await modelsOf(app.home, { window: 10_000, perVersion: 20 });
    expect(deployments).toEqual({ from: 0, to: size - 1, perVersion: 20 });
    const versions = versionsOf(models);
    const shown = versions.get(first)!.deployments.map((d) => d.entry.index);
    expect(shown).toEqual(firstDecisions.slice(-20).reverse());
    expect(
      versions.get(first)!.deployments.every((d) => d.decision === 'allow' && d.context === CONTEXT),
    ).toBe(true);
    expect(versions.get(second)!.deployments.map((d) => d.entry.index)).toEqual([secondDecision]);
    // Who asked: the server's caller; nobody for the gate run on the home itself.
    expect(versions.get(second)!.deployments[0]!.requestedBy).toBe('deployer');
    expect(versions.get(first)!.deployments[0]!.requestedBy).toBeUndefined();
    // Every promotion is listed, whatever the window.
    expect(versions.get(first)!.promotions).toHaveLength(1);
    expect(versions.get(second)!.promotions).toHaveLength(1);
  });

  it('only the entries of the window are read: older decisions are left to the ledger page', async () => {
    const size = await app.home.ledger.size();
    const { models, deployments } = await modelsOf(app.home, { window: 10, perVersion: 20 });
    expect(deployments).toEqual({ from: size - 10, to: size - 1, perVersion: 20 });
    const versions = versionsOf(models);
    expect(versions.get(first)!.deployments.map((d) => d.entry.index)).toEqual(
      firstDecisions.filter((index) => index >= size - 10).reverse(),
    );
    // The second version's one decision is older than the window; its promotion is still shown.
    expect(versions.get(second)!.deployments).toEqual([]);
    expect(versions.get(second)!.promotions).toHaveLength(1);
  });
});
