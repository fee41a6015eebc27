// What routing reads from the log about a model, with revocations in it: a withdrawn promotion is not the
// incumbent (not the previous promotion the candidate is measured against, not the one the low path fills
// in as challenger), not the committee's last word, and its context is no longer approved; the promotion
// before it takes its place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAppHome, CONTEXT, MODEL, type AppHome } from '../../test/helpers/app-home.js';
import { revokePromotion } from './decide.js';
import { findPreviousPromotion } from './promote.js';
import { gatherLedgerView } from './route.js';

let app: AppHome;

beforeAll(async () => {
  app = await createAppHome('signet-route-');
});

afterAll(async () => {
  await app?.close();
});

describe('routing with revoked promotions', () => {
  it('a revoked promotion is not the previous one, not the last committee and not an approved context', async () => {
    const { home, bob } = app;
    const first = await app.seal(await app.registerNew());
    const elsewhere = await app.seal(await app.registerNew(), { context: 'retail-credit/ie' });
    const before = await gatherLedgerView(home, MODEL);
    expect(before.previous?.entry).toBe(elsewhere);
    expect(before.approvedContexts).toEqual([CONTEXT, 'retail-credit/ie']);
    expect(await findPreviousPromotion(home, MODEL)).toBe(elsewhere);

    await revokePromotion(home, elsewhere, bob, 'withdrawn: wrong population');
    const after = await gatherLedgerView(home, MODEL);
    expect(after.previous?.entry).toBe(first);
    expect(after.lastCommittee?.entry).toBe(first);
    // The only promotion for Ireland was withdrawn: a promotion there is a new context again.
    expect(after.approvedContexts).toEqual([CONTEXT]);
    expect(await findPreviousPromotion(home, MODEL)).toBe(first);

    await revokePromotion(home, first, bob, 'withdrawn: superseded by nothing');
    const none = await gatherLedgerView(home, MODEL);
    expect(none.previous).toBeUndefined();
    expect(none.lastCommittee).toBeUndefined();
    expect(none.approvedContexts).toEqual([]);
    expect(await findPreviousPromotion(home, MODEL)).toBeUndefined();
  });
});
