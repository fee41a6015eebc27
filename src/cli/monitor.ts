// `signet monitor`: population-shift monitoring. `ingest` counts scoring traffic (CSV or NDJSON, a file
// or standard input) in the reference bins sealed with the model's promotion, computes PSI and
// chi-square per window and feature, and flags in the log each window that reaches the policy's material
// threshold; `status` shows what has been counted and judged so far.
import { stat } from 'node:fs/promises';

import type { Command } from 'commander';

import { ingestTraffic, monitorStatus, type IngestTrafficResult, type WindowResult } from '../app/monitor.js';
import { InputError } from '../errors.js';
import type { WindowSize } from '../monitor/ingest.js';
import type { MonitorStatus, StatusPoint } from '../monitor/types.js';
import { withHome } from './home-context.js';
import { printJson, type Output } from './output.js';
import { createProgress } from './progress.js';

interface IngestOptions {
  model: string;
  context: string;
  format?: string;
  window: string;
  timestampColumn?: string;
  scoreColumn?: string;
  json?: boolean;
}

export function registerMonitorCommands(program: Command, out: Output): void {
  const monitor = program
    .command('monitor')
    .description(
      'Population-shift monitoring: PSI of scoring traffic against the reference bins sealed at promotion',
    );

  monitor
    .command('ingest')
    .description(
      "Count scoring traffic in the reference bins sealed with the model's promotion in the context, per\n" +
        'window of time, and compute PSI and chi-square per window and feature on everything counted so far.\n' +
        "A window whose PSI reaches the policy's material threshold, with at least the minimum rows, is\n" +
        'flagged in the log (once per window and feature), and the next promotion of the model routes material.\n' +
        'Rows that cannot be read, or have no readable timestamp, are counted and reported, never dropped\n' +
        'silently. Memory stays constant whatever the size of the input.',
    )
    .argument('<file>', 'the traffic: a CSV file with a header, an NDJSON file, or - for standard input')
    .requiredOption('--model <name>', 'the model name')
    .requiredOption('--context <context>', 'the deployment context the traffic was scored in')
    .option('--format <format>', 'csv or ndjson (default: from the file extension; csv for -)')
    .option('--window <size>', 'the window of time: hour or day', 'day')
    .option(
      '--timestamp-column <column>',
      "each row's time (RFC 3339, with an offset); without it, rows fall in the window they arrive in",
    )
    .option(
      '--score-column <column>',
      "the traffic's score column, when it is not named as in the evaluation dataset",
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  signet monitor ingest --model credit-scorecard --context retail-credit/uk \\\n' +
        '      --timestamp-column scored_at --window hour traffic.csv\n' +
        '  kafka-consumer ... | signet monitor ingest --model credit-scorecard --context retail-credit/uk \\\n' +
        '      --format ndjson -',
    )
    .action(async (file: string, opts: IngestOptions) => {
      out.json = Boolean(opts.json);
      const format = formatOf(file, opts.format);
      const window = windowOf(opts.window);
      const total = file === '-' ? 0 : await sizeOf(file);
      const progress = createProgress(out, !opts.json, 'ingesting');
      const result = await withHome(async (home) => {
        try {
          return await ingestTraffic(home, {
            model: opts.model,
            context: opts.context,
            source: file === '-' ? process.stdin : file,
            format,
            window,
            ...(opts.timestampColumn !== undefined ? { timestampColumn: opts.timestampColumn } : {}),
            ...(opts.scoreColumn !== undefined ? { scoreColumn: opts.scoreColumn } : {}),
            onProgress: (bytes) => progress.update(bytes, total),
          });
        } finally {
          progress.stop();
        }
      });
      if (opts.json) return printJson(out, result);
      out.stdout(describeIngestion(file, result));
    });

  monitor
    .command('status')
    .description(
      'PSI, chi-square p-value and level of every window counted so far, per feature and for the score,\n' +
        'against the promotion in force in each context, and the population-shift flags recorded since it.',
    )
    .requiredOption('--model <name>', 'the model name')
    .option('--context <context>', 'one deployment context (default: every context with reference bins)')
    .option('--windows <n>', 'how many of the latest windows to show per feature (text output)', '5')
    .option('--json', 'print the status as JSON (every window)')
    .action(async (opts: { model: string; context?: string; windows: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const shown = Number(opts.windows);
      if (!Number.isSafeInteger(shown) || shown < 1) {
        throw new InputError('INVALID_ARGUMENT', '--windows must be a whole number ≥ 1');
      }
      const statuses = await withHome((home) =>
        monitorStatus(home, {
          model: opts.model,
          ...(opts.context !== undefined ? { context: opts.context } : {}),
        }),
      );
      if (opts.json) return printJson(out, statuses);
      if (statuses.length === 0) {
        out.stdout(
          `${opts.model} has no promotion with reference bins: nothing is monitored yet.\n` +
            '  Reference bins are sealed when the evaluation dataset was registered as a CSV or NDJSON file.\n',
        );
        return;
      }
      out.stdout(statuses.map((status) => describeStatus(status, shown)).join('\n'));
    });
}

function formatOf(file: string, given: string | undefined): 'csv' | 'ndjson' {
  const format = (given ?? (/\.(nd)?jsonl?$/i.test(file) ? 'ndjson' : 'csv')).toLowerCase();
  if (format === 'csv' || format === 'ndjson') return format;
  throw new InputError('INVALID_ARGUMENT', `--format must be csv or ndjson, not ${JSON.stringify(given)}`);
}

function windowOf(given: string): WindowSize {
  if (given === 'hour' || given === 'day') return given;
  throw new InputError('INVALID_ARGUMENT', `--window must be hour or day, not ${JSON.stringify(given)}`);
}

async function sizeOf(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new InputError('INVALID_ARGUMENT', `${file} is not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError('NOT_FOUND', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function describeIngestion(file: string, result: IngestTrafficResult): string {
  const { report } = result;
  const t = report.totals;
  const lines = [
    `Ingested ${file === '-' ? 'standard input' : file} for ${result.model} in ${result.context}`,
    `  against promotion entry ${result.promotion.index} (${result.promotion.entry}), reference bins ${result.reference}`,
    `  rows ${t.rows}: counted ${t.counted}, malformed ${t.malformed.count}, without a readable timestamp ${t.untimed.count}` +
      (t.blankLines > 0 ? ` (and ${t.blankLines} blank lines)` : ''),
  ];
  for (const problem of [...t.malformed.first, ...t.untimed.first]) {
    lines.push(`    line ${problem.line}: ${problem.reason}: ${problem.detail}`);
  }
  const shownProblems = t.malformed.first.length + t.untimed.first.length;
  if (t.malformed.count + t.untimed.count > shownProblems) {
    lines.push(`    … and ${t.malformed.count + t.untimed.count - shownProblems} more`);
  }
  for (const column of report.columns) {
    if (column.missing > 0 || column.unparsable > 0) {
      lines.push(
        `  ${column.name}: ${column.missing} missing, ${column.unparsable} unparsable (counted in its missing bin)`,
      );
    }
  }
  if (result.absent.length > 0) {
    lines.push(`  not in the traffic, so not counted: ${result.absent.join(', ')}`);
  }
  lines.push(thresholdLine(result));
  for (const window of result.windows) lines.push(`  ${windowLine(window)}`);
  if (result.policy === null) {
    lines.push('  No policy is in force: levels use the default thresholds and no flag is recorded.');
  }
  const appended = result.flags.filter((f) => f.appended);
  if (result.flags.length > 0) {
    lines.push(
      `Flags: ${appended.length} recorded now, ${result.flags.length - appended.length} already in the log. ` +
        `The next promotion of ${result.model} routes material.`,
    );
  }
  return lines.join('\n') + '\n';
}

function thresholdLine(judged: {
  thresholds: { warn?: number; material: number };
  minimumCount: number;
}): string {
  const warn = judged.thresholds.warn !== undefined ? `, warn ≥ ${judged.thresholds.warn}` : '';
  return `PSI per window (material ≥ ${judged.thresholds.material}${warn}; windows under ${judged.minimumCount} rows raise no flag):`;
}

function windowLine(point: WindowResult): string {
  const flag = point.flag ? `  flagged: entry ${point.flag.index} ${point.flag.entry}` : '';
  return `${point.window}  ${point.feature}${point.role === 'score' ? ' (score)' : ''}  ${pointText(point)}${flag}`;
}

function pointText(point: StatusPoint): string {
  const psi = point.psi === null ? 'PSI -' : `PSI ${point.psi.toFixed(4)}`;
  const p =
    point.pValue === null
      ? 'p -'
      : `p ${point.pValue >= 0.001 ? point.pValue.toFixed(3) : point.pValue.toExponential(1)}`;
  return `${psi}  ${p}  n ${point.n}  ${point.level.toUpperCase()}`;
}

function describeStatus(status: MonitorStatus, shown: number): string {
  const lines = [
    `${status.model} in ${status.context}: measured against promotion entry ${status.promotion.index} (${status.promotion.entry})`,
    `  reference bins ${status.reference}; policy ${status.policy ?? 'none in force (flags are not recorded)'}`,
    `  ${status.windows.length} window${status.windows.length === 1 ? '' : 's'} counted` +
      (status.windows.length > 0 ? `, ${status.windows[0]} to ${status.windows.at(-1)}` : ''),
    thresholdLine(status),
  ];
  for (const series of status.series) {
    lines.push(`  ${series.name}${series.role === 'score' ? ' (score)' : ''}`);
    if (series.points.length === 0) lines.push('    no traffic counted');
    for (const point of series.points.slice(-shown)) {
      const flag = point.flag ? `  flagged: entry ${point.flag.index}` : '';
      lines.push(`    ${point.window}  ${pointText(point)}${flag}`);
    }
  }
  if (status.flags.length > 0) {
    lines.push(`  Flags since the promotion (the next promotion routes material):`);
    for (const flag of status.flags) {
      lines.push(
        `    entry ${flag.index} ${flag.entry}: ${flag.feature} over ${flag.window}, PSI ${flag.psi.toFixed(4)}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}
