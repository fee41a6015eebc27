// Worker threads run outside vitest's TypeScript transform: a test of code that starts one transpiles the
// worker's entry, with every module it imports from src/, from the sources under test into a folder of its
// own. The folder is under node_modules/ so that the packages the modules import (better-sqlite3,
// canonicalize) resolve as they do from dist/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const CACHE = fileURLToPath(new URL('../../node_modules/.cache', import.meta.url));

export interface WorkerBuild {
  /** The URL of the transpiled entry, to give `new Worker`. */
  readonly url: URL;
  /** The folder the build is in (for a test's own scratch files too). */
  readonly dir: string;
  remove(): void;
}

/** Transpiles `entry` (relative to src/, e.g. 'store/sqlite-append-worker.ts') and what it imports. */
export function buildWorker(entry: string): WorkerBuild {
  mkdirSync(CACHE, { recursive: true });
  const dir = mkdtempSync(join(CACHE, 'signet-worker-'));
  const pending = [entry];
  const done = new Set<string>();
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (done.has(file)) continue;
    done.add(file);
    const { outputText } = ts.transpileModule(readFileSync(join(SRC, file), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    const out = join(dir, 'build', file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
    for (const [, specifier] of outputText.matchAll(/from '(\.\.?\/[^']+)\.js'/g)) {
      pending.push(posix.normalize(posix.join(posix.dirname(file), `${specifier}.ts`)));
    }
  }
  return {
    url: pathToFileURL(join(dir, 'build', entry.replace(/\.ts$/, '.js'))),
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
