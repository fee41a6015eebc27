// Parsers for command-line values: each failure is a coded InputError that names the option.
import { InputError } from '../errors.js';

export function parseCount(value: string, what: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${what} must be a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InputError('OUT_OF_RANGE', `${what} ${value} is too large`);
  return n;
}
