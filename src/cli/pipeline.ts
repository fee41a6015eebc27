// `signet pipeline`: feature-pipeline promotions. Proposing one hashes the pipeline code, freezes its
// output contract and renders the review document; `signet approve`, `reject`, `review` and `revoke`
// then work on the draft and the sealed entry exactly as for a model.
import type { Command } from 'commander';

import { proposePipeline } from '../app/pipeline.js';
import { loadUserSigner } from '../app/user-keys.js';
import { describeRequirement } from '../gate/verify-promotion.js';
import { withHome } from './home-context.js';
import { printJson, type Output } from './output.js';

export function registerPipelineCommands(program: Command, out: Output): void {
  const pipeline = program
    .command('pipeline')
    .description('Feature-pipeline promotions: the code that computes the features a model consumes');

  pipeline
    .command('propose')
    .description(
      'Hash the pipeline code, freeze its output contract and the request, route the promotion (a changed\n' +
        'output contract is material) and render the review document. Approve it with `signet approve`;\n' +
        'a model promotion then names the sealed entry with `--feature-pipeline ENTRY`.',
    )
    .argument('<path>', 'the pipeline code: a file or a folder')
    .requiredOption('--name <name>', 'the pipeline name, e.g. credit-features')
    .requiredOption(
      '--output-contract <file>',
      'the features it produces, as an input contract JSON (schemas/input-contract.v1.schema.json)',
    )
    .requiredOption('--request <file>', 'the request Markdown, written by a person')
    .requiredOption('--context <context>', 'the deployment context whose models it feeds')
    .requiredOption('--as <id>', 'the requester')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        path: string,
        opts: {
          name: string;
          outputContract: string;
          request: string;
          context: string;
          as: string;
          json?: boolean;
        },
      ) => {
        out.json = Boolean(opts.json);
        const signer = await loadUserSigner(opts.as);
        const result = await withHome((home) =>
          proposePipeline(home, {
            path,
            name: opts.name,
            outputContractFile: opts.outputContract,
            requestFile: opts.request,
            context: opts.context,
            as: { identity: opts.as, signer },
          }),
        );
        if (opts.json) return printJson(out, result);
        out.stdout(
          `${result.draft}\n  pipeline ${result.pipeline}\n  output contract ${result.outputContract}\n` +
            `  view ${result.view}\n` +
            `  route ${result.route.materiality}, tier ${result.route.tier}: needs ${describeRequirement(result.requirement)}\n` +
            result.route.reasons.map((r) => `    - ${r}\n`).join('') +
            `  review it: signet review ${result.draft} -o review.html\n`,
        );
      },
    );
}
