// The SQLite MonitorCounts adapter, in the home's database beside the ledger, draft and auth tables, in a
// table of its own. Counts are a JSON array per (model, context, reference, window, feature). An ingestion's batch
// is one `BEGIN IMMEDIATE` transaction: it takes the write lock before reading what it adds to, so two
// processes ingesting at once add up instead of one overwriting the other, and a crash before COMMIT
// leaves the batch out entirely.
import Database from 'better-sqlite3';

import { InputError, isSignetError, StoreError } from '../errors.js';
import type { WindowCounts } from '../monitor/types.js';
import {
  assertCountsKey,
  assertWindowCounts,
  parseCounts,
  type CountsKey,
  type MonitorCounts,
} from './monitor-counts.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS monitor_window_counts (
  model TEXT NOT NULL,
  context TEXT NOT NULL,
  reference TEXT NOT NULL,
  window TEXT NOT NULL,
  feature TEXT NOT NULL,
  counts TEXT NOT NULL,
  PRIMARY KEY (model, context, reference, window, feature)
);
`;

interface CountsDbRow {
  window: string;
  feature: string;
  counts: string;
}

export function openSqliteMonitorCounts(
  file: string,
  busyTimeoutMs = 60_000,
): MonitorCounts & { close(): void } {
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.exec(SCHEMA);
  } catch (error) {
    throw new StoreError(
      'STORE_FAILURE',
      `could not open the monitor counts database ${file}: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  const select = db.prepare(
    'SELECT counts FROM monitor_window_counts ' +
      'WHERE model = ? AND context = ? AND reference = ? AND window = ? AND feature = ?',
  );
  const upsert = db.prepare(
    'INSERT INTO monitor_window_counts (model, context, reference, window, feature, counts) ' +
      'VALUES (?, ?, ?, ?, ?, ?) ' +
      'ON CONFLICT (model, context, reference, window, feature) DO UPDATE SET counts = excluded.counts',
  );
  const addBatch = db.transaction((key: CountsKey, batch: readonly WindowCounts[]) => {
    const { model, context, reference } = key;
    for (const item of batch) {
      const row = select.get(model, context, reference, item.window, item.feature) as
        { counts: string } | undefined;
      let sum = item.counts;
      if (row !== undefined) {
        const stored = parseCounts(row.counts, item);
        if (stored.length !== item.counts.length) {
          throw new InputError(
            'INVALID_ARGUMENT',
            `counts of ${JSON.stringify(item.feature)} at ${item.window} have ${item.counts.length} bins, ` +
              `the stored ones ${stored.length}: the bins changed`,
            { details: { model, context, reference, window: item.window, feature: item.feature } },
          );
        }
        sum = stored.map((count, bin) => count + item.counts[bin]!);
        if (!sum.every(Number.isSafeInteger)) {
          throw new InputError(
            'OUT_OF_RANGE',
            `counts of ${JSON.stringify(item.feature)} at ${item.window} overflow`,
          );
        }
      }
      upsert.run(model, context, reference, item.window, item.feature, JSON.stringify(sum));
    }
  });
  return {
    async add(key, counts) {
      assertCountsKey(key);
      counts.forEach(assertWindowCounts);
      try {
        addBatch.immediate(key, counts);
      } catch (error) {
        if (isSignetError(error)) throw error;
        throw new StoreError('STORE_FAILURE', `could not add monitor counts: ${String(error)}`, {
          cause: error,
        });
      }
    },
    async get(key, feature) {
      assertCountsKey(key);
      const where = 'FROM monitor_window_counts WHERE model = ? AND context = ? AND reference = ?';
      const rows = (
        feature === undefined
          ? db
              .prepare(`SELECT window, feature, counts ${where} ORDER BY window, feature`)
              .all(key.model, key.context, key.reference)
          : db
              .prepare(`SELECT window, feature, counts ${where} AND feature = ? ORDER BY window`)
              .all(key.model, key.context, key.reference, feature)
      ) as CountsDbRow[];
      return rows.map((row) => ({
        feature: row.feature,
        window: row.window,
        counts: parseCounts(row.counts, row),
      }));
    },
    async windows(key) {
      assertCountsKey(key);
      return db
        .prepare(
          'SELECT DISTINCT window FROM monitor_window_counts ' +
            'WHERE model = ? AND context = ? AND reference = ? ORDER BY window',
        )
        .pluck()
        .all(key.model, key.context, key.reference) as string[];
    },
    close() {
      db.close();
    },
  };
}
