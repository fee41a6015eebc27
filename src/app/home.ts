// The home: `SIGNET_HOME` (default `./.signet`) holds the config and the log key pair. The stores are
// the embedded default — `objects/` and `ledger.sqlite` in the same folder — or, when
// `SIGNET_DATABASE_URL` is set, a PostgreSQL database that any number of servers share (the schema is
// migrated on open). Opening a home joins the stores to the log identity.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { InputError } from '../errors.js';
import { parseJson } from '../signing/canonical-json.js';
import { keyIdOf, createSigner, publicKeyFromPem, type Signer } from '../signing/keys.js';
import { isRecord } from '../ledger/entry.js';
import { createFsObjectStore, isCode } from '../store/fs-object-store.js';
import type { Ledger } from '../store/ledger.js';
import type { ObjectStore } from '../store/object-store.js';
import { openSqliteLedger } from '../store/sqlite-ledger.js';
import type { Drafts } from '../store/drafts.js';
import { openSqliteDrafts } from '../store/sqlite-drafts.js';
import type { AuthStore } from '../store/auth.js';
import { openSqliteAuth } from '../store/sqlite-auth.js';
import type { MonitorCounts } from '../store/monitor-counts.js';
import { openSqliteMonitorCounts } from '../store/sqlite-monitor-counts.js';
import { openPostgresStores, readDatabaseUrl } from '../store/pg/pool.js';
import { openLargeObjects } from './large-objects.js';

export const HOME_FORMAT = 'signet-home/v1';
export const CONFIG_FILE = 'config.json';
export const LOG_PRIVATE_KEY_FILE = 'log-key.pem';
export const LOG_PUBLIC_KEY_FILE = 'log-key.pub.pem';
export const LEDGER_FILE = 'ledger.sqlite';
export const OBJECTS_DIR = 'objects';

export interface HomeConfig {
  readonly format: typeof HOME_FORMAT;
  /** The checkpoint origin and signed-note key name of this log. */
  readonly origin: string;
  readonly logKeyId: string;
}

export interface Home {
  readonly dir: string;
  readonly config: HomeConfig;
  readonly objects: ObjectStore;
  readonly ledger: Ledger;
  readonly drafts: Drafts;
  /** API tokens, sessions, invites and challenges of `signet serve` (working state, not evidence). */
  readonly auth: AuthStore;
  /** Counts of scoring traffic per bin and window (working state; flags are what is sealed). */
  readonly monitorCounts: MonitorCounts;
  readonly logPublicKey: Uint8Array;
  readonly logPublicKeyPem: string;
  close(): Promise<void>;
}

export interface OpenHomeOptions {
  readonly clock?: () => number;
  /** Where `SIGNET_DATABASE_URL` is read from (default: the process environment). */
  readonly env?: NodeJS.ProcessEnv;
}

/** `SIGNET_HOME`, or `./.signet` under the working directory. */
export function resolveHomeDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const configured = env['SIGNET_HOME'];
  return path.resolve(cwd, configured && configured.length > 0 ? configured : '.signet');
}

export function homeExists(dir: string): boolean {
  return existsSync(path.join(dir, CONFIG_FILE));
}

