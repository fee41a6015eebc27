// The home: `SIGNET_HOME` (default `./.signet`) holds the config and the log key pair. The stores are
// the embedded default — `objects/` and `ledger.sqlite` in the same folder — or, when
// `SIGNET_DATABASE_URL` is set, a PostgreSQL database that any number of servers share (the schema is
// migrated on open). Opening a home joins the stores to the log identity.
//
// The log key can be rotated (`signet log rotate-key`, rotate-key.ts): the log then announces the new key
// in a `log-key` entry. Opening reads those announcements (an indexed read of the few `log-key` entries,
// each checked) and refuses a home whose key is not the one the log says is in force — a stale copy of
// the home, or a server started with the old key files after another rotated the key — so that it never
// appends entries that every verifier would reject.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { InputError, SignetError, VerificationError } from '../errors.js';
import { parseJson } from '../signing/canonical-json.js';
import { keyIdOf, createSigner, publicKeyFromPem, type Signer } from '../signing/keys.js';
import { isRecord, MAX_ENTRY_BYTES, openEntry, parseStatement } from '../ledger/entry.js';
import { decodeBase64Strict } from '../signing/base64.js';
import { parseEnvelope } from '../signing/dsse.js';
import { applyLogKeyRotation, LOG_KEY_KIND, LogKeys, readLogKeyRotation } from '../ledger/log-keys.js';
import { createFsObjectStore, isCode } from '../store/fs-object-store.js';
import { withLedgerEnvelopes } from '../store/ledger-envelopes.js';
import type { Ledger } from '../store/ledger.js';
import type { ObjectStore } from '../store/object-store.js';
import { openSqliteLedger } from '../store/sqlite-ledger.js';
import type { Drafts } from '../store/drafts.js';
import { openSqliteDrafts } from '../store/sqlite-drafts.js';
import type { AuthStore } from '../store/auth.js';
import { openSqliteAuth } from '../store/sqlite-auth.js';
import type { MonitorCounts } from '../store/monitor-counts.js';
import { openSqliteMonitorCounts } from '../store/sqlite-monitor-counts.js';
import { openLargeObjects } from './large-objects.js';

export const HOME_FORMAT = 'signet-home/v1';
export const CONFIG_FILE = 'config.json';
export const LOG_PRIVATE_KEY_FILE = 'log-key.pem';
export const LOG_PUBLIC_KEY_FILE = 'log-key.pub.pem';
/**
 * The new private key while a rotation is in progress: written (0600) before the announcement is
 * appended, moved over log-key.pem once it is, so that a crash in between never loses the key the log
 * announced. `signet log rotate-key` finishes or discards it.
 */
export const LOG_NEXT_PRIVATE_KEY_FILE = 'log-key.next.pem';
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
  /**
   * The log's public keys by position, read from the log's `log-key` entries (one key until the first
   * rotation). Pass it to `openEntry` / `openCheckpoint`: they check each entry and checkpoint against
   * the key in force at its position. `logPublicKey.current` is this home's key.
   */
  readonly logPublicKey: LogKeys;
  /** The PEM of the current log key (the one this home signs with). */
  readonly logPublicKeyPem: string;
  close(): Promise<void>;
}

export interface OpenHomeOptions {
  readonly clock?: () => number;
  /** Where `SIGNET_DATABASE_URL` is read from (default: the process environment). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Open even when the log announces another key than this home's (`signet init`, which then refuses a
   * database that already holds a log, and `signet log rotate-key` finishing an interrupted rotation).
   * Such a home must not append.
   */
  readonly allowLogKeyMismatch?: boolean;
  /**
   * On the embedded default, append in a worker thread (sqlite-ledger.ts, `appendWorker`): signing and
   * the durable commit leave the thread that answers requests. `signet serve` sets it; a one-shot command
   * would only pay the worker's start-up. Ignored on PostgreSQL and with `clock`.
   */
  readonly appendInWorker?: boolean;
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
  const config = await readHomeConfig(dir);
  const privatePem = await readKeyFile(path.join(dir, LOG_PRIVATE_KEY_FILE));
  const publicPem = await readKeyFile(path.join(dir, LOG_PUBLIC_KEY_FILE));
  const signer: Signer = createSigner(privatePem);
  const logPublicKey = publicKeyFromPem(publicPem);
  if (keyIdOf(logPublicKey) !== config.logKeyId || keyIdOf(signer.publicKey) !== config.logKeyId) {
    throw new InputError(
      'INVALID_KEY',
      `the log key files in ${dir} do not match the key id in ${CONFIG_FILE}` +
        (existsSync(path.join(dir, LOG_NEXT_PRIVATE_KEY_FILE))
          ? `: a key rotation was interrupted (${LOG_NEXT_PRIVATE_KEY_FILE} exists); run \`signet log rotate-key\` to finish it`
          : ''),
    );
  }
  return openHomeWithKey(dir, config, signer, publicPem, options, privatePem);
}

