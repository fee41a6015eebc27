// The dataset profile: a registered dataset is hashed but its bytes are not kept, so the reference bins a
// later promotion seals (reference.ts) are computed at registration, in one streaming pass, for every
// column — both kinds, since the model's input contract, which decides the kind, is not known yet. A
// promotion then picks its features and its score column out of the profile (`referenceFromProfile`).
//
// Pure: takes the bytes as an async iterable and returns a plain value; storing it is the caller's
// business. The profile is read back from the object store later, so `assertDatasetProfile` checks it as
// attacker-controlled JSON.
import { InputError } from '../errors.js';
import { isDigest, type Digest } from '../signing/digest.js';
import { assertFeatureBins, binIndex, categoryOf, parseDecimal } from './bins.js';
import { createCsvReader, type CsvRecord } from './csv.js';
import { createNdjsonReader, type NdjsonRecord, type NdjsonValue } from './ndjson.js';
import { DEFAULT_MAX_CATEGORIES, DEFAULT_QUANTILE_BINS, quantiles, type FeatureKind } from './reference.js';
import { REFERENCE_BINS_TYPE, type FeatureBins, type ReferenceBins } from './types.js';

export const DATASET_PROFILE_TYPE = 'signet-dataset-profile/v1';

/** A dataset with more columns than this is not profiled (unless `maxColumns` says otherwise). */
export const DEFAULT_MAX_PROFILE_COLUMNS = 1000;

/**
 * Distinct values tracked per column for its categorical bins. A column of identifiers would otherwise
 * keep every row's text in memory; past this many distinct values a value not already tracked is counted
 * as "other". Below it, the categorical bins are exactly `computeFeatureBins`'; above it, the most
 * frequent categories (`DEFAULT_MAX_CATEGORIES`) are chosen among the values first seen, and a value
 * first seen after the cap — however frequent later — is "other". For the columns this happens to
 * (identifiers, continuous numbers written in full) every category has a handful of rows and the bins
 * say "other" for nearly all of them either way.
 */
export const DEFAULT_MAX_TRACKED_CATEGORIES = 100_000;

/** The first capacity of a column's array of numbers; it doubles as it fills. */
const INITIAL_NUMBERS = 256;

export interface ColumnProfile {
  readonly name: string;
  /** What inferKind says of the column's values. */
  readonly inferred: FeatureKind;
  /** Numeric bins (deciles, see computeFeatureBins), present when at least one value parses as a number. */
  readonly numeric?: FeatureBins; // kind 'numeric'
  /** Categorical bins, always present. */
  readonly categorical: FeatureBins; // kind 'categorical'
}

export interface DatasetProfile {
  readonly type: typeof DATASET_PROFILE_TYPE;
  /** The dataset's content digest, given by the caller. */
  readonly dataset: Digest;
  readonly format: 'csv' | 'ndjson';
  /** Data rows read (records), malformed ones excluded. */
  readonly rows: number;
  /** Records the reader reported malformed (not profiled). */
  readonly malformed: number;
  /** CSV: header order; NDJSON: order of first appearance. */
  readonly columns: readonly ColumnProfile[];
}

export interface ProfileOptions {
  readonly source: AsyncIterable<Uint8Array>;
  readonly format: 'csv' | 'ndjson';
  readonly dataset: Digest;
  /** Called after each input chunk with the bytes read and the data rows seen so far. */
  readonly onProgress?: (bytes: number, rows: number) => void;
  /** More columns than this are refused (default `DEFAULT_MAX_PROFILE_COLUMNS`). */
  readonly maxColumns?: number;
  /** Distinct values tracked per column (default `DEFAULT_MAX_TRACKED_CATEGORIES`); lowered by tests. */
  readonly maxTrackedCategories?: number;
}

