// Runs the built `signet` executable in a temporary home, as a user would, on either backend: the
// embedded default (objects and ledger.sqlite in the home folder) or PostgreSQL (SIGNET_DATABASE_URL, a
// database of the home's own, created with it and dropped by `cleanup`). The vitest project picks the
// backend through SIGNET_TEST_BACKEND (vitest.config.ts), so one CLI test file runs on both unchanged.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { PROJECT_ROOT, runNode, type RunResult } from './dist.js';
import { cloneTestDatabase, createTestDatabase, type TestDatabase } from './postgres.js';

export const SIGNET_BIN = path.join(PROJECT_ROOT, 'bin', 'signet.js');

export type Backend = 'embedded' | 'postgres';

/** Set by the `cli-postgres-backend` vitest project; the embedded default otherwise. */
export const BACKEND_ENV = 'SIGNET_TEST_BACKEND';

/** The backend of this vitest project (vitest.config.ts sets SIGNET_TEST_BACKEND). */
export function testBackend(env: NodeJS.ProcessEnv = process.env): Backend {
  const value = env[BACKEND_ENV];
  if (value === undefined || value === '' || value === 'embedded') return 'embedded';
  if (value === 'postgres') return 'postgres';
  throw new Error(`${BACKEND_ENV} must be "embedded" or "postgres", not ${JSON.stringify(value)}`);
}

// The folder remembers which database it was created with: a folder copied with `cp` instead of
// `clone()` would otherwise run its copied config against another, empty, database.
const DATABASE_MARKER = '.signet-test-database';

export interface TempHome {
  readonly dir: string;
  /** The folder the home lives in; tests write their inputs here too. */
  readonly root: string;
  readonly backend: Backend;
  /** On PostgreSQL: the home's own database (its `url` is the superuser's). */
  readonly database: TestDatabase | undefined;
  /** The environment every command of this home runs with (also for scripts that open the home). */
  readonly env: NodeJS.ProcessEnv;
  run(args: readonly string[], options?: { input?: Uint8Array; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  /**
   * An independent copy to mutate: the whole folder (home, people's keys, inputs) and, on PostgreSQL,
   * the database (`CREATE DATABASE … TEMPLATE`). No command of this home may be running meanwhile.
   */
  clone(prefix?: string): Promise<TempHome>;
  cleanup(): Promise<void>;
}

export interface TempHomeOptions {
  /** Default: the project's backend (`testBackend()`). */
  readonly backend?: Backend;
}

export async function createTempHome(
  prefix = 'signet-cli-',
  options: TempHomeOptions = {},
): Promise<TempHome> {
  const backend = options.backend ?? testBackend();
  const database = backend === 'postgres' ? await createTestDatabase() : undefined;
  return openTempHome(prefix, backend, database);
}

async function openTempHome(
  prefix: string,
  backend: Backend,
  database: TestDatabase | undefined,
  from?: string,
): Promise<TempHome> {
  let root: string;
  try {
    root = await mkdtemp(path.join(tmpdir(), prefix));
    if (from !== undefined) await cp(from, root, { recursive: true, preserveTimestamps: true });
    if (database) await writeFile(path.join(root, DATABASE_MARKER), database.name);
  } catch (error) {
    await database?.drop();
    throw error;
  }
  const dir = path.join(root, 'home');
  // People's keys go to a config folder of the test's own, never the real user's; an embedded home
  // never inherits a SIGNET_DATABASE_URL from the environment.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SIGNET_HOME: dir,
    XDG_CONFIG_HOME: path.join(root, 'config'),
    SIGNET_KEYS_DIR: '',
    SIGNET_DATABASE_URL: database?.url ?? '',
  };
  const home: TempHome = {
    dir,
    root,
    backend,
    database,
    env,
    async run(args, options = {}) {
      if (database) await assertOwnDatabase(root, database);
      return runNode([SIGNET_BIN, ...args], {
        cwd: root,
        env: { ...env, ...options.env },
        ...(options.input ? { input: options.input } : {}),
      });
    },
    async clone(clonePrefix = prefix) {
      const copy = database ? await cloneTestDatabase(database) : undefined;
      return openTempHome(clonePrefix, backend, copy, root);
    },
    async cleanup() {
      await rm(root, { recursive: true, force: true });
      await database?.drop();
    },
  };
  return home;
}

async function assertOwnDatabase(root: string, database: TestDatabase): Promise<void> {
  const recorded = (await readFile(path.join(root, DATABASE_MARKER), 'utf8').catch(() => '')).trim();
  if (recorded !== database.name) {
    throw new Error(
      `${root} was copied from the home on database ${recorded || '(none)'}, not made by clone(): ` +
        'copy a home with `home.clone()`, which copies its database too',
    );
  }
}

/** No JavaScript stack trace in what a user sees. */
export function expectNoStackTrace(result: RunResult): void {
  if (/\n\s+at .+:\d+:\d+/.test(result.stderr) || /\n\s+at .+:\d+:\d+/.test(result.stdout)) {
    throw new Error(`a stack trace was printed:\n${result.stderr}`);
  }
}
