// Opens the home for a command and always closes it, whatever the command throws.
import path from 'node:path';

import { homeExists, OBJECTS_DIR, openHome, resolveHomeDir, type Home } from '../app/home.js';
import { createFsObjectStore } from '../store/fs-object-store.js';
import type { ObjectStore } from '../store/object-store.js';

export async function withHome<T>(run: (home: Home) => Promise<T>): Promise<T> {
  const home = await openHome(resolveHomeDir());
  try {
    return await run(home);
  } finally {
    await home.close();
  }
}

/** The home's object store, when a home exists (no ledger is opened). */
export async function openHomeObjectStore(): Promise<ObjectStore | undefined> {
  const dir = resolveHomeDir();
  return homeExists(dir) ? createFsObjectStore(path.join(dir, OBJECTS_DIR)) : undefined;
}
