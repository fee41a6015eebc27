// A seeded synthetic credit-application dataset for the demo: realistic columns, a 12-month default target
// drawn from a latent logistic model with an unobserved component, an optional population shift and an
// optional extra feature (a bureau score that sees part of the unobserved component).
//
// Every value is rounded to the precision it is written with in the CSV at generation time, so a model
// trained in process sees exactly the numbers a reader of the CSV sees.
import { InputError } from '../errors.js';
import { formatCsv, type CsvColumn } from './csv.js';
import { createRandom, mix32, type Random } from './random.js';

export const CREDIT_TARGET = 'default_12m';

export const HOME_OWNERSHIP = ['MORTGAGE', 'OWN', 'RENT'] as const;
export type HomeOwnership = (typeof HOME_OWNERSHIP)[number];

export const LOAN_PURPOSES = [
  'car',
  'credit_card',
  'debt_consolidation',
  'home_improvement',
  'major_purchase',
  'medical',
  'other',
  'small_business',
] as const;
export type LoanPurpose = (typeof LOAN_PURPOSES)[number];

/** One application. `bureau_score` is present only in datasets generated with `extraFeature`. */
export type CreditRow = {
  readonly applicant_id: string;
  readonly age: number;
  readonly annual_income: number;
  readonly debt_to_income: number;
  readonly credit_utilization: number;
  readonly months_employed: number;
  readonly num_open_accounts: number;
  readonly num_delinquencies_2y: number;
  readonly loan_amount: number;
  readonly loan_term_months: 36 | 60;
  readonly home_ownership: HomeOwnership;
  readonly purpose: LoanPurpose;
  readonly bureau_score?: number;
  readonly default_12m: 0 | 1;
};

export interface CreditColumn extends CsvColumn {
  readonly role: 'id' | 'feature' | 'target';
  readonly description: string;
}

export interface CreditDataset {
  /** Columns in CSV order. */
  readonly columns: readonly CreditColumn[];
  readonly rows: readonly CreditRow[];
}

export interface CreditDataOptions {
  /** Any non-negative safe integer; the same seed and options give the same rows. */
  readonly seed: number;
  readonly rows: number;
  /**
   * Moves the population toward riskier applicants: higher utilisation and debt-to-income, slightly lower
   * income. 0 (the default) is the reference population, 1 a strong shift. The default mechanism itself
   * does not change, so a shifted population has a higher default rate for the same model.
   */
  readonly shift?: number;
  /**
   * Concept drift: how far the default mechanism has moved from the reference vintage (0, the default).
   * At 1, utilisation, debt-to-income, long terms and small-business loans weigh more and income less,
   * with the overall default rate roughly kept.
   * The applicants themselves are drawn as without drift.
   */
  readonly drift?: number;
  /** Adds `bureau_score`. The other columns are identical with and without it. */
  readonly extraFeature?: boolean;
}

export const MAX_CREDIT_ROWS = 1_000_000;

const BASE_COLUMNS: readonly CreditColumn[] = [
  { name: 'applicant_id', type: 'string', role: 'id', description: 'Application identifier' },
  { name: 'age', type: 'number', decimals: 0, role: 'feature', description: 'Age in years' },
  {
    name: 'annual_income',
    type: 'number',
    decimals: 0,
    role: 'feature',
    description: 'Stated annual income',
  },
  {
    name: 'debt_to_income',
    type: 'number',
    decimals: 4,
    role: 'feature',
    description: 'Monthly debt payments over monthly income',
  },
  {
    name: 'credit_utilization',
    type: 'number',
    decimals: 3,
    role: 'feature',
    description: 'Revolving balances over revolving limits',
  },
  {
    name: 'months_employed',
    type: 'number',
    decimals: 0,
    role: 'feature',
    description: 'Months with the current employer',
  },
  {
    name: 'num_open_accounts',
    type: 'number',
    decimals: 0,
    role: 'feature',
    description: 'Open credit accounts',
  },
  {
    name: 'num_delinquencies_2y',
    type: 'number',
    decimals: 0,
    role: 'feature',
    description: 'Delinquencies of 30+ days in the last two years',
  },
  { name: 'loan_amount', type: 'number', decimals: 0, role: 'feature', description: 'Requested amount' },
  { name: 'loan_term_months', type: 'number', decimals: 0, role: 'feature', description: '36 or 60' },
  { name: 'home_ownership', type: 'string', role: 'feature', description: HOME_OWNERSHIP.join(', ') },
  { name: 'purpose', type: 'string', role: 'feature', description: 'Stated loan purpose' },
];