/**
 * Opens the stores of a home with the given log key (rotate-key.ts finishes an interrupted rotation with
 * the pending key). The key files are not read here.
 */
export async function openHomeWithKey(
  dir: string,
  config: HomeConfig,
  signer: Signer,
  publicPem: string,
  options: OpenHomeOptions = {},
  /** The PEM of `signer`'s key, for an append worker (`appendInWorker`); without it appends stay here. */
  privatePem?: string,
): Promise<Home> {
  const parts = await openStores(dir, config, signer, options, privatePem);
  try {
    const logKeys = await readLogKeys(parts.ledger, signer.publicKey);
    if (logKeys.current.keyId !== signer.keyId && options.allowLogKeyMismatch !== true) {
      throw staleKeyError(dir, logKeys, signer.keyId);
    }
    return { dir, config, ...parts, logPublicKey: logKeys, logPublicKeyPem: publicPem };
  } catch (error) {
    await parts.close();
    throw error;
  }
}

/** The environment variable pool.ts reads (kept here so that the embedded default never imports it). */
const DATABASE_URL_ENV = 'SIGNET_DATABASE_URL';

async function loadPostgres() {
  const pool = await import('../store/pg/pool.js');
  return { readDatabaseUrl: pool.readDatabaseUrl, openPostgresStores: pool.openPostgresStores };
}

type StoreParts = Pick<Home, 'objects' | 'ledger' | 'drafts' | 'auth' | 'monitorCounts' | 'close'>;

async function openStores(
  dir: string,
  config: HomeConfig,
  signer: Signer,
  options: OpenHomeOptions,
  privatePem: string | undefined,
): Promise<StoreParts> {
  const env = options.env ?? process.env;
  // The PostgreSQL modules (and the S3 client, in large-objects.ts) load only when configured: every
  // command on the embedded default would otherwise pay for importing them.
  const pg = (env[DATABASE_URL_ENV] ?? '').trim() !== '' ? await loadPostgres() : undefined;
  const database = pg?.readDatabaseUrl(env);
  const large = await openLargeObjects(env, database !== undefined);
  if (pg !== undefined && database !== undefined) {
    // As in the embedded home: envelopes in the entry rows only, served as objects from there, not a
    // second copy of each in `objects` (rows an earlier version wrote there are still read first).
    const stores = await pg
      .openPostgresStores(database.url, {
        log: { origin: config.origin, signer },
        ...(options.clock ? { clock: options.clock } : {}),
        ...large.options,
        envelopesInRows: true,
      })
      .catch((error: unknown) => {
        large.close();
        throw error;
      });
    return {
      objects: withLedgerEnvelopes(stores.objects, stores.ledger),
      ledger: stores.ledger,
      drafts: stores.drafts,
      auth: stores.auth,
      monitorCounts: stores.monitorCounts,
      close: async () => {
        await stores.close();
        large.close();
      },
    };
  }
  // Entry envelopes stay in the ledger's rows (written in the append's transaction) and are served as
  // objects from there: no second copy as a file (store/ledger-envelopes.ts says why).
  const ledger = openSqliteLedger({
    file: path.join(dir, LEDGER_FILE),
    log: { origin: config.origin, signer },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.appendInWorker === true && privatePem !== undefined && options.clock === undefined
      ? { appendWorker: { privateKeyPem: privatePem } }
      : {}),
  });
  const objects = withLedgerEnvelopes(createFsObjectStore(path.join(dir, OBJECTS_DIR)), ledger);
  const drafts = openSqliteDrafts(path.join(dir, LEDGER_FILE));
  const auth = openSqliteAuth(path.join(dir, LEDGER_FILE));
  const monitorCounts = openSqliteMonitorCounts(path.join(dir, LEDGER_FILE));
  return {
    objects,
    ledger,
    drafts,
    auth,
    monitorCounts,
    close: async () => {
      await ledger.close();
      drafts.close();
      auth.close();
      monitorCounts.close();
    },
  };
}

