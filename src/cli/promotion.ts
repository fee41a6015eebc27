import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';

import { approve, reject, revokePromotion, seal, submitApproval } from '../app/decide.js';
import { gate } from '../app/gate.js';
import { hashArtefact } from '../app/hash-artefact.js';
import { parseEntryRef } from '../app/log.js';
import { assertContext, propose } from '../app/promote.js';
import { registerDataset, registerModel } from '../app/register.js';
import { loadAnyPromotionEntry, replay } from '../app/replay.js';
import { loadUserSigner } from '../app/user-keys.js';
import { loadAuthority } from '../app/authority.js';
import { checkPipelinePromotion, checkPromotion } from '../app/gate.js';
import { PIPELINE_PROMOTION_KIND, type PipelinePromotionPredicate } from '../promotion/pipeline.js';
import { EXIT_NO, InputError } from '../errors.js';
import { describeRequirement } from '../gate/verify-promotion.js';
import { checkBands } from '../policy/index.js';
import type { Approval, PromotionPredicate } from '../promotion/types.js';
import { parseJson } from '../signing/canonical-json.js';
import { isDigest, parseDigest, type Digest } from '../signing/digest.js';
import { withHome } from './home-context.js';
import { printJson, type Output } from './output.js';
import { describeBands } from './policy.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerPromotionCommands(program: Command, out: Output): void {
  program
    .command('model')
    .description('Model artefacts')
    .command('register')
    .description(
      'Hash a model file or folder and store its manifest and a registration record (no event yet)',
    )
    .argument('<path>', 'the model file or folder')
    .requiredOption('--name <name>', 'the model name, e.g. credit-scorecard')
    .option('--class <class>', 'the model class, e.g. logistic-regression')
    .option('--family <family>', 'the hyperparameter family (default: the class)')
    .option('--hyperparameters <file>', 'hyperparameters JSON')
    .option('--input-contract <file>', 'input contract JSON (schemas/input-contract.v1.schema.json)')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        path: string,
        opts: {
          name: string;
          class?: string;
          family?: string;
          hyperparameters?: string;
          inputContract?: string;
          json?: boolean;
        },
      ) => {
        out.json = Boolean(opts.json);
        const result = await withHome((home) =>
          registerModel(home, path, {
            name: opts.name,
            ...(opts.class !== undefined ? { class: opts.class } : {}),
            ...(opts.family !== undefined ? { family: opts.family } : {}),
            ...(opts.hyperparameters !== undefined ? { hyperparametersFile: opts.hyperparameters } : {}),
            ...(opts.inputContract !== undefined ? { inputContractFile: opts.inputContract } : {}),
          }),
        );
        if (opts.json) return printJson(out, { registration: result.registration, ...result.record });
        out.stdout(
          `${result.record.digest}  model ${result.record.name} (${result.record.class}), registration ${result.registration}\n`,
        );
      },
    );

  program
    .command('dataset')
    .description('Evaluation datasets')
    .command('register')
    .description(
      'Hash a dataset file or folder and store a registration record. A CSV or NDJSON file is also\n' +
        'profiled: its rows counted and every column binned (deciles, or categories), so that a promotion\n' +
        'on it seals the reference bins population-shift monitoring measures traffic against.',
    )
    .argument('<path>', 'the dataset file or folder')
    .requiredOption('--label <label>', 'a label for people (the digest is the identity)')
    .option('--format <format>', 'csv, ndjson, parquet… (default: from the file name)')
    .option('--json', 'print the result as JSON')
    .action(async (path: string, opts: { label: string; format?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const result = await withHome((home) =>
        registerDataset(home, path, {
          label: opts.label,
          ...(opts.format !== undefined ? { format: opts.format } : {}),
        }),
      );
      if (opts.json) {
        return printJson(out, {
          registration: result.registration,
          ...result.record,
          ...(result.unprofiled !== undefined ? { unprofiled: result.unprofiled } : {}),
        });
      }
      const rows = result.record.rows !== undefined ? `, ${result.record.rows} rows` : '';
      out.stdout(
        `${result.record.digest}  dataset "${result.record.label}" (${result.record.format}${rows})\n` +
          (result.record.profile !== undefined ? `  profile ${result.record.profile}\n` : ''),
      );
      if (result.unprofiled !== undefined) {
        out.stderr(
          `note: not profiled (${result.unprofiled}): promotions on it seal no reference bins for monitoring\n`,
        );
      }
    });

  program
    .command('propose')
    .description(
      "Create a draft: freeze every input as an object and render the review document (the approver's\n" +
        'screen) before anyone can approve. Every problem with the inputs is reported at once.',
    )
    .requiredOption('--model <digest>', 'the registered candidate model digest')
    .option(
      '--challenger <digest|entry>',
      'the incumbent promotion entry id, or a registered baseline model digest (default on the low\n' +
        "path: the incumbent, the model's latest promotion; a material promotion must name it)",
    )
    .requiredOption('--dataset <digest>', 'the registered evaluation dataset digest')
    .requiredOption('--metrics <file>', 'metrics JSON (schemas/metrics.v1.schema.json)')
    .requiredOption('--explanation <file>', 'PNG, SVG, SHAP JSON or HTML; repeat for more', collect)
    .requiredOption(
      '--request <file>',
      'the request Markdown: Justification, Scope, Intended deployment, Known limitations',
    )
    .requiredOption('--context <context>', 'the deployment context, e.g. retail-credit/uk')
    .option('--feature-pipeline <entry>', 'the feature-pipeline promotion the model consumes (entry id)')
    .option(
      '--score-column <column>',
      "the evaluation dataset's column holding the model's score (default: score, when it has one)",
    )
    .requiredOption('--as <id>', 'the requester')
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: {
        model: string;
        challenger?: string;
        featurePipeline?: string;
        scoreColumn?: string;
        dataset: string;
        metrics: string;
        explanation: string[];
        request: string;
        context: string;
        as: string;
        json?: boolean;
      }) => {
        out.json = Boolean(opts.json);
        const signer = await loadUserSigner(opts.as);
        const result = await withHome((home) =>
          propose(home, {
            model: opts.model,
            ...(opts.challenger !== undefined ? { challenger: opts.challenger } : {}),
            dataset: opts.dataset,
            metricsFile: opts.metrics,
            explanationFiles: opts.explanation,
            requestFile: opts.request,
            context: opts.context,
            ...(opts.featurePipeline !== undefined ? { featurePipeline: opts.featurePipeline } : {}),
            ...(opts.scoreColumn !== undefined ? { scoreColumn: opts.scoreColumn } : {}),
            as: { identity: opts.as, signer },
          }),
        );
        if (opts.json) return printJson(out, result);
        const against = result.challenger;
        out.stdout(
          `${result.draft}\n  view ${result.view}\n` +
            `  challenger ${against.kind} ${against.digest}${against.entry ? ` (promotion ${against.entry})` : ''}` +
            `${opts.challenger === undefined ? ', filled in' : ''}\n` +
            `  route ${result.route.materiality}, tier ${result.route.tier}: needs ${describeRequirement(result.requirement)}\n` +
            result.route.reasons.map((r) => `    - ${r}\n`).join('') +
            `  review it: signet review ${result.draft} -o review.html\n`,
        );
      },
    );

  program
    .command('review')
    .description('Write the stored review document of a draft (the exact bytes an approver signs)')
    .argument('<draft>', 'the draft id')
    .option('-o, --output <file>', 'write to this file (default: standard output)')
    .action(async (id: string, opts: { output?: string }) => {
      const bytes = await withHome(async (home) => {
        const draft = await home.drafts.getDraft(id);
        if (!draft) throw new InputError('NOT_FOUND', `no draft ${JSON.stringify(id)}`);
        return home.objects.get(draft.view);
      });
      if (opts.output !== undefined) await writeFile(opts.output, bytes);
      else out.stdout(Buffer.from(bytes).toString('utf8'));
    });

  program
    .command('approve')
    .description(
      'Sign the canonical approval statement (decision, view digest, model, request, context, identity,\n' +
        "ledger size) for the draft's current view; seals the promotion when the approvals suffice.",
    )
    .argument('<draft>', 'the draft id')
    .requiredOption('--as <id>', 'the approver')
    .option('--approval <file>', 'submit an approval signed elsewhere (JSON) instead of signing here')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { as: string; approval?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const result = await withHome(async (home) => {
        if (opts.approval !== undefined) {
          const approval = parseJson(new Uint8Array(await readFile(opts.approval)), '--approval') as Approval;
          return submitApproval(home, id, approval);
        }
        return approve(home, id, { identity: opts.as, signer: await loadUserSigner(opts.as) });
      });
      const view = {
        approved: true,
        statement: result.approval.statement,
        roles: result.approval.roles,
        valid: result.valid,
        required: result.required,
        requirement: result.requirement,
        ...(result.sealed
          ? { sealed: { entry: result.sealed.id, index: result.sealed.index, time: result.sealed.time } }
          : {}),
      };
      if (opts.json) return printJson(out, view);
      out.stdout(`approved (${result.valid} of ${result.required} required)\n`);
      if (result.sealed) out.stdout(`sealed: entry ${result.sealed.index} ${result.sealed.id}\n`);
    });

  program
    .command('seal')
    .description(
      "Re-check the approvals stored for a draft's current view and seal it if they meet its route's\n" +
        'requirement (approving seals already when the last approval arrives; this is for a retry).\n' +
        'Exit 1 when they do not suffice.',
    )
    .argument('<draft>', 'the draft id')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      out.json = Boolean(opts.json);
      const result = await withHome((home) => seal(home, id));
      if (!result.sealed) out.exitCode = EXIT_NO;
      const view = {
        sealed: result.sealed ? { entry: result.sealed.id, index: result.sealed.index } : undefined,
        valid: result.valid,
        required: result.required,
        requirement: result.requirement,
      };
      if (opts.json) return printJson(out, view);
      out.stdout(
        result.sealed
          ? `sealed: promotion ${result.sealed.index} ${result.sealed.id}\n`
          : `not sealed: ${result.valid} of ${result.required} valid approval(s); needs ${describeRequirement(result.requirement)}\n`,
      );
    });

  program
    .command('reject')
    .description('Append a rejection entry for a draft, with a reason (rejections are records too)')
    .argument('<draft>', 'the draft id')
    .requiredOption('--as <id>', 'the approver who rejects')
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { as: string; reason: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const signer = await loadUserSigner(opts.as);
      const entry = await withHome((home) => reject(home, id, { identity: opts.as, signer }, opts.reason));
      if (opts.json) return printJson(out, { rejected: true, entry: entry.id, index: entry.index });
      out.stdout(`rejected: entry ${entry.index} ${entry.id}\n`);
    });

  program
    .command('gate')
    .description(
      'Allow a deployment only for a model with a valid, unrevoked sealed promotion for this context.\n' +
        'Appends a deployment entry before answering. Exit 0 allow, 1 deny (with reasons), 2 error.',
    )
    .requiredOption('--model <digest|path>', 'the model digest, or its file/folder (hashed here)')
    .requiredOption('--context <context>', 'the deployment context')
    .option('--json', 'print the decision as JSON')
    .action(async (opts: { model: string; context: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      assertContext(opts.context);
      const digest: Digest = isDigest(opts.model) ? opts.model : (await hashArtefact(opts.model)).digest;
      const result = await withHome((home) => gate(home, digest, opts.context));
      if (!result.allow) out.exitCode = EXIT_NO;
      if (opts.json) return printJson(out, result);
      out.stdout(
        result.allow
          ? `allow: ${digest} in ${opts.context} (promotion ${result.promotion}); deployment entry ${result.deploymentIndex}\n`
          : `deny: ${digest} in ${opts.context}; deployment entry ${result.deploymentIndex}\n` +
              result.reasons.map((r) => `  - [${r.code}] ${r.message}\n`).join(''),
      );
    });

  program
    .command('revoke')
    .description('Withdraw a sealed promotion; the gate denies it from the next request on')
    .argument('<entry>', 'the promotion entry id')
    .requiredOption('--as <id>', 'an approver for the model, or an admin')
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, opts: { as: string; reason: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const signer = await loadUserSigner(opts.as);
      const entry = await withHome((home) =>
        revokePromotion(home, parseDigest(ref, 'entry id'), { identity: opts.as, signer }, opts.reason),
      );
      if (opts.json) return printJson(out, { revoked: true, entry: entry.id, index: entry.index });
      out.stdout(`revoked: entry ${entry.index} ${entry.id}\n`);
    });

  program
    .command('show')
    .description('Print the six sealed fields of a promotion, and whether it verifies')
    .argument('<entry>', 'promotion entry index or id')
    .option('--json', 'print as JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      out.json = Boolean(opts.json);
      const check = await withHome(async (home) => {
        const entry = await loadAnyPromotionEntry(home, parseEntryRef(ref));
        const authority = await loadAuthority(home);
        return entry.kind === PIPELINE_PROMOTION_KIND
          ? checkPipelinePromotion(home, entry, authority)
          : checkPromotion(home, entry, authority);
      });
      if (check.reasons.length > 0) out.exitCode = EXIT_NO;
      const view = {
        kind: check.entry.kind,
        entry: check.entry.id,
        index: check.entry.index,
        time: check.entry.time,
        verified: check.reasons.length === 0,
        reasons: check.reasons,
        promotion: check.promotion,
      };
      if (opts.json) return printJson(out, view);
      out.stdout(
        'model' in check.promotion
          ? describePromotion(check.entry.index, check.entry.id, check.entry.time, check.promotion)
          : describePipelinePromotion(check.entry.index, check.entry.id, check.entry.time, check.promotion),
      );
      out.stdout(
        check.reasons.length === 0
          ? 'verification: ok (log signature, inclusion, request, approvals and authority, objects)\n'
          : 'verification: FAILED\n' + check.reasons.map((r) => `  - [${r.code}] ${r.message}\n`).join(''),
      );
    });

  program
    .command('replay')
    .description(
      'Verify a promotion as the gate does, write the exact stored review document and every sealed\n' +
        'object, re-render the review document from the sealed inputs and compare: "identical" or the\n' +
        'first differing byte. Exit 1 on any mismatch or missing object.',
    )
    .argument('<entry>', 'promotion entry index or id')
    .option('-o, --output <dir>', 'write review.html, entry.dsse.json and objects/ here')
    .option('--json', 'print as JSON')
    .action(async (ref: string, opts: { output?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const result = await withHome((home) => replay(home, parseEntryRef(ref), opts.output));
      const ok = result.identical && result.reasons.length === 0;
      if (!ok) out.exitCode = EXIT_NO;
      const view = {
        ok,
        entry: result.entry,
        view: result.view,
        identical: result.identical,
        firstDifference: result.firstDifference,
        reasons: result.reasons,
        written: result.written,
      };
      if (opts.json) return printJson(out, view);
      out.stdout(
        (result.identical
          ? `identical: the review document re-renders to ${result.view}\n`
          : result.rendered
            ? `DIFFERENT: the re-rendered review document differs from the stored one at byte ${result.firstDifference ?? '?'}\n`
            : 'NOT REPLAYED: the review document could not be rendered again from the sealed inputs\n') +
          result.reasons.map((r) => `  - [${r.code}] ${r.message}\n`).join('') +
          (opts.output !== undefined ? `wrote ${result.written.length} files to ${opts.output}\n` : ''),
      );
    });
}