/**
 * Profiles a CSV (with a header) or NDJSON dataset in one streaming pass: per column, its numeric bins
 * (when at least one value is a number) and its categorical bins, each as `computeFeatureBins` would give
 * them over the column's values with the default options — exactly, as long as the column has at most
 * `maxTrackedCategories` distinct values (see `DEFAULT_MAX_TRACKED_CATEGORIES` for what happens past it).
 *
 * Values: a CSV cell is its text (an empty cell is missing). An NDJSON value is what the reader yields
 * (`toNdjsonValue`): strings as they are, `true`/`false` as those strings, arrays and objects as their
 * JSON text, null. A JSON number is kept as the double the reader gives; its category is its JavaScript
 * string form (`categoryOf`), so `3` in JSON and `3` in a CSV are the same category, while `3.50`, `1E3`
 * or `1e21` are `'3.5'`, `'1000'` and `'1e+21'` (the CSV keeps the text as written); the numeric bins
 * of both agree since the double is the same. A number that overflows (`1e999`) is missing. A key absent
 * from a row is missing in that row, so a column first seen in a later row is missing in all earlier
 * ones. NDJSON columns come in order of first appearance, within a row in JavaScript's key order (keys
 * that are array indices, such as `"7"`, first). A column with an empty name is not profiled (it could
 * not be named as a feature).
 *
 * Memory: the rows are not kept, nor the text of a number once parsed. Per column, the numbers (8 bytes
 * each, in an array that doubles as it fills: at most 16 bytes per number, 24 for the moment it grows) —
 * the exact deciles need them all — and a count for each distinct value, at most `maxTrackedCategories`
 * of them (each held as its string); plus the reader's current chunk and one record carried over.
 *
 * Throws InputError INVALID_ARGUMENT for a file with no data rows, more than `maxColumns` columns, a
 * CSV header naming a column twice, or a malformed CSV header.
 *
 * @example
 * const profile = await profileDataset({ source: createReadStream('eval.csv'), format: 'csv', dataset });
 */
export async function profileDataset(options: ProfileOptions): Promise<DatasetProfile> {
  const maxColumns = options.maxColumns ?? DEFAULT_MAX_PROFILE_COLUMNS;
  const maxTracked = options.maxTrackedCategories ?? DEFAULT_MAX_TRACKED_CATEGORIES;
  assertPositive(maxColumns, 'maxColumns');
  assertPositive(maxTracked, 'maxTrackedCategories');
  const profiler =
    options.format === 'csv'
      ? new CsvProfiler(maxColumns, maxTracked)
      : new NdjsonProfiler(maxColumns, maxTracked);
  for await (const chunk of options.source) {
    profiler.push(chunk);
    options.onProgress?.(profiler.bytes, profiler.rows);
  }
  profiler.end();
  const rows = profiler.rows;
  if (rows === 0) {
    const malformed = profiler.malformed > 0 ? ` (${profiler.malformed} malformed records were skipped)` : '';
    throw new InputError('INVALID_ARGUMENT', `the ${options.format} file has no data rows${malformed}`);
  }
  return {
    type: DATASET_PROFILE_TYPE,
    dataset: options.dataset,
    format: options.format,
    rows,
    malformed: profiler.malformed,
    columns: profiler.columns().map((column) => column.toProfile(rows)),
  };
}

/** One column's values, as counts and numbers. */
class ColumnAccumulator {
  /** Rows in which the column was there (NDJSON: the key; CSV: every row). */
  present = 0;
  /** Of those, rows whose value was missing (null, empty, a non-finite number). */
  private missing = 0;
  private numbers = new Float64Array(0);
  private count = 0;
  private readonly categories = new Map<string, number>();
  /** Values past the cap of tracked categories: "other" whatever they are. */
  private untracked = 0;

  constructor(
    readonly name: string,
    private readonly maxTracked: number,
  ) {}

  addMissing(): void {
    this.missing += 1;
  }

  /** A value that is there: its category (its text) and its number when it is one. */
  add(category: string, number: number | undefined): void {
    const seen = this.categories.get(category);
    if (seen !== undefined) this.categories.set(category, seen + 1);
    else if (this.categories.size < this.maxTracked) this.categories.set(category, 1);
    else this.untracked += 1;
    if (number === undefined) return;
    if (this.count === this.numbers.length) {
      const grown = new Float64Array(Math.max(INITIAL_NUMBERS, this.count * 2));
      grown.set(this.numbers);
      this.numbers = grown;
    }
    this.numbers[this.count] = number;
    this.count += 1;
  }

  /** An NDJSON value (`categoryOf` and `parseDecimal` decide, as in computeFeatureBins). */
  addValue(value: NdjsonValue): void {
    const category = categoryOf(value);
    if (category === undefined) this.addMissing();
    else this.add(category, parseDecimal(value));
  }

