// sealBatch's conditions, without a store: a condition is checked only against the latest index of each
// kind that the adapter read, and an adapter that forgets to read them gets an error, not a pass.
import { describe, expect, it } from 'vitest';

import { createSigner, generateKeyPair } from '../signing/keys.js';
import { noteDraft } from './contract/ledger-contract.js';
import { sealBatch } from './seal-batch.js';

const log = { origin: 'test.example/seal-batch', signer: createSigner(generateKeyPair().privatePem) };
const last = { index: 9, time: '2026-11-29T00:00:00.000Z' };
const notes = new Set(['test-note']);

describe('sealBatch conditions', () => {
  it('refuses to seal a conditional append without the latest index of each kind (an adapter bug)', () => {
    expect(() =>
      sealBatch([{ draft: noteDraft(1), condition: { since: 5, kinds: notes } }], last, log, Date.now),
    ).toThrow(expect.objectContaining({ code: 'STORE_FAILURE' }));
  });

  it('checks each condition against the kinds read and the entries sealed before it in the batch', () => {
    const read = new Map([
      ['test-note', 9],
      ['role-grant', 4],
    ]);
    const { outcomes, entries } = sealBatch(
      [
        // The role-grant at 4 is below `since`: appended at 10.
        { draft: noteDraft(1), condition: { since: 5, kinds: notes } },
        // Below it: refused, no index taken.
        { draft: noteDraft(2), condition: { since: 4, kinds: notes } },
        { draft: noteDraft(3, 'test-flag') },
        // The test-flag just sealed at 11 is at or after `since`: refused.
        { draft: noteDraft(4), condition: { since: 5, kinds: notes } },
        { draft: noteDraft(5), condition: { since: 5, kinds: new Set(['test-note', 'test-flag']) } },
      ],
      last,
      log,
      Date.now,
      undefined,
      read,
    );
    expect(outcomes.map((o) => (o.ok ? o.value.index : (o.error as { code: string }).code))).toEqual([
      10,
      'APPEND_CONDITION_FAILED',
      11,
      'APPEND_CONDITION_FAILED',
      12,
    ]);
    expect(entries.map((e) => e.index)).toEqual([10, 11, 12]);
    // The map the adapter passed is not changed.
    expect(read.get('test-flag')).toBeUndefined();
  });
});
