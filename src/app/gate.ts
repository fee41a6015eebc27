// The deployment gate (DESIGN invariant 5): allow only a model digest with a valid, unrevoked sealed
// promotion for exactly that context. The deployment entry is appended before the answer, cached or not;
// any error is a deny. A successful full check is cached (gate-cache.ts) until an entry that could change
// the verdict is appended, so that a repeated request does not re-verify the whole log; requests that
// miss together share one full check of their model and context (`fullChecksOf`). A cached allow is not
// preceded by a read of the entries appended since: its deployment entry is appended on the condition
// that they are all verdict-neutral (`Ledger.appendIf`), checked in the append's transaction under the
// ledger's write lock, and a refused condition sends the request through the full check.
import { openCheckpoint } from '../ledger/checkpoint.js';
import {
  openEntry,
  predicateTypeOf,
  subjectOf,
  type EntryDraft,
  type OpenedEntry,
  type SealedEntry,
} from '../ledger/entry.js';
import { verifyInclusion } from '../ledger/merkle.js';
import { promotionReasons, type Reason, type SealedDecision } from '../gate/verify-promotion.js';
import { PROMOTION_KIND, promotionObjects, readPromotion } from '../promotion/seal.js';
import type { PromotionPredicate } from '../promotion/types.js';
import {
  PIPELINE_PROMOTION_KIND,
  pipelinePromotionObjects,
  readPipelinePromotion,
  type PipelinePromotionPredicate,
} from '../promotion/pipeline.js';
import { SignetError } from '../errors.js';
import type { Digest } from '../signing/digest.js';
import type { AuthorityState } from '../authority/state.js';
import type { Policy } from '../policy/index.js';
import { loadAuthority } from './authority.js';
import { readPolicyObject } from './policy.js';
import { findRevocation } from './decide.js';
import { coalesceReads } from '../store/fresh-read.js';
import { DEPLOYMENT_KIND, gateCacheOf, VERDICT_NEUTRAL_KINDS, type GateCache } from './gate-cache.js';
import type { Home } from './home.js';

export interface PromotionCheck {
  readonly entry: OpenedEntry;
  readonly promotion: PromotionPredicate;
  readonly reasons: readonly Reason[];
}

export interface PipelinePromotionCheck {
  readonly entry: OpenedEntry;
  readonly promotion: PipelinePromotionPredicate;
  readonly reasons: readonly Reason[];
}

/**
 * Everything the gate checks about one promotion entry: the log signature (by opening it), inclusion
 * under the current signed checkpoint, the request and every approval with authority at their
 * positions, the approval requirement, revocation, the feature-pipeline promotion it consumes (if it
 * names one), and every referenced object present and intact.
 */
export async function checkPromotion(
  home: Home,
  entry: OpenedEntry,
  authority: AuthorityState,
): Promise<PromotionCheck> {
  const promotion = readPromotion(entry.statement.predicate);
  const reasons = await checkSealed(home, entry, promotion, promotionObjects(promotion), authority);
  if (promotion.model.featurePipeline !== undefined) {
    reasons.push(...(await pipelineReasons(home, promotion.model.featurePipeline, authority)));
  }
  return { entry, promotion, reasons };
}

/** The same checks for a feature-pipeline promotion entry. */
export async function checkPipelinePromotion(
  home: Home,
  entry: OpenedEntry,
  authority: AuthorityState,
): Promise<PipelinePromotionCheck> {
  const promotion = readPipelinePromotion(entry.statement.predicate);
  const reasons = await checkSealed(home, entry, promotion, pipelinePromotionObjects(promotion), authority);
  return { entry, promotion, reasons };
}

async function checkSealed(
  home: Home,
  entry: OpenedEntry,
  promotion: SealedDecision,
  objects: readonly Digest[],
  authority: AuthorityState,
): Promise<Reason[]> {
  const reasons: Reason[] = [];
  try {
    const stored = await home.ledger.checkpoint();
    const checkpoint = openCheckpoint(stored.note, home.config.origin, home.logPublicKey);
    if (entry.index >= checkpoint.size) {
      reasons.push({
        code: 'PROOF_FAILED',
        message: `entry ${entry.index} is not under the checkpoint of size ${checkpoint.size}`,
      });
    } else {
      const proof = await home.ledger.proveInclusion(entry.index, checkpoint.size);
      verifyInclusion(entry.leafHash, entry.index, checkpoint.size, proof, checkpoint.rootHash);
    }
  } catch (error) {
    reasons.push(reasonOf(error, 'inclusion under the signed checkpoint'));
  }
  let policy: Policy | undefined;
  if (promotion.route.policy !== undefined) {
    try {
      policy = await readPolicyObject(home, promotion.route.policy);
    } catch (error) {
      reasons.push(reasonOf(error, `the sealed policy ${promotion.route.policy}`));
    }
  }
  reasons.push(...promotionReasons(entry, promotion, authority, policy));
  const revocation = await findRevocation(home, entry.id);
  if (revocation)
    reasons.push({ code: 'REVOKED', message: `the promotion was revoked by entry ${revocation}` });
  for (const digest of new Set(objects)) {
    try {
      for await (const chunk of home.objects.getStream(digest)) void chunk;
    } catch (error) {
      reasons.push(
        error instanceof SignetError && error.code === 'NOT_FOUND'
          ? { code: 'OBJECT_MISSING', message: `sealed object ${digest} is missing` }
          : reasonOf(error, `sealed object ${digest}`),
      );
    }
  }
  return reasons;
}

