// The PostgreSQL MonitorCounts adapter: the SQLite adapter's table, counts as a JSON array per
// (model, context, reference, window, feature). One `add` is one transaction. Each window's row is
// inserted if absent (`ON CONFLICT DO NOTHING`) or else locked (`SELECT … FOR UPDATE`) before it is added
// to, so two servers ingesting at once add up instead of one overwriting the other. Rows are touched in
// one order, (window, feature), whatever the order of the batch: two batches locking the same rows in
// opposite orders would otherwise deadlock, and PostgreSQL would refuse one of them.
import { InputError, isSignetError, StoreError } from '../../errors.js';
import { assertCountsKey, assertWindowCounts, parseCounts, type MonitorCounts } from '../monitor-counts.js';
import { inTransaction, pgStoreError, type PgPool } from './sql.js';

interface CountsDbRow {
  window: string;
  feature: string;
  counts: string;
}

const KEY = 'model = $1 AND context = $2 AND reference = $3';

/** Monitor counts on a migrated database (migrations.ts); the pool belongs to the caller. */
export function openPgMonitorCounts(pool: PgPool): MonitorCounts {
  return {
    async add(key, counts) {
      assertCountsKey(key);
      counts.forEach(assertWindowCounts);
      const { model, context, reference } = key;
      try {
        await inTransaction(pool, async (client) => {
          const ordered = [...counts].sort((a, b) =>
            a.window !== b.window
              ? a.window < b.window
                ? -1
                : 1
              : a.feature < b.feature
                ? -1
                : a.feature > b.feature
                  ? 1
                  : 0,
          );
          for (const item of ordered) {
            const inserted = await client.query(
              'INSERT INTO monitor_window_counts (model, context, reference, "window", feature, counts) ' +
                'VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
              [model, context, reference, item.window, item.feature, JSON.stringify(item.counts)],
            );
            if (inserted.rowCount === 1) continue;
            const row = (
              await client.query<{ counts: string }>(
                `SELECT counts FROM monitor_window_counts WHERE ${KEY} AND "window" = $4 AND feature = $5 FOR UPDATE`,
                [model, context, reference, item.window, item.feature],
              )
            ).rows[0];
            if (!row)
              throw new StoreError('STORE_FAILURE', 'a monitor counts row vanished while being added to');
            const stored = parseCounts(row.counts, item);
            if (stored.length !== item.counts.length) {
              throw new InputError(
                'INVALID_ARGUMENT',
                `counts of ${JSON.stringify(item.feature)} at ${item.window} have ${item.counts.length} bins, ` +
                  `the stored ones ${stored.length}: the bins changed`,
                { details: { model, context, reference, window: item.window, feature: item.feature } },
              );
            }
            const sum = stored.map((count, bin) => count + item.counts[bin]!);
            if (!sum.every(Number.isSafeInteger)) {
              throw new InputError(
                'OUT_OF_RANGE',
                `counts of ${JSON.stringify(item.feature)} at ${item.window} overflow`,
              );
            }
            await client.query(
              `UPDATE monitor_window_counts SET counts = $6 WHERE ${KEY} AND "window" = $4 AND feature = $5`,
              [model, context, reference, item.window, item.feature, JSON.stringify(sum)],
            );
          }
        });
      } catch (error) {
        if (isSignetError(error)) throw error;
        throw pgStoreError('could not add monitor counts', error);
      }
    },
    async get(key, feature) {
      assertCountsKey(key);
      const select = `SELECT "window", feature, counts FROM monitor_window_counts WHERE ${KEY}`;
      let rows: CountsDbRow[];
      try {
        rows = (
          feature === undefined
            ? await pool.query<CountsDbRow>(`${select} ORDER BY "window", feature`, [
                key.model,
                key.context,
                key.reference,
              ])
            : await pool.query<CountsDbRow>(`${select} AND feature = $4 ORDER BY "window"`, [
                key.model,
                key.context,
                key.reference,
                feature,
              ])
        ).rows;
      } catch (error) {
        throw pgStoreError('could not read monitor counts', error);
      }
      return rows.map((row) => ({
        feature: row.feature,
        window: row.window,
        counts: parseCounts(row.counts, row),
      }));
    },
    async windows(key) {
      assertCountsKey(key);
      try {
        const result = await pool.query<{ window: string }>(
          `SELECT DISTINCT "window" FROM monitor_window_counts WHERE ${KEY} ORDER BY "window"`,
          [key.model, key.context, key.reference],
        );
        return result.rows.map((row) => row.window);
      } catch (error) {
        throw pgStoreError('could not read monitor windows', error);
      }
    },
  };
}
