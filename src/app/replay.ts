// Replay (DESIGN invariant 4): the exact stored review document and every sealed object, written out,
// and the review document re-rendered from the sealed inputs and compared byte for byte.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { InputError } from '../errors.js';
import { openEntry, type OpenedEntry } from '../ledger/entry.js';
import { DRAFT_INPUTS_TYPE, type DraftInputs } from '../promotion/draft.js';
import { PROMOTION_KIND, promotionObjects } from '../promotion/seal.js';
import {
  PIPELINE_DRAFT_TYPE,
  PIPELINE_PROMOTION_KIND,
  pipelinePromotionObjects,
  type PipelineDraftInputs,
} from '../promotion/pipeline.js';
import type { Reason } from '../gate/verify-promotion.js';
import { canonicalize, parseJson } from '../signing/canonical-json.js';
import { digestHex, type Digest } from '../signing/digest.js';
import { isRecord } from '../ledger/entry.js';
import { findEntry } from './log.js';
import { loadAuthority } from './authority.js';
import {
  checkPipelinePromotion,
  checkPromotion,
  reasonOf,
  type PipelinePromotionCheck,
  type PromotionCheck,
} from './gate.js';
import { renderPipelineView } from './pipeline.js';
import type { Home } from './home.js';
import { renderView } from './promote.js';

export interface ReplayResult {
  readonly entry: Digest;
  readonly view: Digest;
  readonly identical: boolean;
  /** Whether the review document could be rendered again at all (objects missing or corrupt: no). */
  readonly rendered: boolean;
  /** The first differing byte offset, when the re-rendered document differs. */
  readonly firstDifference?: number;
  readonly reasons: readonly Reason[];
  readonly written: readonly string[];
  readonly check: PromotionCheck | PipelinePromotionCheck;
}

/** A model-promotion or feature-pipeline-promotion entry by index or id. */
export async function loadAnyPromotionEntry(home: Home, ref: number | Digest): Promise<OpenedEntry> {
  const stored = await findEntry(home.ledger, ref);
  const entry = openEntry(stored.envelope, home.logPublicKey);
  if (entry.kind !== PROMOTION_KIND && entry.kind !== PIPELINE_PROMOTION_KIND) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `entry ${entry.index} is a ${entry.kind} entry, not a model or feature-pipeline promotion`,
    );
  }
  return entry;
}

export async function loadPromotionEntry(home: Home, ref: number | Digest): Promise<OpenedEntry> {
  const stored = await findEntry(home.ledger, ref);
  const entry = openEntry(stored.envelope, home.logPublicKey);
  if (entry.kind !== PROMOTION_KIND) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `entry ${entry.index} is a ${entry.kind} entry, not a model promotion`,
    );
  }
  return entry;
}

export async function replay(home: Home, ref: number | Digest, outDir?: string): Promise<ReplayResult> {
  const entry = await loadAnyPromotionEntry(home, ref);
  const authority = await loadAuthority(home);
  const check =
    entry.kind === PROMOTION_KIND
      ? await checkPromotion(home, entry, authority)
      : await checkPipelinePromotion(home, entry, authority);
  const { promotion } = check;
  const reasons: Reason[] = [...check.reasons];
  const written: string[] = [];

  let stored: Uint8Array | undefined;
  try {
    stored = await home.objects.get(promotion.view.digest);
  } catch (error) {
    reasons.push(reasonOf(error, 'the stored review document'));
  }

  let identical = false;
  let rendered = false;
  let firstDifference: number | undefined;
  try {
    const inputs = parseJson(await home.objects.get(promotion.request.inputs), 'draft inputs');
    let rerendered: Uint8Array;
    if ('model' in promotion) {
      if (!isRecord(inputs) || inputs['type'] !== DRAFT_INPUTS_TYPE)
        throw new InputError('INVALID_JSON', 'not a draft');
      const draft = inputs as unknown as DraftInputs;
      assertSealedMatchesInputs(draft, promotion, reasons);
      rerendered = await renderView(home, draft);
    } else {
      if (!isRecord(inputs) || inputs['type'] !== PIPELINE_DRAFT_TYPE)
        throw new InputError('INVALID_JSON', 'not a feature-pipeline draft');
      const draft = inputs as unknown as PipelineDraftInputs;
      assertSameFields(
        [
          ['pipeline', draft.pipeline, promotion.pipeline],
          ['request', draft.request, promotion.request.document],
          ['context', draft.context, promotion.context],
          ['route', draft.route, promotion.route],
          ['previous', draft.previous ?? null, promotion.previous ?? null],
        ],
        reasons,
      );
      rerendered = await renderPipelineView(home, draft);
    }
    rendered = true;
    if (stored) {
      firstDifference = firstDifferingByte(stored, rerendered);
      identical = firstDifference === undefined;
      if (!identical) {
        reasons.push({
          code: 'VIEW_MISMATCH',
          message: `the re-rendered review document differs at byte ${firstDifference}`,
        });
      }
    }
  } catch (error) {
    reasons.push(reasonOf(error, 'rendering the review document again from the sealed inputs'));
  }

  if (outDir !== undefined) {
    await mkdir(path.join(outDir, 'objects'), { recursive: true });
    if (stored) {
      const file = path.join(outDir, 'review.html');
      await writeFile(file, stored);
      written.push(file);
    }
    const objects = 'model' in promotion ? promotionObjects(promotion) : pipelinePromotionObjects(promotion);
    for (const digest of new Set(objects)) {
      try {
        const file = path.join(outDir, 'objects', digestHex(digest));
        await writeFile(file, await home.objects.get(digest));
        written.push(file);
      } catch {
        // Already reported by the check.
      }
    }
    const file = path.join(outDir, 'entry.dsse.json');
    await writeFile(file, entry.envelope);
    written.push(file);
  }
  return {
    entry: entry.id,
    view: promotion.view.digest,
    identical,
    rendered,
    ...(firstDifference !== undefined ? { firstDifference } : {}),
    reasons,
    written,
    check,
  };
}

/** The sealed fields must be the ones the requester signed in the draft inputs. */
function assertSealedMatchesInputs(
  inputs: DraftInputs,
  promotion: PromotionCheck['promotion'],
  reasons: Reason[],
): void {
  assertSameFields(
    [
      ['model', inputs.model, promotion.model],
      ['challenger', inputs.challenger, promotion.challenger],
      ['request', inputs.request, promotion.request.document],
      ['explanations', inputs.explanations, promotion.explanations],
      ['dataset', inputs.dataset, promotion.dataset],
      ['context', inputs.context, promotion.context],
      ['route', inputs.route, promotion.route],
      ['bandsForNext', inputs.bandsForNext ?? null, promotion.bandsForNext ?? null],
    ],
    reasons,
  );
}

function assertSameFields(pairs: readonly [string, unknown, unknown][], reasons: Reason[]): void {
  const same = (a: unknown, b: unknown): boolean =>
    Buffer.from(canonicalize(a)).equals(Buffer.from(canonicalize(b)));
  for (const [field, signed, sealed] of pairs) {
    if (!same(signed, sealed)) {
      reasons.push({
        code: 'INCONSISTENT_LOG',
        message: `the sealed ${field} differs from the draft inputs the requester signed`,
      });
    }
  }
}

export function firstDifferingByte(a: Uint8Array, b: Uint8Array): number | undefined {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? undefined : n;
}
