// Registration: a model or dataset artefact is hashed, its manifest and a registration record stored as
// objects and indexed by digest. Registrations are objects, not events: nothing is decided yet.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';

import { InputError, VerificationError } from '../errors.js';
import {
  assertNoProblems,
  collectProblems,
  parseHyperparameters,
  parseInputContract,
  type SourcedProblem,
} from '../promotion/inputs.js';
import { canonicalize, parseJson } from '../signing/canonical-json.js';
import type { Digest } from '../signing/digest.js';
import { isRecord } from '../ledger/entry.js';
import { profileDataset, type DatasetProfile } from '../monitor/profile.js';
import { hashArtefact } from './hash-artefact.js';
import type { Home } from './home.js';

export const MODEL_REGISTRATION_TYPE = 'signet-model-registration/v1';
export const DATASET_REGISTRATION_TYPE = 'signet-dataset-registration/v1';
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface ModelRegistration {
  readonly type: typeof MODEL_REGISTRATION_TYPE;
  readonly name: string;
  readonly digest: Digest;
  readonly artefact: 'file' | 'directory';
  readonly size: number;
  readonly fileCount: number;
  readonly manifest?: Digest;
  readonly class: string;
  readonly hyperparameterFamily: string;
  readonly hyperparameters?: Digest;
  readonly inputContract?: Digest;
}

export interface DatasetRegistration {
  readonly type: typeof DATASET_REGISTRATION_TYPE;
  readonly label: string;
  readonly digest: Digest;
  readonly artefact: 'file' | 'directory';
  readonly size: number;
  readonly fileCount: number;
  readonly manifest?: Digest;
  readonly format: string;
  readonly rows?: number;
  /**
   * Object digest of the dataset profile (`signet-dataset-profile/v1`): every column's reference bins,
   * from which a promotion on this dataset seals its reference for population-shift monitoring. Only a
   * CSV or NDJSON file is profiled.
   */
  readonly profile?: Digest;
}

export interface Registered<T> {
  readonly registration: Digest;
  readonly record: T;
  /** Why a CSV or NDJSON dataset has no profile (so its promotions seal no reference bins). */
  readonly unprofiled?: string;
}

