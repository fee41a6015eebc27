// `signet log rotate-key`: replaces the log key. The new key is announced by a `log-key` entry appended
// through the ledger as usual, so the OLD key signs it and the checkpoint of its batch; the entry carries
// the new key's proof of possession (ledger/log-keys.ts). Then the new key becomes the home's key and
// signs every later entry and checkpoint.
//
// Crash safety, in this order:
//   1. the new private key is written to log-key.next.pem (0600, fsynced) before anything is appended:
//      the log must never announce a key nobody holds any more;
//   2. the announcement is appended (durable when append resolves);
//   3. log-key.pub.pem and config.json are replaced (write to a temporary file, fsync, rename), then
//      log-key.next.pem is renamed over log-key.pem — the last step, so its presence means "not done".
// A crash between 2 and 3 leaves the home refusing to open (its key is no longer the log's) with a
// message pointing here; running rotate-key again finishes the installation, or, when the log never
// announced the pending key, discards it and rotates afresh.
//
// The old private key is deleted by step 3, on purpose: every signature it will ever legitimately make
// is already in the log (verifiers reject any entry or checkpoint it signs after the rotation), so
// keeping it has no use, and a copy that leaks lets its holder forge an alternative history of the
// entries before the rotation. Its PUBLIC key stays in the log (the genesis or rotation entry that
// announced it) and in every export (log-keys.json), which is all a verifier needs.
import { open, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { InputError, SignetError } from '../errors.js';
import { openCheckpoint } from '../ledger/checkpoint.js';
import { createLogKeyRotationDraft } from '../ledger/log-keys.js';
import { fsyncDir } from '../store/fs-object-store.js';
import { createSigner, generateKeyPair, publicKeyToPem, type Signer } from '../signing/keys.js';
import {
  CONFIG_FILE,
  LOG_NEXT_PRIVATE_KEY_FILE,
  LOG_PRIVATE_KEY_FILE,
  LOG_PUBLIC_KEY_FILE,
  openHome,
  openHomeWithKey,
  readHomeConfig,
  readKeyFile,
  type HomeConfig,
  type OpenHomeOptions,
} from './home.js';

export interface RotateKeyResult {
  readonly origin: string;
  readonly previousKeyId: string;
  readonly keyId: string;
  /** The rotation entry: signed by the previous key, announcing the new one. */
  readonly entry: { readonly index: number; readonly id: string };
  /** What happened to the previous private key (see the top of this file for why). */
  readonly previousPrivateKey: 'deleted';
  /** True when this call finished a rotation an earlier, interrupted call had announced. */
  readonly resumed: boolean;
}

export async function rotateLogKey(dir: string, options: OpenHomeOptions = {}): Promise<RotateKeyResult> {
  const pendingFile = path.join(dir, LOG_NEXT_PRIVATE_KEY_FILE);
  if (existsSync(pendingFile)) {
    const finished = await finishPendingRotation(dir, options);
    if (finished) return finished;
  }
  const home = await openHome(dir, options);
  const previous = home.logPublicKey.current;
  const next = generateKeyPair();
  let appended = false;
  let entry: { index: number; id: string };
  try {
    // Step 1: the new key is on disk before the log can announce it.
    await writeDurably(pendingFile, next.privatePem, { flag: 'wx', mode: 0o600 });
    // The tree head the new key proves possession over: the latest checkpoint, checked with the key in
    // force (a home whose latest checkpoint does not verify should not rotate before `signet verify`).
    const stored = await home.ledger.checkpoint();
    const head = openCheckpoint(stored.note, home.config.origin, home.logPublicKey);
    const draft = createLogKeyRotationDraft({
      origin: home.config.origin,
      previousKey: previous.publicKey,
      next: createSigner(next.privatePem),
      extends: { size: head.size, rootHash: head.rootHash },
    });
    appended = true; // from here on the announcement may be durable even if append throws
    const sealed = await home.ledger.append(draft);
    entry = { index: sealed.index, id: sealed.id };
  } catch (error) {
    if (!appended) await rm(pendingFile, { force: true });
    else if (error instanceof SignetError) {
      // A store failure while committing may still have stored the announcement: keep the new key and
      // let the next run find out which.
      const Coded = error.constructor as typeof SignetError;
      throw new Coded(
        error.code,
        `${error.message}. The new key is kept in ${pendingFile}: run \`signet log rotate-key\` again, ` +
          'which finishes the rotation if the log announced it and starts afresh otherwise',
        { cause: error, ...(error.details ? { details: { ...error.details } } : {}) },
      );
    }
    throw error;
  } finally {
    await home.close();
  }
  await installKey(dir, home.config, next.privatePem);
  return {
    origin: home.config.origin,
    previousKeyId: previous.keyId,
    keyId: createSigner(next.privatePem).keyId,
    entry,
    previousPrivateKey: 'deleted',
    resumed: false,
  };
}

/**
 * A rotation an earlier run left unfinished. Returns its result once installed; undefined when the log
 * never announced the pending key (it is discarded, and the caller rotates afresh).
 */
async function finishPendingRotation(
  dir: string,
  options: OpenHomeOptions,
): Promise<RotateKeyResult | undefined> {
  const pendingFile = path.join(dir, LOG_NEXT_PRIVATE_KEY_FILE);
  const config = await readHomeConfig(dir);
  const pendingPem = await readKeyFile(pendingFile);
  const pending: Signer = createSigner(pendingPem);
  // Opened with the pending key only to read the log's keys: nothing is appended.
  const home = await openHomeWithKey(dir, config, pending, publicKeyToPem(pending.publicKey), {
    ...options,
    allowLogKeyMismatch: true,
  });
  const keys = home.logPublicKey;
  await home.close();
  const current = keys.current;
  // With no rotation in the log at all, `keys` is just the key it was opened with (the pending one).
  const rotatedBefore = current.announcedBy !== undefined;
  if (rotatedBefore && current.keyId === pending.keyId && current.announcedBy) {
    await installKey(dir, config, pendingPem);
    const previous = keys.epochs[keys.epochs.length - 2]!;
    return {
      origin: config.origin,
      previousKeyId: previous.keyId,
      keyId: pending.keyId,
      entry: { ...current.announcedBy },
      previousPrivateKey: 'deleted',
      resumed: true,
    };
  }
  const installed = createSigner(await readKeyFile(path.join(dir, LOG_PRIVATE_KEY_FILE)));
  if (!rotatedBefore || current.keyId === installed.keyId) {
    // The announcement never reached the log: the pending key was never used. Start again.
    await rm(pendingFile, { force: true });
    return undefined;
  }
  throw new InputError(
    'INVALID_KEY',
    `the log's key in force is ${current.keyId}, neither this home's key ${installed.keyId} nor the ` +
      `pending key ${pending.keyId} in ${pendingFile}: this home is stale; copy the home of the instance ` +
      'that rotated the key',
    { details: { logKeyId: current.keyId, homeKeyId: installed.keyId, pendingKeyId: pending.keyId } },
  );
}

/** Step 3: makes the pending key the home's key. Idempotent, so an interrupted run can be repeated. */
async function installKey(dir: string, config: HomeConfig, privatePem: string): Promise<void> {
  const signer = createSigner(privatePem);
  await replaceFile(path.join(dir, LOG_PUBLIC_KEY_FILE), publicKeyToPem(signer.publicKey), 0o644);
  const updated: HomeConfig = { ...config, logKeyId: signer.keyId };
  await replaceFile(path.join(dir, CONFIG_FILE), JSON.stringify(updated, null, 2) + '\n', 0o644);
  // The rename replaces (and so deletes) the previous private key.
  await rename(path.join(dir, LOG_NEXT_PRIVATE_KEY_FILE), path.join(dir, LOG_PRIVATE_KEY_FILE));
  await fsyncDir(dir);
}

async function replaceFile(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.tmp`;
  await rm(temporary, { force: true });
  await writeDurably(temporary, text, { flag: 'wx', mode });
  await rename(temporary, file);
}

async function writeDurably(
  file: string,
  text: string,
  options: { flag: 'wx'; mode: number },
): Promise<void> {
  await writeFile(file, text, options);
  // chmod too, in case of a umask that took bits away.
  await chmod(file, options.mode);
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsyncDir(path.dirname(file));
}
