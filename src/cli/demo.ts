// `signet demo` (what `npm start` runs): the seed's story on the embedded default, in a fresh home.
// A credit-risk scorecard is trained in process on seeded synthetic data, registered against the
// incumbent, proposed with a request, reviewed, approved by a named approver, sealed, gated and
// deployed; a copy with one changed byte is refused; the event is replayed byte for byte and verified.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';

import { bindIdentity, grantRole } from '../app/authority.js';
import { approve } from '../app/decide.js';
import { gate } from '../app/gate.js';
import { hashArtefact } from '../app/hash-artefact.js';
import { initHome } from '../app/init.js';
import { exportLog, proveInclusion } from '../app/log.js';
import { ingestTraffic } from '../app/monitor.js';
import { applyPolicy } from '../app/policy.js';
import { propose } from '../app/promote.js';
import { registerDataset, registerModel } from '../app/register.js';
import { replay } from '../app/replay.js';
import { createUserKey, loadUserSigner } from '../app/user-keys.js';
import { verifyHome } from '../app/verify.js';
import { buildCreditScenario, type ModelBundle } from '../demo/scenario.js';
import { SCORED_AT_COLUMN, scoredCsv, scoringTraffic } from '../demo/traffic.js';
import { InputError } from '../errors.js';
import { publicKeyFromPem } from '../signing/keys.js';
import { verifyExport } from '../verify/verify-export.js';
import type { Output } from './output.js';

const ADMIN = 'admin@bank.example';
const REQUESTER = 'priya.ml@bank.example';
const APPROVER = 'morgan.risk@bank.example';
const CONTEXT = 'retail-credit/uk';
const SEED = 20261127;
const DAY_MS = 86_400_000;

/**
 * The demo's materiality policy: the approver role is both the on-call rota and the committee (of one),
 * so that a small demo cast can take either route; PSI flags from 0.25.
 */
const DEMO_POLICY = `# The demo's materiality policy (see src/policy/example-policy.yaml for a fuller one).
version: 1
description: Demo retail credit policy.
defaults:
  bands:
    auc: { absolute: { down: 0.02, up: 0.05 } }
  psi: { warn: 0.10, material: 0.25 }
  tier: standard
  oncallRole: approver
  contexts: [${CONTEXT}]
tiers:
  standard:
    description: Demo models.
    committee: { roles: [approver], quorum: 1 }
`;

export function registerDemoCommand(program: Command, out: Output): void {
  program
    .command('demo')
    .description(
      'The main job, in a fresh home: a credit-risk model trained here is registered, proposed, reviewed,\n' +
        'approved, sealed, gated and replayed (what `npm start` runs). Prints what to run next.',
    )
    .option('--dir <dir>', 'put the demo here (a new or empty folder) instead of a temporary folder')
    .option(
      '--serve',
      'then leave a second draft waiting, invite the approver and open the web UI (until Ctrl-C)',
    )
    .option('--port <port>', 'the port of the web UI with --serve', '8080')
    .action(async (opts: { dir?: string; serve?: boolean; port: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new InputError('INVALID_ARGUMENT', `--port ${JSON.stringify(opts.port)} is not a port number`);
      }
      await runDemo(out, opts.dir, opts.serve ? { port } : undefined);
    });
}