const BUREAU_COLUMN: CreditColumn = {
  name: 'bureau_score',
  type: 'number',
  decimals: 0,
  role: 'feature',
  description: 'Credit bureau score, 300 to 850',
};

const TARGET_COLUMN: CreditColumn = {
  name: CREDIT_TARGET,
  type: 'number',
  decimals: 0,
  role: 'target',
  description: '1 if the loan defaulted within 12 months',
};

// The latent default model. The intercept puts the default rate of the reference population near 11%.
const LATENT = {
  intercept: -2.95,
  utilization: 2.4,
  debtToIncome: 3.5,
  logIncome: -0.6,
  agePerYear: -0.012,
  employedPerMonth: -0.004,
  delinquency: 0.45,
  openAccount: 0.03,
  longTerm: 0.3,
  logLoan: 0.25,
  unobserved: 0.8,
  home: { MORTGAGE: -0.1, OWN: -0.15, RENT: 0.2 } satisfies Record<HomeOwnership, number>,
  purpose: {
    car: -0.25,
    credit_card: -0.1,
    debt_consolidation: 0,
    home_improvement: -0.15,
    major_purchase: 0,
    medical: 0.3,
    other: 0.1,
    small_business: 0.55,
  } satisfies Record<LoanPurpose, number>,
} as const;

// What one unit of drift adds to the latent coefficients.
const DRIFT = {
  // Offsets most of the rise in the default rate the steeper coefficients bring.
  intercept: -0.3,
  utilization: 1.2,
  debtToIncome: 2,
  logIncome: 0.3,
  longTerm: 0.25,
  smallBusiness: 0.4,
} as const;

const PURPOSE_WEIGHTS: Record<LoanPurpose, number> = {
  car: 0.08,
  credit_card: 0.2,
  debt_consolidation: 0.42,
  home_improvement: 0.1,
  major_purchase: 0.06,
  medical: 0.05,
  other: 0.05,
  small_business: 0.04,
};

const LOG_INCOME_CENTRE = 10.85;
const LOG_LOAN_CENTRE = 9.35;

/**
 * Generates `rows` synthetic credit applications. Pure and deterministic: the same options give the same
 * rows, and `extraFeature` only adds a column (the draws for it are made either way).
 *
 * @example
 * const data = generateCreditData({ seed: 1, rows: 1000 });
 * data.rows[0]?.default_12m; // 0 or 1
 */
export function generateCreditData(options: CreditDataOptions): CreditDataset {
  const { seed, rows: count, shift = 0, drift = 0, extraFeature = false } = options;
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_CREDIT_ROWS) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `rows must be an integer from 1 to ${MAX_CREDIT_ROWS}, not ${count}`,
    );
  }
  if (!Number.isFinite(shift) || shift < -1 || shift > 3) {
    throw new InputError('INVALID_ARGUMENT', `shift must be a number from -1 to 3, not ${shift}`);
  }
  if (!Number.isFinite(drift) || drift < 0 || drift > 3) {
    throw new InputError('INVALID_ARGUMENT', `drift must be a number from 0 to 3, not ${drift}`);
  }
  const random = createRandom(seed);
  // Applicant ids are mix32(idBase ^ i): distinct within the dataset, random-looking, seeded.
  const idBase = random.uint32();
  const rows: CreditRow[] = [];
  for (let i = 0; i < count; i += 1) {
    const applicantId =
      'APP-' +
      mix32(idBase ^ i)
        .toString(16)
        .toUpperCase()
        .padStart(8, '0');
    rows.push(generateRow(random, applicantId, shift, drift, extraFeature));
  }
  return { columns: creditColumns(extraFeature), rows };
}