function describePipelinePromotion(
  index: number,
  id: string,
  time: string,
  p: PipelinePromotionPredicate,
): string {
  return [
    `feature-pipeline promotion ${index} ${id}`,
    `  sealed at        ${time} (log time)`,
    `  context          ${p.context}`,
    `  route            ${p.route.materiality}, tier ${p.route.tier}${p.route.policy ? ` (policy ${p.route.policy})` : ''}`,
    ...(Array.isArray(p.route.reasons) ? p.route.reasons.map((r) => `      - ${String(r)}`) : []),
    `  pipeline         ${p.pipeline.name} ${p.pipeline.digest}`,
    `  output contract  ${p.pipeline.outputContract}`,
    `  request          ${p.request.document} by ${p.request.author.subject}`,
    `  approvals        ${p.approvals.map((a) => `${a.identity.subject} (${a.roles.join(', ')})`).join('; ')}`,
    `  view             ${p.view.digest} (${p.view.renderer})`,
    ...(p.previous ? [`  previous         ${p.previous}`] : []),
    '',
  ].join('\n');
}

function describePromotion(index: number, id: string, time: string, p: PromotionPredicate): string {
  const metrics = Object.keys({ ...p.challenger.metrics.candidate, ...p.challenger.metrics.challenger })
    .sort()
    .map(
      (m) =>
        `      ${m}: ${p.challenger.metrics.candidate[m] ?? '—'} vs ${p.challenger.metrics.challenger[m] ?? '—'}`,
    )
    .join('\n');
  return [
    `promotion ${index} ${id}`,
    `  sealed at   ${time} (log time)`,
    `  context     ${p.context}`,
    `  route       ${p.route.materiality}, tier ${p.route.tier}${p.route.policy ? ` (policy ${p.route.policy})` : ''}`,
    ...(Array.isArray(p.route.reasons) ? p.route.reasons.map((r) => `      - ${String(r)}`) : []),
    `  1 model       ${p.model.name} ${p.model.digest} (${p.model.class})`,
    `  2 challenger  ${p.challenger.against.kind} ${p.challenger.against.digest}${p.challenger.against.entry ? ` (entry ${p.challenger.against.entry})` : ''}`,
    metrics,
    `  3 request     ${p.request.document} by ${p.request.author.subject}`,
    `  4 approvals   ${p.approvals.map((a) => `${a.identity.subject} (${a.roles.join(', ')}, grant ${a.grant})`).join('; ')}`,
    `  5 explanations ${p.explanations.map((e) => `${e.name} ${e.kind} ${e.digest}`).join('; ')}`,
    `  6 dataset     "${p.dataset.label}" ${p.dataset.digest}${p.dataset.rows !== undefined ? ` (${p.dataset.rows} rows)` : ''}`,
    `  view        ${p.view.digest} (${p.view.renderer})`,
    ...bandsLines(p.bandsForNext),
    '',
  ].join('\n');
}

function bandsLines(bands: unknown): string[] {
  if (bands === undefined) return [];
  const checked = checkBands(bands);
  if (!checked.ok) return ['  bands for the next promotion: not valid bands'];
  return [
    '  bands for the next promotion',
    ...describeBands(checked.value)
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`),
  ];
}