async function runDemo(out: Output, dirOption?: string, serveOptions?: { port: number }): Promise<void> {
  const started = performance.now();
  const say = (text = ''): void => out.stdout(text + '\n');
  const step = (title: string): void => say(`\n== ${title}`);
  const base = dirOption ? path.resolve(dirOption) : await mkdtemp(path.join(tmpdir(), 'signet-demo-'));
  await mkdir(base, { recursive: true });
  const homeDir = path.join(base, 'home');
  const files = path.join(base, 'files');
  // People's keys for the demo stay in the demo folder, never in the user's own config folder.
  const env = { ...process.env, SIGNET_KEYS_DIR: path.join(base, 'keys'), SIGNET_HOME: homeDir };
  await mkdir(files, { recursive: true });

  step('1. A credit-risk scorecard, trained here on seeded synthetic applications');
  const scenario = buildCreditScenario({ seed: SEED });
  const proposal = scenario.proposals.candidate;
  const { candidate, challenger: incumbent, evaluation } = proposal;
  say(`incumbent  ${incumbent.name} ${incumbent.version} (${incumbent.trainingLabel})`);
  say(`candidate  ${candidate.name} ${candidate.version} (${candidate.trainingLabel})`);
  say(
    `evaluation ${evaluation.rows} held-out applications, default rate ${(evaluation.defaultRate * 100).toFixed(1)}%`,
  );
  for (const metric of ['auc', 'gini', 'ks'] as const) {
    say(
      `  ${metric.padEnd(5)} candidate ${proposal.metrics.candidate[metric].toFixed(4)}  incumbent ${proposal.metrics.challenger[metric].toFixed(4)}`,
    );
  }

  step('2. A new home: the log key, the genesis entry, the people and their roles');
  const keys: Record<string, string> = {};
  for (const id of [ADMIN, REQUESTER, APPROVER]) keys[id] = (await createUserKey(id, env)).publicKeyFile;
  const admin = { identity: ADMIN, signer: await loadUserSigner(ADMIN, env) };
  const { home, genesis } = await initHome(homeDir, {
    admin: { identity: ADMIN, publicKey: publicKeyFromPem(await readFile(keys[ADMIN]!, 'utf8')) },
  });
  try {
    say(`home ${homeDir}; genesis ${genesis.id}: the discipline starts at ${genesis.time}`);
    for (const id of [REQUESTER, APPROVER]) {
      await bindIdentity(home, id, publicKeyFromPem(await readFile(keys[id]!, 'utf8')), admin);
    }
    await grantRole(home, { identity: APPROVER, role: 'approver', model: candidate.name }, admin);
    say(
      `${ADMIN} bound ${REQUESTER} and ${APPROVER} to their keys and granted ${APPROVER} the approver role`,
    );
    const policyFile = path.join(files, 'policy.yaml');
    await writeFile(policyFile, DEMO_POLICY);
    const applied = await applyPolicy(home, policyFile, admin);
    say(`${ADMIN} applied the materiality policy (version ${applied.version}, ${applied.policy})`);

    step('3. Register the incumbent, the candidate and the evaluation dataset (objects, not events)');
    const incumbentDir = await writeModel(files, incumbent);
    const candidateDir = await writeModel(files, candidate);
    const evalFile = path.join(files, 'evaluation.csv');
    // Scored by the candidate, so that the reference bins sealed with the promotion include the score.
    await writeFile(evalFile, scoredCsv(evaluation.dataset, candidate.model));
    const incumbentReg = await registerModel(home, incumbentDir, modelOptions(incumbent, incumbentDir));
    const candidateReg = await registerModel(home, candidateDir, modelOptions(candidate, candidateDir));
    const datasetReg = await registerDataset(home, evalFile, { label: evaluation.label });
    say(`incumbent  ${incumbentReg.record.digest}  (predates the genesis: no event, legacy evidence only)`);
    say(`candidate  ${candidateReg.record.digest}`);
    say(`dataset    ${datasetReg.record.digest}  ${datasetReg.record.rows ?? '?'} rows, profiled`);

    step('4. Propose: metrics, SHAP values, the explanation chart and the request, frozen as a draft');
    const metricsFile = path.join(files, 'metrics.json');
    await writeFile(
      metricsFile,
      JSON.stringify({ ...proposal.metrics, dataset: datasetReg.record.digest }, null, 2) + '\n',
    );
    const shapFile = path.join(files, 'shap-values.json');
    await writeFile(shapFile, proposal.shapJson);
    const chartFile = path.join(files, 'shap-summary.svg');
    await writeFile(chartFile, proposal.chartSvg);
    const requestFile = path.join(files, 'request.md');
    await writeFile(requestFile, proposal.requestMarkdown);
    const requester = { identity: REQUESTER, signer: await loadUserSigner(REQUESTER, env) };
    const draft = await propose(home, {
      model: candidateReg.record.digest,
      challenger: incumbentReg.record.digest,
      dataset: datasetReg.record.digest,
      metricsFile,
      explanationFiles: [chartFile, shapFile],
      requestFile,
      context: CONTEXT,
      as: requester,
    });
    const reviewFile = path.join(base, 'review.html');
    await writeFile(reviewFile, await home.objects.get(draft.view));
    say(`draft ${draft.draft} by ${REQUESTER}`);
    say(`review document (the approver's screen) ${draft.view}`);
    say(`  written to ${reviewFile}`);

    step('5. Approve: the approver signs the statement that names the view digest; the event is sealed');
    const approved = await approve(home, draft.draft, {
      identity: APPROVER,
      signer: await loadUserSigner(APPROVER, env),
    });
    if (!approved.sealed) throw new InputError('INVALID_ARGUMENT', 'the demo promotion was not sealed');
    say(`${APPROVER} approved; sealed as entry ${approved.sealed.index} ${approved.sealed.id}`);

    step('6. Gate the deployment');
    const allowed = await gate(home, candidateReg.record.digest, CONTEXT);
    say(
      `${allowed.allow ? 'allow' : 'deny'}: candidate in ${CONTEXT} (deployment entry ${allowed.deploymentIndex})`,
    );
    const tampered = path.join(files, 'credit-scorecard-tampered');
    await cp(candidateDir, tampered, { recursive: true });
    const weights = path.join(tampered, 'model.json');
    const bytes = await readFile(weights);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0x01;
    await writeFile(weights, bytes);
    const denied = await gate(home, (await hashArtefact(tampered)).digest, CONTEXT);
    say(
      `${denied.allow ? 'allow' : 'deny'}: the same model with one changed byte — ${denied.reasons[0]?.message ?? ''}`,
    );
    const legacy = await gate(home, incumbentReg.record.digest, CONTEXT);
    say(`${legacy.allow ? 'allow' : 'deny'}: the incumbent — ${legacy.reasons[0]?.message ?? ''}`);

    step('7. Monitor scoring traffic: PSI per day against the reference bins sealed with the promotion');
    const trafficFile = path.join(files, 'traffic.csv');
    const firstDay = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS;
    await writeFile(
      trafficFile,
      scoringTraffic({
        model: candidate.model,
        start: firstDay,
        // The evaluation set's own population (the recent vintage, shift 0.25) for three days, then a
        // population that moved further: lower incomes, higher utilisation.
        days: [
          { shift: 0.25, rows: 2000 },
          { shift: 0.25, rows: 2000 },
          { shift: 0.25, rows: 2000 },
          { shift: 0.75, rows: 2000 },
        ],
        seed: SEED + 1000,
      }),
    );
    const monitored = await ingestTraffic(home, {
      model: candidate.name,
      context: CONTEXT,
      source: createReadStream(trafficFile),
      format: 'csv',
      window: 'day',
      timestampColumn: SCORED_AT_COLUMN,
    });
    say(
      `${monitored.report.totals.counted} scorings over four simulated days (${trafficFile}); ` +
        `material from PSI ${monitored.thresholds.material}, no flag under ${monitored.minimumCount} rows a day`,
    );
    for (const day of [...new Set(monitored.windows.map((w) => w.window))]) {
      const worst = monitored.windows
        .filter((w) => w.window === day)
        .reduce((a, b) => ((b.psi ?? 0) > (a.psi ?? 0) ? b : a));
      say(
        `  ${day.slice(0, 10)}  highest PSI ${(worst.psi ?? 0).toFixed(3)} (${worst.feature}): ${worst.level}`,
      );
    }
    for (const flag of monitored.flags) {
      say(
        `  flagged: ${flag.feature} PSI ${flag.psi.toFixed(3)} on ${flag.window.slice(0, 10)}, entry ${flag.index}`,
      );
    }
    if (monitored.flags.length > 0) {
      say(`the next promotion of ${candidate.name} routes material, to the committee, quoting these entries`);
    }

    step('8. Replay and verify, as an auditor would');
    const replayDir = path.join(base, 'replay');
    const replayed = await replay(home, approved.sealed.id, replayDir);
    const replayedView = createHash('sha256')
      .update(await readFile(path.join(replayDir, 'review.html')))
      .digest('hex');
    say(
      `replay: ${replayed.identical && replayed.reasons.length === 0 ? 'identical' : 'MISMATCH'}; ${replayDir}/review.html hashes to sha256:${replayedView}`,
    );
    const verified = await verifyHome(home);
    say(
      `verify: ok, ${verified.size} entries, root matches the signed checkpoint, ${verified.objectsChecked} objects intact`,
    );
    const proof = await proveInclusion(home, approved.sealed.index);
    say(`inclusion of the promotion in the tree of size ${proof.size}: ${proof.hashes.length} hashes`);
    const exportDir = path.join(base, 'export');
    await exportLog(home, exportDir);
    const standalone = await verifyExport(exportDir);
    say(`export: ${exportDir} verified offline (${standalone.size} entries)`);

    if (serveOptions) {
      step('9. A second draft waits for approval: the next retrain, against the sealed promotion');
      const retrain = scenario.proposals.retrain;
      const retrainDir = await writeModel(files, retrain.candidate);
      const retrainReg = await registerModel(home, retrainDir, modelOptions(retrain.candidate, retrainDir));
      const latestFile = path.join(files, 'evaluation-latest.csv');
      await writeFile(latestFile, retrain.evaluation.csv);
      const latestReg = await registerDataset(home, latestFile, { label: retrain.evaluation.label });
      const retrainFiles = {
        metrics: path.join(files, 'retrain-metrics.json'),
        shap: path.join(files, 'retrain-shap-values.json'),
        chart: path.join(files, 'retrain-shap-summary.svg'),
        request: path.join(files, 'retrain-request.md'),
      };
      await writeFile(
        retrainFiles.metrics,
        JSON.stringify({ ...retrain.metrics, dataset: latestReg.record.digest }, null, 2) + '\n',
      );
      await writeFile(retrainFiles.shap, retrain.shapJson);
      await writeFile(retrainFiles.chart, retrain.chartSvg);
      await writeFile(retrainFiles.request, retrain.requestMarkdown);
      const waiting = await propose(home, {
        model: retrainReg.record.digest,
        challenger: approved.sealed.id,
        dataset: latestReg.record.digest,
        metricsFile: retrainFiles.metrics,
        explanationFiles: [retrainFiles.chart, retrainFiles.shap],
        requestFile: retrainFiles.request,
        context: CONTEXT,
        as: requester,
      });
      say(`draft ${waiting.draft} by ${REQUESTER}: ${retrain.candidate.name} ${retrain.candidate.version}`);
      say(`  routed ${waiting.route.materiality}, tier ${waiting.route.tier}:`);
      for (const reason of waiting.route.reasons) say(`    - ${reason}`);
      await serveDemo(out, home, admin, serveOptions.port);
      return;
    }

    step('Next, try');
    say(`export SIGNET_HOME=${homeDir} SIGNET_KEYS_DIR=${env.SIGNET_KEYS_DIR}`);
    say(`npx --no-install signet show ${approved.sealed.index}`);
    say(`npx --no-install signet replay ${approved.sealed.index} -o ./replay`);
    say(`npx --no-install signet gate --model ${candidateDir} --context ${CONTEXT}`);
    say(`npx --no-install signet monitor status --model ${candidate.name}`);
    say('npx --no-install signet verify');
    say(`open ${reviewFile}`);
    say(`(finished in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  } finally {
    await home.close();
  }
}

/** Starts the web UI over the demo home, invites the approver, and serves until SIGINT or SIGTERM. */
async function serveDemo(
  out: Output,
  home: Awaited<ReturnType<typeof initHome>>['home'],
  admin: { identity: string; signer: Awaited<ReturnType<typeof loadUserSigner>> },
  port: number,
): Promise<void> {
  const say = (text = ''): void => out.stdout(text + '\n');
  const { startServer } = await import('../server/serve.js');
  const { inviteUser } = await import('../app/passkeys.js');
  // localhost: browsers treat it as a secure context, so passkeys work without TLS.
  const server = await startServer({ home, host: 'localhost', port });
  const url = server.url.replace(/\/$/, '');
  const invite = await inviteUser(home, APPROVER, admin);
  say(`\n== 10. The web UI: ${url}`);
  say(`${APPROVER} (the approver) enrols a passkey from this one-time link, then lands in the inbox:`);
  say(`  ${url}/enrol#${invite.secret}`);
  say('The sealed promotion is under Models and Ledger; the second draft waits in the inbox.');
  say('Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}

async function writeModel(dir: string, bundle: ModelBundle): Promise<string> {
  const modelDir = path.join(dir, `${bundle.name}-${bundle.version}`);
  await mkdir(modelDir, { recursive: true });
  await writeFile(path.join(modelDir, 'model.json'), bundle.modelJson);
  await writeFile(path.join(modelDir, 'model-card.md'), bundle.modelCard);
  await writeFile(
    path.join(dir, `${bundle.name}-${bundle.version}.hyperparameters.json`),
    bundle.hyperparametersJson,
  );
  await writeFile(
    path.join(dir, `${bundle.name}-${bundle.version}.input-contract.json`),
    bundle.inputContractJson,
  );
  return modelDir;
}

function modelOptions(bundle: ModelBundle, modelDir: string) {
  return {
    name: bundle.name,
    class: bundle.class,
    family: bundle.family,
    hyperparametersFile: `${modelDir}.hyperparameters.json`,
    inputContractFile: `${modelDir}.input-contract.json`,
  };
}
