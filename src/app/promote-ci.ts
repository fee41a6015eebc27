// `signet promote`: one command from CI for the low path. It registers the model and the evaluation
// dataset, routes the candidate under the policy in force and, on the low path, leaves the challenger to
// `propose` (the incumbent: the latest promotion of the model name) and may generate the request from a
// template that quotes the numbers. The draft itself is made by `propose`, so it is frozen and rendered
// exactly as a hand-made proposal is. On the material path a person writes the request and names the
// challenger: without them nothing is proposed (exit 3), and `propose` refuses a generated request too.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { InputError } from '../errors.js';
import { isRecord } from '../ledger/entry.js';
import { APPROVER_REQUIREMENT, type ApprovalRequirement } from '../gate/verify-promotion.js';
import type { Reason } from '../policy/index.js';
import { collectProblems, parseMetrics, type Metrics, type SourcedProblem } from '../promotion/inputs.js';
import { GENERATED_REQUEST_MARKER } from '../promotion/request.js';
import type { RouteRef } from '../promotion/types.js';
import type { Digest } from '../signing/digest.js';
import { loadAuthority } from './authority.js';
import type { Home } from './home.js';
import { findPolicyInForce, requirementOfSealedRoute } from './policy.js';
import {
  DEFAULT_ROUTE,
  assertContext,
  findPreviousPromotion,
  propose,
  type Actor,
  type ProposeResult,
} from './promote.js';
import { readInput, registerDataset, registerModel } from './register.js';
import { tryRoute } from './try-route.js';

// The marker lives beside the request checks, where approval and sealing refuse a generated request.
export { GENERATED_REQUEST_MARKER } from '../promotion/request.js';

export interface PromoteCiOptions {
  readonly modelPath: string;
  readonly name: string;
  readonly class?: string;
  readonly family?: string;
  readonly hyperparametersFile?: string;
  readonly inputContractFile?: string;
  readonly datasetPath: string;
  readonly metricsFile: string;
  readonly explanationFiles: readonly string[];
  readonly context: string;
  /** A request written by a person; without it one is generated (low path only). */
  readonly requestFile?: string;
  /** A challenger entry id or model digest; default on the low path: the incumbent. */
  readonly challenger?: string;
  /** Entry id of the feature-pipeline promotion the model consumes. */
  readonly featurePipeline?: string;
  /** The evaluation dataset's score column (default `score`, when it has one). */
  readonly scoreColumn?: string;
  readonly as: Actor;
}

export interface PromoteCiResult {
  readonly model: { readonly name: string; readonly digest: Digest };
  readonly dataset: { readonly label: string; readonly digest: Digest };
  readonly context: string;
  readonly materiality: 'low' | 'material';
  readonly route: RouteRef;
  /** Every reason with the values that fired it (rule and message); the route's text when none. */
  readonly reasons: readonly string[];
  readonly requirement: ApprovalRequirement;
  /**
   * The challenger (an entry id, or a baseline's digest): as given, or on the low path the incumbent.
   * Undefined when a material promotion named none.
   */
  readonly challenger?: string;
  /** The model's latest promotion, if any. */
  readonly incumbent?: string;
  readonly generatedRequest: boolean;
  /** The draft, when one was made (on the low path; on the material path with --request and --challenger). */
  readonly proposal?: ProposeResult;
  /** Material without a request written by a person or a named challenger: nothing was proposed. */
  readonly refusal?: string;
  /** Who may approve the draft now (holders of the on-call role for the model). */
  readonly approvers: readonly string[];
}

