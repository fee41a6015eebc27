// The policy as it applies to one model: the defaults with the model's section laid over them, and what
// each route then needs from approvers. Pure.
import { InputError } from '../errors.js';
import type { Bands, Committee, Policy, PsiThresholds } from './schema.js';

/** The policy for one model, every key resolved. */
export interface EffectivePolicy {
  readonly modelName: string;
  readonly tier: string;
  readonly committee: Committee;
  readonly bands: Bands;
  readonly committeeBands: Bands;
  readonly psi: PsiThresholds;
  readonly oncallRole: string;
  readonly contexts: readonly string[];
  readonly requireFeaturePipeline: boolean;
}

/**
 * What a route needs from approvers. Low: one approval by a holder of the on-call role (for that model,
 * at that moment). Material: `quorum` distinct people, each holding one of `roles`; the requester never
 * counts towards the quorum.
 */
export type Requirement =
  | { readonly kind: 'oncall'; readonly role: string; readonly quorum: 1 }
  | { readonly kind: 'committee'; readonly roles: readonly string[]; readonly quorum: number };

/**
 * The defaults with the model's section over them. A key the model's section gives replaces the
 * default's value as a whole: a model's `bands` is its complete band set, not merged metric by metric,
 * so a default band can be dropped for one model. A model with no section gets the defaults.
 *
 * Throws InputError INVALID_ARGUMENT when the tier does not exist, which `parsePolicy` has already
 * refused: only a policy built in code can get here.
 *
 * @example
 * effectivePolicy(policy, 'credit-scorecard').committee; // { roles: ['model-risk'], quorum: 3 }
 */
export function effectivePolicy(policy: Policy, modelName: string): EffectivePolicy {
  const defaults = policy.defaults;
  const models = policy.models ?? {};
  const section = Object.hasOwn(models, modelName) ? models[modelName] : undefined;
  const tier = section?.tier ?? defaults.tier;
  return {
    modelName,
    tier,
    committee: committeeOf(policy, tier),
    bands: section?.bands ?? defaults.bands ?? {},
    committeeBands: section?.committeeBands ?? defaults.committeeBands ?? {},
    psi: section?.psi ?? defaults.psi,
    oncallRole: section?.oncallRole ?? defaults.oncallRole,
    contexts: section?.contexts ?? defaults.contexts,
    requireFeaturePipeline: section?.requireFeaturePipeline ?? defaults.requireFeaturePipeline ?? false,
  };
}

/**
 * What a sealed route needs, re-derived from the policy it names (the gate's question at deploy time):
 * the on-call role of the model for `low`, the committee of `route.tier` for `material`. Throws
 * InputError INVALID_ARGUMENT when the policy defines no such tier.
 *
 * @example
 * requirementFor(policy, 'churn', { materiality: 'low', tier: 'standard' });
 * // { kind: 'oncall', role: 'oncall', quorum: 1 }
 */
export function requirementFor(
  policy: Policy,
  modelName: string,
  route: { readonly materiality: 'low' | 'material'; readonly tier: string },
): Requirement {
  if (route.materiality === 'low') {
    return { kind: 'oncall', role: effectivePolicy(policy, modelName).oncallRole, quorum: 1 };
  }
  const committee = committeeOf(policy, route.tier);
  return { kind: 'committee', roles: [...committee.roles], quorum: committee.quorum };
}

function committeeOf(policy: Policy, tier: string): Committee {
  const found = Object.hasOwn(policy.tiers, tier) ? policy.tiers[tier] : undefined;
  if (found === undefined) {
    throw new InputError('INVALID_ARGUMENT', `the policy defines no tier ${JSON.stringify(tier)}`, {
      details: { tier },
    });
  }
  return found.committee;
}
