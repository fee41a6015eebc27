// Locale-free number formatting for the review document. `toFixed`, `toExponential` and `String` are
// defined by ECMAScript (Number::toString, §21.1.3) without reference to the locale, unlike
// `toLocaleString` or Intl; `-0` is never written, so a rounded tiny negative reads as 0.
import { InputError } from '../errors.js';

/** Decimals shown for metric values, deltas and SHAP means. */
export const VALUE_DECIMALS = 4;
/** Below this magnitude a fixed form would read 0.0000, so the value is written in exponent form. */
const SMALLEST_FIXED = 0.5 * 10 ** -VALUE_DECIMALS;

function assertFinite(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError('INVALID_ARGUMENT', `${what} must be a finite number, got ${String(value)}`);
  }
}

function dropNegativeZero(text: string): string {
  return /^-0(?:\.0*)?(?:e[+-]?\d+)?$/.test(text) ? text.slice(1) : text;
}

/** Fixed decimals, e.g. formatFixed(1.005, 2) === '1.00' (binary rounding, as toFixed defines it). */
export function formatFixed(value: number, decimals: number, what = 'a number'): string {
  assertFinite(value, what);
  return dropNegativeZero(value.toFixed(decimals));
}

/** A metric value or mean: 4 decimals, or 4 significant digits in exponent form when tiny. */
export function formatValue(value: number, what = 'a value'): string {
  assertFinite(value, what);
  if (value !== 0 && Math.abs(value) < SMALLEST_FIXED) return dropNegativeZero(value.toExponential(3));
  return dropNegativeZero(value.toFixed(VALUE_DECIMALS));
}

/** Like formatValue with an explicit sign: '+0.0200', '-0.0013', '0.0000'. */
export function formatSigned(value: number, what = 'a delta'): string {
  const text = formatValue(value, what);
  return value > 0 ? `+${text}` : text;
}

/** The exact value (shortest round-trip form), for a tooltip an auditor can compare with the JSON. */
export function formatExact(value: number, what = 'a value'): string {
  assertFinite(value, what);
  return Object.is(value, -0) ? '0' : String(value);
}

/** A count: plain digits, no grouping (grouping characters are a locale choice). */
export function formatCount(value: number, what = 'a count'): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InputError('INVALID_ARGUMENT', `${what} must be a non-negative integer, got ${String(value)}`);
  }
  return String(value);
}
