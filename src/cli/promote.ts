// `signet promote`: the one command CI runs for a promotion. Exit 0 low path (the draft waits for the
// on-call approver; with --wait: sealed), 1 rejected (--wait), 2 bad input, an error or a --wait timeout,
// 3 material (the reasons; the committee decides).
import type { Command } from 'commander';

import { openDraft } from '../app/decide.js';
import { promoteCi, type PromoteCiResult } from '../app/promote-ci.js';
import { loadUserSigner } from '../app/user-keys.js';
import { EXIT_ERROR, EXIT_NO, EXIT_OK, InputError } from '../errors.js';
import { describeRequirement } from '../gate/verify-promotion.js';
import { withHome } from './home-context.js';
import { printJson, type Output } from './output.js';

/** `signet promote` exits 3 when the promotion is material: it goes to committee. */
export const EXIT_MATERIAL = 3;
const WEBHOOK_TIMEOUT_MS = 5_000;
const POLL_MS = 500;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface PromoteOpts {
  model: string;
  name?: string;
  class?: string;
  family?: string;
  hyperparameters?: string;
  inputContract?: string;
  dataset: string;
  metrics: string;
  explanation: string[];
  context: string;
  as: string;
  request?: string;
  challenger?: string;
  featurePipeline?: string;
  scoreColumn?: string;
  wait?: boolean;
  timeout: string;
  json?: boolean;
}

export function registerPromoteCommand(program: Command, out: Output): void {
  program
    .command('promote')
    .description(
      'One command from CI: register the model and dataset, route the candidate and propose; on the low\n' +
        'path the incumbent is the challenger and the request is generated from the numbers. Low: prints the\n' +
        'approve command for the on-call approver and POSTs it to $SIGNET_WEBHOOK_URL; with --wait, waits\n' +
        'until sealed (exit 0) or rejected (exit 1), or times out (exit 2). Material: exit 3 with the reasons;\n' +
        'a person must write the request (--request) and name the challenger (--challenger), and then the\n' +
        'draft is left for the committee.',
    )
    .requiredOption('--model <path>', 'the model file or folder')
    .option('--name <name>', 'the model name, e.g. credit-scorecard (required)')
    .option('--class <class>', 'the model class, e.g. logistic-regression')
    .option('--family <family>', 'the hyperparameter family (default: the class)')
    .option('--hyperparameters <file>', 'hyperparameters JSON')
    .option('--input-contract <file>', 'input contract JSON (schemas/input-contract.v1.schema.json)')
    .requiredOption('--dataset <path>', 'the evaluation dataset file or folder (labelled by its file name)')
    .requiredOption('--metrics <file>', "metrics JSON naming the dataset's digest")
    .requiredOption('--explanation <file>', 'PNG, SVG, SHAP JSON or HTML; repeat for more', collect)
    .requiredOption('--context <context>', 'the deployment context, e.g. retail-credit/uk')
    .requiredOption('--as <id>', 'the requester (the pipeline identity)')
    .option('--request <file>', 'a request written by a person (default: generated, low path only)')
    .option('--challenger <digest|entry>', 'the challenger (default: the incumbent, the latest promotion)')
    .option('--feature-pipeline <entry>', 'the feature-pipeline promotion the model consumes (entry id)')
    .option(
      '--score-column <column>',
      "the evaluation dataset's column holding the model's score (default: score, when it has one)",
    )
    .option('--wait', 'wait until the draft is sealed or rejected')
    .option('--timeout <seconds>', 'how long --wait waits', '3600')
    .option('--json', 'print the result as JSON')
    .action(async (opts: PromoteOpts) => {
      out.json = Boolean(opts.json);
      if (opts.name === undefined) {
        throw new InputError('INVALID_ARGUMENT', '--name is required: the model name, e.g. credit-scorecard');
      }
      const timeout = Number(opts.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) {
        throw new InputError('INVALID_ARGUMENT', '--timeout must be a positive number of seconds');
      }
      const signer = await loadUserSigner(opts.as);
      const result = await withHome((home) =>
        promoteCi(home, {
          modelPath: opts.model,
          name: opts.name!,
          ...(opts.class !== undefined ? { class: opts.class } : {}),
          ...(opts.family !== undefined ? { family: opts.family } : {}),
          ...(opts.hyperparameters !== undefined ? { hyperparametersFile: opts.hyperparameters } : {}),
          ...(opts.inputContract !== undefined ? { inputContractFile: opts.inputContract } : {}),
          datasetPath: opts.dataset,
          metricsFile: opts.metrics,
          explanationFiles: opts.explanation,
          context: opts.context,
          ...(opts.request !== undefined ? { requestFile: opts.request } : {}),
          ...(opts.challenger !== undefined ? { challenger: opts.challenger } : {}),
          ...(opts.featurePipeline !== undefined ? { featurePipeline: opts.featurePipeline } : {}),
          ...(opts.scoreColumn !== undefined ? { scoreColumn: opts.scoreColumn } : {}),
          as: { identity: opts.as, signer },
        }),
      );
      const draft = result.proposal?.draft;

      if (result.materiality === 'material' || draft === undefined) {
        out.exitCode = EXIT_MATERIAL;
        if (opts.json) printJson(out, view(result));
        else out.stdout(describe(result));
        out.stderr(
          result.refusal !== undefined
            ? `signet: material: ${result.refusal}\n`
            : `signet: material: draft ${draft} is left for the committee (${describeRequirement(result.requirement)})\n`,
        );
        return;
      }

      const approveCommands = (result.approvers.length > 0 ? result.approvers : ['<on-call id>']).map(
        (id) => `signet approve ${draft} --as ${id}`,
      );
      const webhook = await notify(result, draft, approveCommands[0]!, out);
      if (!opts.json) {
        out.stdout(describe(result));
        out.stdout(
          `  the on-call approver runs:\n${approveCommands.map((c) => `    ${c}\n`).join('')}` +
            `  review it: signet review ${draft} -o review.html\n`,
        );
        if (opts.wait) out.stdout(`waiting up to ${timeout} s for ${draft} to be sealed or rejected…\n`);
      }
      const waited = opts.wait ? await waitFor(draft, timeout * 1000) : undefined;
      if (waited) {
        out.exitCode =
          waited.status === 'sealed' ? EXIT_OK : waited.status === 'rejected' ? EXIT_NO : EXIT_ERROR;
      }
      if (opts.json) return printJson(out, { ...view(result), approveCommands, webhook, waited });
      if (waited?.status === 'sealed') out.stdout(`sealed: promotion entry ${waited.entry}\n`);
      else if (waited?.status === 'rejected') out.stdout(`rejected: entry ${waited.entry}\n`);
      else if (waited) out.stderr(`signet: timed out after ${timeout} s: draft ${draft} is still open\n`);
    });
}

