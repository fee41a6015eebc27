// The standalone offline verifier: checks an exported log folder (`signet log export`) with pure code
// only, trusting nothing but the log public key — the one in the export, or better, one the auditor
// pinned beforehand (`--key`).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { InputError, VerificationError } from '../errors.js';
import { LogVerifier, type LogSummary } from '../ledger/log-verifier.js';
import { parseCheckpointBody } from '../ledger/checkpoint.js';
import { publicKeyFromPem } from '../signing/keys.js';
import { parseNote } from '../signing/note.js';
import { equalBytes } from '../signing/digest.js';

export const ENTRIES_DIR = 'entries';
export const CHECKPOINT_FILE = 'checkpoint';
export const PUBLIC_KEY_FILE = 'log-key.pub.pem';

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
  let logPublicKey = exportedKey;
  if (options.pinnedKeyPem !== undefined) {
    logPublicKey = publicKeyFromPem(options.pinnedKeyPem);
    if (!equalBytes(logPublicKey, exportedKey)) {
      throw new VerificationError('BAD_SIGNATURE', 'the exported log key is not the pinned key');
    }
  }
  const note = await readBytes(path.join(dir, CHECKPOINT_FILE));
  // The origin is read from the checkpoint body; the signature check below binds it to the key.
  const origin = parseCheckpointBody(parseNote(note).text).origin;

  const files = await listEntryFiles(path.join(dir, ENTRIES_DIR));
  const verifier = new LogVerifier({ origin, logPublicKey });
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
  return {
    ...verifier.summary(),
    checkpointSize: checkpoint.size,
    keySource: options.pinnedKeyPem !== undefined ? 'pinned' : 'export',
  };
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
