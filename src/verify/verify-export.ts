// The standalone offline verifier: checks an exported log folder (`signet log export`) with pure code
// only, trusting nothing but the log public key — the one in the export, or better, one the auditor
// pinned beforehand (`--key`).
//
// A log whose key was rotated has several keys. The chain starts at the genesis key (the first key of
// `log-keys.json`; `log-key.pub.pem` in an export made before rotation existed) and is followed through
// the log's own `log-key` entries, each signed by the key in force and carrying the new key's proof of
// possession (log-verifier.ts). `log-keys.json` must list exactly the keys the log announces, and
// `log-key.pub.pem` must be the key of the exported checkpoint, so that an outside tool reading either
// file is not misled. A pinned key must be one of the log's keys: the genesis key, or a later key the
// auditor received through a channel of their own.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { InputError, VerificationError } from '../errors.js';
import { LogVerifier, type LogSummary } from '../ledger/log-verifier.js';
import { isRecord } from '../ledger/entry.js';
import type { LogKeyEpoch } from '../ledger/log-keys.js';
import { decodeBase64Strict } from '../signing/base64.js';
import { parseJson } from '../signing/canonical-json.js';
import { parseCheckpointBody } from '../ledger/checkpoint.js';
import { ED25519_PUBLIC_KEY_BYTES, publicKeyFromPem } from '../signing/keys.js';
import { parseNote } from '../signing/note.js';
import { equalBytes } from '../signing/digest.js';

export const ENTRIES_DIR = 'entries';
export const CHECKPOINT_FILE = 'checkpoint';
export const PUBLIC_KEY_FILE = 'log-key.pub.pem';
export const LOG_KEYS_FILE = 'log-keys.json';
const LOG_KEYS_FORMAT = 'signet-log-keys/v1';

export interface ExportVerification extends LogSummary {
  readonly checkpointSize: number;
  readonly keySource: 'pinned' | 'export';
}

export interface VerifyExportOptions {
  /** A PEM public key the auditor trusts; when given, the export's own key must equal it. */
  readonly pinnedKeyPem?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function verifyExport(
  dir: string,
  options: VerifyExportOptions = {},
): Promise<ExportVerification> {
  const exportedKey = publicKeyFromPem(await readText(path.join(dir, PUBLIC_KEY_FILE)));
  const listed = await readLogKeysFile(path.join(dir, LOG_KEYS_FILE));
  const pinned = options.pinnedKeyPem === undefined ? undefined : publicKeyFromPem(options.pinnedKeyPem);
  const note = await readBytes(path.join(dir, CHECKPOINT_FILE));
  // The origin is read from the checkpoint body; the signature check below binds it to the key.
  const origin = parseCheckpointBody(parseNote(note).text).origin;

  const files = await listEntryFiles(path.join(dir, ENTRIES_DIR));
  const genesisKey = listed?.[0]?.publicKey ?? exportedKey;
  const verifier = new LogVerifier({ origin, logPublicKey: genesisKey });
  for (const [index, file] of files.entries()) {
    verifier.add(await readBytes(file));
    options.onProgress?.(index + 1, files.length);
  }
  const checkpoint = verifier.checkCheckpoint(note, 'exported checkpoint');
  if (checkpoint.size !== verifier.size) {
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `the exported checkpoint covers ${checkpoint.size} entries but the export holds ${verifier.size}`,
    );
  }
  const keys = verifier.keys;
  if (listed !== undefined) assertListedKeys(listed, keys.epochs);
  if (!equalBytes(exportedKey, keys.checkpointKey(checkpoint.size).publicKey)) {
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `${PUBLIC_KEY_FILE} is not the key that signs the exported checkpoint`,
    );
  }
  if (pinned !== undefined && !keys.epochs.some((epoch) => equalBytes(epoch.publicKey, pinned))) {
    throw new VerificationError(
      'BAD_SIGNATURE',
      'the pinned key is not a key of the exported log (neither its genesis key nor one it announced)',
    );
  }
  return {
    ...verifier.summary(),
    checkpointSize: checkpoint.size,
    keySource: pinned !== undefined ? 'pinned' : 'export',
  };
}

