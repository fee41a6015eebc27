// `signet demo` (what `npm start` runs): a short tour of the foundation in a fresh home — init, objects,
// hashing, the log's checkpoint and proofs, export, verification — and what a tampered byte does.
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';

import { hashArtefact } from '../app/hash-artefact.js';
import { initHome } from '../app/init.js';
import { exportLog, proveInclusion } from '../app/log.js';
import { putFile, verifyObjects } from '../app/objects.js';
import { verifyHome } from '../app/verify.js';
import { verifyExport } from '../verify/verify-export.js';
import { digestHex } from '../signing/digest.js';
import { verifyInclusion } from '../ledger/merkle.js';
import type { Output } from './output.js';

export function registerDemoCommand(program: Command, out: Output): void {
  program
    .command('demo')
    .description('A short tour in a fresh temporary home (what `npm start` runs); prints what to run next')
    .option('--home <dir>', 'create the demo home here instead of a temporary folder (must not exist)')
    .action(async (opts: { home?: string }) => {
      await runDemo(out, opts.home);
    });
}

async function runDemo(out: Output, homeOption?: string): Promise<void> {
  const say = (text: string): void => out.stdout(text + '\n');
  const step = (title: string): void => say(`\n== ${title}`);
  const base = await mkdtemp(path.join(tmpdir(), 'signet-demo-'));
  const dir = path.resolve(homeOption ?? path.join(base, 'home'));

  step('1. A new home: a log key and the genesis entry (signet init)');
  const { home, genesis } = await initHome(dir);
  try {
    say(`home     ${dir}`);
    say(`origin   ${home.config.origin}`);
    say(`genesis  entry 0 ${genesis.id} at ${genesis.time}`);
    say('         the discipline starts now and applies forward only');

    step('2. Hashing a model folder (signet hash): a manifest of sorted paths, sizes and SHA-256s');
    const model = path.join(base, 'credit-scorecard');
    await mkdir(path.join(model, 'weights'), { recursive: true });
    await writeFile(
      path.join(model, 'weights', 'coefficients.json'),
      JSON.stringify({ intercept: -2.1, income: 0.8 }),
    );
    await writeFile(path.join(model, 'model-card.md'), '# Credit scorecard\nLogistic regression.\n');
    const hashed = await hashArtefact(model);
    if (hashed.manifest) await home.objects.put(hashed.manifest);
    say(`${hashed.digest}  ${model}  (${hashed.fileCount} files, manifest stored as an object)`);

    step('3. Write-once objects (signet object put / get / verify)');
    const report = path.join(base, 'challenger-report.html');
    await writeFile(report, '<h1>Challenger comparison</h1><p>AUC 0.781 vs 0.774</p>\n');
    const put = await putFile(home.objects, report);
    say(`put  ${put.digest}  (${put.size} bytes)`);
    const again = await putFile(home.objects, report);
    say(`put again: ${again.created ? 'stored' : 'already stored, a no-op'}`);

    step('4. The log: a signed checkpoint and an inclusion proof (signet log checkpoint / prove)');
    const checkpoint = await home.ledger.checkpoint();
    say(Buffer.from(checkpoint.note).toString('utf8').trimEnd());
    const proof = await proveInclusion(home, 0);
    verifyInclusion(
      Buffer.from(proof.leafHash, 'hex'),
      proof.index,
      proof.size,
      proof.hashes.map((h) => Buffer.from(h, 'hex')),
      Buffer.from(proof.rootHash, 'hex'),
    );
    say(`inclusion of entry 0 in size ${proof.size}: verified (${proof.hashes.length} hashes)`);

    step('5. Verification (signet verify) and an export any RFC 9162 tool can check');
    const verified = await verifyHome(home);
    say(
      `verify: ok, ${verified.size} entries, root matches the signed checkpoint, ${verified.objectsChecked} objects intact`,
    );
    const exportDir = path.join(base, 'export');
    await exportLog(home, exportDir);
    const standalone = await verifyExport(exportDir);
    say(`export: ${exportDir} (standalone verifier: ok, ${standalone.size} entries)`);

    step('6. A tampered byte is caught');
    const stored = path.join(
      dir,
      'objects',
      'sha256',
      digestHex(put.digest).slice(0, 2),
      digestHex(put.digest).slice(2),
    );
    const bytes = await readFile(stored);
    await chmod(stored, 0o644);
    bytes[10] = bytes[10]! ^ 0x01;
    await writeFile(stored, bytes);
    const objects = await verifyObjects(home.objects);
    for (const problem of objects.problems) say(`object verify: BAD ${problem.digest} [${problem.code}]`);
    await writeFile(stored, await readFile(report));
    await chmod(stored, 0o444);
    say('(restored the original bytes)');
  } finally {
    await home.close();
  }

  step('Next, try');
  say(`export SIGNET_HOME=${dir}`);
  say('npx --no-install signet log checkpoint');
  say('npx --no-install signet log entry 0 --json');
  say('npx --no-install signet log prove inclusion 0 --json');
  say('npx --no-install signet verify');
  say(`npx --no-install signet verify --export ${path.join(base, 'export')}`);
  say(`npx --no-install signet hash ${path.join(base, 'credit-scorecard')}`);
}
