// Which objects an entry references, by kind. `signet verify` checks each is present with its digest.
// Every entry references its own envelope, stored as an object under the entry id.
import { POLICY_KIND } from '../authority/state.js';
import { isDigest, type Digest } from '../signing/digest.js';
import type { OpenedEntry } from './entry.js';
import { PROMOTION_KIND, promotionObjects, readPromotion } from '../promotion/seal.js';
import {
  PIPELINE_PROMOTION_KIND,
  pipelinePromotionObjects,
  readPipelinePromotion,
} from '../promotion/pipeline.js';

export function referencedObjects(entry: OpenedEntry): Digest[] {
  const references: Digest[] = [entry.id];
  switch (entry.kind) {
    case 'genesis':
      break;
    case PROMOTION_KIND:
      references.push(...promotionObjects(readPromotion(entry.statement.predicate)));
      break;
    case PIPELINE_PROMOTION_KIND:
      references.push(...pipelinePromotionObjects(readPipelinePromotion(entry.statement.predicate)));
      break;
    case POLICY_KIND: {
      // The policy document; the authority fold has already refused a policy entry without a digest.
      const policy = entry.statement.predicate['policy'];
      if (isDigest(policy)) references.push(policy);
      break;
    }
    default:
      // Kinds this version does not know are checked as log entries only (signature, stamp, tree).
      break;
  }
  return references;
}
