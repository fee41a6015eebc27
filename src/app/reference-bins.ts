// The reference bins a promotion seals for population-shift monitoring, frozen with the draft: the
// evaluation dataset's profile (computed at registration, when its bytes were read) narrowed to the
// model's input features — with the kinds its input contract gives — and the score column.
import { InputError } from '../errors.js';
import { assertDatasetProfile, referenceFromProfile, type DatasetProfile } from '../monitor/profile.js';
import { kindOfContractType } from '../monitor/reference.js';
import type { FeatureType } from '../promotion/inputs.js';
import type { MonitoringRef } from '../promotion/types.js';
import { canonicalize, parseJson } from '../signing/canonical-json.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import type { Home } from './home.js';
import { readObjectWithin } from './objects.js';
import type { DatasetRegistration, ModelRegistration } from './register.js';
import { readContract } from './route.js';

/** The score column taken when none is named and the dataset has a column of this name. */
export const DEFAULT_SCORE_COLUMN = 'score';
/** The largest profile object read: a few KiB per column, and at most 1 000 columns are profiled. */
const MAX_PROFILE_BYTES = 64 * 1024 * 1024;

export interface FrozenReference {
  readonly monitoring: MonitoringRef;
  /** The reference bins object's bytes (canonical JSON), to be stored under `monitoring.reference`. */
  readonly bytes: Uint8Array;
}

/**
 * The reference bins of `model` on `dataset`, or undefined when the dataset has no profile (a directory,
 * or a format other than CSV and NDJSON). The features are the input contract's, in its order and with
 * its kinds (`kindOfContractType`); without a contract, every column of the dataset but the score, with
 * the kind its values suggest. The score column is `scoreColumn`, else `score` when the dataset has it
 * and it is not one of the model's inputs.
 *
 * Each problem goes to `problem(source, message)`: a contract feature the dataset lacks, a score column
 * it lacks, a numeric feature with no number in it, a profile that cannot be read.
 */
export async function freezeReference(
  home: Home,
  model: ModelRegistration,
  dataset: DatasetRegistration,
  scoreColumn: string | undefined,
  problem: (source: string, message: string) => void,
): Promise<FrozenReference | undefined> {
  if (dataset.profile === undefined) {
    if (scoreColumn !== undefined) {
      problem(
        '--score-column',
        'the dataset was not profiled at registration (only a CSV or NDJSON file is), so it has no columns to take the score from',
      );
    }
    return undefined;
  }
  let profile: DatasetProfile;
  try {
    profile = await readProfile(home, dataset.profile);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problem('--dataset', `its profile ${dataset.profile} cannot be read: ${error.message}`);
    return undefined;
  }
  const has = (name: string): boolean => profile.columns.some((c) => c.name === name);
  const contract = model.inputContract ? await readContract(home, model.inputContract) : undefined;
  // A model whose input is called `score` does not make that input its own score.
  const isInput = (name: string): boolean => contract?.features.some((f) => f.name === name) ?? false;
  const score =
    scoreColumn ??
    (has(DEFAULT_SCORE_COLUMN) && !isInput(DEFAULT_SCORE_COLUMN) ? DEFAULT_SCORE_COLUMN : undefined);
  const columns = contract
    ? contract.features.map((f) => ({ name: f.name, kind: kindOfContractType(f.type as FeatureType) }))
    : profile.columns.filter((c) => c.name !== score).map((c) => ({ name: c.name }));
  try {
    const reference = referenceFromProfile(profile, {
      model: model.name,
      columns,
      ...(score !== undefined ? { score } : {}),
    });
    const bytes = canonicalize(reference);
    return {
      monitoring: { reference: digestOfBytes(bytes), ...(score !== undefined ? { scoreColumn: score } : {}) },
      bytes,
    };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const absent = error.details?.['absent'];
    const scoreAbsent = score !== undefined && Array.isArray(absent) && absent.includes(score);
    problem(
      scoreAbsent && scoreColumn !== undefined ? '--score-column' : '--dataset',
      `the reference bins for population-shift monitoring cannot be computed on it: ${error.message}`,
    );
    return undefined;
  }
}

async function readProfile(home: Home, digest: Digest): Promise<DatasetProfile> {
  const bytes = await readObjectWithin(home.objects, digest, MAX_PROFILE_BYTES);
  if (bytes === undefined) throw new InputError('INVALID_ARGUMENT', 'the profile object is too large');
  const value = parseJson(bytes, 'the dataset profile');
  assertDatasetProfile(value);
  return value;
}
