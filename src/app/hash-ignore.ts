// Ignore patterns for `signet hash`: a small glob matcher with gitignore-like anchoring, written here
// because node:path `matchesGlob` is still experimental on Node 20 (it prints an ExperimentalWarning on
// every run) and minimatch-style defaults (`*` skipping dotfiles) would surprise someone ignoring `.git`.
//
// Semantics (tested in hash-ignore.test.ts), against the path relative to the hashed directory, with `/`:
// - `*` matches any run of characters except `/`, `?` one character except `/`, `[abc]`, `[a-z]`, `[!a]`
//   a class; `\` escapes the next character. Dotfiles are not special.
// - `**` as a whole segment matches zero or more segments (`**/cache`, `data/**`, `a/**/b`).
// - A pattern with no `/` other than a trailing one matches the name at any depth (`*.pyc`, `.git`).
//   A pattern containing `/` is anchored at the root (`logs/*.txt`); a leading `/` only anchors.
// - A trailing `/` matches directories only (`tmp/`).
// - A matched directory is skipped with everything under it.
// - `!` negation is not supported and refused, rather than silently taken as a literal `!`.
import { InputError } from '../errors.js';

/** True when the entry at `relativePath` must be left out of the hash. */
export type IgnoreMatcher = (relativePath: string, isDirectory: boolean) => boolean;

interface CompiledPattern {
  readonly regex: RegExp;
  readonly directoryOnly: boolean;
}

/**
 * Compiles glob patterns once; throws INVALID_ARGUMENT naming a malformed pattern.
 *
 * @example
 * const ignored = createIgnoreMatcher(['.git', '*.tmp', 'logs/**']);
 * ignored('src/.git', true); // true
 */
export function createIgnoreMatcher(patterns: readonly string[]): IgnoreMatcher {
  const compiled = patterns.map(compilePattern);
  if (compiled.length === 0) return () => false;
  return (relativePath, isDirectory) =>
    compiled.some((p) => (isDirectory || !p.directoryOnly) && p.regex.test(relativePath));
}

function compilePattern(pattern: string): CompiledPattern {
  const fail = (why: string): InputError =>
    new InputError('INVALID_ARGUMENT', `ignore pattern ${JSON.stringify(pattern)}: ${why}`, {
      details: { pattern },
    });
  if (pattern.startsWith('!')) throw fail('negation ("!") is not supported');
  let body = pattern;
  const directoryOnly = body.endsWith('/');
  if (directoryOnly) body = body.slice(0, -1);
  const anchored = body.includes('/');
  if (body.startsWith('/')) body = body.slice(1);
  if (body === '') throw fail('the pattern is empty');
  const segments = body.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw fail('empty, "." and ".." segments never match a relative path');
  }
  let source = anchored ? '' : '(?:[^/]+/)*';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      source += last ? '.*' : '(?:[^/]+/)*';
    } else {
      source += compileSegment(segment, fail) + (last ? '' : '/');
    }
  });
  try {
    return { regex: new RegExp(`^${source}$`, 'su'), directoryOnly };
  } catch (cause) {
    // e.g. a reversed range `[z-a]`
    throw new InputError('INVALID_ARGUMENT', `ignore pattern ${JSON.stringify(pattern)} is malformed`, {
      cause,
      details: { pattern },
    });
  }
}

function compileSegment(segment: string, fail: (why: string) => InputError): string {
  let source = '';
  const chars = [...segment];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '\\') {
      const next = chars[++i];
      if (next === undefined) throw fail('a trailing "\\" escapes nothing');
      source += escapeRegex(next);
    } else if (c === '*') {
      while (chars[i + 1] === '*') i++; // `a**b` inside a segment is the same as `a*b`
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[') {
      let start = i + 1;
      const negated = chars[start] === '!' || chars[start] === '^';
      if (negated) start++;
      const end = chars.indexOf(']', start + 1); // a `]` right after `[` or `[!` is a literal member
      if (end === -1) throw fail('an unclosed "["');
      const body = chars
        .slice(start, end)
        .map((m) => (m === '-' ? '-' : escapeClassMember(m)))
        .join('');
      source += negated ? `[^/${body}]` : `[${body}]`;
      i = end;
    } else {
      source += escapeRegex(c);
    }
  }
  return source;
}

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeClassMember(c: string): string {
  return /[\\^\]\-[]/.test(c) ? `\\${c}` : c;
}
