// The monitor's population-shift flag: appended once per model, context, window and feature; seen by
// routing (the next promotion is material with the flag quoted); a malformed flag refused, nothing
// appended.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import { createSigner, generateKeyPair } from '../signing/keys.js';
import type { Home } from './home.js';
import { initHome } from './init.js';
import { recordPopulationShift, type PopulationShiftFlag } from './monitor-flags.js';
import { gatherLedgerView } from './route.js';

let root: string;
let home: Home;
const d = (text: string): Digest => digestOfBytes(new TextEncoder().encode(text));
const FLAG: PopulationShiftFlag = {
  model: 'credit',
  context: 'retail-credit/uk',
  window: '2026-11-27T00:00:00Z',
  feature: 'utilisation',
  psi: 0.31,
  pValue: 1e-12,
  rows: 5000,
  counts: d('counts'),
  policy: d('policy'),
  threshold: 0.25,
};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'signet-flags-'));
  const admin = createSigner(generateKeyPair().privatePem);
  ({ home } = await initHome(path.join(root, 'home'), {
    admin: { identity: 'admin', publicKey: admin.publicKey },
  }));
});

afterAll(async () => {
  await home.close();
  await rm(root, { recursive: true, force: true });
});

describe('recordPopulationShift', () => {
  it('appends a flag once per model, context, window and feature; routing sees it', async () => {
    const first = await recordPopulationShift(home, FLAG);
    expect(first.appended).toBe(true);
    const again = await recordPopulationShift(home, { ...FLAG, psi: 0.4 });
    expect(again).toEqual({ entry: first.entry, index: first.index, appended: false });
    const other = await recordPopulationShift(home, { ...FLAG, feature: 'score' });
    expect(other.appended).toBe(true);
    const view = await gatherLedgerView(home, 'credit');
    expect(view.populationShifts).toEqual([
      { entry: first.entry, feature: 'utilisation', psi: 0.31, window: FLAG.window, context: FLAG.context },
      { entry: other.entry, feature: 'score', psi: 0.31, window: FLAG.window, context: FLAG.context },
    ]);
    expect((await gatherLedgerView(home, 'churn')).populationShifts).toEqual([]);
  });

  it('refuses a malformed flag, naming each problem, and appends nothing', async () => {
    const size = await home.ledger.size();
    try {
      await recordPopulationShift(home, {
        ...FLAG,
        psi: Number.NaN,
        window: 'yesterday',
        counts: 'x' as Digest,
      });
      throw new Error('expected a refusal');
    } catch (error) {
      expect(isSignetError(error) && error.code).toBe('INVALID_ARGUMENT');
      expect(String(error)).toMatch(/window.*psi.*counts/);
    }
    expect(await home.ledger.size()).toBe(size);
  });
});
