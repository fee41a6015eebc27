// Connection handling for the PostgreSQL stores: `SIGNET_DATABASE_URL`, the pg pool, and
// `openPostgresStores`, which migrates the schema and joins the adapters to the log identity.
//
// A database URL carries a password: it is never printed. Errors name the URL with the password replaced.
import pg from 'pg';

import { InputError, messageOf, StoreError } from '../../errors.js';
import type { AuthStore } from '../auth.js';
import type { Drafts } from '../drafts.js';
import type { Ledger } from '../ledger.js';
import type { MonitorCounts } from '../monitor-counts.js';
import type { ObjectStore } from '../object-store.js';
import type { LogIdentity } from '../sqlite-ledger.js';
import { assertSchemaCurrent, migrateDatabase, type MigrationReport } from './migrations.js';
import { openPgAuth } from './pg-auth.js';
import { openPgDrafts } from './pg-drafts.js';
import { openPgLedger } from './pg-ledger.js';
import { openPgMonitorCounts } from './pg-monitor-counts.js';
import { createPgObjectStore, type PgObjectStore } from './pg-object-store.js';
import type { PgPool } from './sql.js';

/** Set: the stores are in this PostgreSQL database. Absent or empty: the embedded default. */
export const DATABASE_URL_ENV = 'SIGNET_DATABASE_URL';

export interface DatabaseUrl {
  /** The URL as given, password included: for the driver only. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string | undefined;
  /** The URL with the password replaced by `***`: safe to print. */
  readonly redacted: string;
}

/** `SIGNET_DATABASE_URL`, validated, or undefined when it is not set (the embedded default). */
export function readDatabaseUrl(env: NodeJS.ProcessEnv = process.env): DatabaseUrl | undefined {
  const value = env[DATABASE_URL_ENV];
  return value === undefined || value.trim() === '' ? undefined : parseDatabaseUrl(value);
}

/**
 * Validates a `postgres://user:password@host:port/database` URL. Throws InputError INVALID_ARGUMENT
 * saying what is wrong; the message never contains the password.
 *
 * @example
 * ```ts
 * parseDatabaseUrl('postgres://signet:s3cret@db:5432/signet').redacted; // 'postgres://signet:***@db:5432/signet'
 * ```
 */
export function parseDatabaseUrl(text: string, what = DATABASE_URL_ENV): DatabaseUrl {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw invalidUrl(`${what} is not a URL; expected postgres://user:password@host:5432/database`);
  }
  const redacted = redactDatabaseUrl(text);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw invalidUrl(`${what} must start with postgres:// or postgresql://, got ${url.protocol}//…`);
  }
  const host = url.hostname || (url.searchParams.get('host') ?? '');
  if (host === '') throw invalidUrl(`${what} names no host: ${redacted}`);
  let database: string;
  let user: string | undefined;
  try {
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    user = url.username === '' ? undefined : decodeURIComponent(url.username);
  } catch {
    throw invalidUrl(`${what} has a malformed percent-escape: ${redacted}`);
  }
  if (database === '' || database.includes('/')) {
    throw invalidUrl(`${what} must name the database as its path (…:5432/signet): ${redacted}`);
  }
  const port = url.port === '' ? 5432 : Number(url.port);
  return { url: text.trim(), host, port, database, user, redacted };
}

/** The URL with its password (in the authority or a `password` parameter) replaced by `***`. */
export function redactDatabaseUrl(text: string): string {
  try {
    const url = new URL(text.trim());
    if (url.password !== '') url.password = '***';
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    return url.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

export interface PgPoolOptions {
  /** Connections at most; 10 by default. */
  readonly max?: number;
  readonly connectionTimeoutMs?: number;
}

/** A pg pool on a validated URL. Idle-connection errors (a server restart) are absorbed, not fatal. */
export function createPgPool(url: DatabaseUrl, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 30_000,
    keepAlive: true,
    application_name: 'signet',
  });
  // An idle client that loses its connection emits 'error' on the pool; unhandled it would end the process.
  // The pool drops that client and the next query connects afresh.
  pool.on('error', () => undefined);
  return pool;
}

