// `signet db`: the PostgreSQL database behind `SIGNET_DATABASE_URL`. `provision` creates the two roles
// and the database once (as a superuser); the schema is then migrated by every server on start, or by
// `migrate` ahead of a deployment.
import type { Command } from 'commander';
import pg from 'pg';

import { InputError } from '../errors.js';
import { migrateDatabase } from '../store/pg/migrations.js';
import { DATABASE_URL_ENV, parseDatabaseUrl, readDatabaseUrl } from '../store/pg/pool.js';
import { provisionRoles } from '../store/pg/roles.js';
import { printJson, type Output } from './output.js';

const ROLE_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export function registerDbCommands(program: Command, out: Output): void {
  const db = program
    .command('db')
    .description(`The PostgreSQL database behind ${DATABASE_URL_ENV} (absent: the embedded default)`);

  db.command('provision')
    .description(
      'Create the migrator role (owns the schema), the application role (SELECT and INSERT on the ledger\n' +
        'and objects, never UPDATE or DELETE) and the database, and migrate it. Idempotent. Passwords are\n' +
        'read from SIGNET_APP_PASSWORD and SIGNET_MIGRATOR_PASSWORD, never from the command line.',
    )
    .requiredOption('--admin-url <url>', 'a superuser connection, e.g. postgres://postgres@db:5432/postgres')
    .option('--database <name>', 'the database to create', 'signet')
    .option('--app-role <role>', 'the role SIGNET_DATABASE_URL connects as', 'signet_app')
    .option('--migrator-role <role>', 'the role that owns the schema', 'signet_migrator')
    .option('--json', 'print the result as JSON (the URLs without passwords)')
    .action(
      async (opts: {
        adminUrl: string;
        database: string;
        appRole: string;
        migratorRole: string;
        json?: boolean;
      }) => {
        out.json = Boolean(opts.json);
        for (const [flag, value] of [
          ['--database', opts.database],
          ['--app-role', opts.appRole],
          ['--migrator-role', opts.migratorRole],
        ] as const) {
          if (!ROLE_PATTERN.test(value)) {
            throw new InputError(
              'INVALID_ARGUMENT',
              `${flag} must be a lowercase SQL name, not ${JSON.stringify(value)}`,
            );
          }
        }
        const appPassword = process.env['SIGNET_APP_PASSWORD'];
        const migratorPassword = process.env['SIGNET_MIGRATOR_PASSWORD'];
        const result = await provisionRoles(opts.adminUrl, {
          database: opts.database,
          appRole: opts.appRole,
          migratorRole: opts.migratorRole,
          ...(appPassword ? { appPassword } : {}),
          ...(migratorPassword ? { migratorPassword } : {}),
        });
        const shown = {
          appUrl: parseDatabaseUrl(result.appUrl).redacted,
          migratorUrl: parseDatabaseUrl(result.migratorUrl).redacted,
          migration: result.migration,
        };
        if (opts.json) return printJson(out, shown);
        out.stdout(
          `database ${opts.database}: schema version ${result.migration.to}` +
            (result.migration.applied.length > 0
              ? ` (applied ${result.migration.applied.join(', ')})`
              : ' (current)') +
            `\n  ${DATABASE_URL_ENV}=${shown.appUrl}\n  migrator: ${shown.migratorUrl}\n`,
        );
      },
    );

  db.command('migrate')
    .description(
      `Bring the schema of ${DATABASE_URL_ENV} (or --url, as the migrator) to this version of Signet. Servers\n` +
        'also do this on start; a database newer than this version is refused.',
    )
    .option('--url <url>', `the database, as its owner (default: ${DATABASE_URL_ENV})`)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { url?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const database = opts.url !== undefined ? parseDatabaseUrl(opts.url, '--url') : readDatabaseUrl();
      if (database === undefined) {
        throw new InputError(
          'INVALID_ARGUMENT',
          `set ${DATABASE_URL_ENV} or pass --url: the embedded default needs no migration`,
        );
      }
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      try {
        const report = await migrateDatabase(pool);
        if (opts.json) return printJson(out, report);
        out.stdout(
          report.applied.length === 0
            ? `${database.redacted}: schema version ${report.to}, current\n`
            : `${database.redacted}: schema version ${report.from} → ${report.to} (applied ${report.applied.join(', ')})\n`,
        );
      } finally {
        await pool.end();
      }
    });
}