  toProfile(rows: number): ColumnProfile {
    const missing = this.missing + (rows - this.present);
    const values = rows - missing;
    const inferred: FeatureKind = this.count > 0 && this.count === values ? 'numeric' : 'categorical';
    const categorical = this.categoricalBins(missing);
    if (this.count === 0) return { name: this.name, inferred, categorical };
    return { name: this.name, inferred, numeric: this.numericBins(rows - this.count), categorical };
  }

  // computeFeatureBins, numeric, over the numbers already parsed: the same edges and the same counts;
  // `missing` counts every row whose value is not a number.
  private numericBins(missing: number): FeatureBins {
    const sorted = this.numbers.subarray(0, this.count).sort();
    const edges: number[] = [];
    for (const q of quantiles(sorted, DEFAULT_QUANTILE_BINS)) {
      if (edges.length === 0 || (edges[edges.length - 1] as number) < q) edges.push(q);
    }
    const counts = new Array<number>(edges.length + 2).fill(0);
    const bins: FeatureBins = { name: this.name, kind: 'numeric', edges, counts };
    for (const v of sorted) {
      const i = binIndex(bins, v);
      counts[i] = (counts[i] as number) + 1;
    }
    counts[edges.length + 1] = missing;
    return bins;
  }

  // computeFeatureBins, categorical, over the counts: the most frequent `DEFAULT_MAX_CATEGORIES`
  // (ties to the earlier in code-unit order), in code-unit order, then other, then missing.
  private categoricalBins(missing: number): FeatureBins {
    const seen = this.categories;
    let categories = [...seen.keys()].sort(compareCodeUnits);
    if (categories.length > DEFAULT_MAX_CATEGORIES) {
      categories = categories
        .sort((a, b) => (seen.get(b) as number) - (seen.get(a) as number) || compareCodeUnits(a, b))
        .slice(0, DEFAULT_MAX_CATEGORIES)
        .sort(compareCodeUnits);
    }
    const counts = categories.map((c) => seen.get(c) as number);
    let total = this.untracked;
    for (const c of seen.values()) total += c;
    const other = total - counts.reduce((sum, c) => sum + c, 0);
    return { name: this.name, kind: 'categorical', categories, counts: [...counts, other, missing] };
  }
}

interface Profiler {
  push(chunk: Uint8Array): void;
  end(): void;
  readonly bytes: number;
  readonly rows: number;
  readonly malformed: number;
  columns(): readonly ColumnAccumulator[];
}

class CsvProfiler implements Profiler {
  private readonly reader = createCsvReader();
  /** Per field of the header: its column, or undefined for a field with no name (not profiled). */
  private fields: (ColumnAccumulator | undefined)[] = [];

  constructor(
    private readonly maxColumns: number,
    private readonly maxTracked: number,
  ) {}

  get bytes(): number {
    return this.reader.stats.bytes;
  }

  get rows(): number {
    return this.reader.stats.records;
  }

  get malformed(): number {
    return this.reader.stats.malformed;
  }

  columns(): readonly ColumnAccumulator[] {
    return this.fields.filter((column) => column !== undefined);
  }

  push(chunk: Uint8Array): void {
    this.reader.push(chunk);
    this.drain();
  }

  end(): void {
    this.reader.end();
    this.drain();
  }

  private drain(): void {
    for (let item = this.reader.next(); item !== undefined; item = this.reader.next()) {
      if (item.kind === 'header') this.header(item.columns);
      else if (item.kind === 'record') this.record(item);
    }
  }

  private header(names: readonly string[]): void {
    const named = names.filter((name) => name !== '');
    if (named.length > this.maxColumns) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `the csv file has ${named.length} columns, more than the ${this.maxColumns} that are profiled`,
        { details: { columns: named.length, maxColumns: this.maxColumns } },
      );
    }
    const duplicate = named.find((name, i) => named.indexOf(name) !== i);
    if (duplicate !== undefined) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `the csv header names the column ${JSON.stringify(duplicate)} twice`,
        { details: { duplicate } },
      );
    }
    this.fields = names.map((name) =>
      name === '' ? undefined : new ColumnAccumulator(name, this.maxTracked),
    );
  }

  private record(record: CsvRecord): void {
    const fields = this.fields;
    for (let i = 0; i < fields.length; i += 1) {
      const column = fields[i];
      if (column === undefined) continue;
      column.present += 1;
      if (record.isEmpty(i)) {
        column.addMissing();
        continue;
      }
      const text = record.text(i);
      // A plain decimal is read from its bytes (the same double as Number(text), see CsvRecord.decimal);
      // `+ 0` makes `-0` the 0 parseDecimal gives. Anything else goes through parseDecimal.
      const decimal = record.decimal(i);
      column.add(text, Number.isNaN(decimal) ? parseDecimal(text) : decimal + 0);
    }
  }
}