/** The dataset's columns in CSV order. */
export function creditColumns(extraFeature: boolean): readonly CreditColumn[] {
  return extraFeature ? [...BASE_COLUMNS, BUREAU_COLUMN, TARGET_COLUMN] : [...BASE_COLUMNS, TARGET_COLUMN];
}

/** The feature columns of a dataset (not the id, not the target), as model inputs. */
export function creditFeatures(
  dataset: CreditDataset,
): readonly { readonly name: string; readonly type: 'number' | 'string' }[] {
  return dataset.columns.filter((c) => c.role === 'feature').map((c) => ({ name: c.name, type: c.type }));
}

/**
 * The dataset as RFC 4180 CSV text: a header, `\n` line ends, numbers with each column's fixed decimals.
 *
 * @example
 * toCsv(generateCreditData({ seed: 1, rows: 2 })).split('\n')[0]; // 'applicant_id,age,annual_income,...'
 */
export function toCsv(dataset: CreditDataset): string {
  return formatCsv(dataset.columns, dataset.rows);
}

/**
 * A seeded split into a training and an evaluation part; each keeps the original row order. The
 * evaluation part has `round(rows × evalFraction)` rows, and both parts have at least one.
 *
 * @example
 * const { train, evaluation } = splitTrainEval(generateCreditData({ seed: 1, rows: 100 }), 0.25, 9);
 * evaluation.rows.length; // 25
 */
export function splitTrainEval(
  dataset: CreditDataset,
  evalFraction: number,
  seed: number,
): { readonly train: CreditDataset; readonly evaluation: CreditDataset } {
  const n = dataset.rows.length;
  const evalCount = Math.round(n * evalFraction);
  if (!(evalFraction > 0 && evalFraction < 1) || evalCount < 1 || evalCount > n - 1) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `evalFraction ${evalFraction} of ${n} rows leaves an empty training or evaluation part`,
    );
  }
  // A Fisher-Yates shuffle of the indices; the first evalCount shuffled indices are held out.
  const random = createRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = Math.floor(random.uniform() * (i + 1));
    const a = order[i] as number;
    order[i] = order[j] as number;
    order[j] = a;
  }
  const heldOut = new Uint8Array(n);
  for (let k = 0; k < evalCount; k += 1) heldOut[order[k] as number] = 1;
  const train: CreditRow[] = [];
  const evaluation: CreditRow[] = [];
  dataset.rows.forEach((row, i) => (heldOut[i] === 1 ? evaluation : train).push(row));
  return {
    train: { columns: dataset.columns, rows: train },
    evaluation: { columns: dataset.columns, rows: evaluation },
  };
}

/** The share of rows with `default_12m = 1`. */
export function creditDefaultRate(dataset: CreditDataset): number {
  if (dataset.rows.length === 0) return 0;
  let defaults = 0;
  for (const row of dataset.rows) defaults += row.default_12m;
  return defaults / dataset.rows.length;
}

