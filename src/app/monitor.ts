// Population-shift monitoring of a promoted model: scoring traffic is counted in the reference bins
// sealed with the model's latest promotion in a context, PSI and chi-square are computed per window and
// feature on everything counted so far, and a window that reaches the policy's material threshold is
// flagged in the log (src/app/monitor-flags.ts) — which makes the model's next promotion material.
//
// Counts are working state (src/store/monitor-counts.ts); the flags are the evidence, each with the
// digest of the counts object it was computed from, stored so that an auditor can recompute the PSI.
import { InputError } from '../errors.js';
import { openEntry } from '../ledger/entry.js';
import { ingest, type IngestReport, type WindowSize } from '../monitor/ingest.js';
import { assertReferenceBins } from '../monitor/reference.js';
import { assessWindow, DEFAULT_PSI_THRESHOLDS, MINIMUM_WINDOW_COUNT } from '../monitor/stats.js';
import type {
  FeatureBins,
  MonitorStatus,
  ReferenceBins,
  StatusPoint,
  StatusSeries,
  WindowCounts,
} from '../monitor/types.js';
import { effectivePolicy, type PsiThresholds } from '../policy/index.js';
import { PROMOTION_KIND, readPromotion } from '../promotion/seal.js';
import type { PromotionPredicate } from '../promotion/types.js';
import { canonicalize, parseJson } from '../signing/canonical-json.js';
import type { Digest } from '../signing/digest.js';
import type { CountsKey } from '../store/monitor-counts.js';
import { findRevocation } from './decide.js';
import { ingestFile } from './ingest-file.js';
import type { Home } from './home.js';
import { recordPopulationShift } from './monitor-flags.js';
import { readObjectWithin } from './objects.js';
import { findPolicyInForce } from './policy.js';
import { assertContext } from './promote.js';
import { POPULATION_SHIFT_KIND } from './route.js';

/** The type of the counts object a flag names: what the statistic was computed from. */
export const WINDOW_COUNTS_TYPE = 'signet-window-counts/v1';
/** The largest reference bins object read (a few KiB per feature; 1000 features fit). */
const MAX_REFERENCE_BYTES = 16 * 1024 * 1024;

/** The promotion whose reference bins a model's traffic in a context is counted in. */
export interface MonitoredPromotion {
  readonly entry: Digest;
  readonly index: number;
  readonly promotion: PromotionPredicate;
  readonly referenceDigest: Digest;
  readonly reference: ReferenceBins;
}

/**
 * The latest promotion of `model` in `context` that is not revoked, with its sealed reference bins.
 * Throws InputError NOT_FOUND when there is none, or when it seals no reference bins (its evaluation
 * dataset was not profiled at registration: only CSV and NDJSON files are).
 */
export async function findMonitoredPromotion(
  home: Home,
  model: string,
  context: string,
): Promise<MonitoredPromotion> {
  assertContext(context);
  const candidates: { entry: Digest; index: number; promotion: PromotionPredicate }[] = [];
  for await (const stored of home.ledger.entriesOfKinds([PROMOTION_KIND])) {
    const entry = openEntry(stored.envelope, home.logPublicKey);
    const promotion = readPromotion(entry.statement.predicate);
    if (promotion.model.name === model && promotion.context === context) {
      candidates.push({ entry: entry.id, index: entry.index, promotion });
    }
  }
  for (const candidate of candidates.reverse()) {
    if ((await findRevocation(home, candidate.entry)) !== undefined) continue;
    const monitoring = candidate.promotion.monitoring;
    if (monitoring === undefined) {
      throw new InputError(
        'NOT_FOUND',
        `the promotion of ${model} in ${context} (entry ${candidate.index}, ${candidate.entry}) seals no reference bins: ` +
          'its evaluation dataset was not profiled at registration (register it as a CSV or NDJSON file), so there is nothing to measure traffic against',
        { details: { model, context, entry: candidate.entry } },
      );
    }
    return {
      ...candidate,
      referenceDigest: monitoring.reference,
      reference: await readReferenceBins(home, monitoring.reference),
    };
  }
  throw new InputError(
    'NOT_FOUND',
    `no promotion of ${model} in ${context} is in force: traffic is measured against the reference bins sealed with one`,
    { details: { model, context } },
  );
}