class NdjsonProfiler implements Profiler {
  private readonly reader = createNdjsonReader();
  private readonly byName = new Map<string, ColumnAccumulator>();
  private readonly ordered: ColumnAccumulator[] = [];

  constructor(
    private readonly maxColumns: number,
    private readonly maxTracked: number,
  ) {}

  get bytes(): number {
    return this.reader.stats.bytes;
  }

  get rows(): number {
    return this.reader.stats.records;
  }

  get malformed(): number {
    return this.reader.stats.malformed;
  }

  columns(): readonly ColumnAccumulator[] {
    return this.ordered;
  }

  push(chunk: Uint8Array): void {
    this.reader.push(chunk);
    this.drain();
  }

  end(): void {
    this.reader.end();
    this.drain();
  }

  private drain(): void {
    for (let item = this.reader.next(); item !== undefined; item = this.reader.next()) {
      if (item.kind === 'record') this.record(item);
    }
  }

  private record(record: NdjsonRecord): void {
    // Attacker-controlled keys: they only ever index a Map, never an object.
    for (const [name, value] of Object.entries(record.toValues())) {
      if (name === '') continue;
      let column = this.byName.get(name);
      if (column === undefined) {
        if (this.ordered.length >= this.maxColumns) {
          throw new InputError(
            'INVALID_ARGUMENT',
            `the ndjson file has more than the ${this.maxColumns} columns that are profiled (line ${record.line} adds ${JSON.stringify(name.slice(0, 80))})`,
            { details: { line: record.line, maxColumns: this.maxColumns } },
          );
        }
        column = new ColumnAccumulator(name, this.maxTracked);
        this.byName.set(name, column);
        this.ordered.push(column);
      }
      column.present += 1;
      column.addValue(value);
    }
  }
}

/** A column of the profile to take, with the kind of bins wanted (default: the kind inferred). */
export interface ProfileColumn {
  readonly name: string;
  readonly kind?: FeatureKind;
}

/**
 * The reference bins object of `model` on the profiled dataset: for each column asked for, in order, its
 * numeric or categorical bins by the kind asked (default: the kind inferred), and the score column's
 * numeric bins. Equal to `computeReferenceBins` over the dataset's rows for the same columns (with the
 * caveat of `DEFAULT_MAX_TRACKED_CATEGORIES`).
 *
 * Throws InputError INVALID_ARGUMENT for a column named twice, a score column also named as a feature
 * (the object would bin it twice, which `assertReferenceBins` refuses), columns the profile does not have
 * (all of them, in `details.absent`), and columns asked numeric — the score included — with no number
 * in them (all of them, in `details.notNumeric`).
 */
export function referenceFromProfile(
  profile: DatasetProfile,
  input: { readonly model: string; readonly columns: readonly ProfileColumn[]; readonly score?: string },
): ReferenceBins {
  const names = input.columns.map((c) => c.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) {
    throw new InputError('INVALID_ARGUMENT', `column ${JSON.stringify(duplicate)} is named twice`);
  }
  if (input.score !== undefined && names.includes(input.score)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `column ${JSON.stringify(input.score)} cannot be both an input feature and the score`,
    );
  }
  const byName = new Map(profile.columns.map((column) => [column.name, column]));
  const wanted: ProfileColumn[] =
    input.score === undefined
      ? [...input.columns]
      : [...input.columns, { name: input.score, kind: 'numeric' }];
  const absent = wanted.map((c) => c.name).filter((name) => !byName.has(name));
  if (absent.length > 0) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `the dataset has no column ${absent.map((name) => JSON.stringify(name)).join(', ')}`,
      { details: { absent } },
    );
  }
  const notNumeric: string[] = [];
  const bins = wanted.map((c) => {
    const column = byName.get(c.name) as ColumnProfile;
    if ((c.kind ?? column.inferred) === 'categorical') return column.categorical;
    if (column.numeric === undefined) notNumeric.push(c.name);
    return column.numeric;
  });
  if (notNumeric.length > 0) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `the dataset has no numeric value in column ${notNumeric.map((name) => JSON.stringify(name)).join(', ')}, binned as numeric`,
      { details: { notNumeric } },
    );
  }
  const features = bins.slice(0, input.columns.length) as FeatureBins[];
  const reference: ReferenceBins = {
    type: REFERENCE_BINS_TYPE,
    model: input.model,
    dataset: profile.dataset,
    features,
  };
  return input.score === undefined
    ? reference
    : { ...reference, score: bins[input.columns.length] as FeatureBins };
}

