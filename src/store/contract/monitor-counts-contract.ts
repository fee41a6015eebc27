// The MonitorCounts port's contract, run over every adapter: counts add up per key, window and feature,
// are read back in one order, are refused with the shared checks' errors, one `add` is all or nothing,
// and two stores on one database adding at once both count.
import { afterEach, describe, expect, it } from 'vitest';

import { isSignetError } from '../../errors.js';
import type { WindowCounts } from '../../monitor/types.js';
import type { Digest } from '../../signing/digest.js';
import {
  assertCountsKey,
  assertWindowCounts,
  type CountsKey,
  type MonitorCounts,
} from '../monitor-counts.js';

export interface MonitorCountsContractSubject {
  /** A new, empty store. */
  open(): Promise<MonitorCounts>;
  /** Two stores on one new, empty database (file), as two processes or servers open it. */
  openTwo(): Promise<readonly [MonitorCounts, MonitorCounts]>;
  /** After each test. */
  cleanup?(): Promise<void>;
}

const H10 = '2026-03-01T10:00:00Z';
const H11 = '2026-03-01T11:00:00Z';
const H12 = '2026-03-01T12:00:00Z';
const REFERENCE = `sha256:${'ab'.repeat(32)}` as Digest;
const OTHER_REFERENCE = `sha256:${'cd'.repeat(32)}` as Digest;

function key(model = 'fraud', context = 'eu-prod', reference = REFERENCE): CountsKey {
  return { model, context, reference };
}

/** The error the shared checks (monitor-counts.ts) throw for this input; every adapter must throw it. */
function sharedCheckError(
  countsKey: CountsKey,
  counts: readonly WindowCounts[],
): { name: string; code: string } {
  try {
    assertCountsKey(countsKey);
    counts.forEach(assertWindowCounts);
  } catch (error) {
    if (isSignetError(error)) return { name: error.name, code: error.code };
    throw error;
  }
  throw new Error('the shared checks accept this input: not a refusal case');
}

const GOOD: WindowCounts = { window: H10, feature: 'x', counts: [1, 2, 3] };

/** Inputs the shared checks refuse, each batch with an acceptable item before the refused one. */
const REFUSED: readonly { readonly what: string; readonly key: CountsKey; readonly item?: WindowCounts }[] = [
  { what: 'an empty model', key: key('') },
  { what: 'an empty context', key: key('fraud', '') },
  { what: 'a reference that is not a digest', key: key('fraud', 'eu-prod', 'sha256:nope' as Digest) },
  { what: 'a reference that is not a string', key: key('fraud', 'eu-prod', 42 as unknown as Digest) },
  { what: 'a model that is not a string', key: { ...key(), model: 7 as unknown as string } },
  { what: 'an empty feature', key: key(), item: { window: H11, feature: '', counts: [1] } },
  { what: 'an empty window', key: key(), item: { window: '', feature: 'x', counts: [1] } },
  { what: 'no bins', key: key(), item: { window: H11, feature: 'x', counts: [] } },
  { what: 'a negative count', key: key(), item: { window: H11, feature: 'x', counts: [1, -1] } },
  { what: 'a fractional count', key: key(), item: { window: H11, feature: 'x', counts: [1.5] } },
  { what: 'NaN', key: key(), item: { window: H11, feature: 'x', counts: [Number.NaN] } },
  {
    what: 'a count past the safe integers',
    key: key(),
    item: { window: H11, feature: 'x', counts: [Number.MAX_SAFE_INTEGER + 1] },
  },
  {
    what: 'counts that are not an array',
    key: key(),
    item: { window: H11, feature: 'x', counts: '123' as unknown as number[] },
  },
];

