import type { Command } from 'commander';

import { bindIdentity, grantRole, revokeRole, type RoleSpec } from '../app/authority.js';
import { INVITE_HOURS, inviteUser } from '../app/passkeys.js';
import { createUserKey, loadUserSigner, readPublicKeyFile } from '../app/user-keys.js';
import { InputError } from '../errors.js';
import { withHome } from './home-context.js';
import { printJson, type Output } from './output.js';

export function registerPeopleCommands(program: Command, out: Output): void {
  const keys = program
    .command('keys')
    .description("People's Ed25519 signing keys (kept in your config folder)");
  keys
    .command('create')
    .description(
      'Make an Ed25519 key pair for an identity in your own config folder ($SIGNET_KEYS_DIR, else\n' +
        '$XDG_CONFIG_HOME/signet/keys, else ~/.config/signet/keys), private key mode 0600, never in the home.\n' +
        'An admin then binds the public key: signet identity bind ID --key FILE --as ADMIN',
    )
    .requiredOption('--identity <id>', 'the identity, e.g. alice@bank.example')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { identity: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const files = await createUserKey(opts.identity);
      if (opts.json) return printJson(out, files);
      out.stdout(
        `created key ${files.keyId} for ${files.identity}\n  private ${files.privateKeyFile}\n  public  ${files.publicKeyFile}\n`,
      );
    });

  program
    .command('identity')
    .description('Bind identities to public keys')
    .command('bind')
    .description('Append an identity-key entry binding ID to the public key, signed by an admin')
    .argument('<id>', 'the identity')
    .requiredOption('--key <file>', 'the public key (PEM) of the identity')
    .requiredOption('--as <admin>', 'the admin who signs the binding')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { key: string; as: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const publicKey = await readPublicKeyFile(opts.key, '--key');
      const signer = await loadUserSigner(opts.as);
      const entry = await withHome((home) =>
        bindIdentity(home, id, publicKey, { identity: opts.as, signer }),
      );
      if (opts.json) return printJson(out, { entry: entry.id, index: entry.index, time: entry.time });
      out.stdout(`bound ${id} to its key: entry ${entry.index} ${entry.id}\n`);
    });

  program
    .command('users')
    .description('People who approve in the browser, with passkeys')
    .command('invite')
    .description(
      'Append an identity-invite entry (signed by an admin) and print a one-time link: opened in the\n' +
        'browser, it enrols a passkey for ID, bound to ID by an identity-key entry. The secret is only in\n' +
        'the link (the log keeps its SHA-256); the link works once, until it expires.',
    )
    .argument('<id>', 'the identity to enrol, e.g. bob@bank.example')
    .requiredOption('--as <admin>', 'the admin who signs the invitation')
    .option('--hours <n>', 'hours until the link expires', String(INVITE_HOURS))
    .option(
      '--url <base>',
      "the server's base URL, as people open it (default: $SIGNET_URL or http://localhost:8080)",
    )
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { as: string; hours: string; url?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const hours = Number(opts.hours);
      const base = (opts.url ?? process.env['SIGNET_URL'] ?? 'http://localhost:8080').replace(/\/+$/, '');
      if (!/^https?:\/\/[^\s/]+/.test(base)) {
        throw new InputError('INVALID_ARGUMENT', `--url ${JSON.stringify(base)} is not an http(s) URL`);
      }
      const signer = await loadUserSigner(opts.as);
      const result = await withHome((home) => inviteUser(home, id, { identity: opts.as, signer }, { hours }));
      // The secret travels in the fragment: browsers never send it to a server or put it in logs.
      const link = `${base}/enrol#${result.secret}`;
      if (opts.json) {
        return printJson(out, {
          entry: result.entry.id,
          index: result.entry.index,
          expires: result.expires,
          link,
        });
      }
      out.stdout(
        `invited ${id}: entry ${result.entry.index} ${result.entry.id}, expires ${result.expires}\n` +
          `send this link to ${id} (it works once):\n  ${link}\n`,
      );
    });

  const roles = program
    .command('roles')
    .description('Grant and revoke roles (approver, admin, …), signed by an admin');
  const addRoleOptions = (command: Command): Command =>
    command
      .argument('<id>', 'the identity')
      .argument('<role>', 'the role, e.g. approver')
      .option('--model <name>', 'limit the role to one model (default: every model)')
      .requiredOption('--as <admin>', 'the admin who signs')
      .option('--json', 'print the result as JSON');
  type RoleOpts = { model?: string; as: string; json?: boolean; from?: string; until?: string };
  const specOf = (id: string, role: string, opts: RoleOpts): RoleSpec => ({
    identity: id,
    role,
    ...(opts.model !== undefined ? { model: opts.model } : {}),
    ...(opts.from !== undefined ? { from: opts.from } : {}),
    ...(opts.until !== undefined ? { until: opts.until } : {}),
  });
  addRoleOptions(roles.command('grant').description('Append a role-grant entry'))
    .option('--from <time>', 'the grant starts at this RFC 3339 time (on-call rotas)')
    .option('--until <time>', 'the grant ends at this RFC 3339 time')
    .action(async (id: string, role: string, opts: RoleOpts) => {
      out.json = Boolean(opts.json);
      const signer = await loadUserSigner(opts.as);
      const entry = await withHome((home) =>
        grantRole(home, specOf(id, role, opts), { identity: opts.as, signer }),
      );
      if (opts.json) return printJson(out, { entry: entry.id, index: entry.index, time: entry.time });
      out.stdout(
        `granted ${role}${opts.model ? ` for model ${opts.model}` : ''} to ${id}: entry ${entry.index} ${entry.id}\n`,
      );
    });
  addRoleOptions(roles.command('revoke').description('Append a role-revoke entry')).action(
    async (id: string, role: string, opts: RoleOpts) => {
      out.json = Boolean(opts.json);
      const signer = await loadUserSigner(opts.as);
      const entry = await withHome((home) =>
        revokeRole(home, specOf(id, role, opts), { identity: opts.as, signer }),
      );
      if (opts.json) return printJson(out, { entry: entry.id, index: entry.index, time: entry.time });
      out.stdout(
        `revoked ${role}${opts.model ? ` for model ${opts.model}` : ''} from ${id}: entry ${entry.index} ${entry.id}\n`,
      );
    },
  );
}
