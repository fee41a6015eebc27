// A draft is either a model promotion or a feature-pipeline promotion; approving, rejecting and sealing
// are the same for both (decide.ts). This reads either kind from its inputs object and says what the
// decision is about, what an approval statement must name, and how to build the entry that seals it.
import { InputError } from '../errors.js';
import { isRecord, type EntryDraft } from '../ledger/entry.js';
import { DRAFT_INPUTS_TYPE, type DecisionFacts, type DraftInputs } from '../promotion/draft.js';
import {
  buildPipelinePromotion,
  PIPELINE_DRAFT_TYPE,
  type PipelineDraftInputs,
} from '../promotion/pipeline.js';
import { buildPromotion } from '../promotion/seal.js';
import type { Approval, Ed25519Signature, RouteRef } from '../promotion/types.js';
import { PIPELINE_RENDERER_VERSION } from '../review/pipeline.js';
import { RENDERER_VERSION } from '../review/index.js';
import { parseJson } from '../signing/canonical-json.js';
import type { Digest } from '../signing/digest.js';
import type { DraftRow } from '../store/drafts.js';
import type { Home } from './home.js';

export type AnyDraftInputs = DraftInputs | PipelineDraftInputs;

export interface OpenedDraft {
  readonly draft: DraftRow;
  readonly kind: 'model' | 'pipeline';
  readonly inputs: AnyDraftInputs;
  /** What the decision is about: the model, or the feature pipeline. */
  readonly subject: { readonly name: string; readonly digest: Digest };
  readonly route: RouteRef;
  readonly context: string;
  /** Object digest of the request document. */
  readonly request: Digest;
}

/** Reads a draft and its inputs object, of either kind. */
export async function openAnyDraft(home: Home, id: string): Promise<OpenedDraft> {
  const draft = await home.drafts.getDraft(id);
  if (!draft) throw new InputError('NOT_FOUND', `no draft ${JSON.stringify(id)}`);
  const value = parseJson(await home.objects.get(draft.inputs), 'draft inputs');
  if (isRecord(value) && value['type'] === DRAFT_INPUTS_TYPE) {
    const inputs = value as unknown as DraftInputs;
    return {
      draft,
      kind: 'model',
      inputs,
      subject: inputs.model,
      route: inputs.route,
      context: inputs.context,
      request: inputs.request,
    };
  }
  if (isRecord(value) && value['type'] === PIPELINE_DRAFT_TYPE) {
    const inputs = value as unknown as PipelineDraftInputs;
    return {
      draft,
      kind: 'pipeline',
      inputs,
      subject: inputs.pipeline,
      route: inputs.route,
      context: inputs.context,
      request: inputs.request,
    };
  }
  throw new InputError('INVALID_JSON', `object ${draft.inputs} is not a draft`);
}

/** What every approval statement of this draft must name. */
export function decisionFactsOf(opened: OpenedDraft): DecisionFacts {
  return {
    draft: opened.draft.id,
    view: opened.draft.view,
    model: opened.subject.digest,
    request: opened.request,
    context: opened.context,
  };
}

/** The entry that seals the draft with these approvals. */
export function sealingEntry(
  opened: OpenedDraft,
  requestSignature: Ed25519Signature,
  approvals: readonly Approval[],
): EntryDraft {
  const common = { inputsDigest: opened.draft.inputs, requestSignature, approvals };
  return opened.kind === 'model'
    ? buildPromotion({
        ...common,
        inputs: opened.inputs as DraftInputs,
        view: { digest: opened.draft.view, renderer: RENDERER_VERSION },
      })
    : buildPipelinePromotion({
        ...common,
        inputs: opened.inputs as PipelineDraftInputs,
        view: { digest: opened.draft.view, renderer: PIPELINE_RENDERER_VERSION },
      });
}