export function describeMonitorCountsContract(name: string, subject: MonitorCountsContractSubject): void {
  describe(`MonitorCounts contract: ${name}`, () => {
    afterEach(async () => {
      await subject.cleanup?.();
    });

    it('adds counts bin by bin per window and feature, across calls and within one', async () => {
      const store = await subject.open();
      expect(await store.get(key())).toEqual([]);
      expect(await store.windows(key())).toEqual([]);
      await store.add(key(), [
        { window: H10, feature: 'x', counts: [1, 2, 0] },
        { window: H10, feature: 'y', counts: [5, 0] },
      ]);
      await store.add(key(), [
        { window: H10, feature: 'x', counts: [1, 0, 3] },
        { window: H11, feature: 'x', counts: [0, 0, 1] },
        // The same window and feature twice in one batch: both added.
        { window: H11, feature: 'x', counts: [0, 4, 0] },
      ]);
      await store.add(key(), []);
      expect(await store.get(key())).toEqual([
        { window: H10, feature: 'x', counts: [2, 2, 3] },
        { window: H10, feature: 'y', counts: [5, 0] },
        { window: H11, feature: 'x', counts: [0, 4, 1] },
      ]);
      expect(await store.get(key(), 'x')).toEqual([
        { window: H10, feature: 'x', counts: [2, 2, 3] },
        { window: H11, feature: 'x', counts: [0, 4, 1] },
      ]);
      expect(await store.get(key(), 'y')).toEqual([{ window: H10, feature: 'y', counts: [5, 0] }]);
      expect(await store.get(key(), 'z')).toEqual([]);
      expect(await store.windows(key())).toEqual([H10, H11]);
    });

    it('keeps each model, context and reference apart', async () => {
      const store = await subject.open();
      const keys = [
        key('fraud', 'eu-prod'),
        key('churn', 'eu-prod'),
        key('fraud', 'us-prod'),
        // Another promotion's bins, even of another length, are never added to these.
        key('fraud', 'eu-prod', OTHER_REFERENCE),
      ];
      for (const [i, k] of keys.entries()) {
        await store.add(k, [
          { window: H10, feature: 'x', counts: Array.from({ length: 3 + i }, () => i + 1) },
        ]);
      }
      await store.add(keys[2]!, [{ window: H11, feature: 'x', counts: [1, 1, 1, 1, 1] }]);
      for (const [i, k] of keys.entries()) {
        const stored = [{ window: H10, feature: 'x', counts: Array.from({ length: 3 + i }, () => i + 1) }];
        if (i === 2) stored.push({ window: H11, feature: 'x', counts: [1, 1, 1, 1, 1] });
        expect(await store.get(k), `key ${i}`).toEqual(stored);
        expect(await store.windows(k), `key ${i}`).toEqual(i === 2 ? [H10, H11] : [H10]);
      }
      expect(await store.get(key('fraud', 'nowhere'))).toEqual([]);
      expect(await store.windows(key('nobody'))).toEqual([]);
    });

    it('reads back by window ascending, then feature, whatever the order of adding', async () => {
      const store = await subject.open();
      const items: WindowCounts[] = [
        { window: H12, feature: 'b', counts: [1] },
        { window: H10, feature: 'b', counts: [2] },
        { window: H11, feature: 'a', counts: [3] },
        { window: H10, feature: 'a', counts: [4] },
        { window: H12, feature: 'B', counts: [5] },
        { window: H10, feature: 'score', counts: [6] },
      ];
      for (const item of items) await store.add(key(), [item]);
      // Code-unit order: upper case before lower case, whatever the database's locale.
      const expected = [
        { window: H10, feature: 'a', counts: [4] },
        { window: H10, feature: 'b', counts: [2] },
        { window: H10, feature: 'score', counts: [6] },
        { window: H11, feature: 'a', counts: [3] },
        { window: H12, feature: 'B', counts: [5] },
        { window: H12, feature: 'b', counts: [1] },
      ];
      expect(await store.get(key())).toEqual(expected);
      expect(await store.get(key())).toEqual(expected);
      expect(await store.get(key(), 'b')).toEqual([
        { window: H10, feature: 'b', counts: [2] },
        { window: H12, feature: 'b', counts: [1] },
      ]);
      expect(await store.windows(key())).toEqual([H10, H11, H12]);
    });

    for (const refused of REFUSED) {
      it(`refuses ${refused.what} with the shared checks' error, storing none of the batch`, async () => {
        const store = await subject.open();
        await store.add(key(), [GOOD]);
        const batch = refused.item ? [{ ...GOOD, window: H12 }, refused.item] : [GOOD];
        const expected = sharedCheckError(refused.key, batch);
        await expect(store.add(refused.key, batch)).rejects.toMatchObject(expected);
        expect(await store.get(key())).toEqual([GOOD]);
        expect(await store.windows(key())).toEqual([H10]);
      });
    }

    it('refuses counts in other bins than those stored, with INVALID_ARGUMENT, storing none of the batch', async () => {
      const store = await subject.open();
      await store.add(key(), [GOOD]);
      // The mismatch is found part-way through, after other items of the batch were written.
      await expect(
        store.add(key(), [
          { window: H11, feature: 'y', counts: [4, 4] },
          { window: H10, feature: 'y', counts: [7] },
          { window: H10, feature: 'x', counts: [1, 1] },
          { window: H12, feature: 'z', counts: [5] },
        ]),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await store.get(key())).toEqual([GOOD]);
      expect(await store.windows(key())).toEqual([H10]);
      // Bins first seen within the batch are checked too.
      await expect(
        store.add(key(), [
          { window: H11, feature: 'y', counts: [4, 4] },
          { window: H11, feature: 'y', counts: [4, 4, 4] },
        ]),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await store.get(key())).toEqual([GOOD]);
    });

    it('refuses a sum past the safe integers, storing none of the batch', async () => {
      const store = await subject.open();
      await store.add(key(), [{ window: H10, feature: 'x', counts: [Number.MAX_SAFE_INTEGER, 0] }]);
      await expect(
        store.add(key(), [
          { window: H11, feature: 'x', counts: [1, 1] },
          { window: H10, feature: 'x', counts: [1, 0] },
        ]),
      ).rejects.toThrow();
      expect(await store.get(key())).toEqual([
        { window: H10, feature: 'x', counts: [Number.MAX_SAFE_INTEGER, 0] },
      ]);
    });

    it('counts every add of two stores on one database adding at once', async () => {
      const [a, b] = await subject.openTwo();
      const rounds = 25;
      const batch: WindowCounts[] = [
        { window: H10, feature: 'x', counts: [1, 0] },
        { window: H11, feature: 'x', counts: [0, 1] },
        { window: H11, feature: 'y', counts: [1, 1, 1] },
      ];
      // None of the rows exists yet: the first adds race to create them.
      await Promise.all(
        Array.from({ length: rounds }, () => [a.add(key(), batch), b.add(key(), batch)]).flat(),
      );
      const expected = [
        { window: H10, feature: 'x', counts: [2 * rounds, 0] },
        { window: H11, feature: 'x', counts: [0, 2 * rounds] },
        { window: H11, feature: 'y', counts: [2 * rounds, 2 * rounds, 2 * rounds] },
      ];
      expect(await a.get(key())).toEqual(expected);
      expect(await b.get(key())).toEqual(expected);
    });

    it('counts every add of two stores adding the same rows in opposite orders at once', async () => {
      const [a, b] = await subject.openTwo();
      const rounds = 25;
      const batch: WindowCounts[] = [
        { window: H10, feature: 'x', counts: [1, 0] },
        { window: H10, feature: 'y', counts: [0, 1] },
        { window: H11, feature: 'x', counts: [1, 1] },
      ];
      const reversed = [...batch].reverse();
      await Promise.all(
        Array.from({ length: rounds }, () => [a.add(key(), batch), b.add(key(), reversed)]).flat(),
      );
      expect(await a.get(key())).toEqual([
        { window: H10, feature: 'x', counts: [2 * rounds, 0] },
        { window: H10, feature: 'y', counts: [0, 2 * rounds] },
        { window: H11, feature: 'x', counts: [2 * rounds, 2 * rounds] },
      ]);
    });
  });
}
