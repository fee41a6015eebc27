import { describe, expect, it } from 'vitest';

import {
  CREDIT_TARGET,
  HOME_OWNERSHIP,
  LOAN_PURPOSES,
  creditDefaultRate,
  creditFeatures,
  generateCreditData,
  splitTrainEval,
  toCsv,
  type CreditDataset,
} from './credit-data.js';

function mean(
  data: CreditDataset,
  column: 'credit_utilization' | 'debt_to_income' | 'annual_income',
): number {
  return data.rows.reduce((sum, row) => sum + row[column], 0) / data.rows.length;
}

describe('generateCreditData', () => {
  const data = generateCreditData({ seed: 1, rows: 20_000 });

  it('has the documented columns, in CSV order, with the target last', () => {
    expect(data.columns.map((c) => c.name)).toEqual([
      'applicant_id',
      'age',
      'annual_income',
      'debt_to_income',
      'credit_utilization',
      'months_employed',
      'num_open_accounts',
      'num_delinquencies_2y',
      'loan_amount',
      'loan_term_months',
      'home_ownership',
      'purpose',
      CREDIT_TARGET,
    ]);
    expect(creditFeatures(data)).toHaveLength(11);
    expect(creditFeatures(data).find((f) => f.name === 'purpose')).toEqual({
      name: 'purpose',
      type: 'string',
    });
  });

  it('draws plausible values', () => {
    const ids = new Set<string>();
    for (const row of data.rows) {
      ids.add(row.applicant_id);
      expect(row.age).toBeGreaterThanOrEqual(21);
      expect(row.age).toBeLessThanOrEqual(75);
      expect(row.annual_income).toBeGreaterThanOrEqual(12_000);
      expect(row.credit_utilization).toBeGreaterThanOrEqual(0);
      expect(row.credit_utilization).toBeLessThanOrEqual(1);
      expect(row.debt_to_income).toBeGreaterThan(0);
      expect(row.debt_to_income).toBeLessThan(1);
      expect(row.months_employed).toBeLessThanOrEqual((row.age - 18) * 12);
      expect([36, 60]).toContain(row.loan_term_months);
      expect(HOME_OWNERSHIP).toContain(row.home_ownership);
      expect(LOAN_PURPOSES).toContain(row.purpose);
      expect(row.bureau_score).toBeUndefined();
    }
    expect(ids.size).toBe(data.rows.length);
    // Every level occurs, so a model sees every category.
    expect(new Set(data.rows.map((r) => r.purpose)).size).toBe(LOAN_PURPOSES.length);
    expect(new Set(data.rows.map((r) => r.home_ownership)).size).toBe(HOME_OWNERSHIP.length);
  });

  it('has a default rate between 8% and 15% in the reference population', () => {
    for (const seed of [1, 2, 3]) {
      const rate = creditDefaultRate(seed === 1 ? data : generateCreditData({ seed, rows: 20_000 }));
      expect(rate).toBeGreaterThan(0.08);
      expect(rate).toBeLessThan(0.15);
    }
  });

  it('is deterministic: the same seed gives the same CSV bytes, another seed other bytes', () => {
    const a = toCsv(generateCreditData({ seed: 99, rows: 500 }));
    expect(toCsv(generateCreditData({ seed: 99, rows: 500 }))).toBe(a);
    expect(toCsv(generateCreditData({ seed: 100, rows: 500 }))).not.toBe(a);
    // A longer dataset starts with the shorter one.
    expect(toCsv(generateCreditData({ seed: 99, rows: 600 })).startsWith(a)).toBe(true);
  });

  it('shift moves the population toward higher utilisation and DTI and more defaults', () => {
    const shifted = generateCreditData({ seed: 1, rows: 20_000, shift: 1 });
    expect(mean(shifted, 'credit_utilization')).toBeGreaterThan(mean(data, 'credit_utilization') + 0.1);
    expect(mean(shifted, 'debt_to_income')).toBeGreaterThan(mean(data, 'debt_to_income') + 0.03);
    expect(mean(shifted, 'annual_income')).toBeLessThan(mean(data, 'annual_income'));
    expect(creditDefaultRate(shifted)).toBeGreaterThan(creditDefaultRate(data) + 0.04);
  });

  it('drift changes who defaults, not who applies', () => {
    const drifted = generateCreditData({ seed: 1, rows: 2_000, drift: 1 });
    const reference = generateCreditData({ seed: 1, rows: 2_000 });
    const strip = (d: CreditDataset): unknown[] => d.rows.map(({ default_12m: _target, ...rest }) => rest);
    expect(strip(drifted)).toEqual(strip(reference));
    expect(drifted.rows.map((r) => r.default_12m)).not.toEqual(reference.rows.map((r) => r.default_12m));
  });

  it('extraFeature adds bureau_score before the target and changes nothing else', () => {
    const plain = generateCreditData({ seed: 5, rows: 2_000 });
    const extra = generateCreditData({ seed: 5, rows: 2_000, extraFeature: true });
    expect(extra.columns.map((c) => c.name).slice(-2)).toEqual(['bureau_score', CREDIT_TARGET]);
    extra.rows.forEach((row, i) => {
      const { bureau_score: score, ...rest } = row;
      expect(rest).toEqual(plain.rows[i]);
      expect(score).toBeGreaterThanOrEqual(300);
      expect(score).toBeLessThanOrEqual(850);
    });
    // The score is informative: defaulters score lower on average.
    const average = (label: 0 | 1): number => {
      const scores = extra.rows.filter((r) => r.default_12m === label).map((r) => r.bureau_score ?? 0);
      return scores.reduce((a, b) => a + b, 0) / scores.length;
    };
    expect(average(1)).toBeLessThan(average(0) - 20);
  });

  it('refuses bad options', () => {
    for (const options of [
      { seed: 1, rows: 0 },
      { seed: 1, rows: 1.5 },
      { seed: -1, rows: 10 },
      { seed: 1, rows: 10, shift: Number.NaN },
      { seed: 1, rows: 10, drift: -1 },
    ]) {
      expect(() => generateCreditData(options)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('toCsv', () => {
  it('writes a header and one line per row, and every number reads back as the value in memory', () => {
    const data = generateCreditData({ seed: 3, rows: 300, extraFeature: true });
    const text = toCsv(data);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.includes('\r')).toBe(false);
    const lines = text.slice(0, -1).split('\n');
    expect(lines[0]).toBe(data.columns.map((c) => c.name).join(','));
    expect(lines).toHaveLength(data.rows.length + 1);
    // No field needs quoting in this dataset, so a plain split is the RFC 4180 parse.
    lines.slice(1).forEach((line, i) => {
      const fields = line.split(',');
      const row = data.rows[i] as Record<string, unknown>;
      data.columns.forEach((column, j) => {
        const field = fields[j] as string;
        if (column.type === 'number') {
          expect(field).toMatch(
            column.decimals === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${column.decimals}}$`),
          );
          expect(Number(field)).toBe(row[column.name]);
        } else {
          expect(field).toBe(row[column.name]);
        }
      });
    });
  });
});

describe('splitTrainEval', () => {
  const data = generateCreditData({ seed: 4, rows: 1_000 });

  it('holds out round(n × fraction) rows, disjoint, in the original order', () => {
    const { train, evaluation } = splitTrainEval(data, 0.25, 7);
    expect(evaluation.rows).toHaveLength(250);
    expect(train.rows).toHaveLength(750);
    const position = new Map(data.rows.map((row, i) => [row, i]));
    const trainIds = new Set(train.rows.map((r) => r.applicant_id));
    expect(evaluation.rows.some((r) => trainIds.has(r.applicant_id))).toBe(false);
    for (const part of [train, evaluation]) {
      const indices = part.rows.map((r) => position.get(r) ?? -1);
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
    }
    expect(train.columns).toBe(data.columns);
  });

  it('is deterministic in its seed', () => {
    const ids = (seed: number): string[] =>
      splitTrainEval(data, 0.25, seed).evaluation.rows.map((r) => r.applicant_id);
    expect(ids(7)).toEqual(ids(7));
    expect(ids(8)).not.toEqual(ids(7));
  });

  it('refuses a fraction that leaves a part empty', () => {
    for (const fraction of [0, 1, -0.5, 0.0001, Number.NaN]) {
      expect(() => splitTrainEval(data, fraction, 1)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});
