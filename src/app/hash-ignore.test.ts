import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import { createIgnoreMatcher } from './hash-ignore.js';

type Case = readonly [pattern: string, path: string, isDirectory: boolean, ignored: boolean];

const CASES: readonly Case[] = [
  // a name without `/` matches at any depth
  ['.git', '.git', true, true],
  ['.git', 'sub/deep/.git', true, true],
  ['.git', 'sub/.github', true, false],
  ['*.pyc', 'a.pyc', false, true],
  ['*.pyc', 'pkg/mod/a.pyc', false, true],
  ['*.pyc', 'a.pyc.txt', false, false],
  ['*', '.hidden', false, true], // dotfiles are not special
  ['?.bin', 'x.bin', false, true],
  ['?.bin', 'xy.bin', false, false],
  ['[ab].txt', 'b.txt', false, true],
  ['[ab].txt', 'c.txt', false, false],
  ['[!ab].txt', 'c.txt', false, true],
  ['[!ab].txt', 'a.txt', false, false],
  ['[a-c]*', 'bravo', false, true],
  ['[a-c]*', 'delta', false, false],
  ['[]]x', ']x', false, true],
  ['\\*', '*', false, true],
  ['\\*', 'a', false, false],
  ['a.b', 'axb', false, false], // `.` is literal
  ['(x)+', '(x)+', false, true],
  ['émoji-😀', 'dir/émoji-😀', false, true],
  // a pattern with `/` is anchored at the root
  ['logs/*.txt', 'logs/a.txt', false, true],
  ['logs/*.txt', 'x/logs/a.txt', false, false],
  ['logs/*.txt', 'logs/sub/a.txt', false, false],
  ['/top', 'top', false, true],
  ['/top', 'sub/top', false, false],
  // `**`
  ['**/cache', 'cache', true, true],
  ['**/cache', 'a/b/cache', true, true],
  ['data/**', 'data/x', false, true],
  ['data/**', 'data/x/y/z', false, true],
  ['data/**', 'database/x', false, false],
  ['a/**/b', 'a/b', false, true],
  ['a/**/b', 'a/x/y/b', false, true],
  ['a/**/b', 'a/x/y/c', false, false],
  ['a**b', 'axyb', false, true],
  ['a**b', 'ax/yb', false, false],
  // a trailing `/` matches directories only
  ['tmp/', 'tmp', true, true],
  ['tmp/', 'x/tmp', true, true],
  ['tmp/', 'tmp', false, false],
  // `*` never crosses `/`
  ['a*', 'a/b', false, false],
  ['*/b', 'a/b', false, true],
  ['*/b', 'x/a/b', false, false],
];

describe('createIgnoreMatcher', () => {
  it.each(CASES)('%j on %j (directory: %s) → %s', (pattern, path, isDirectory, ignored) => {
    expect(createIgnoreMatcher([pattern])(path, isDirectory)).toBe(ignored);
  });

  it('matches when any pattern matches; nothing with no patterns', () => {
    const matcher = createIgnoreMatcher(['*.tmp', '.git']);
    expect(matcher('x.tmp', false)).toBe(true);
    expect(matcher('.git', true)).toBe(true);
    expect(matcher('x.bin', false)).toBe(false);
    expect(createIgnoreMatcher([])('anything', false)).toBe(false);
  });

  it.each(['', '/', '!keep', 'a//b', '../x', 'a/./b', '[abc', 'x\\', '[z-a]'])(
    'refuses the malformed pattern %j',
    (pattern) => {
      let code: string | undefined;
      try {
        createIgnoreMatcher([pattern]);
      } catch (error) {
        code = isSignetError(error) ? error.code : 'not a SignetError';
      }
      expect(code).toBe('INVALID_ARGUMENT');
    },
  );
});