interface ListedKey {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly firstIndex: number;
  readonly lastIndex: number | undefined;
  readonly announcedBy: { readonly index: number; readonly id: string } | undefined;
}

/** `log-keys.json` (attacker-controlled), or undefined for an export made before it existed. */
async function readLogKeysFile(file: string): Promise<ListedKey[] | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw new InputError('NOT_FOUND', `cannot read ${file}`, { cause: error });
  }
  const bad = (message: string): never => {
    throw new InputError('INVALID_JSON', `${LOG_KEYS_FILE}: ${message}`);
  };
  const value = parseJson(bytes, LOG_KEYS_FILE);
  if (!isRecord(value) || value['format'] !== LOG_KEYS_FORMAT || !Array.isArray(value['keys'])) {
    return bad(`not a ${LOG_KEYS_FORMAT} document with a keys list`);
  }
  if (value['keys'].length === 0) return bad('the keys list is empty');
  return value['keys'].map((key: unknown, i): ListedKey => {
    if (!isRecord(key)) return bad(`keys[${i}] is not an object`);
    const publicKey = typeof key['publicKey'] === 'string' ? decodeBase64Strict(key['publicKey']) : undefined;
    if (publicKey === undefined || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
      return bad(`keys[${i}].publicKey is not 32 bytes of base64`);
    }
    const announcedBy = key['announcedBy'];
    return {
      keyId: String(key['keyId']),
      publicKey,
      firstIndex: Number(key['firstIndex']),
      lastIndex: key['lastIndex'] === undefined ? undefined : Number(key['lastIndex']),
      announcedBy: isRecord(announcedBy)
        ? { index: Number(announcedBy['index']), id: String(announcedBy['id']) }
        : undefined,
    };
  });
}

// The list must be exactly the chain the log itself established: a checker that reads only the file
// would otherwise trust a key the log never announced, or miss one it did.
function assertListedKeys(listed: readonly ListedKey[], epochs: readonly LogKeyEpoch[]): void {
  const same =
    listed.length === epochs.length &&
    listed.every((key, i) => {
      const epoch = epochs[i]!;
      return (
        key.keyId === epoch.keyId &&
        equalBytes(key.publicKey, epoch.publicKey) &&
        key.firstIndex === epoch.firstIndex &&
        key.lastIndex === epoch.lastIndex &&
        key.announcedBy?.index === epoch.announcedBy?.index &&
        key.announcedBy?.id === epoch.announcedBy?.id
      );
    });
  if (!same) {
    throw new VerificationError(
      'INCONSISTENT_LOG',
      `${LOG_KEYS_FILE} does not list the keys the log announces (${epochs.map((e) => e.keyId).join(', ')})`,
    );
  }
}

async function listEntryFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new InputError('NOT_FOUND', `no ${ENTRIES_DIR}/ folder in the export at ${path.dirname(dir)}`);
  }
  const numbered = names.map((name) => {
    const match = /^(\d+)\.dsse\.json$/.exec(name);
    if (!match?.[1]) throw new InputError('INVALID_ARGUMENT', `unexpected file ${name} in ${dir}`);
    return { index: Number(match[1]), file: path.join(dir, name) };
  });
  numbered.sort((a, b) => a.index - b.index);
  numbered.forEach(({ index }, position) => {
    if (index !== position) {
      throw new VerificationError('INCONSISTENT_LOG', `entry file ${position} is missing from the export`, {
        details: { index: position },
      });
    }
  });
  return numbered.map(({ file }) => file);
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    throw new InputError('NOT_FOUND', `cannot read ${file}`);
  }
}

async function readText(file: string): Promise<string> {
  return Buffer.from(await readBytes(file)).toString('utf8');
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}
