import type { Command } from 'commander';

import { resolveHomeDir } from '../app/home.js';
import { exportLog, parseEntryRef, proveConsistency, proveInclusion, readEntry } from '../app/log.js';
import { rotateLogKey } from '../app/rotate-key.js';
import { withHome } from './home-context.js';
import { printJson, type Output } from './output.js';
import { parseCount } from './parse.js';

export function registerLogCommands(program: Command, out: Output): void {
  const log = program
    .command('log')
    .description('The append-only ledger: checkpoints, entries, proofs, export, log key rotation');

  log
    .command('checkpoint')
    .description('Print the latest signed checkpoint (a C2SP tlog-checkpoint signed note)')
    .option('--json', 'print { size, note } as JSON')
    .action(async (opts: { json?: boolean }) => {
      out.json = Boolean(opts.json);
      const checkpoint = await withHome((home) => home.ledger.checkpoint());
      const note = Buffer.from(checkpoint.note).toString('utf8');
      if (opts.json) return printJson(out, { size: checkpoint.size, note });
      out.stdout(note);
    });

  log
    .command('entry')
    .description('Print one entry, by index or by id (sha256:…), after checking its log signature')
    .argument('<ref>', 'entry index or entry id')
    .option('--json', 'print the entry and its statement as JSON')
    .option('--raw', 'print the exact stored envelope bytes')
    .action(async (ref: string, opts: { json?: boolean; raw?: boolean }) => {
      out.json = Boolean(opts.json);
      const entry = await withHome((home) => readEntry(home, parseEntryRef(ref)));
      if (opts.raw) return out.stdout(Buffer.from(entry.envelope).toString('utf8') + '\n');
      const view = {
        index: entry.index,
        id: entry.id,
        kind: entry.kind,
        time: entry.time,
        statement: entry.statement,
      };
      if (opts.json) return printJson(out, view);
      out.stdout(
        `entry ${entry.index}  ${entry.id}\n  kind  ${entry.kind}\n  time  ${entry.time}\n` +
          `  statement\n${indent(JSON.stringify(entry.statement, null, 2), 4)}\n`,
      );
    });

  const prove = log.command('prove').description('RFC 9162 inclusion and consistency proofs');
  prove
    .command('inclusion')
    .description('Prove that entry INDEX is in the tree of size N (default: the current size)')
    .argument('<index>', 'entry index')
    .option('--size <n>', 'tree size (default: current)')
    .option('--json', 'print the proof as JSON ({ hashes: [hex…] } with the leaf and root hashes)')
    .action(async (indexText: string, opts: { size?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const index = parseCount(indexText, 'INDEX');
      const size = opts.size === undefined ? undefined : parseCount(opts.size, '--size');
      const proof = await withHome((home) => proveInclusion(home, index, size));
      if (opts.json) return printJson(out, proof);
      out.stdout(
        `inclusion of entry ${proof.index} in the tree of size ${proof.size}\n` +
          `  entry ${proof.entryId}\n  leaf  ${proof.leafHash}\n  root  ${proof.rootHash}\n` +
          proof.hashes.map((h, i) => `  [${i}] ${h}\n`).join(''),
      );
    });
  prove
    .command('consistency')
    .description('Prove that the tree of size OLD is a prefix of the tree of size NEW')
    .argument('<old>', 'older tree size')
    .argument('<new>', 'newer tree size')
    .option('--json', 'print the proof as JSON ({ hashes: [hex…] } with both roots)')
    .action(async (oldText: string, newText: string, opts: { json?: boolean }) => {
      out.json = Boolean(opts.json);
      const proof = await withHome((home) =>
        proveConsistency(home, parseCount(oldText, 'OLD'), parseCount(newText, 'NEW')),
      );
      if (opts.json) return printJson(out, proof);
      out.stdout(
        `consistency of tree ${proof.oldSize} with tree ${proof.newSize}\n` +
          `  old root ${proof.oldRootHash}\n  new root ${proof.newRootHash}\n` +
          proof.hashes.map((h, i) => `  [${i}] ${h}\n`).join(''),
      );
    });

  log
    .command('export')
    .description(
      'Write the log as plain files: entries/<index>.dsse.json (exact envelope bytes), checkpoint,\n' +
        'log-key.pub.pem and log-key.vkey (the key of that checkpoint), log-keys.json (every key of the\n' +
        'log, for a log whose key was rotated) and origin; check it with `signet verify --export DIR`.',
    )
    .argument('<dir>', 'an empty or new folder')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      out.json = Boolean(opts.json);
      const result = await withHome((home) => exportLog(home, dir));
      if (opts.json) return printJson(out, result);
      out.stdout(`exported ${result.size} entries and the checkpoint to ${result.dir}\n`);
    });

  log
    .command('rotate-key')
    .description(
      'Replace the log key. A new Ed25519 key is generated; a log-key entry signed by the current key\n' +
        "announces it, with the new key's proof of possession; then the new key becomes this home's key\n" +
        'and signs every later entry and checkpoint. The previous private key is deleted (its public key\n' +
        'stays in the log, for verifiers). Verifiers follow the rotation from the genesis key.\n' +
        'On PostgreSQL, stop every other instance first, then copy config.json, log-key.pem and\n' +
        'log-key.pub.pem from this home to each before starting them: an instance with the old key\n' +
        'refuses to start. Run it again after an interruption: it finishes or restarts the rotation.\n' +
        'See docs/operations.md, "Rotating the log key".',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      out.json = Boolean(opts.json);
      const result = await rotateLogKey(resolveHomeDir());
      if (opts.json) return printJson(out, result);
      out.stdout(
        `${result.resumed ? 'finished the interrupted rotation' : 'rotated the log key'} of ${result.origin}\n` +
          `  previous key  ${result.previousKeyId} (signed the announcement; private key deleted)\n` +
          `  new key       ${result.keyId} (signs every entry and checkpoint after entry ${result.entry.index})\n` +
          `  announced by  entry ${result.entry.index} ${result.entry.id}\n` +
          '  other instances of this log: copy config.json, log-key.pem and log-key.pub.pem from this home\n',
      );
    });
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}