/**
 * Why the feature-pipeline promotion a model promotion references does not hold: missing, another kind
 * of entry, revoked, or not verifying (request, approvals, authority, requirement). Empty when it holds.
 */
async function pipelineReasons(home: Home, ref: Digest, authority: AuthorityState): Promise<Reason[]> {
  const stored = await home.ledger.find(ref);
  if (!stored) {
    return [
      {
        code: 'PIPELINE_MISSING',
        message: `the feature-pipeline promotion ${ref} it consumes is not in the log`,
      },
    ];
  }
  const entry = openEntry(stored.envelope, home.logPublicKey);
  if (entry.kind !== PIPELINE_PROMOTION_KIND) {
    return [
      {
        code: 'PIPELINE_MISSING',
        message: `entry ${ref}, named as its feature-pipeline promotion, is a ${entry.kind} entry`,
      },
    ];
  }
  try {
    const check = await checkPipelinePromotion(home, entry, authority);
    return check.reasons.map((r) => ({
      code: r.code === 'REVOKED' ? 'PIPELINE_REVOKED' : r.code,
      message: `the feature-pipeline promotion ${ref}: ${r.message}`,
    }));
  } catch (error) {
    return [reasonOf(error, `the feature-pipeline promotion ${ref}`)];
  }
}

export interface GateResult {
  readonly allow: boolean;
  readonly model: Digest;
  readonly context: string;
  readonly promotion?: Digest;
  readonly reasons: readonly Reason[];
  /** The deployment entry appended before this answer. */
  readonly deployment: Digest;
  readonly deploymentIndex: number;
}

/** Who asked the gate, as the server authenticated them: recorded in the deployment entry. */
export interface GateRequester {
  readonly identity: string;
  /** How they authenticated: an API token or a browser session. */
  readonly via: 'token' | 'session';
}

export interface GateOptions {
  /** The verification cache to answer from and fill; by default the home's own (`gateCacheOf`). */
  readonly cache?: GateCache;
  /**
   * The authenticated caller (`signet serve`), sealed in the deployment entry as `requestedBy`. Absent
   * for `signet gate` on the home itself: whoever can run it there holds the log key.
   */
  readonly requestedBy?: GateRequester;
}

export async function gate(
  home: Home,
  model: Digest,
  context: string,
  options: GateOptions = {},
): Promise<GateResult> {
  const cache = options.cache ?? gateCacheOf(home);
  const { ledger } = home;
  // A cached allow is appended on the condition that nothing since its verification could change the
  // verdict, checked by the ledger under its write lock: no read of the log first (a round trip on
  // PostgreSQL), and no entry committed between a read and the append (by another server or process)
  // can be missed.
  const held = cache.candidate(model, context);
  if (held !== undefined) {
    const decision: Decision = { allow: true, promotion: held.promotion, reasons: [] };
    let entry: SealedEntry | undefined;
    try {
      entry = await ledger.appendIf(deploymentDraft(model, context, decision, options.requestedBy), {
        since: held.since,
        kinds: VERDICT_NEUTRAL_KINDS,
      });
    } catch (error) {
      if (!(error instanceof SignetError && error.code === 'APPEND_CONDITION_FAILED')) throw error;
    }
    cache.settle(held, entry?.index);
    if (entry !== undefined) return resultOf(model, context, decision, entry);
  }
  const decision = await decideInFull(home, cache, model, context);
  const draft = deploymentDraft(model, context, decision, options.requestedBy);
  return resultOf(model, context, decision, await ledger.append(draft));
}

/** The full check (shared with the requests that miss together), failing closed. */
async function decideInFull(home: Home, cache: GateCache, model: Digest, context: string): Promise<Decision> {
  try {
    const shared = await fullChecksOf(cache)({ home, cache, model, context });
    return { ...shared, reasons: [...shared.reasons] };
  } catch (error) {
    return failClosed(error);
  }
}

