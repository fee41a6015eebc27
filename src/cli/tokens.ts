// `signet tokens`: API tokens for pipelines calling `signet serve`. An admin creates one for an identity
// (signing as themselves with their key); the secret is printed once, on standard output alone so a
// script can capture it, and only its SHA-256 is stored.
import type { Command } from 'commander';

import { createApiToken, listApiTokens, revokeApiToken } from '../app/tokens.js';
import { loadUserSigner } from '../app/user-keys.js';
import type { ApiTokenRow } from '../store/auth.js';
import { withHome } from './home-context.js';
import { printJson, type Output } from './output.js';

export function registerTokenCommands(program: Command, out: Output): void {
  const tokens = program
    .command('tokens')
    .description('API tokens for `signet serve`: each authenticates calls as one identity');

  tokens
    .command('create')
    .description(
      'Create an API token for an identity with a bound key; the secret is printed once (standard\n' +
        'output) and never stored: only its SHA-256 is kept. Needs an admin.',
    )
    .argument('<id>', 'the identity the token acts as')
    .requiredOption('--as <admin>', 'the admin who creates it (signs with their key)')
    .option('--name <text>', 'a label, e.g. ci-credit-nightly (default: the identity)')
    .option('--json', 'print the token and its secret as JSON')
    .action(async (id: string, opts: { as: string; name?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const signer = await loadUserSigner(opts.as);
      const created = await withHome((home) =>
        createApiToken(home, {
          identity: id,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          as: { identity: opts.as, signer },
        }),
      );
      if (opts.json) return printJson(out, { ...created.token, secret: created.secret });
      out.stdout(created.secret + '\n');
      out.stderr(
        `created API token ${created.token.id} for ${created.token.identity} (${created.token.name}); ` +
          'the secret above is shown once: store it now\n',
      );
    });

  tokens
    .command('list')
    .description('List API tokens (never their secrets)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      out.json = Boolean(opts.json);
      const rows = await withHome((home) => listApiTokens(home));
      if (opts.json) return printJson(out, { tokens: rows });
      if (rows.length === 0) return out.stdout('no API tokens\n');
      out.stdout(rows.map(describeToken).join(''));
    });

  tokens
    .command('revoke')
    .description('Revoke an API token: it is refused from the next request on. Needs an admin.')
    .argument('<token-id>', 'the token id (tok-…)')
    .requiredOption('--as <admin>', 'the admin who revokes it')
    .option('--json', 'print the result as JSON')
    .action(async (tokenId: string, opts: { as: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const signer = await loadUserSigner(opts.as);
      const result = await withHome((home) => revokeApiToken(home, tokenId, { identity: opts.as, signer }));
      if (opts.json) return printJson(out, { ...result.token, changed: result.revoked });
      out.stdout(
        result.revoked
          ? `revoked API token ${result.token.id} (${result.token.identity})\n`
          : `API token ${result.token.id} was already revoked at ${result.token.revokedAt ?? '?'}\n`,
      );
    });
}

function describeToken(token: ApiTokenRow): string {
  const state = token.revokedAt !== undefined ? `revoked ${token.revokedAt}` : 'active';
  return `${token.id}  ${token.identity}  "${token.name}"  created ${token.createdAt} by ${token.createdBy}  ${state}\n`;
}