export interface PostgresStoresOptions {
  /** The log's origin and signer, as for the SQLite ledger. */
  readonly log: LogIdentity;
  /** Milliseconds since the epoch; injected for tests. */
  readonly clock?: () => number;
  /** Objects up to this size live in the database (DEFAULT_MAX_OBJECT_BYTES, 16 MiB, when absent). */
  readonly maxObjectBytes?: number;
  /** Where larger objects go (the S3-compatible store); without it they are refused with PAYLOAD_TOO_LARGE. */
  readonly largeObjects?: ObjectStore;
  /**
   * `true` (the default): bring the schema up to date on start, under the migration lock. `false`: only
   * check that it is current, and refuse to start otherwise.
   */
  readonly migrate?: boolean;
  /**
   * Run the migrations over this URL instead (the migrator role, which owns the schema), then connect
   * over `url` (the application role, which may not change it).
   */
  readonly migratorUrl?: string;
  /** With `migratorUrl`: grant this role the application's privileges after migrating. */
  readonly appRole?: string;
  readonly pool?: PgPoolOptions;
  /** How long an append waits for the ledger lock; 60 s by default. */
  readonly lockTimeoutMs?: number;
  /**
   * Keep each entry's envelope in its ledger row only, as a home does (serve it as an object with
   * `withLedgerEnvelopes`). By default the ledger also writes each envelope to `objects`.
   */
  readonly envelopesInRows?: boolean;
}

export interface PostgresStores {
  readonly ledger: Ledger;
  readonly drafts: Drafts;
  readonly objects: PgObjectStore;
  readonly auth: AuthStore;
  readonly monitorCounts: MonitorCounts;
  /** The pool the stores share (for a health check); ended by `close`. */
  readonly pool: PgPool;
  /** What the start-up migration did (undefined when `migrate` was false). */
  readonly migration: MigrationReport | undefined;
  /** Lets queued appends finish, then closes every connection. */
  close(): Promise<void>;
}

/**
 * Opens the ledger, drafts, objects, auth and monitor counts on one PostgreSQL database: connects,
 * migrates (or checks) the schema, and shares one pool. Throws InputError INVALID_ARGUMENT for a bad
 * URL and StoreError STORE_FAILURE, naming the redacted URL, when the database cannot be used.
 *
 * @example
 * ```ts
 * const url = readDatabaseUrl();
 * if (url) {
 *   const stores = await openPostgresStores(url.url, { log: { origin, signer } });
 *   await stores.ledger.append(draft);
 *   await stores.close();
 * }
 * ```
 */
export async function openPostgresStores(
  url: string,
  options: PostgresStoresOptions,
): Promise<PostgresStores> {
  const target = parseDatabaseUrl(url);
  let migration: MigrationReport | undefined;
  if (options.migrate !== false && options.migratorUrl !== undefined) {
    const migrator = parseDatabaseUrl(options.migratorUrl, 'the migrator database URL');
    const migratorPool = createPgPool(migrator, { max: 1 });
    try {
      await assertConnects(migratorPool, migrator);
      migration = await migrateDatabase(
        migratorPool,
        options.appRole !== undefined ? { appRole: options.appRole } : {},
      );
    } finally {
      await migratorPool.end().catch(() => undefined);
    }
  }
  const pool = createPgPool(target, options.pool);
  try {
    await assertConnects(pool, target);
    if (options.migrate === false || migration !== undefined) {
      const client = await pool.connect();
      try {
        await assertSchemaCurrent(client);
      } finally {
        client.release();
      }
    } else {
      migration = await migrateDatabase(pool);
    }
    const objects = createPgObjectStore({
      pool,
      ...(options.maxObjectBytes !== undefined ? { maxObjectBytes: options.maxObjectBytes } : {}),
      ...(options.largeObjects ? { large: options.largeObjects } : {}),
    });
    const ledger = openPgLedger({
      pool,
      log: options.log,
      ...(options.envelopesInRows === true ? {} : { objects }),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
    });
    return {
      ledger,
      drafts: openPgDrafts(pool),
      objects,
      auth: openPgAuth(pool),
      monitorCounts: openPgMonitorCounts(pool),
      pool,
      migration,
      close: async () => {
        await ledger.close();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}

async function assertConnects(pool: pg.Pool, url: DatabaseUrl): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    throw new StoreError(
      'STORE_FAILURE',
      `could not connect to PostgreSQL at ${url.redacted}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

function invalidUrl(message: string): InputError {
  return new InputError('INVALID_ARGUMENT', message);
}