/** Fail closed: whatever went wrong, the answer is no. */
function failClosed(error: unknown): Decision {
  return { allow: false, reasons: [reasonOf(error, 'the gate could not decide')] };
}

function deploymentDraft(
  model: Digest,
  context: string,
  decision: Decision,
  requestedBy: GateRequester | undefined,
): EntryDraft {
  return {
    subject: [subjectOf('model', model)],
    predicateType: predicateTypeOf(DEPLOYMENT_KIND),
    predicate: {
      model,
      context,
      decision: decision.allow ? 'allow' : 'deny',
      ...(decision.promotion ? { promotion: decision.promotion } : {}),
      reasons: decision.reasons.map((r) => ({ ...r })),
      ...(requestedBy ? { requestedBy: { identity: requestedBy.identity, via: requestedBy.via } } : {}),
    },
  };
}

function resultOf(model: Digest, context: string, decision: Decision, entry: SealedEntry): GateResult {
  return {
    allow: decision.allow,
    model,
    context,
    ...(decision.promotion ? { promotion: decision.promotion } : {}),
    reasons: decision.reasons,
    deployment: entry.id,
    deploymentIndex: entry.index,
  };
}

interface Decision {
  allow: boolean;
  promotion?: Digest;
  reasons: Reason[];
}

interface CheckArgs {
  readonly home: Home;
  readonly cache: GateCache;
  readonly model: Digest;
  readonly context: string;
}

const fullChecks = new WeakMap<GateCache, (args: CheckArgs) => Promise<Decision>>();

/**
 * The full checks of one cache's log, shared (fresh-read.ts): requests for the same model and context
 * that miss while no check of it has been sent share the next one, allow or deny (a deny is never
 * cached, so a burst of denied requests would otherwise run one check each). One that arrives while a
 * check runs waits for the next, never that one's answer: the running check may have read the log
 * before a revocation this request must see.
 */
function fullChecksOf(cache: GateCache): (args: CheckArgs) => Promise<Decision> {
  let checks = fullChecks.get(cache);
  if (checks === undefined) {
    checks = coalesceReads(fullCheck, (args) => `${args.model} ${args.context}`);
    fullChecks.set(cache, checks);
  }
  return checks;
}

/** The full check, remembered by the cache when it allows. */
async function fullCheck({ home, cache, model, context }: CheckArgs): Promise<Decision> {
  // Read before the check: whatever is appended while it runs is read by the next request.
  const size = await home.ledger.size();
  const decision = await decide(home, model, context);
  if (decision.allow && decision.promotion !== undefined) {
    cache.remember(model, context, decision.promotion, size);
  }
  return decision;
}

async function decide(
  home: Home,
  model: Digest,
  context: string,
): Promise<{ allow: boolean; promotion?: Digest; reasons: Reason[] }> {
  const authority = await loadAuthority(home);
  const forModel: OpenedEntry[] = [];
  for await (const stored of home.ledger.entriesOfKinds([PROMOTION_KIND])) {
    const entry = openEntry(stored.envelope, home.logPublicKey);
    if (readPromotion(entry.statement.predicate).model.digest === model) forModel.push(entry);
  }
  if (forModel.length === 0) {
    return {
      allow: false,
      reasons: [{ code: 'NO_PROMOTION', message: `no sealed promotion exists for model ${model}` }],
    };
  }
  const forContext = forModel.filter((e) => readPromotion(e.statement.predicate).context === context);
  if (forContext.length === 0) {
    const contexts = [...new Set(forModel.map((e) => readPromotion(e.statement.predicate).context))];
    return {
      allow: false,
      reasons: [
        {
          code: 'WRONG_CONTEXT',
          message: `model ${model} is promoted for ${contexts.join(', ')}, not for ${context}`,
        },
      ],
    };
  }
  const reasons: Reason[] = [];
  // Newest first: a later valid promotion allows even if an older one was revoked.
  for (const entry of forContext.reverse()) {
    const check = await checkPromotion(home, entry, authority);
    if (check.reasons.length === 0) return { allow: true, promotion: entry.id, reasons: [] };
    reasons.push(
      ...check.reasons.map((r) => ({ code: r.code, message: `promotion ${entry.id}: ${r.message}` })),
    );
  }
  return { allow: false, reasons };
}

export function reasonOf(error: unknown, what: string): Reason {
  return error instanceof SignetError
    ? { code: error.code, message: `${what}: ${error.message}` }
    : { code: 'INTERNAL', message: `${what}: ${error instanceof Error ? error.message : String(error)}` };
}
