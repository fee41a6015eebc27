// Tests of the PostgreSQL stores run against a real server (127.0.0.1:5432, or SIGNET_TEST_POSTGRES_URL),
// each in a database of its own (`signet_test_<random>`) dropped at the end. Without a server they fail
// with how to start one; they never skip (as the browser tests without chromium).
import { randomBytes } from 'node:crypto';

import pg from 'pg';

import {
  openPostgresStores,
  type PostgresStores,
  type PostgresStoresOptions,
} from '../../src/store/pg/pool.js';
import { provisionRoles } from '../../src/store/pg/roles.js';

/** A superuser on the server's maintenance database. */
export const POSTGRES_ADMIN_URL =
  process.env['SIGNET_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const HOW_TO_START =
  'start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` ' +
  '(.ci/run does), or set SIGNET_TEST_POSTGRES_URL to a superuser URL';

/** Refuses, with how to start it, when PostgreSQL does not answer. */
export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `the PostgreSQL store tests need a PostgreSQL server at ${redact(POSTGRES_ADMIN_URL)} ` +
        `(${error instanceof Error ? error.message || error.name : String(error)}): ${HOW_TO_START}`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  readonly name: string;
  /** As the superuser. */
  readonly url: string;
  /** With `roles`: the application role's and the migrator's URLs; the schema is migrated. */
  readonly appUrl: string;
  readonly migratorUrl: string;
  readonly appRole: string;
  readonly migratorRole: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database. With `roles: true` it is provisioned as in production: a migrator that owns
 * it (the schema migrated) and an application role with `APP_PRIVILEGES`; both roles are dropped with it.
 */
export async function createTestDatabase(options: { roles?: boolean } = {}): Promise<TestDatabase> {
  await requirePostgres();
  const suffix = randomBytes(6).toString('hex');
  const name = `signet_test_${suffix}`;
  const appRole = `signet_test_app_${suffix}`;
  const migratorRole = `signet_test_migrator_${suffix}`;
  const url = withDatabase(POSTGRES_ADMIN_URL, name);
  let appUrl = url;
  let migratorUrl = url;
  if (options.roles) {
    const provisioned = await provisionRoles(POSTGRES_ADMIN_URL, { database: name, appRole, migratorRole });
    appUrl = provisioned.appUrl;
    migratorUrl = provisioned.migratorUrl;
  } else {
    await admin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  }
  return {
    name,
    url,
    appUrl,
    migratorUrl,
    appRole,
    migratorRole,
    async drop() {
      await admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      if (options.roles) {
        await admin(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(appRole)}`);
        await admin(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(migratorRole)}`);
      }
    },
  };
}

/**
 * A copy of `source` (without roles) as it is now: `CREATE DATABASE … TEMPLATE`, which needs no one
 * else connected to the source. A `signet` process that has just exited may still hold its session for
 * a moment, so "being accessed by other users" is retried for a few seconds.
 */
export async function cloneTestDatabase(source: TestDatabase): Promise<TestDatabase> {
  const name = `signet_test_${randomBytes(6).toString('hex')}`;
  const sql = `CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(source.name)}`;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await admin(sql);
      break;
    } catch (error) {
      if (sqlStateOf(error) !== OBJECT_IN_USE || attempt >= CLONE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  return databaseWithoutRoles(name);
}

/** SQLSTATE 55006: the template database has other sessions. */
const OBJECT_IN_USE = '55006';
const CLONE_ATTEMPTS = 10;

function sqlStateOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function databaseWithoutRoles(name: string): TestDatabase {
  const url = withDatabase(POSTGRES_ADMIN_URL, name);
  return {
    name,
    url,
    appUrl: url,
    migratorUrl: url,
    appRole: '',
    migratorRole: '',
    async drop() {
      await admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    },
  };
}

/** Runs statements as the superuser on `url` (for tests that play an attacker or an operator). */
export async function asSuperuser<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function admin(sql: string): Promise<void> {
  await asSuperuser(POSTGRES_ADMIN_URL, (client) => client.query(sql));
}

function withDatabase(url: string, database: string): string {
  const copy = new URL(url);
  copy.pathname = `/${database}`;
  return copy.toString();
}

function redact(url: string): string {
  try {
    const copy = new URL(url);
    if (copy.password) copy.password = '***';
    return copy.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

/**
 * Fresh migrated databases on demand, each with the stores open on it, all closed and dropped by
 * `cleanup` (call it in afterEach or afterAll).
 */
export function postgresFixture(): {
  open(
    options: PostgresStoresOptions,
    database?: { roles?: boolean },
  ): Promise<PostgresStores & { db: TestDatabase }>;
  cleanup(): Promise<void>;
} {
  const opened: { db: TestDatabase; stores?: PostgresStores }[] = [];
  return {
    async open(options, database = {}) {
      const db = await createTestDatabase(database);
      const slot: { db: TestDatabase; stores?: PostgresStores } = { db };
      opened.push(slot);
      const stores = await openPostgresStores(database.roles ? db.appUrl : db.url, {
        ...options,
        pool: { max: 4, ...options.pool },
      });
      slot.stores = stores;
      return { ...stores, db };
    },
    async cleanup() {
      for (const { db, stores } of opened.splice(0)) {
        await stores?.close();
        await db.drop();
      }
    },
  };
}