/**
 * The log's keys, from its `log-key` entries (found through the store's index by kind: a log that never
 * rotated costs one empty read). Each announcement is opened with the key in force at its position and
 * its proof of possession checked against the tree, so a row someone wrote into the store without the
 * key in force does not change the keys. The chain starts at the key the first rotation names as its
 * previous key (the genesis key; `signet verify` checks that the genesis entry names it); a log that
 * never rotated has one key, this home's, checked against the genesis entry by `signet verify` too.
 */
export async function readLogKeys(ledger: Ledger, homeKey: Uint8Array): Promise<LogKeys> {
  let keys: LogKeys | undefined;
  for await (const stored of ledger.entriesOfKinds([LOG_KEY_KIND])) {
    try {
      // The first announcement names the genesis key, which must also be the key that signed it.
      keys ??= LogKeys.fromGenesisKey(firstPreviousKey(stored.envelope));
      const entry = openEntry(stored.envelope, keys.keyAt(stored.index).publicKey);
      if (entry.index !== stored.index || entry.id !== stored.id) {
        throw new VerificationError('INCONSISTENT_LOG', `its stamp says it is entry ${entry.index}`);
      }
      const rotation = readLogKeyRotation(entry);
      keys = applyLogKeyRotation(keys, entry, rotation, await ledger.root(rotation.extends.size));
    } catch (error) {
      // A bad announcement is a log that does not verify: a "no" (exit 1), whatever part of it is bad.
      if (!(error instanceof SignetError)) throw error;
      throw new VerificationError(
        error.code === 'BAD_SIGNATURE' || error.code === 'ROOT_MISMATCH' ? error.code : 'INCONSISTENT_LOG',
        `the log-key entry at index ${stored.index} does not verify, so the log's keys are unknown: ${error.message}`,
        { cause: error, details: { index: stored.index } },
      );
    }
  }
  return keys ?? LogKeys.fromGenesisKey(homeKey);
}

// The previous key the first rotation entry names; the entry's signature is checked right after, with it.
function firstPreviousKey(envelope: Uint8Array): Uint8Array {
  const statement = parseStatement(parseEnvelope(envelope, { maxBytes: MAX_ENTRY_BYTES }).payload);
  const previous = statement.predicate['previousKey'];
  const key =
    isRecord(previous) && typeof previous['publicKey'] === 'string'
      ? decodeBase64Strict(previous['publicKey'])
      : undefined;
  if (key === undefined) {
    throw new InputError('INVALID_STATEMENT', 'the first log-key entry names no previous key');
  }
  return key;
}

function staleKeyError(dir: string, logKeys: LogKeys, homeKeyId: string): InputError {
  const current = logKeys.current;
  const known = logKeys.find(homeKeyId);
  const since = current.announcedBy ? ` (announced by entry ${current.announcedBy.index})` : '';
  const why = known
    ? `this home's log key ${homeKeyId} was retired at entry ${known.lastIndex ?? '?'}`
    : `this home's log key ${homeKeyId} is not a key of this log`;
  const remedy = existsSync(path.join(dir, LOG_NEXT_PRIVATE_KEY_FILE))
    ? `a key rotation of this home was interrupted (${LOG_NEXT_PRIVATE_KEY_FILE} exists): run ` +
      '`signet log rotate-key` to finish it'
    : `replace ${CONFIG_FILE}, ${LOG_PRIVATE_KEY_FILE} and ${LOG_PUBLIC_KEY_FILE} with those of the ` +
      'instance that rotated the key (docs/operations.md, "Rotating the log key")';
  return new InputError(
    'INVALID_KEY',
    `the log's key in force is ${current.keyId}${since}, but ${why}: refusing to open ${dir}, whose ` +
      `entries would be rejected by every verifier; ${remedy}`,
    { details: { logKeyId: current.keyId, homeKeyId } },
  );
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

/** Reads and checks `config.json`; HOME_MISSING when there is none. */
export async function readHomeConfig(dir: string): Promise<HomeConfig> {
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

export async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) throw new InputError('HOME_MISSING', `the log key file ${file} is missing`);
    throw error;
  }
}
