import type { Command } from 'commander';
import { stringify } from 'yaml';

import { applyPolicy, showPolicy } from '../app/policy.js';
import { tryRoute } from '../app/try-route.js';
import { loadUserSigner } from '../app/user-keys.js';
import { describeRequirement } from '../gate/verify-promotion.js';
import type { Bands } from '../policy/index.js';
import { withHome } from './home-context.js';
import { printJson, type Output } from './output.js';

export function registerPolicyCommands(program: Command, out: Output): void {
  const policy = program
    .command('policy')
    .description(
      'The materiality policy: which promotions take the low path (one on-call approval) and which go to\n' +
        'committee (schemas/policy.v1.schema.json)',
    );

  policy
    .command('apply')
    .description(
      'Check a policy document (YAML or JSON), store it as an object and append a policy entry signed by\n' +
        'an admin; promotions proposed from then on are routed by it. Every problem is reported at once,\n' +
        'each at its path (exit 2).',
    )
    .argument('<file>', 'the policy document, YAML or JSON')
    .requiredOption('--as <admin>', 'the admin who signs the policy entry')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { as: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const signer = await loadUserSigner(opts.as);
      const applied = await withHome((home) => applyPolicy(home, file, { identity: opts.as, signer }));
      if (opts.json) {
        return printJson(out, {
          entry: applied.entry.id,
          index: applied.entry.index,
          time: applied.entry.time,
          policy: applied.policy,
          version: applied.version,
        });
      }
      out.stdout(
        `applied policy version ${applied.version} ${applied.policy}: entry ${applied.entry.index} ${applied.entry.id}\n`,
      );
    });

  policy
    .command('show')
    .description(
      'Print the policy in force (the latest policy entry), or with --model how it applies to one model',
    )
    .option('--model <name>', 'the model name: print the defaults with its section laid over them')
    .option('--json', 'print as JSON')
    .action(async (opts: { model?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const view = await withHome((home) => showPolicy(home, opts.model));
      if (opts.json) return printJson(out, view);
      const header =
        `policy version ${view.version} ${view.policy}\n` +
        `  applied by ${view.appliedBy}: entry ${view.index} ${view.entry} (${view.time})\n`;
      if (view.effective) {
        const { modelName, ...effective } = view.effective;
        out.stdout(`${header}as it applies to ${modelName}:\n${stringify(effective)}`);
        return;
      }
      out.stdout(`${header}${stringify(view.document)}`);
    });

  policy
    .command('test')
    .description(
      'Show how a registered candidate would be routed under the policy in force — the route, the tier,\n' +
        'every reason with its numbers and what it would need from approvers — without proposing it',
    )
    .requiredOption('--model <digest>', 'the registered candidate model digest')
    .requiredOption('--dataset <digest>', 'the registered evaluation dataset digest')
    .requiredOption('--metrics <file>', 'metrics JSON (schemas/metrics.v1.schema.json)')
    .requiredOption('--context <context>', 'the deployment context, e.g. retail-credit/uk')
    .option('--feature-pipeline <entry>', 'the feature-pipeline promotion the model consumes (entry id)')
    .option('--json', 'print as JSON')
    .action(
      async (opts: {
        model: string;
        dataset: string;
        metrics: string;
        context: string;
        featurePipeline?: string;
        json?: boolean;
      }) => {
        out.json = Boolean(opts.json);
        const result = await withHome((home) =>
          tryRoute(home, {
            model: opts.model,
            dataset: opts.dataset,
            metricsFile: opts.metrics,
            context: opts.context,
            ...(opts.featurePipeline !== undefined ? { featurePipeline: opts.featurePipeline } : {}),
          }),
        );
        if (opts.json) return printJson(out, result);
        const reasons =
          result.reasons.length === 0
            ? result.route.reasons.map((r) => `  - ${r}\n`).join('')
            : result.reasons.map((r) => `  - [${r.rule}] ${r.message}\n`).join('');
        out.stdout(
          `route     ${result.materiality}, tier ${result.tier}\n` +
            `needs     ${describeRequirement(result.requirement)}\n` +
            `policy    version ${result.policy.version} ${result.policy.digest} (entry ${result.policy.entry})\n` +
            `previous  ${result.previous ?? 'none (first promotion)'}\n` +
            `reasons\n${reasons}` +
            `bands for the next promotion\n${describeBands(result.bandsForNext)}`,
        );
      },
    );
}

/** `  auc: absolute down 0.02, up 0.05; relative down 5%`, one metric a line. */
export function describeBands(bands: Bands): string {
  const metrics = Object.keys(bands).sort();
  if (metrics.length === 0) return '  (none)\n';
  return metrics
    .map((metric) => {
      const band = bands[metric]!;
      const parts: string[] = [];
      for (const kind of ['absolute', 'relative'] as const) {
        const limits = band[kind];
        if (!limits) continue;
        const sides = (['down', 'up'] as const)
          .filter((d) => limits[d] !== undefined)
          .map((d) => `${d} ${limits[d]!}`);
        parts.push(`${kind} ${sides.join(', ')}`);
      }
      return `  ${metric}: ${parts.join('; ')}\n`;
    })
    .join('');
}