/** Reads and checks a reference bins object. */
export async function readReferenceBins(home: Home, digest: Digest): Promise<ReferenceBins> {
  const bytes = await readObjectWithin(home.objects, digest, MAX_REFERENCE_BYTES);
  if (bytes === undefined) {
    throw new InputError('INVALID_ARGUMENT', `the reference bins object ${digest} is too large`);
  }
  const value = parseJson(bytes, `the reference bins object ${digest}`);
  assertReferenceBins(value);
  return value;
}

export interface IngestTrafficOptions {
  readonly model: string;
  readonly context: string;
  /** The traffic as a stream, or the path of a file (a large CSV file is then read on several threads). */
  readonly source: AsyncIterable<Uint8Array> | string;
  readonly format: 'csv' | 'ndjson';
  /** Default `day`. */
  readonly window?: WindowSize;
  /** Each row's window from this column (RFC 3339); without it, from the arrival time. */
  readonly timestampColumn?: string;
  /** The traffic's score column, when it is not named as in the evaluation dataset. */
  readonly scoreColumn?: string;
  /** The arrival clock (default: the system's). */
  readonly arrival?: () => Date;
  readonly onProgress?: (bytes: number, rows: number) => void;
}

/** One feature's statistics in one window after an ingestion, and what was done about them. */
export interface WindowResult extends StatusPoint {
  readonly feature: string;
  readonly role: 'feature' | 'score';
}

export interface RecordedFlag {
  readonly window: string;
  readonly feature: string;
  readonly psi: number;
  readonly pValue: number;
  readonly entry: Digest;
  readonly index: number;
  /** False when the window and feature were flagged already (by an earlier ingestion). */
  readonly appended: boolean;
  /** The counts object the flag names. */
  readonly counts: Digest;
}

export interface IngestTrafficResult {
  readonly model: string;
  readonly context: string;
  readonly promotion: { readonly entry: Digest; readonly index: number };
  readonly reference: Digest;
  readonly thresholds: PsiThresholds;
  readonly policy: Digest | null;
  readonly minimumCount: number;
  /** What was read: formats, totals, problem rows, per column missing and unparsable counts. */
  readonly report: Omit<IngestReport, 'counts'>;
  /** Features binned in the reference but absent from the traffic's header: not counted at all. */
  readonly absent: readonly string[];
  /** Every window this ingestion added to, with the statistics over all its counts so far. */
  readonly windows: readonly WindowResult[];
  readonly flags: readonly RecordedFlag[];
}

/**
 * Ingests a stream of scoring traffic for `model` in `context`: bins every row in the reference bins of
 * the model's promotion in force there, adds the counts to the stored ones (one transaction), assesses
 * each window it touched on everything counted for it, and flags the ones whose PSI reaches the
 * policy's material threshold (once per window and feature). Without a policy in force, levels are
 * judged against the default thresholds and nothing is flagged: a flag names the policy it applies.
 */
