// Log use cases: read an entry by index or id, prove inclusion and consistency, export for outside tools.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { InputError } from '../errors.js';
import { openEntry, type OpenedEntry } from '../ledger/entry.js';
import { hashLeaf } from '../ledger/merkle.js';
import type { LogKeys } from '../ledger/log-keys.js';
import { publicKeyToPem } from '../signing/keys.js';
import { verifierKey } from '../signing/note.js';
import { parseDigest, type Digest } from '../signing/digest.js';
import type { Ledger, StoredEntry } from '../store/ledger.js';
import type { Home } from './home.js';
import { LOG_PUBLIC_KEY_FILE } from './home.js';

/** Parses `INDEX` (decimal) or `ID` (`sha256:…`) as given on a command line. */
export function parseEntryRef(ref: string): number | Digest {
  if (/^(0|[1-9][0-9]*)$/.test(ref)) {
    const index = Number(ref);
    if (!Number.isSafeInteger(index)) throw new InputError('OUT_OF_RANGE', `entry index ${ref} is too large`);
    return index;
  }
  if (ref.startsWith('sha256:')) return parseDigest(ref, 'entry id');
  throw new InputError('INVALID_ARGUMENT', `"${ref}" is neither an entry index nor an entry id (sha256:…)`);
}

export async function findEntry(ledger: Ledger, ref: number | Digest): Promise<StoredEntry> {
  if (typeof ref === 'number') return ledger.read(ref);
  const found = await ledger.find(ref);
  if (!found) throw new InputError('NOT_FOUND', `no entry with id ${ref} in this ledger`);
  return found;
}

/** Reads an entry and checks its log signature before anyone relies on what it says. */
export async function readEntry(home: Home, ref: number | Digest): Promise<OpenedEntry> {
  const stored = await findEntry(home.ledger, ref);
  return openEntry(stored.envelope, home.logPublicKey);
}

export interface InclusionProof {
  readonly index: number;
  readonly size: number;
  readonly entryId: string;
  readonly leafHash: string;
  readonly rootHash: string;
  /** Hex, as RFC 9162 tools and the C2SP worked examples print them. */
  readonly hashes: readonly string[];
}

export async function proveInclusion(home: Home, index: number, size?: number): Promise<InclusionProof> {
  const treeSize = size ?? (await home.ledger.size());
  const stored = await home.ledger.read(index);
  const [hashes, root] = await Promise.all([
    home.ledger.proveInclusion(index, treeSize),
    home.ledger.root(treeSize),
  ]);
  return {
    index,
    size: treeSize,
    entryId: stored.id,
    leafHash: hex(hashLeaf(stored.envelope)),
    rootHash: hex(root),
    hashes: hashes.map(hex),
  };
}

export interface ConsistencyProof {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRootHash: string;
  readonly newRootHash: string;
  readonly hashes: readonly string[];
}

export async function proveConsistency(
  home: Home,
  oldSize: number,
  newSize: number,
): Promise<ConsistencyProof> {
  const hashes = await home.ledger.proveConsistency(oldSize, newSize);
  return {
    oldSize,
    newSize,
    oldRootHash: hex(await home.ledger.root(oldSize)),
    newRootHash: hex(await home.ledger.root(newSize)),
    hashes: hashes.map(hex),
  };
}

export const EXPORT_ENTRIES_DIR = 'entries';
export const EXPORT_CHECKPOINT_FILE = 'checkpoint';
export const EXPORT_VKEY_FILE = 'log-key.vkey';
export const EXPORT_ORIGIN_FILE = 'origin';
export const EXPORT_LOG_KEYS_FILE = 'log-keys.json';
export const LOG_KEYS_FORMAT = 'signet-log-keys/v1';

/** `log-keys.json` of an export: every key of the log, in order, with the entries each signs. */
export interface ExportedLogKeys {
  readonly format: typeof LOG_KEYS_FORMAT;
  readonly origin: string;
  readonly keys: readonly ExportedLogKey[];
}

