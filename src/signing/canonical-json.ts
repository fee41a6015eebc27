// Canonical JSON: RFC 8785 (JCS) for every JSON that is hashed or signed, and a strict I-JSON (RFC 7493)
// parser for JSON bytes that arrive from outside.
//
// The serialisation itself is the `canonicalize` package (the RFC 8785 reference implementation). It
// trusts its input: it drops `undefined`, calls `toJSON`, and writes a lone surrogate as `\udXXX`, which
// RFC 8785 §3.2.2.2 forbids. So the value is first checked to be I-JSON and copied into plain data, and
// only the copy is serialised: a getter cannot answer differently the second time it is read.
import canonicalizeModule from 'canonicalize';

import { InputError } from '../errors.js';

// The package is CommonJS (`module.exports = serialize`) but its types declare an ES default export, so
// under NodeNext TypeScript types the default import as the module object. At run time it is the function.
const canonicalizeJson = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** A JSON value as parsed or as given to `canonicalize`. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Deeper nesting is refused: no honest document needs it, and recursive consumers could overflow the stack. */
export const MAX_JSON_DEPTH = 256;

// In a `u` regex a surrogate pair is one code point, so this matches unpaired surrogates only.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * The RFC 8785 canonical form of `value` as UTF-8 bytes. Throws InputError INVALID_JSON, with the JSON
 * path of the problem in `details.path` (`$.a[0]`), unless `value` is I-JSON: plain objects and arrays, strings and keys without lone surrogates,
 * finite numbers, booleans and null. `undefined`, functions, bigints, symbols, class instances (Date,
 * Map, Uint8Array), sparse arrays and cycles are refused rather than silently dropped or converted.
 *
 * @example
 * new TextDecoder().decode(canonicalize({ b: [1e30, 4.5], a: 'é' })); // '{"a":"é","b":[1e+30,4.5]}'
 */
export function canonicalize(value: unknown): Uint8Array {
  const text = canonicalizeJson(copyIJson(value, '$', 0, new Set()));
  if (text === undefined) throw invalid('$: the value has no JSON form', '$');
  return new TextEncoder().encode(text);
}

function copyIJson(value: unknown, path: string, depth: number, ancestors: Set<object>): JsonValue {
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw invalid(`${path}: ${value} is not a finite number (RFC 8785 §3.2.2.3)`, path);
      }
      return value;
    case 'string':
      if (LONE_SURROGATE.test(value)) {
        throw invalid(`${path}: the string holds a lone surrogate (RFC 8785 §3.2.2.2)`, path);
      }
      return value;
    case 'object':
      break;
    default:
      throw invalid(`${path}: a ${typeof value} is not JSON`, path);
  }
  if (value === null) return null;
  if (depth >= MAX_JSON_DEPTH) throw invalid(`${path}: nested deeper than ${MAX_JSON_DEPTH} levels`, path);
  if (ancestors.has(value)) throw invalid(`${path}: a cyclic reference`, path);
  const proto: unknown = Object.getPrototypeOf(value);
  ancestors.add(value);
  try {
    if (Array.isArray(value) && proto === Array.prototype) {
      const array: unknown[] = value;
      const copy: JsonValue[] = [];
      for (let i = 0; i < array.length; i++) {
        if (!Object.hasOwn(array, i)) {
          throw invalid(`${path}[${i}]: a hole in a sparse array`, `${path}[${i}]`);
        }
        copy.push(copyIJson(array[i], `${path}[${i}]`, depth + 1, ancestors));
      }
      return copy;
    }
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      throw invalid(
        `${path}: ${typeof name === 'string' ? `a ${name}` : 'this object'} is not a plain JSON object`,
        path,
      );
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw invalid(`${path}: symbol-keyed properties are not JSON`, path);
    }
    const record = value as Record<string, unknown>;
    // A null prototype: a key named "__proto__" stays an ordinary key.
    const copy = Object.create(null) as Record<string, JsonValue>;
    for (const key of Object.keys(record)) {
      const keyPath = pathOf(path, key);
      if (LONE_SURROGATE.test(key)) {
        throw invalid(`${keyPath}: the key holds a lone surrogate (RFC 8785 §3.2.2.2)`, keyPath);
      }
      copy[key] = copyIJson(record[key], keyPath, depth + 1, ancestors);
    }
    return copy;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * Parses JSON bytes that came from outside (attacker-controlled) as I-JSON (RFC 7493): the bytes must be
 * UTF-8 (no BOM, no invalid sequences: InputError INVALID_UTF8), one JSON text (INVALID_JSON), with no
 * duplicate object keys, no lone surrogates even when escaped (`"\ud800"`), no number that overflows a
 * double, and no nesting deeper than MAX_JSON_DEPTH (all INVALID_JSON, with `details.path` where there is
 * one). `what` names the input in error messages.
 * The result is untyped data: validate its shape before use.
 */