export async function promoteCi(home: Home, options: PromoteCiOptions): Promise<PromoteCiResult> {
  assertContext(options.context);
  // Check the metrics before anything is stored, so a bad file leaves no registration behind.
  const problems: SourcedProblem[] = [];
  const metrics = collectProblems(
    problems,
    '--metrics',
    parseMetrics(await readInput(options.metricsFile, '--metrics')),
  );
  if (!metrics) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `the metrics file has problems:\n${problems.map((p) => `- ${p.path} ${p.message}`).join('\n')}`,
      { details: { problems } },
    );
  }
  const model = await registerModel(home, options.modelPath, {
    name: options.name,
    ...(options.class !== undefined ? { class: options.class } : {}),
    ...(options.family !== undefined ? { family: options.family } : {}),
    ...(options.hyperparametersFile !== undefined
      ? { hyperparametersFile: options.hyperparametersFile }
      : {}),
    ...(options.inputContractFile !== undefined ? { inputContractFile: options.inputContractFile } : {}),
  });
  const dataset = await registerDataset(home, options.datasetPath, { label: baseName(options.datasetPath) });

  // Route first: whether a generated request may be used depends on the route.
  const inForce = await findPolicyInForce(home);
  let route: RouteRef = DEFAULT_ROUTE;
  let reasons: readonly string[] = DEFAULT_ROUTE.reasons;
  let requirement: ApprovalRequirement = APPROVER_REQUIREMENT;
  if (inForce) {
    const tried = await tryRoute(home, {
      model: model.record.digest,
      dataset: dataset.record.digest,
      metricsFile: options.metricsFile,
      context: options.context,
      ...(options.featurePipeline !== undefined ? { featurePipeline: options.featurePipeline } : {}),
    });
    route = tried.route;
    requirement = tried.requirement;
    reasons =
      tried.reasons.length > 0 ? tried.reasons.map((r: Reason) => `[${r.rule}] ${r.message}`) : route.reasons;
  }
  const incumbent = await findPreviousPromotion(home, model.record.name);
  // On the low path propose fills in the incumbent; a material promotion names its own challenger.
  const challenger = options.challenger ?? (route.materiality === 'low' ? incumbent : undefined);
  const base = {
    model: { name: model.record.name, digest: model.record.digest },
    dataset: { label: dataset.record.label, digest: dataset.record.digest },
    context: options.context,
    materiality: route.materiality,
    route,
    reasons,
    requirement,
    ...(incumbent !== undefined ? { incumbent } : {}),
  };

  if (
    route.materiality === 'material' &&
    (options.requestFile === undefined || options.challenger === undefined)
  ) {
    return {
      ...base,
      ...(challenger !== undefined ? { challenger } : {}),
      generatedRequest: false,
      approvers: [],
      refusal: `this promotion is material: ${materialNeeds(options)}`,
    };
  }

  const generated = options.requestFile === undefined;
  const tmp = generated ? await mkdtemp(path.join(tmpdir(), 'signet-request-')) : undefined;
  try {
    let requestFile = options.requestFile;
    if (tmp !== undefined) {
      requestFile = path.join(tmp, 'request.md');
      await writeFile(
        requestFile,
        generateRequest({
          model: model.record.name,
          digest: model.record.digest,
          context: options.context,
          dataset: dataset.record.label,
          datasetDigest: dataset.record.digest,
          // A low route always has a previous promotion (a first one is material); if not, propose says so.
          incumbent: challenger ?? 'none',
          metrics,
          reasons,
        }),
      );
    }
    let proposal: ProposeResult;
    try {
      proposal = await propose(home, {
        model: model.record.digest,
        ...(options.challenger !== undefined ? { challenger: options.challenger } : {}),
        dataset: dataset.record.digest,
        metricsFile: options.metricsFile,
        explanationFiles: options.explanationFiles,
        requestFile: requestFile!,
        context: options.context,
        ...(options.featurePipeline !== undefined ? { featurePipeline: options.featurePipeline } : {}),
        ...(options.scoreColumn !== undefined ? { scoreColumn: options.scoreColumn } : {}),
        as: options.as,
      });
    } catch (error) {
      // Routed low a moment ago, material now (the log moved): propose refused what was filled in for
      // the low path (the generated request, the incumbent). No draft was made.
      const now = materialRouteOf(error);
      if (now === undefined || (!generated && options.challenger !== undefined)) throw error;
      return {
        ...base,
        materiality: now.materiality,
        route: now,
        reasons: now.reasons,
        requirement: await requirementOfSealedRoute(home, now, model.record.name),
        ...(options.challenger !== undefined ? { challenger: options.challenger } : {}),
        generatedRequest: false,
        approvers: [],
        refusal: `this promotion was routed low a moment ago and is material now (the log moved), so no draft was made: ${materialNeeds(options)}`,
      };
    }
    const approvers =
      proposal.route.materiality === 'low'
        ? await holdersOf(home, proposal.requirement.roles, model.record.name)
        : [];
    return {
      ...base,
      // The draft's sealed route is the one that counts (the log may have moved since we routed).
      materiality: proposal.route.materiality,
      route: proposal.route,
      requirement: proposal.requirement,
      challenger: proposal.challenger.entry ?? proposal.challenger.digest,
      generatedRequest: generated,
      proposal,
      approvers,
    };
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }
}

