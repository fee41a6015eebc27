// `signet init`: a new home with a fresh log key and the genesis entry.
import { assertIdentityId } from '../authority/actor.js';
import { InputError } from '../errors.js';
import { createGenesisDraft } from '../ledger/genesis.js';
import type { SealedEntry } from '../ledger/entry.js';
import { generateKeyPair, keyIdOf } from '../signing/keys.js';
import { createHomeFiles, openHome, type Home, type OpenHomeOptions } from './home.js';

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
  const home = await openHome(dir, options);
  const genesis = await home.ledger.append(
    createGenesisDraft({
      origin,
      logPublicKey: keys.publicKey,
      ...(options.admin ? { admin: options.admin } : {}),
    }),
  );
  return { home, genesis };
}