function generateRow(
  random: Random,
  applicantId: string,
  shift: number,
  drift: number,
  extraFeature: boolean,
): CreditRow {
  // The order of the draws is fixed whatever the options, so `extraFeature` changes no other column.
  const unobserved = random.normal();
  const age = clamp(Math.round(41 + 11 * random.normal()), 21, 75);
  const logIncomeRaw = LOG_INCOME_CENTRE + 0.01 * (age - 41) + 0.42 * random.normal() - 0.1 * shift;
  const annualIncome = clamp(roundTo(Math.exp(logIncomeRaw), 100), 12_000, 500_000);
  const logIncome = Math.log(annualIncome);

  const tenureScale = 12 + 2 * (age - 21);
  const monthsEmployed = Math.min((age - 18) * 12, Math.round(-Math.log(1 - random.uniform()) * tenureScale));

  const ownShare = clamp(0.04 + 0.006 * (age - 21), 0.04, 0.35);
  const mortgageShare =
    (1 - ownShare) * sigmoid(-1 + 0.05 * (age - 35) + 1.2 * (logIncome - LOG_INCOME_CENTRE));
  const homeDraw = random.uniform();
  const homeOwnership: HomeOwnership =
    homeDraw < ownShare ? 'OWN' : homeDraw < ownShare + mortgageShare ? 'MORTGAGE' : 'RENT';

  const creditUtilization = roundDecimals(
    sigmoid(-0.45 + random.normal() + 0.25 * unobserved + 0.9 * shift),
    3,
  );
  const debtToIncome = roundDecimals(
    clamp(
      sigmoid(
        -1.5 +
          0.45 * random.normal() +
          0.12 * unobserved +
          0.5 * shift -
          0.25 * (logIncome - LOG_INCOME_CENTRE),
      ),
      0.005,
      0.95,
    ),
    4,
  );
  const numOpenAccounts = Math.min(40, random.poisson(2.5 + 0.08 * (age - 21)));
  const numDelinquencies = Math.min(
    15,
    random.poisson(0.08 + 0.45 * creditUtilization ** 2 + 0.2 * Math.max(0, unobserved)),
  );

  const logLoanRaw = LOG_LOAN_CENTRE + 0.55 * (logIncome - LOG_INCOME_CENTRE) + 0.45 * random.normal();
  const loanAmount = clamp(roundTo(Math.exp(logLoanRaw), 250), 1_000, 50_000);
  const logLoan = Math.log(loanAmount);
  const loanTermMonths: 36 | 60 =
    random.uniform() < sigmoid(-0.9 + 1.4 * (logLoan - LOG_LOAN_CENTRE)) ? 60 : 36;
  const purpose = LOAN_PURPOSES[random.weighted(LOAN_PURPOSES.map((p) => PURPOSE_WEIGHTS[p]))] as LoanPurpose;

  const bureauScore = clamp(
    Math.round(
      705 - 48 * unobserved - 70 * (creditUtilization - 0.4) - 18 * numDelinquencies + 22 * random.normal(),
    ),
    300,
    850,
  );

  const logit =
    LATENT.intercept +
    DRIFT.intercept * drift +
    (LATENT.utilization + DRIFT.utilization * drift) * (creditUtilization - 0.4) +
    (LATENT.debtToIncome + DRIFT.debtToIncome * drift) * (debtToIncome - 0.2) +
    (LATENT.logIncome + DRIFT.logIncome * drift) * (logIncome - LOG_INCOME_CENTRE) +
    LATENT.agePerYear * (age - 41) +
    LATENT.employedPerMonth * (monthsEmployed - 60) +
    LATENT.delinquency * numDelinquencies +
    LATENT.openAccount * (numOpenAccounts - 5) +
    (LATENT.longTerm + DRIFT.longTerm * drift) * (loanTermMonths === 60 ? 1 : 0) +
    LATENT.logLoan * (logLoan - LOG_LOAN_CENTRE) +
    LATENT.home[homeOwnership] +
    LATENT.purpose[purpose] +
    (purpose === 'small_business' ? DRIFT.smallBusiness * drift : 0) +
    LATENT.unobserved * unobserved;
  const defaulted: 0 | 1 = random.uniform() < sigmoid(logit) ? 1 : 0;

  const row: CreditRow = {
    applicant_id: applicantId,
    age,
    annual_income: annualIncome,
    debt_to_income: debtToIncome,
    credit_utilization: creditUtilization,
    months_employed: monthsEmployed,
    num_open_accounts: numOpenAccounts,
    num_delinquencies_2y: numDelinquencies,
    loan_amount: loanAmount,
    loan_term_months: loanTermMonths,
    home_ownership: homeOwnership,
    purpose,
    default_12m: defaulted,
  };
  return extraFeature ? { ...row, bureau_score: bureauScore } : row;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function clamp(x: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, x));
}

function roundTo(x: number, step: number): number {
  return Math.round(x / step) * step;
}

// k / 10^d is the double nearest to the decimal the CSV writes for it, so the CSV text reads back as the
// same number.
function roundDecimals(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(x * scale) / scale;
}
