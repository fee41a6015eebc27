// The SQLite MonitorCounts adapter: counts add up across calls and across connections, one call is all
// or nothing, and what is read back is checked.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { distModule, runNodeScript } from '../../test/helpers/dist.js';
import type { Digest } from '../signing/digest.js';
import type { CountsKey } from './monitor-counts.js';
import { openSqliteMonitorCounts } from './sqlite-monitor-counts.js';

const H10 = '2026-03-01T10:00:00Z';
const H11 = '2026-03-01T11:00:00Z';
const REFERENCE = `sha256:${'ab'.repeat(32)}`;
const OTHER_REFERENCE = `sha256:${'cd'.repeat(32)}`;

function key(model: string, context: string, reference = REFERENCE): CountsKey {
  return { model, context, reference: reference as Digest };
}

let dir: string;
let file: string;
const opened: { close(): void }[] = [];

function open() {
  const store = openSqliteMonitorCounts(file);
  opened.push(store);
  return store;
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signet-monitor-counts-'));
  file = path.join(dir, 'ledger.sqlite');
});
afterEach(async () => {
  for (const store of opened.splice(0)) store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('sqlite monitor counts', () => {
  it('adds counts bin by bin across calls, per model, context, window and feature', async () => {
    const store = open();
    await store.add(key('fraud', 'eu'), [
      { window: H10, feature: 'x', counts: [1, 2, 0] },
      { window: H10, feature: 'y', counts: [5, 0] },
    ]);
    await store.add(key('fraud', 'eu'), [
      { window: H10, feature: 'x', counts: [1, 0, 3] },
      { window: H11, feature: 'x', counts: [0, 0, 1] },
    ]);
    await store.add(key('fraud', 'us'), [{ window: H10, feature: 'x', counts: [9, 9, 9] }]);
    await store.add(key('churn', 'eu'), [{ window: H10, feature: 'x', counts: [7, 7, 7] }]);

    expect(await store.get(key('fraud', 'eu'))).toEqual([
      { window: H10, feature: 'x', counts: [2, 2, 3] },
      { window: H10, feature: 'y', counts: [5, 0] },
      { window: H11, feature: 'x', counts: [0, 0, 1] },
    ]);
    expect(await store.get(key('fraud', 'eu'), 'x')).toEqual([
      { window: H10, feature: 'x', counts: [2, 2, 3] },
      { window: H11, feature: 'x', counts: [0, 0, 1] },
    ]);
    expect(await store.windows(key('fraud', 'eu'))).toEqual([H10, H11]);
    expect(await store.windows(key('fraud', 'us'))).toEqual([H10]);
    expect(await store.get(key('fraud', 'nowhere'))).toEqual([]);
  });

  it('keeps counts in the bins of another reference apart', async () => {
    const store = open();
    await store.add(key('fraud', 'eu'), [{ window: H10, feature: 'x', counts: [1, 2, 3] }]);
    // Another promotion's bins may have another number of bins: they are never added to these.
    await store.add(key('fraud', 'eu', OTHER_REFERENCE), [{ window: H10, feature: 'x', counts: [5, 5] }]);
    expect(await store.get(key('fraud', 'eu'))).toEqual([{ window: H10, feature: 'x', counts: [1, 2, 3] }]);
    expect(await store.get(key('fraud', 'eu', OTHER_REFERENCE))).toEqual([
      { window: H10, feature: 'x', counts: [5, 5] },
    ]);
    await expect(store.add(key('fraud', 'eu', 'sha256:nope'), [])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('keeps what was added when the database is opened again, in WAL mode', async () => {
    const first = open();
    await first.add(key('fraud', 'eu'), [{ window: H10, feature: 'x', counts: [1, 1] }]);
    first.close();
    opened.splice(opened.indexOf(first), 1);
    const second = open();
    await second.add(key('fraud', 'eu'), [{ window: H10, feature: 'x', counts: [1, 1] }]);
    expect(await second.get(key('fraud', 'eu'))).toEqual([{ window: H10, feature: 'x', counts: [2, 2] }]);
    const db = new Database(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('is all or nothing: an error part-way through a batch leaves none of it', async () => {
    const store = open();
    await store.add(key('fraud', 'eu'), [{ window: H10, feature: 'x', counts: [1, 1, 1] }]);
    // The second item has other bins than those stored: refused inside the transaction, after the first
    // item was written in it.
    await expect(
      store.add(key('fraud', 'eu'), [
        { window: H11, feature: 'y', counts: [4, 4] },
        { window: H10, feature: 'x', counts: [1, 1] },
        { window: H11, feature: 'z', counts: [5] },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await store.get(key('fraud', 'eu'))).toEqual([{ window: H10, feature: 'x', counts: [1, 1, 1] }]);
    expect(await store.windows(key('fraud', 'eu'))).toEqual([H10]);
  });

  it('refuses counts that are not counts before touching anything', async () => {
    const store = open();
    for (const counts of [[], [1, -1], [1.5], [Number.MAX_SAFE_INTEGER + 1], [NaN]]) {
      await expect(
        store.add(key('fraud', 'eu'), [
          { window: H10, feature: 'x', counts: [1] },
          { window: H11, feature: 'x', counts },
        ]),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(store.add(key('', 'eu'), [])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      store.add(key('fraud', 'eu'), [{ window: '', feature: 'x', counts: [1] }]),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await store.get(key('fraud', 'eu'))).toEqual([]);
  });

  it('refuses a sum past the safe integers, and leaves the stored counts as they were', async () => {
    const store = open();
    await store.add(key('fraud', 'eu'), [
      { window: H10, feature: 'x', counts: [Number.MAX_SAFE_INTEGER, 0] },
    ]);
    await expect(
      store.add(key('fraud', 'eu'), [{ window: H10, feature: 'x', counts: [1, 0] }]),
    ).rejects.toMatchObject({
      code: 'OUT_OF_RANGE',
    });
    expect(await store.get(key('fraud', 'eu'))).toEqual([
      { window: H10, feature: 'x', counts: [Number.MAX_SAFE_INTEGER, 0] },
    ]);
  });

  it('adds up batches from four processes writing to one file at once', async () => {
    open(); // creates the table
    const writer = (rounds: number) => `
      const { openSqliteMonitorCounts } = await import(${JSON.stringify(distModule('store/sqlite-monitor-counts.js'))});
      const store = openSqliteMonitorCounts(${JSON.stringify(file)});
      for (let i = 0; i < ${rounds}; i++) {
        await store.add({ model: 'fraud', context: 'eu', reference: '${REFERENCE}' }, [
          { window: '${H10}', feature: 'x', counts: [1, 0] },
          { window: '${H11}', feature: 'x', counts: [0, 1] },
        ]);
      }
      store.close();
    `;
    const runs = await Promise.all([0, 1, 2, 3].map(() => runNodeScript(writer(50))));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(await open().get(key('fraud', 'eu'))).toEqual([
      { window: H10, feature: 'x', counts: [200, 0] },
      { window: H11, feature: 'x', counts: [0, 200] },
    ]);
  });

  it('reports stored counts that are not counts as a store failure', async () => {
    const store = open();
    await store.add(key('fraud', 'eu'), [{ window: H10, feature: 'x', counts: [1] }]);
    const db = new Database(file);
    db.prepare("UPDATE monitor_window_counts SET counts = '[1,' WHERE feature = 'x'").run();
    db.close();
    await expect(store.get(key('fraud', 'eu'))).rejects.toMatchObject({ code: 'STORE_FAILURE' });
    const other = new Database(file);
    other.prepare("UPDATE monitor_window_counts SET counts = '[-1]' WHERE feature = 'x'").run();
    other.close();
    await expect(
      store.add(key('fraud', 'eu'), [{ window: H10, feature: 'x', counts: [1] }]),
    ).rejects.toMatchObject({
      code: 'STORE_FAILURE',
    });
  });
});