/**
 * Checks a dataset profile read back from the object store (whoever stored the bytes chose them): the
 * type, the dataset digest, the format, the row counts, and per column a unique non-empty name, the
 * inferred kind, its categorical bins and optional numeric bins (`assertFeatureBins`, of the right kind
 * and name, counting every row), and that a column inferred numeric has numeric bins. Throws InputError
 * INVALID_ARGUMENT naming the problem.
 */
export function assertDatasetProfile(value: unknown): asserts value is DatasetProfile {
  const fail = (problem: string): never => {
    throw new InputError('INVALID_ARGUMENT', `not a dataset profile: ${problem}`);
  };
  if (!isRecord(value)) return fail('not an object');
  if (value['type'] !== DATASET_PROFILE_TYPE) return fail(`type must be ${DATASET_PROFILE_TYPE}`);
  if (!isDigest(value['dataset'])) return fail('dataset must be a digest');
  if (value['format'] !== 'csv' && value['format'] !== 'ndjson')
    return fail('format must be "csv" or "ndjson"');
  const rows = value['rows'];
  if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 1) {
    return fail('rows must be a positive integer');
  }
  const malformed = value['malformed'];
  if (typeof malformed !== 'number' || !Number.isSafeInteger(malformed) || malformed < 0) {
    return fail('malformed must be a non-negative integer');
  }
  const columns = value['columns'];
  if (!Array.isArray(columns)) return fail('columns must be an array');
  const names = new Set<string>();
  for (const [i, column] of (columns as unknown[]).entries()) {
    if (!isRecord(column)) return fail(`column ${i} is not an object`);
    const name = column['name'];
    if (typeof name !== 'string' || name === '') return fail(`column ${i} needs a non-empty name`);
    const at = `column ${JSON.stringify(name.slice(0, 80))}`;
    if (names.has(name)) return fail(`${at} appears twice`);
    names.add(name);
    const inferred = column['inferred'];
    if (inferred !== 'numeric' && inferred !== 'categorical') {
      return fail(`${at}: inferred must be "numeric" or "categorical"`);
    }
    // Each kind of bins counts every row once: in a value bin, in other, or in missing.
    const missingOf = (bins: unknown, kind: FeatureKind): number => {
      assertFeatureBins(bins);
      if (bins.kind !== kind) fail(`${at}: its ${kind} bins are of kind ${bins.kind}`);
      if (bins.name !== name)
        fail(`${at}: its ${kind} bins are named ${JSON.stringify(bins.name.slice(0, 80))}`);
      const total = bins.counts.reduce((sum, c) => sum + c, 0);
      if (total !== rows) fail(`${at}: its ${kind} bins count ${total} rows, not ${rows}`);
      return bins.counts[bins.counts.length - 1] as number;
    };
    const missing = missingOf(column['categorical'], 'categorical');
    if (column['numeric'] === undefined) {
      if (inferred === 'numeric') fail(`${at}: inferred numeric but has no numeric bins`);
      continue;
    }
    // Numeric bins exist when a value is a number; the column is numeric when every value is one, that
    // is when the values missing as numbers are exactly the values missing as categories.
    const notNumbers = missingOf(column['numeric'], 'numeric');
    if (notNumbers === rows) fail(`${at}: its numeric bins have no number in them`);
    if (notNumbers < missing)
      fail(`${at}: its numeric bins have fewer values missing than its categorical bins`);
    if ((notNumbers === missing) !== (inferred === 'numeric')) {
      fail(`${at}: inferred ${inferred}, which its bins contradict`);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertPositive(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InputError('INVALID_ARGUMENT', `${what} must be a positive integer, got ${String(value)}`);
  }
}