export async function ingestTraffic(home: Home, options: IngestTrafficOptions): Promise<IngestTrafficResult> {
  const monitored = await findMonitoredPromotion(home, options.model, options.context);
  const { reference } = monitored;
  const byColumn = new Map<string, FeatureBins>(reference.features.map((bins) => [bins.name, bins]));
  const scoreColumn = reference.score ? (options.scoreColumn ?? reference.score.name) : undefined;
  if (options.scoreColumn !== undefined && reference.score === undefined) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `--score-column: the promotion's reference bins have no score (its evaluation dataset had no score column)`,
    );
  }
  if (reference.score && scoreColumn !== undefined) {
    if (byColumn.has(scoreColumn)) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `--score-column: ${JSON.stringify(scoreColumn)} is an input feature, not the score`,
      );
    }
    byColumn.set(scoreColumn, reference.score);
  }
  const binsOf = (column: string): FeatureBins => {
    const bins = byColumn.get(column);
    if (!bins) throw new InputError('INVALID_ARGUMENT', `no reference bins for ${JSON.stringify(column)}`);
    return bins;
  };
  const settings = {
    format: options.format,
    features: reference.features.map((bins) => bins.name),
    ...(scoreColumn !== undefined ? { score: scoreColumn } : {}),
    bins: binsOf,
    window: options.window ?? 'day',
    ...(options.timestampColumn !== undefined ? { timestampColumn: options.timestampColumn } : {}),
    arrival: options.arrival ?? (() => new Date()),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  const report: IngestReport =
    typeof options.source === 'string'
      ? await ingestFile(options.source, settings)
      : await ingest({ ...settings, source: options.source });
  const absent = report.columns.filter((c) => !c.present).map((c) => c.name);
  const seriesName = (column: string): string =>
    column === scoreColumn && reference.score ? reference.score.name : column;
  // A column the traffic does not have says nothing about the population: leave it uncounted.
  const counted: WindowCounts[] = report.counts
    .filter((c) => !absent.includes(c.feature))
    .map((c) => ({ ...c, feature: seriesName(c.feature) }));
  const key: CountsKey = {
    model: options.model,
    context: options.context,
    reference: monitored.referenceDigest,
  };
  await home.monitorCounts.add(key, counted);

  const judged = await judgement(home, options.model);
  const touched = new Set(counted.map((c) => `${c.window}\u0000${c.feature}`));
  const stored = await home.monitorCounts.get(key);
  const windows: WindowResult[] = [];
  const flags: RecordedFlag[] = [];
  for (const item of stored) {
    if (!touched.has(`${item.window}\u0000${item.feature}`)) continue;
    const expected = expectedOf(reference, item.feature);
    if (expected === undefined) continue;
    const assessment = assessWindow({
      expected: expected.counts,
      actual: item.counts,
      thresholds: judged.thresholds,
    });
    let flag: StatusPoint['flag'];
    if (
      assessment.level === 'material' &&
      judged.policy !== null &&
      assessment.psi !== null &&
      assessment.pValue !== null
    ) {
      const countsDigest = (
        await home.objects.put(
          canonicalize({
            type: WINDOW_COUNTS_TYPE,
            model: options.model,
            context: options.context,
            reference: monitored.referenceDigest,
            window: item.window,
            feature: item.feature,
            counts: item.counts,
          }),
        )
      ).digest;
      const recorded = await recordPopulationShift(home, {
        model: options.model,
        context: options.context,
        window: item.window,
        feature: item.feature,
        psi: assessment.psi,
        pValue: assessment.pValue,
        rows: assessment.n,
        counts: countsDigest,
        policy: judged.policy,
        threshold: judged.thresholds.material,
      });
      flag = { entry: recorded.entry, index: recorded.index };
      flags.push({
        window: item.window,
        feature: item.feature,
        psi: assessment.psi,
        pValue: assessment.pValue,
        entry: recorded.entry,
        index: recorded.index,
        appended: recorded.appended,
        counts: countsDigest,
      });
    }
    windows.push({
      feature: item.feature,
      role: expected.role,
      ...pointOf(item.window, assessment),
      ...(flag ? { flag } : {}),
    });
  }
  // How many threads read a file is not part of what was read.
  const { counts: _counts, ...rest } = report;
  if ('threads' in rest) delete rest.threads;
  void _counts;
  return {
    model: options.model,
    context: options.context,
    promotion: { entry: monitored.entry, index: monitored.index },
    reference: monitored.referenceDigest,
    thresholds: judged.thresholds,
    policy: judged.policy,
    minimumCount: MINIMUM_WINDOW_COUNT,
    report: rest,
    absent,
    windows,
    flags,
  };
}

export interface MonitorStatusOptions {
  readonly model: string;
  /** Without it: every context the model has a promotion in force with reference bins. */
  readonly context?: string;
}

/**
 * What the monitor knows of `model`: per context, the promotion its traffic is measured against, and for
 * each feature and the score the statistics of every window counted so far, with the flags recorded
 * since that promotion. An empty list when the model has no monitored promotion at all.
 */
export async function monitorStatus(home: Home, options: MonitorStatusOptions): Promise<MonitorStatus[]> {
  const contexts = options.context !== undefined ? [options.context] : await contextsOf(home, options.model);
  const judged = await judgement(home, options.model);
  const result: MonitorStatus[] = [];
  for (const context of contexts) {
    let monitored: MonitoredPromotion;
    try {
      monitored = await findMonitoredPromotion(home, options.model, context);
    } catch (error) {
      // Asked for by name: say why. Listed from the log: a context with nothing to measure is left out.
      if (options.context !== undefined || !(error instanceof InputError)) throw error;
      continue;
    }
    result.push(await statusOf(home, monitored, options.model, context, judged));
  }
  return result;
}