function view(result: PromoteCiResult): Record<string, unknown> {
  return {
    ...(result.proposal ? { draft: result.proposal.draft, view: result.proposal.view } : {}),
    materiality: result.materiality,
    model: result.model,
    dataset: result.dataset,
    context: result.context,
    route: result.route,
    reasons: result.reasons,
    requirement: result.requirement,
    ...(result.challenger !== undefined ? { challenger: result.challenger } : {}),
    ...(result.incumbent !== undefined ? { incumbent: result.incumbent } : {}),
    generatedRequest: result.generatedRequest,
    ...(result.refusal !== undefined ? { refusal: result.refusal } : {}),
    approvers: result.approvers,
  };
}

function describe(result: PromoteCiResult): string {
  return (
    `${result.proposal?.draft ?? 'no draft'}\n` +
    `  model ${result.model.name} ${result.model.digest}\n` +
    `  dataset "${result.dataset.label}" ${result.dataset.digest}\n` +
    `  challenger ${result.challenger ?? (result.incumbent === undefined ? 'none (first promotion)' : 'none named (a material promotion must name it)')}\n` +
    `  request ${result.generatedRequest ? 'generated from the numbers' : result.proposal ? 'written by a person' : 'none'}\n` +
    `  route ${result.route.materiality}, tier ${result.route.tier}: needs ${describeRequirement(result.requirement)}\n` +
    result.reasons.map((r) => `    - ${r}\n`).join('')
  );
}

/** POSTs the draft to $SIGNET_WEBHOOK_URL; a failure is a warning, never an error. */
async function notify(
  result: PromoteCiResult,
  draft: string,
  approveCommand: string,
  out: Output,
): Promise<{ status: number | string } | undefined> {
  const url = process.env['SIGNET_WEBHOOK_URL'];
  if (url === undefined || url === '') return undefined;
  const body = {
    draft,
    model: result.model,
    context: result.context,
    route: result.route,
    approveCommand,
  };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    if (!response.ok) out.stderr(`signet: warning: the webhook answered ${response.status}\n`);
    return { status: response.status };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    out.stderr(`signet: warning: the webhook could not be called: ${message}\n`);
    return { status: 'failed' };
  }
}

/** Polls the draft (opening the home each time, so approvers in other processes are seen). */
async function waitFor(
  draft: string,
  timeoutMs: number,
): Promise<{ status: 'sealed' | 'rejected' | 'timeout'; entry?: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await withHome(async (home) => (await openDraft(home, draft)).draft);
    if (row.status === 'sealed' || row.status === 'rejected') {
      return { status: row.status, ...(row.closedBy !== undefined ? { entry: row.closedBy } : {}) };
    }
    if (Date.now() >= deadline) return { status: 'timeout' };
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))),
    );
  }
}
