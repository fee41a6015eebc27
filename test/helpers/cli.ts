// Runs the built `signet` executable in a temporary home, as a user would.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { PROJECT_ROOT, runNode, type RunResult } from './dist.js';

export const SIGNET_BIN = path.join(PROJECT_ROOT, 'bin', 'signet.js');

export interface TempHome {
  readonly dir: string;
  /** The folder the home lives in; tests write their inputs here too. */
  readonly root: string;
  run(args: readonly string[], options?: { input?: Uint8Array; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  cleanup(): Promise<void>;
}

export async function createTempHome(prefix = 'signet-cli-'): Promise<TempHome> {
  const root = await mkdtemp(path.join(tmpdir(), prefix));
  const dir = path.join(root, 'home');
  return {
    dir,
    root,
    run: (args, options = {}) =>
      runNode([SIGNET_BIN, ...args], {
        cwd: root,
        // People's keys go to a config folder of the test's own, never the real user's.
        env: {
          ...process.env,
          SIGNET_HOME: dir,
          XDG_CONFIG_HOME: path.join(root, 'config'),
          SIGNET_KEYS_DIR: '',
          ...options.env,
        },
        ...(options.input ? { input: options.input } : {}),
      }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** No JavaScript stack trace in what a user sees. */
export function expectNoStackTrace(result: RunResult): void {
  if (/\n\s+at .+:\d+:\d+/.test(result.stderr) || /\n\s+at .+:\d+:\d+/.test(result.stdout)) {
    throw new Error(`a stack trace was printed:\n${result.stderr}`);
  }
}
