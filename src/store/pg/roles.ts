// Provisioning of the two PostgreSQL roles and the database, run once by an administrator:
// - the migrator owns the database and its schema, and runs the migrations;
// - the application role (what `SIGNET_DATABASE_URL` connects as) gets `APP_PRIVILEGES` only: SELECT and
//   INSERT on the ledger tables and objects, never UPDATE, DELETE or TRUNCATE. The triggers refuse those
//   to the owner as well (migrations.ts).
import pg from 'pg';

import { StoreError } from '../../errors.js';
import { migrate, type MigrationReport } from './migrations.js';
import { parseDatabaseUrl } from './pool.js';
import { sqlStateOf } from './sql.js';

const DUPLICATE_OBJECT = '42710';
const DUPLICATE_DATABASE = '42P04';

export interface ProvisionOptions {
  readonly database: string;
  readonly appRole: string;
  readonly migratorRole: string;
  /** Set (or reset) the roles' passwords; without them the roles log in as pg_hba.conf allows. */
  readonly appPassword?: string;
  readonly migratorPassword?: string;
}

export interface ProvisionResult {
  /** URLs for the two roles on the new database (with their passwords, when given: do not print them). */
  readonly appUrl: string;
  readonly migratorUrl: string;
  readonly migration: MigrationReport;
}

/**
 * Creates (when absent) the migrator and application roles and the database owned by the migrator,
 * locks the database down (no CONNECT for PUBLIC, no CREATE in `public` but for the owner), runs the
 * migrations as the migrator and grants the application role its privileges. Idempotent. `adminUrl`
 * connects as a superuser (or a role that may create roles and databases and SET ROLE to the migrator).
 *
 * @example
 * ```ts
 * const { appUrl } = await provisionRoles('postgres://postgres@db/postgres',
 *   { database: 'signet', appRole: 'signet_app', migratorRole: 'signet_migrator', appPassword });
 * ```
 */
export async function provisionRoles(adminUrl: string, options: ProvisionOptions): Promise<ProvisionResult> {
  const admin = parseDatabaseUrl(adminUrl, 'the administrator database URL');
  const { database, appRole, migratorRole } = options;
  const id = pg.escapeIdentifier;
  await withClient(admin.url, async (client) => {
    for (const [role, password] of [
      [migratorRole, options.migratorPassword],
      [appRole, options.appPassword],
    ] as const) {
      await ignoring(DUPLICATE_OBJECT, () =>
        client.query(
          `CREATE ROLE ${id(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
        ),
      );
      if (password !== undefined) {
        await client.query(`ALTER ROLE ${id(role)} PASSWORD ${pg.escapeLiteral(password)}`);
      }
    }
    await ignoring(DUPLICATE_DATABASE, () =>
      client.query(`CREATE DATABASE ${id(database)} OWNER ${id(migratorRole)}`),
    );
    await client.query(`ALTER DATABASE ${id(database)} OWNER TO ${id(migratorRole)}`);
    await client.query(`REVOKE ALL ON DATABASE ${id(database)} FROM PUBLIC`);
    await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${id(database)} TO ${id(appRole)}`);
  });
  const onDatabase = withPath(admin.url, database);
  const migration = await withClient(onDatabase, async (client) => {
    await client.query(`ALTER SCHEMA public OWNER TO ${id(migratorRole)}`);
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await client.query(`GRANT USAGE ON SCHEMA public TO ${id(appRole)}`);
    // Everything the migrations create is owned by the migrator, as if it had connected itself.
    await client.query(`SET ROLE ${id(migratorRole)}`);
    return migrate(client, { appRole });
  });
  return {
    appUrl: withUser(onDatabase, appRole, options.appPassword),
    migratorUrl: withUser(onDatabase, migratorRole, options.migratorPassword),
    migration,
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'signet-provision' });
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(
      'STORE_FAILURE',
      `could not provision the database: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ignoring(sqlState: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    // Created by another provisioner at the same time, or on an earlier run: what we wanted exists.
    if (sqlStateOf(error) !== sqlState) throw error;
  }
}

function withPath(url: string, database: string): string {
  const copy = new URL(url);
  copy.pathname = `/${encodeURIComponent(database)}`;
  return copy.toString();
}

function withUser(url: string, user: string, password: string | undefined): string {
  const copy = new URL(url);
  copy.username = encodeURIComponent(user);
  copy.password = password === undefined ? '' : encodeURIComponent(password);
  return copy.toString();
}
