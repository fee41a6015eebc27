// SHAP values as the shap library's Explanation holds them, saved as JSON:
//   { "feature_names": [..], "values": [[row 0, one value per feature], ...], "base_values"?, "data"? }
// The bytes come from a proposal (attacker-controlled): parse strictly, bound the size before the
// work, and name the problem. `base_values` and `data` are allowed and not read: the review shows the
// mean |SHAP| per feature, which needs neither.
import { InputError } from '../errors.js';
import { parseJson } from '../signing/canonical-json.js';

/** Cells (rows × features) a SHAP JSON may hold: 10^7, about 200 MB of JSON. */
export const MAX_SHAP_CELLS = 10_000_000;
/** Bytes a SHAP JSON may have; checked before decoding, so a huge upload is refused cheaply. */
export const MAX_SHAP_JSON_BYTES = 256 * 1024 * 1024;

export interface ShapValues {
  readonly featureNames: string[];
  /** values[row][feature], every row as long as featureNames. */
  readonly values: number[][];
}

export interface FeatureImportance {
  readonly feature: string;
  /** The feature's column in the SHAP values. */
  readonly index: number;
  readonly meanAbs: number;
}

function invalid(what: string, message: string, details?: Record<string, unknown>): InputError {
  return new InputError('INVALID_ARGUMENT', `${what}: ${message}`, details ? { details } : {});
}

function ownField(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/**
 * Parses and validates SHAP JSON bytes. Throws InputError: INVALID_UTF8 / INVALID_JSON when the bytes
 * are not strict JSON (RFC 7493: no duplicate keys), INVALID_ARGUMENT when the shape is wrong (missing
 * fields, ragged rows, a name count that does not match the rows, a value that is not a finite number)
 * or the input is too large.
 *
 * @example parseShapJson(utf8('{"feature_names":["a","b"],"values":[[0.1,-0.2]]}'))
 *   // → { featureNames: ['a', 'b'], values: [[0.1, -0.2]] }
 */
export function parseShapJson(bytes: Uint8Array, what = 'SHAP JSON'): ShapValues {
  if (bytes.length > MAX_SHAP_JSON_BYTES) {
    throw invalid(what, `${bytes.length} bytes is too large (the limit is ${MAX_SHAP_JSON_BYTES})`, {
      bytes: bytes.length,
      limit: MAX_SHAP_JSON_BYTES,
    });
  }
  const parsed = parseJson(bytes, what);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid(what, 'must be a JSON object with "feature_names" and "values"');
  }
  const document = parsed as Record<string, unknown>;

  const names = ownField(document, 'feature_names');
  if (!Array.isArray(names) || names.length === 0) {
    throw invalid(what, '"feature_names" must be a non-empty array of strings');
  }
  names.forEach((name: unknown, index) => {
    if (typeof name !== 'string') {
      throw invalid(what, `feature_names[${index}] is ${typeOf(name)}, not a string`, { index });
    }
  });
  const featureNames = names as string[];

  const rows = ownField(document, 'values');
  if (!Array.isArray(rows) || rows.length === 0) {
    throw invalid(what, '"values" must be a non-empty array of rows, one value per feature in each');
  }
  // Bound the work before walking the rows: the product is what JSON.parse already had to hold.
  const cells = rows.length * featureNames.length;
  if (cells > MAX_SHAP_CELLS) {
    throw invalid(
      what,
      `${rows.length} rows × ${featureNames.length} features is too large (the limit is ${MAX_SHAP_CELLS} cells)`,
      { rows: rows.length, features: featureNames.length, limit: MAX_SHAP_CELLS },
    );
  }

  const width = featureNames.length;
  rows.forEach((row: unknown, r) => {
    if (!Array.isArray(row)) {
      const hint = typeof row === 'number' ? ' (1-D values: wrap a single row as [[...]])' : '';
      throw invalid(what, `values[${r}] is ${typeOf(row)}, not a row array${hint}`, { row: r });
    }
    if (row.length !== width) {
      const message =
        r === 0
          ? `feature_names has ${width} names but values[0] has ${row.length} values`
          : `ragged rows: values[${r}] has ${row.length} values, values[0] has ${width}`;
      throw invalid(what, message, { row: r, expected: width, actual: row.length });
    }
    for (let f = 0; f < width; f += 1) {
      const cell: unknown = row[f];
      if (typeof cell !== 'number' || !Number.isFinite(cell)) {
        const hint = Array.isArray(cell) ? ' (multi-output values: save one output at a time)' : '';
        throw invalid(what, `values[${r}][${f}] is ${typeOf(cell)}, not a finite number${hint}`, {
          row: r,
          feature: f,
        });
      }
    }
  });
  return { featureNames, values: rows as number[][] };
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Mean |SHAP| per feature over all rows, sorted descending; ties keep the feature order. Sums run in a
 * fixed order, so the floats are the same in every process.
 */
export function meanAbsShap(shap: ShapValues): FeatureImportance[] {
  const width = shap.featureNames.length;
  const sums = new Array<number>(width).fill(0);
  for (const row of shap.values) {
    for (let f = 0; f < width; f += 1) sums[f] = (sums[f] ?? 0) + Math.abs(row[f] ?? 0);
  }
  const count = shap.values.length;
  return shap.featureNames
    .map((feature, index) => ({ feature, index, meanAbs: count === 0 ? 0 : (sums[index] ?? 0) / count }))
    .sort((a, b) => b.meanAbs - a.meanAbs || a.index - b.index);
}
