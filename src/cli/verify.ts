import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';

import { summariseLogKeys, verifyHome, type LogKeySummary } from '../app/verify.js';
import { InputError } from '../errors.js';
import { verifyExport } from '../verify/verify-export.js';
import { withHome } from './home-context.js';
import { printJson, type Output } from './output.js';

export function registerVerifyCommand(program: Command, out: Output): void {
  program
    .command('verify')
    .description(
      'Verify the whole log: every entry signature and stamp, the root recomputed and checked against the\n' +
        'latest signed checkpoint, consistency with an earlier checkpoint you kept (--checkpoint), and\n' +
        'every object an entry references. Exit 0 ok, 1 naming the first bad entry or object.\n' +
        'With --export DIR, the standalone verifier checks an exported log instead of the home.\n' +
        'A rotated log key is followed from the genesis key: each entry and checkpoint must be signed by\n' +
        'the key in force at its position, each new key announced by the key before it with a proof of\n' +
        'possession.',
    )
    .option('--checkpoint <file>', 'an earlier signed checkpoint the log must be consistent with')
    .option('--export <dir>', 'verify an exported log folder (signet log export) instead of the home')
    .option(
      '--key <file>',
      'with --export: a log public key (PEM) you trust: the genesis key, or a later one',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { checkpoint?: string; export?: string; key?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      if (opts.export !== undefined) {
        const pinnedKeyPem =
          opts.key === undefined ? undefined : Buffer.from(await readArg(opts.key, '--key')).toString('utf8');
        const result = await verifyExport(opts.export, pinnedKeyPem === undefined ? {} : { pinnedKeyPem });
        const view = {
          ok: true,
          origin: result.origin,
          size: result.size,
          rootHash: Buffer.from(result.rootHash).toString('base64'),
          kinds: result.kinds,
          keySource: result.keySource,
          logKeys: summariseLogKeys(result.logKeys),
        };
        if (opts.json) return printJson(out, view);
        out.stdout(
          `ok: exported log ${view.origin} verified: ${view.size} entries, root ${view.rootHash}\n` +
            describeKeys(view.logKeys) +
            (view.keySource === 'export'
              ? '  note: checked against the key in the export; pass --key to pin the key you trust\n'
              : '  checked against the pinned key\n'),
        );
        return;
      }
      if (opts.key !== undefined) throw new InputError('INVALID_ARGUMENT', '--key is only for --export');
      const earlier =
        opts.checkpoint === undefined ? undefined : await readArg(opts.checkpoint, '--checkpoint');
      const report = await withHome((home) =>
        verifyHome(home, earlier === undefined ? {} : { earlierCheckpoint: earlier }),
      );
      if (opts.json) return printJson(out, report);
      out.stdout(
        `ok: log ${report.origin} verified\n` +
          `  entries     ${report.size} (${Object.entries(report.kinds)
            .map(([kind, n]) => `${n} ${kind}`)
            .join(', ')})\n` +
          `  root        ${report.rootHash} matches the signed checkpoint of size ${report.checkpoint.size}\n` +
          `  objects     ${report.objectsChecked} referenced, all present and intact\n` +
          describeKeys(report.logKeys) +
          (report.earlierCheckpoint
            ? `  consistent  with the given checkpoint of size ${report.earlierCheckpoint.size}\n`
            : ''),
      );
    });
}

// One line per key only when the key was rotated; a log with one key says nothing new.
function describeKeys(keys: readonly LogKeySummary[]): string {
  if (keys.length < 2) return '';
  return keys
    .map(
      (key, i) =>
        `  log key ${i}   ${key.keyId} signs entries ${key.firstIndex}–` +
        `${key.lastIndex ?? 'now'}${i > 0 ? ' (announced with proof of possession)' : ' (genesis key)'}\n`,
    )
    .join('');
}

async function readArg(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    throw new InputError('NOT_FOUND', `cannot read the ${what} file ${file}`);
  }
}
