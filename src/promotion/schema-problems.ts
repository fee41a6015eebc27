// One ajv validation error as a Problem at a JSON pointer (RFC 6901), for every published schema: the
// proposal inputs and the materiality policy report their problems the same way.
import type { ErrorObject } from 'ajv/dist/2020.js';

import type { Problem } from './inputs.js';

/** RFC 6901 §3: `~` and `/` in a key are escaped. */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * The problems of ajv's errors, leaving out errors that another error already explains. `patterns` maps
 * a schema pattern to the message that says what it means (e.g. the digest pattern).
 */
export function problemsOfAjv(
  errors: readonly ErrorObject[] | null | undefined,
  patterns: Readonly<Record<string, string>> = {},
): Problem[] {
  return (errors ?? []).flatMap((error) => problemOf(error, patterns));
}

function problemOf(error: ErrorObject, patterns: Readonly<Record<string, string>>): Problem[] {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath;
  switch (error.keyword) {
    case 'if':
      // Reported by the branch that failed.
      return [];
    case 'propertyNames':
      // Reported by the name's own error, with `propertyName` set.
      return [];
    case 'required':
      return [{ path: `${at}/${pointerToken(String(params['missingProperty']))}`, message: 'is required' }];
    case 'additionalProperties':
      return [
        {
          path: `${at}/${pointerToken(String(params['additionalProperty']))}`,
          message: 'is not allowed here',
        },
      ];
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return [{ path: at, message: `must be one of ${allowed}` }];
    }
    case 'const':
      return [{ path: at, message: `must be ${JSON.stringify(params['allowedValue'])}` }];
    case 'pattern': {
      const meaning = patterns[String(params['pattern'])];
      if (meaning !== undefined) return [{ path: at, message: meaning }];
      break;
    }
    case 'uniqueItems': {
      // Which of ajv's `i` and `j` is the later item depends on the item types: report the later one.
      const [first, later] = [Number(params['i']), Number(params['j'])].sort((a, b) => a - b);
      return [{ path: `${at}/${later}`, message: `duplicates ${at}/${first}` }];
    }
    case 'type':
      return [{ path: at, message: `must be ${String(params['type']).split(',').join(' or ')}` }];
  }
  if (error.propertyName !== undefined) {
    const name = JSON.stringify(error.propertyName);
    return [
      {
        path: `${at}/${pointerToken(error.propertyName)}`,
        message: `is not a valid name: ${name} ${error.message ?? 'is invalid'}`,
      },
    ];
  }
  return [{ path: at, message: error.message ?? `fails "${error.keyword}"` }];
}

/** At most `max` problems, and a last one that says how many more there were. */
export function capProblems(problems: readonly Problem[], max: number): Problem[] {
  if (problems.length <= max) return [...problems];
  return [...problems.slice(0, max), { path: '', message: `and ${problems.length - max} more problems` }];
}