export interface RegisterModelOptions {
  readonly name: string;
  readonly class?: string;
  readonly family?: string;
  readonly hyperparametersFile?: string;
  readonly inputContractFile?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function registerModel(
  home: Home,
  path: string,
  options: RegisterModelOptions,
): Promise<Registered<ModelRegistration>> {
  assertName(options.name, '--name');
  // Every input is checked before anything is stored, and every problem is reported at once.
  const problems: SourcedProblem[] = [];
  const hyperBytes =
    options.hyperparametersFile && (await readInput(options.hyperparametersFile, '--hyperparameters'));
  const contractBytes =
    options.inputContractFile && (await readInput(options.inputContractFile, '--input-contract'));
  if (hyperBytes) collectProblems(problems, '--hyperparameters', parseHyperparameters(hyperBytes));
  if (contractBytes) collectProblems(problems, '--input-contract', parseInputContract(contractBytes));
  assertNoProblems(problems);

  const hashed = await hashArtefact(path, options.onProgress ? { onProgress: options.onProgress } : {});
  if (hashed.kind === 'directory') await home.objects.put(hashed.manifest);
  const hyperparameters = hyperBytes
    ? (await home.objects.put(canonicalize(parseJson(hyperBytes, '--hyperparameters')))).digest
    : undefined;
  const inputContract = contractBytes
    ? (await home.objects.put(canonicalize(parseJson(contractBytes, '--input-contract')))).digest
    : undefined;
  const modelClass = options.class ?? 'unspecified';
  const record: ModelRegistration = {
    type: MODEL_REGISTRATION_TYPE,
    name: options.name,
    digest: hashed.digest,
    artefact: hashed.kind,
    size: hashed.size,
    fileCount: hashed.fileCount,
    ...(hashed.kind === 'directory' ? { manifest: hashed.digest } : {}),
    class: modelClass,
    hyperparameterFamily: options.family ?? modelClass,
    ...(hyperparameters ? { hyperparameters } : {}),
    ...(inputContract ? { inputContract } : {}),
  };
  const stored = await home.objects.put(canonicalize(record));
  await home.drafts.putRegistration({
    kind: 'model',
    digest: hashed.digest,
    name: options.name,
    registration: stored.digest,
  });
  return { registration: stored.digest, record };
}

export interface RegisterDatasetOptions {
  readonly label: string;
  readonly format?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function registerDataset(
  home: Home,
  path: string,
  options: RegisterDatasetOptions,
): Promise<Registered<DatasetRegistration>> {
  if (options.label.trim().length === 0 || options.label.length > 256) {
    throw new InputError('INVALID_ARGUMENT', '--label must be 1–256 characters');
  }
  const hashed = await hashArtefact(path, options.onProgress ? { onProgress: options.onProgress } : {});
  if (hashed.kind === 'directory') await home.objects.put(hashed.manifest);
  const format = (options.format ?? guessFormat(path)).toLowerCase();
  const tabular = hashed.kind === 'file' && (format === 'csv' || format === 'ndjson');
  const rows = tabular ? await countRows(path, format) : undefined;
  const profiled = tabular
    ? await profileFile(home, path, format, hashed.digest, options.onProgress)
    : { problem: `a ${hashed.kind === 'directory' ? 'directory' : `${format} file`} is not profiled` };
  const record: DatasetRegistration = {
    type: DATASET_REGISTRATION_TYPE,
    label: options.label,
    digest: hashed.digest,
    artefact: hashed.kind,
    size: hashed.size,
    fileCount: hashed.fileCount,
    ...(hashed.kind === 'directory' ? { manifest: hashed.digest } : {}),
    format,
    ...(rows !== undefined ? { rows } : {}),
    ...('profile' in profiled ? { profile: profiled.profile } : {}),
  };
  const stored = await home.objects.put(canonicalize(record));
  await home.drafts.putRegistration({
    kind: 'dataset',
    digest: hashed.digest,
    name: options.label,
    registration: stored.digest,
  });
  return {
    registration: stored.digest,
    record,
    ...('problem' in profiled ? { unprofiled: profiled.problem } : {}),
  };
}

/**
 * Profiles a CSV or NDJSON dataset for population-shift monitoring (src/monitor/profile.ts) and stores the
 * profile. The bytes profiled are hashed on the way: if they are not the bytes registered (the file
 * changed in between), the registration is refused. A file that cannot be profiled (no data rows, too
 * many columns) is still registered, without a profile, and the reason is returned.
 */
async function profileFile(
  home: Home,
  path: string,
  format: 'csv' | 'ndjson',
  digest: Digest,
  onProgress?: (done: number, total: number) => void,
): Promise<{ profile: Digest } | { problem: string }> {
  const hash = createHash('sha256');
  const size = (await stat(path)).size;
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      yield chunk;
    }
  }
  let profile: DatasetProfile;
  try {
    profile = await profileDataset({
      source: hashed(),
      format,
      dataset: digest,
      ...(onProgress ? { onProgress: (bytes: number) => onProgress(bytes, size) } : {}),
    });
  } catch (error) {
    if (error instanceof InputError) return { problem: error.message };
    throw error;
  }
  if (`sha256:${hash.digest('hex')}` !== digest) {
    throw new VerificationError(
      'DIGEST_MISMATCH',
      `${path} changed while it was being registered: register it again once nothing writes to it`,
    );
  }
  return { profile: (await home.objects.put(canonicalize(profile))).digest };
}

/** Reads a registration record back from its object (stored by us, still re-hashed and parsed strictly). */
export async function readRegistration<T>(home: Home, digest: Digest, type: string): Promise<T> {
  const value = parseJson(await home.objects.get(digest), 'registration');
  if (!isRecord(value) || value['type'] !== type) {
    throw new InputError('INVALID_JSON', `object ${digest} is not a ${type} record`);
  }
  return value as T;
}

function guessFormat(path: string): string {
  const match = /\.([A-Za-z0-9]+)$/.exec(path);
  const ext = match?.[1]?.toLowerCase();
  if (ext === 'jsonl') return 'ndjson';
  return ext ?? 'unknown';
}

/**
 * Counts data rows in constant memory: NDJSON non-empty lines; CSV records after the header, with
 * newlines inside quoted fields (RFC 4180) not counted as record ends.
 */
export async function countRows(path: string, format: 'csv' | 'ndjson'): Promise<number> {
  const handle = await open(path, 'r');
  try {
    let records = 0;
    let inQuotes = false;
    let lineHasContent = false;
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i];
        if (format === 'csv' && byte === 0x22) inQuotes = !inQuotes;
        if (byte === 0x0a && !inQuotes) {
          if (lineHasContent) records += 1;
          lineHasContent = false;
        } else if (byte !== 0x0d && byte !== 0x20 && byte !== 0x09) {
          lineHasContent = true;
        }
      }
    }
    if (lineHasContent) records += 1;
    return format === 'csv' ? Math.max(0, records - 1) : records;
  } finally {
    await handle.close();
  }
}

export function assertName(name: string, what: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${what} ${JSON.stringify(name)} must be 1–128 letters, digits, . _ or -`,
    );
  }
}

export async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    throw new InputError('NOT_FOUND', `cannot read the ${what} file ${file}`);
  }
}
