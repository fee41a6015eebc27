// The materiality policy: parse and check the document, resolve it for a model, route a promotion.
export {
  checkBands,
  MAX_POLICY_BYTES,
  parsePolicy,
  POLICY_PUBLISHED_SCHEMAS,
  POLICY_SCHEMA,
  POLICY_SCHEMA_ID,
  type Bands,
  type Committee,
  type DirectionLimits,
  type MetricBand,
  type Policy,
  type PolicyDefaults,
  type PolicyFormat,
  type PolicySection,
  type PsiThresholds,
  type Tier,
} from './schema.js';
export { effectivePolicy, requirementFor, type EffectivePolicy, type Requirement } from './effective.js';
export { describeDiff, diffContracts, type ContractDiff, type ContractFeature } from './contract-diff.js';
export {
  evaluatePipelinePolicy,
  evaluatePolicy,
  PIPELINE_RULE_NAMES,
  RULE_NAMES,
  RULES,
  toRouteRef,
  type Candidate,
  type FeaturePipelineView,
  type LedgerView,
  type PopulationShift,
  type PreviousPromotion,
  type Reason,
  type RouteDecision,
  type Rule,
  type RuleName,
} from './evaluate.js';