async function statusOf(
  home: Home,
  monitored: MonitoredPromotion,
  model: string,
  context: string,
  judged: Judgement,
): Promise<MonitorStatus> {
  const key: CountsKey = { model, context, reference: monitored.referenceDigest };
  const stored = await home.monitorCounts.get(key);
  const flags = await flagsSince(home, model, context, monitored.index);
  const flagAt = new Map(flags.map((f) => [`${f.window}\u0000${f.feature}`, f]));
  const { reference } = monitored;
  const ordered = [...(reference.score ? [reference.score] : []), ...reference.features];
  const series: StatusSeries[] = ordered.map((bins) => {
    const role = reference.score !== undefined && bins === reference.score ? 'score' : 'feature';
    const points = stored
      .filter((item) => item.feature === bins.name)
      .map((item): StatusPoint => {
        const assessment = assessWindow({
          expected: bins.counts,
          actual: item.counts,
          thresholds: judged.thresholds,
        });
        const flag = flagAt.get(`${item.window}\u0000${item.feature}`);
        return {
          ...pointOf(item.window, assessment),
          ...(flag ? { flag: { entry: flag.entry, index: flag.index } } : {}),
        };
      });
    return { name: bins.name, role, points };
  });
  return {
    model,
    context,
    promotion: { entry: monitored.entry, index: monitored.index },
    reference: monitored.referenceDigest,
    thresholds: judged.thresholds,
    policy: judged.policy,
    minimumCount: MINIMUM_WINDOW_COUNT,
    windows: [...new Set(stored.map((item) => item.window))].sort(),
    series,
    flags,
  };
}

interface Judgement {
  readonly thresholds: PsiThresholds;
  readonly policy: Digest | null;
}

/** The thresholds of the policy in force for the model, or the defaults when there is none. */
async function judgement(home: Home, model: string): Promise<Judgement> {
  const inForce = await findPolicyInForce(home);
  if (!inForce) return { thresholds: DEFAULT_PSI_THRESHOLDS, policy: null };
  return { thresholds: effectivePolicy(inForce.policy, model).psi, policy: inForce.record.policy };
}

function expectedOf(
  reference: ReferenceBins,
  name: string,
): { counts: readonly number[]; role: 'feature' | 'score' } | undefined {
  if (reference.score?.name === name) return { counts: reference.score.counts, role: 'score' };
  const bins = reference.features.find((f) => f.name === name);
  return bins ? { counts: bins.counts, role: 'feature' } : undefined;
}

function pointOf(window: string, assessment: ReturnType<typeof assessWindow>): StatusPoint {
  return {
    window,
    n: assessment.n,
    psi: assessment.psi,
    chiSquare: assessment.chiSquare,
    df: assessment.df,
    pValue: assessment.pValue,
    level: assessment.level,
    reason: assessment.reason,
  };
}

async function contextsOf(home: Home, model: string): Promise<string[]> {
  const contexts = new Set<string>();
  for await (const stored of home.ledger.entriesOfKinds([PROMOTION_KIND])) {
    const promotion = readPromotion(openEntry(stored.envelope, home.logPublicKey).statement.predicate);
    if (promotion.model.name === model && promotion.monitoring) contexts.add(promotion.context);
  }
  return [...contexts].sort();
}

async function flagsSince(
  home: Home,
  model: string,
  context: string,
  after: number,
): Promise<MonitorStatus['flags'][number][]> {
  const flags: MonitorStatus['flags'][number][] = [];
  for await (const stored of home.ledger.entriesOfKinds([POPULATION_SHIFT_KIND])) {
    if (stored.index <= after) continue;
    const entry = openEntry(stored.envelope, home.logPublicKey);
    const p = entry.statement.predicate;
    const named = p['model'];
    const name = typeof named === 'object' && named !== null ? (named as { name?: unknown }).name : named;
    if (name !== model || p['context'] !== context) continue;
    if (typeof p['window'] !== 'string' || typeof p['feature'] !== 'string') continue;
    flags.push({
      entry: entry.id,
      index: entry.index,
      window: p['window'],
      feature: p['feature'],
      psi: typeof p['psi'] === 'number' ? p['psi'] : Number.NaN,
      pValue: typeof p['pValue'] === 'number' ? p['pValue'] : Number.NaN,
    });
  }
  return flags;
}
