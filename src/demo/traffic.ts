// Scoring traffic for the demo's monitoring step: applications drawn from the credit generator, scored
// by a model, one CSV row per scoring with its time. A day's `shift` moves the population as
// generateCreditData does (lower incomes, higher utilisation): what population-shift monitoring is for.
import { generateCreditData, type CreditDataset } from './credit-data.js';
import { formatCsv, type CsvColumn } from './csv.js';
import { predict, type LogisticModel } from './logistic.js';

/** The column holding the model's score, in the scored evaluation set and in the traffic. */
export const SCORE_COLUMN = 'score';
/** The column holding each scoring's time in the traffic. */
export const SCORED_AT_COLUMN = 'scored_at';

const SCORE: CsvColumn = { name: SCORE_COLUMN, type: 'number', decimals: 6 };
const DAY_MS = 86_400_000;

/**
 * The dataset's CSV with one more column, the model's score of each row: the evaluation set as a team
 * that scored it with the candidate would register it, so that the score's reference bins are sealed.
 */
export function scoredCsv(dataset: CreditDataset, model: LogisticModel): string {
  const scores = predict(model, dataset.rows);
  return formatCsv(
    [...dataset.columns, SCORE],
    dataset.rows.map((row, i) => ({ ...row, [SCORE_COLUMN]: scores[i]! })),
  );
}

export interface TrafficDay {
  /** 0 for the reference population; see `generateCreditData`'s `shift`. */
  readonly shift: number;
  readonly rows: number;
}

export interface TrafficOptions {
  readonly model: LogisticModel;
  /** Midnight UTC of the first day, as epoch milliseconds. */
  readonly start: number;
  readonly days: readonly TrafficDay[];
  readonly seed: number;
}

/**
 * A CSV of scoring traffic over consecutive days: `scored_at` (RFC 3339 UTC, spread evenly over each
 * day), the model's input features, and its score. No label: traffic is scored before anyone knows.
 */
export function scoringTraffic(options: TrafficOptions): string {
  const records: Record<string, number | string>[] = [];
  let columns: readonly CsvColumn[] = [];
  options.days.forEach((day, d) => {
    const data = generateCreditData({ seed: options.seed + d, rows: day.rows, shift: day.shift });
    columns = data.columns.filter((c) => c.role === 'feature');
    const scores = predict(options.model, data.rows);
    data.rows.forEach((row, i) => {
      const at = options.start + d * DAY_MS + Math.floor((i * DAY_MS) / day.rows);
      const record: Record<string, number | string> = {
        [SCORED_AT_COLUMN]: new Date(at).toISOString(),
        [SCORE_COLUMN]: scores[i]!,
      };
      for (const column of columns)
        record[column.name] = row[column.name as keyof typeof row] as number | string;
      records.push(record);
    });
  });
  return formatCsv([{ name: SCORED_AT_COLUMN, type: 'string' }, ...columns, SCORE], records);
}
