// `signet init`: a new home with a fresh log key and the genesis entry.
import { assertIdentityId } from '../authority/actor.js';
import { InputError } from '../errors.js';
import { createGenesisDraft } from '../ledger/genesis.js';
import type { SealedEntry } from '../ledger/entry.js';
import { generateKeyPair, keyIdOf } from '../signing/keys.js';
import { createHomeFiles, openHome, removeHomeFiles, type Home, type OpenHomeOptions } from './home.js';

export interface InitOptions extends OpenHomeOptions {
  /** The checkpoint origin; default `signet/<first 16 hex digits of the log key id>`. */
  readonly origin?: string;
  /** The first admin, named in the genesis entry. */
  readonly admin?: { readonly identity: string; readonly publicKey: Uint8Array };
}

export interface InitResult {
  readonly home: Home;
  readonly genesis: SealedEntry;
}

const ORIGIN_PATTERN = /^[^\s+]+$/u;

export async function initHome(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const keys = generateKeyPair();
  const origin =
    options.origin ?? `signet/${keyIdOf(keys.publicKey).slice('sha256:'.length, 'sha256:'.length + 16)}`;
  if (!ORIGIN_PATTERN.test(origin)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `origin ${JSON.stringify(origin)} must not contain spaces or "+"`,
    );
  }
  if (options.admin) assertIdentityId(options.admin.identity, '--admin');
  await createHomeFiles(dir, keys, origin);
  let home: Home;
  try {
    // A database that already holds a log announces another key than this new one: open anyway, so
    // that the size check below refuses it with the reason that matters.
    home = await openHome(dir, { ...options, allowLogKeyMismatch: true });
    const size = await home.ledger.size();
    if (size > 0) {
      // A shared database (SIGNET_DATABASE_URL) that already holds a log: another home was initialised
      // on it. Servers of that log copy its SIGNET_HOME (config and log key) instead.
      await home.close();
      throw new InputError(
        'HOME_EXISTS',
        `the database already holds a log of ${size} entries: copy the config and log key of the home that created it instead of running init`,
      );
    }
  } catch (error) {
    // The files were made by this call (createHomeFiles refuses an existing home): leave no half home.
    await removeHomeFiles(dir);
    throw error;
  }
  const genesis = await home.ledger.append(
    createGenesisDraft({
      origin,
      logPublicKey: keys.publicKey,
      ...(options.admin ? { admin: options.admin } : {}),
    }),
  );
  return { home, genesis };
}