/** What a person must add before a material promotion can be proposed, as a sentence. */
function materialNeeds(options: PromoteCiOptions): string {
  const needs: string[] = [];
  const flags: string[] = [];
  if (options.requestFile === undefined) {
    needs.push('its request must be written by a person, not generated');
    flags.push('--request FILE (Justification, Scope, Intended deployment, Known limitations)');
  }
  if (options.challenger === undefined) {
    needs.push('its challenger must be named');
    flags.push("--challenger ENTRY|DIGEST (the incumbent's promotion entry id or a baseline model digest)");
  }
  return (
    `${needs.join(', and ')}. Run \`signet promote\` again with ${flags.join(' and ')} ` +
    '(or `signet propose`) to leave a draft for the committee'
  );
}

/** The material route a refused proposal names in its details (propose sets it when known). */
function materialRouteOf(error: unknown): RouteRef | undefined {
  if (!(error instanceof InputError) || !isRecord(error.details?.['route'])) return undefined;
  const route = error.details['route'] as unknown as RouteRef;
  return route.materiality === 'material' ? route : undefined;
}

/** Identities holding one of `roles` for `model` now (a time-bounded grant only inside its window). */
export async function holdersOf(home: Home, roles: readonly string[], model: string): Promise<string[]> {
  const authority = await loadAuthority(home);
  const position = { size: await home.ledger.size(), time: new Date().toISOString() };
  const holders = new Set<string>();
  for (const grant of authority.allGrants()) {
    if (!roles.includes(grant.role)) continue;
    if (authority.grantAt(grant.identity, grant.role, model, position)) holders.add(grant.identity);
  }
  return [...holders].sort();
}

interface RequestFacts {
  readonly model: string;
  readonly digest: Digest;
  readonly context: string;
  readonly dataset: string;
  readonly datasetDigest: Digest;
  readonly incumbent: string;
  readonly metrics: Metrics;
  readonly reasons: readonly string[];
}

/** The request of a scheduled retrain, quoting the numbers: the four sections a request needs. */
export function generateRequest(facts: RequestFacts): string {
  const names = [
    ...new Set([...Object.keys(facts.metrics.candidate), ...Object.keys(facts.metrics.challenger)]),
  ]
    .sort()
    .map((m) => {
      const candidate = facts.metrics.candidate[m];
      const challenger = facts.metrics.challenger[m];
      const delta =
        typeof candidate === 'number' && typeof challenger === 'number'
          ? ` (${candidate - challenger >= 0 ? '+' : ''}${(candidate - challenger).toFixed(4)})`
          : '';
      return `- ${m}: candidate ${candidate ?? '—'}, incumbent ${challenger ?? '—'}${delta}`;
    });
  return [
    GENERATED_REQUEST_MARKER,
    '',
    `# Scheduled retrain of ${facts.model}`,
    '',
    '## Justification',
    `A scheduled retrain of ${facts.model} on fresh data, measured on "${facts.dataset}" (${facts.datasetDigest}) against the incumbent promotion ${facts.incumbent}:`,
    '',
    ...names,
    '',
    'The route under the materiality policy:',
    '',
    ...facts.reasons.map((r) => `- ${r}`),
    '',
    '## Scope',
    `The model ${facts.model} (${facts.digest}) replaces the incumbent in ${facts.context}; nothing else changes.`,
    '',
    '## Intended deployment',
    `${facts.context}, as the incumbent is deployed, once sealed and allowed by the gate.`,
    '',
    '## Known limitations',
    'Those of the incumbent: this request was generated and says nothing a person has checked beyond the numbers above.',
    '',
  ].join('\n');
}

function baseName(file: string): string {
  const trimmed = file.replace(/[\\/]+$/, '');
  const parts = trimmed.split(/[\\/]/);
  return parts[parts.length - 1] || file;
}