export interface ExportedLogKey {
  readonly keyId: string;
  readonly algorithm: 'ed25519';
  /** The raw 32-byte key, base64. */
  readonly publicKey: string;
  /** The C2SP verifier key of the checkpoints it signs: `<origin>+<key id hex>+<base64(0x01 ‖ key)>`. */
  readonly vkey: string;
  readonly firstIndex: number;
  /** The rotation entry that retired it, its last entry; absent for the key in force at the checkpoint. */
  readonly lastIndex?: number;
  /** The rotation entry that announced it; absent for the genesis key. */
  readonly announcedBy?: { readonly index: number; readonly id: string };
}

/** The keys of `keys` as an export of the first `size` entries sees them. */
export function exportedLogKeys(origin: string, keys: LogKeys, size: number): ExportedLogKeys {
  const known = keys.epochs.filter((epoch) => !epoch.announcedBy || epoch.announcedBy.index < size);
  return {
    format: LOG_KEYS_FORMAT,
    origin,
    keys: known.map((epoch) => ({
      keyId: epoch.keyId,
      algorithm: 'ed25519',
      publicKey: Buffer.from(epoch.publicKey).toString('base64'),
      vkey: verifierKey(origin, epoch.publicKey),
      firstIndex: epoch.firstIndex,
      // A rotation after the exported checkpoint is not part of this export.
      ...(epoch.lastIndex !== undefined && epoch.lastIndex < size ? { lastIndex: epoch.lastIndex } : {}),
      ...(epoch.announcedBy ? { announcedBy: { ...epoch.announcedBy } } : {}),
    })),
  };
}

export interface ExportResult {
  readonly dir: string;
  readonly size: number;
}

/**
 * Writes the log as plain files: `entries/<index>.dsse.json` (the exact envelope bytes), `checkpoint`
 * (the latest signed note), the key that signed that checkpoint as PEM and as a C2SP verifier key,
 * `log-keys.json` (every key of the log and the entries it signs, for a log whose key was rotated), and
 * `origin`. The checkpoint is read first, so every entry it covers is exported even if appends run
 * meanwhile.
 */
export async function exportLog(
  home: Home,
  dir: string,
  onProgress?: (done: number) => void,
): Promise<ExportResult> {
  await mkdir(dir, { recursive: true });
  const existing = await readdir(dir);
  if (existing.length > 0) throw new InputError('INVALID_ARGUMENT', `export folder ${dir} is not empty`);
  const checkpoint = await home.ledger.checkpoint();
  const entriesDir = path.join(dir, EXPORT_ENTRIES_DIR);
  await mkdir(entriesDir);
  const width = Math.max(8, String(checkpoint.size - 1).length);
  let done = 0;
  for await (const entry of home.ledger.entries(0, checkpoint.size)) {
    await writeFile(
      path.join(entriesDir, `${String(entry.index).padStart(width, '0')}.dsse.json`),
      entry.envelope,
    );
    done += 1;
    if (done % 1000 === 0) onProgress?.(done);
  }
  await writeFile(path.join(dir, EXPORT_CHECKPOINT_FILE), checkpoint.note);
  // The key of the exported checkpoint: the home's key, or the one before it when the checkpoint ends
  // with the rotation entry.
  const checkpointKey = home.logPublicKey.checkpointKey(checkpoint.size).publicKey;
  await writeFile(path.join(dir, LOG_PUBLIC_KEY_FILE), publicKeyToPem(checkpointKey));
  await writeFile(path.join(dir, EXPORT_VKEY_FILE), verifierKey(home.config.origin, checkpointKey) + '\n');
  await writeFile(
    path.join(dir, EXPORT_LOG_KEYS_FILE),
    JSON.stringify(exportedLogKeys(home.config.origin, home.logPublicKey, checkpoint.size), null, 2) + '\n',
  );
  await writeFile(path.join(dir, EXPORT_ORIGIN_FILE), home.config.origin + '\n');
  return { dir, size: checkpoint.size };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