export async function openHome(dir: string, options: OpenHomeOptions = {}): Promise<Home> {
  const config = await readConfig(dir);
  const privatePem = await readKeyFile(path.join(dir, LOG_PRIVATE_KEY_FILE));
  const publicPem = await readKeyFile(path.join(dir, LOG_PUBLIC_KEY_FILE));
  const signer: Signer = createSigner(privatePem);
  const logPublicKey = publicKeyFromPem(publicPem);
  if (keyIdOf(logPublicKey) !== config.logKeyId || keyIdOf(signer.publicKey) !== config.logKeyId) {
    throw new InputError(
      'INVALID_KEY',
      `the log key files in ${dir} do not match the key id in ${CONFIG_FILE}`,
    );
  }
  const env = options.env ?? process.env;
  const database = readDatabaseUrl(env);
  const large = openLargeObjects(env, database !== undefined);
  if (database !== undefined) {
    const stores = await openPostgresStores(database.url, {
      log: { origin: config.origin, signer },
      ...(options.clock ? { clock: options.clock } : {}),
      ...large.options,
    }).catch((error: unknown) => {
      large.close();
      throw error;
    });
    return {
      dir,
      config,
      objects: stores.objects,
      ledger: stores.ledger,
      drafts: stores.drafts,
      auth: stores.auth,
      monitorCounts: stores.monitorCounts,
      logPublicKey,
      logPublicKeyPem: publicPem,
      close: async () => {
        await stores.close();
        large.close();
      },
    };
  }
  const objects = createFsObjectStore(path.join(dir, OBJECTS_DIR));
  const ledger = openSqliteLedger({
    file: path.join(dir, LEDGER_FILE),
    log: { origin: config.origin, signer },
    objects,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const drafts = openSqliteDrafts(path.join(dir, LEDGER_FILE));
  const auth = openSqliteAuth(path.join(dir, LEDGER_FILE));
  const monitorCounts = openSqliteMonitorCounts(path.join(dir, LEDGER_FILE));
  return {
    dir,
    config,
    objects,
    ledger,
    drafts,
    auth,
    monitorCounts,
    logPublicKey,
    logPublicKeyPem: publicPem,
    close: async () => {
      await ledger.close();
      drafts.close();
      auth.close();
      monitorCounts.close();
    },
  };
}

/** Removes what `createHomeFiles` made (when initialising on a database fails). */
export async function removeHomeFiles(dir: string): Promise<void> {
  for (const file of [CONFIG_FILE, LOG_PRIVATE_KEY_FILE, LOG_PUBLIC_KEY_FILE, LEDGER_FILE]) {
    await rm(path.join(dir, file), { force: true });
  }
  await rm(path.join(dir, OBJECTS_DIR), { recursive: true, force: true });
}

/** Creates the folder layout and the log key files; refuses a folder that already holds a home. */
export async function createHomeFiles(
  dir: string,
  keys: { privatePem: string; publicPem: string; publicKey: Uint8Array },
  origin: string,
): Promise<HomeConfig> {
  if (homeExists(dir) || existsSync(path.join(dir, LEDGER_FILE))) {
    throw new InputError('HOME_EXISTS', `a Signet home already exists at ${dir}; refusing to overwrite it`);
  }
  await mkdir(path.join(dir, OBJECTS_DIR), { recursive: true, mode: 0o700 });
  const privateFile = path.join(dir, LOG_PRIVATE_KEY_FILE);
  // 'wx': never overwrite a key; mode 0600 for the private key (and chmod in case of a umask).
  await writeFile(privateFile, keys.privatePem, { flag: 'wx', mode: 0o600 });
  await chmod(privateFile, 0o600);
  await writeFile(path.join(dir, LOG_PUBLIC_KEY_FILE), keys.publicPem, { flag: 'wx', mode: 0o644 });
  const config: HomeConfig = { format: HOME_FORMAT, origin, logKeyId: keyIdOf(keys.publicKey) };
  await writeFile(path.join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n', { flag: 'wx' });
  return config;
}

async function readConfig(dir: string): Promise<HomeConfig> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(dir, CONFIG_FILE));
  } catch (error) {
    if (isCode(error, 'ENOENT')) {
      throw new InputError(
        'HOME_MISSING',
        `no Signet home at ${dir}: run \`signet init\` first or set SIGNET_HOME`,
      );
    }
    throw error;
  }
  const value = parseJson(bytes, CONFIG_FILE);
  if (
    !isRecord(value) ||
    value['format'] !== HOME_FORMAT ||
    typeof value['origin'] !== 'string' ||
    typeof value['logKeyId'] !== 'string'
  ) {
    throw new InputError('INVALID_JSON', `${path.join(dir, CONFIG_FILE)} is not a ${HOME_FORMAT} config`);
  }
  return { format: HOME_FORMAT, origin: value['origin'], logKeyId: value['logKeyId'] };
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) throw new InputError('HOME_MISSING', `the log key file ${file} is missing`);
    throw error;
  }
}
