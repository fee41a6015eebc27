// Opens the home for a command and always closes it, whatever the command throws.
import { openHome, resolveHomeDir, type Home } from '../app/home.js';

export async function withHome<T>(run: (home: Home) => Promise<T>): Promise<T> {
  const home = await openHome(resolveHomeDir());
  try {
    return await run(home);
  } finally {
    await home.close();
  }
}