export function parseJson(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    // ignoreBOM keeps a leading U+FEFF in the text, so JSON.parse refuses it (RFC 8259 §8.1).
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new InputError('INVALID_UTF8', `${what} is not valid UTF-8`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? `: ${error.message}` : '';
    throw new InputError('INVALID_JSON', `${what} is not valid JSON${reason}`, { cause: error });
  }
  checkIJsonText(text, what);
  return value;
}

interface Frame {
  readonly kind: 'object' | 'array';
  readonly path: string;
  readonly keys: Set<string>;
  expectKey: boolean;
  key: string;
  index: number;
}

/**
 * Walks a text that JSON.parse has accepted, for what JSON.parse lets through: duplicate keys (it keeps
 * the last, so two readers could see two documents), escaped lone surrogates, numbers beyond a double,
 * and deep nesting. Iterative, so hostile nesting cannot overflow the stack.
 */
function checkIJsonText(text: string, what: string): void {
  const stack: Frame[] = [];
  const here = (): string => {
    const top = stack[stack.length - 1];
    if (top === undefined) return '$';
    return top.kind === 'array' ? `${top.path}[${top.index}]` : pathOf(top.path, top.key);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      let escaped = false;
      while (text[j] !== '"') {
        if (text[j] === '\\') {
          escaped = true;
          j += 2;
        } else {
          j += 1;
        }
      }
      const raw = text.slice(i + 1, j);
      const decoded = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
      const top = stack[stack.length - 1];
      if (top?.kind === 'object' && top.expectKey) {
        const keyPath = pathOf(top.path, decoded);
        if (LONE_SURROGATE.test(decoded)) {
          throw invalid(`${what}: the key at ${keyPath} holds a lone surrogate (RFC 7493 §2.1)`, keyPath);
        }
        if (top.keys.has(decoded)) {
          throw invalid(
            `${what}: duplicate key ${JSON.stringify(decoded)} in the object at ${top.path} (RFC 7493 §2.3)`,
            keyPath,
          );
        }
        top.keys.add(decoded);
        top.key = decoded;
        top.expectKey = false;
      } else if (LONE_SURROGATE.test(decoded)) {
        throw invalid(`${what}: the string at ${here()} holds a lone surrogate (RFC 7493 §2.1)`, here());
      }
      i = j + 1;
    } else if (c === '{' || c === '[') {
      if (stack.length >= MAX_JSON_DEPTH) {
        throw invalid(`${what}: nested deeper than ${MAX_JSON_DEPTH} levels`, here());
      }
      const path = here();
      stack.push({
        kind: c === '{' ? 'object' : 'array',
        path,
        keys: new Set(),
        expectKey: true,
        key: '',
        index: 0,
      });
      i += 1;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i += 1;
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.kind === 'object') top.expectKey = true;
      else if (top) top.index += 1;
      i += 1;
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9eE+\-.]/.test(text[j] ?? '')) j += 1;
      if (!Number.isFinite(Number(text.slice(i, j)))) {
        throw invalid(
          `${what}: the number at ${here()} is beyond the range of a double (RFC 7493 §2.2)`,
          here(),
        );
      }
      i = j;
    } else {
      // Whitespace, ':' and the literals true, false, null.
      i += 1;
    }
  }
}

function pathOf(parent: string, key: string): string {
  return IDENTIFIER.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** INVALID_JSON with the JSON path of the problem in `details.path` (`$`, `$.a[0]`, `$["a b"]`). */
function invalid(message: string, path: string): InputError {
  return new InputError('INVALID_JSON', message, { details: { path } });
}
