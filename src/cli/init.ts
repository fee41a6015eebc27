import type { Command } from 'commander';

import { initHome } from '../app/init.js';
import { resolveHomeDir } from '../app/home.js';
import { readPublicKeyFile } from '../app/user-keys.js';
import { InputError } from '../errors.js';
import { printJson, type Output } from './output.js';

export function registerInitCommand(program: Command, out: Output): void {
  program
    .command('init')
    .description(
      'Create a Signet home ($SIGNET_HOME, default ./.signet): the log key pair (private key mode 0600)\n' +
        'and the genesis entry, which states that the discipline starts now and applies forward only.\n' +
        'Refuses a folder that already holds a home.',
    )
    .option('--origin <origin>', 'checkpoint origin of this log (default signet/<key id prefix>)')
    .option('--admin <id>', 'the first admin, named in the genesis entry')
    .option('--admin-key <file>', "the first admin's public key (PEM), from `signet keys create`")
    .option('--json', 'print the result as JSON')
    .action(async (opts: { origin?: string; admin?: string; adminKey?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      if ((opts.admin === undefined) !== (opts.adminKey === undefined)) {
        throw new InputError('INVALID_ARGUMENT', '--admin and --admin-key go together');
      }
      const admin =
        opts.admin !== undefined && opts.adminKey !== undefined
          ? { identity: opts.admin, publicKey: await readPublicKeyFile(opts.adminKey, '--admin-key') }
          : undefined;
      const dir = resolveHomeDir();
      const { home, genesis } = await initHome(dir, {
        ...(opts.origin !== undefined ? { origin: opts.origin } : {}),
        ...(admin ? { admin } : {}),
      });
      await home.close();
      const result = {
        home: dir,
        origin: home.config.origin,
        logKeyId: home.config.logKeyId,
        genesis: genesis.id,
        time: genesis.time,
      };
      if (opts.json) return printJson(out, result);
      out.stdout(
        `Created Signet home ${dir}\n` +
          `  origin   ${result.origin}\n` +
          `  log key  ${result.logKeyId}\n` +
          `  genesis  entry 0 ${genesis.id}\n` +
          `  the discipline starts at ${genesis.time}; earlier promotions are never recorded as events\n`,
      );
    });
}
