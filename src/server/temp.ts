// Some app functions read their inputs from files (registration hashes a path, routing reads a metrics
// file): the server writes what a request carries into a private temporary folder inside the home, and
// removes the folder whatever happens.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Home } from '../app/home.js';

export const TEMP_DIR = 'tmp';

export async function withTempDir<T>(home: Home, run: (dir: string) => Promise<T>): Promise<T> {
  const parent = path.join(home.dir, TEMP_DIR);
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(path.join(parent, 'api-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a JSON value to `dir/name` and returns the path. */
export async function writeJsonFile(dir: string, name: string, value: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(value), { mode: 0o600 });
  return file;
}
