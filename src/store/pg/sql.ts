// What the PostgreSQL adapters share: the few driver methods they call (kysely `PostgresPool`), one
// transaction helper, and the mapping of PostgreSQL errors to Signet's coded errors.
import type { QueryResultRow } from 'pg';

import { isSignetError, messageOf, StoreError, type SignetError } from '../../errors.js';

export interface PgResult<R> {
  readonly rows: R[];
  readonly rowCount: number | null;
}

/** A pool or one checked-out connection. */
export interface PgQueryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<PgResult<R>>;
}

export interface PgClient extends PgQueryable {
  /** Returns the connection to the pool; with an error, destroys it instead (its state is unknown). */
  release(error?: Error | boolean): void;
}

export interface PgPool extends PgQueryable {
  connect(): Promise<PgClient>;
  end(): Promise<void>;
}

/**
 * SQLSTATE raised by the triggers that refuse UPDATE, DELETE and TRUNCATE on append-only (ledger) and
 * write-once (object) tables. Class `SG` is Signet's own: PostgreSQL reserves none of it.
 */
export const APPEND_ONLY_SQLSTATE = 'SG001';
/** SQLSTATE raised when a ledger row would break the tree: a gap, a fork, a wrong hash, time going back. */
export const LEDGER_CHECK_SQLSTATE = 'SG002';
export const INSUFFICIENT_PRIVILEGE = '42501';
export const UNIQUE_VIOLATION = '23505';

/**
 * Advisory lock keys, in the two-int4 key space (which never overlaps the single-bigint one):
 * `SIGNET_LOCK_CLASS` is "SIGN" in ASCII, the second key names what is locked.
 */
export const SIGNET_LOCK_CLASS = 0x5349474e;
export const LEDGER_APPEND_LOCK = 1;
export const MIGRATION_LOCK = 2;

/** The SQLSTATE of a driver error, if it has one. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** A coded error for a failed database operation; coded Signet errors pass through unchanged. */
export function pgStoreError(message: string, error: unknown): SignetError {
  if (isSignetError(error)) return error;
  const detail = messageOf(error);
  const state = sqlStateOf(error);
  return new StoreError(
    state === APPEND_ONLY_SQLSTATE ? 'APPEND_ONLY' : 'STORE_FAILURE',
    `${message}: ${detail}`,
    {
      cause: error,
      ...(state !== undefined ? { details: { sqlState: state } } : {}),
    },
  );
}

/** What the `begin` of a transaction answered: one result, or one per statement when it has several. */
export type BeginResult = PgResult<Record<string, unknown>> | PgResult<Record<string, unknown>>[];

/**
 * Runs `work` in one transaction on one connection: COMMIT when it resolves (and only then does this
 * resolve), ROLLBACK when it throws. A connection whose ROLLBACK fails is destroyed, not reused.
 * `begin` may be several statements without parameters (sent as one simple query, one round trip), such
 * as BEGIN followed by `set_config(…, true)`, a transaction lock and a first read: `work` is given what
 * it answered.
 */
export async function inTransaction<T>(
  pool: PgPool,
  work: (client: PgClient, begun: BeginResult) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  let result: T;
  try {
    // node-postgres answers a simple query of several statements with one result per statement.
    const begun = (await client.query<Record<string, unknown>>(begin)) as BeginResult;
    result = await work(client, begun);
    await client.query('COMMIT');
  } catch (error) {
    await rollbackAndRelease(client);
    throw error;
  }
  client.release();
  return result;
}

/**
 * Ends a failed transaction on `client` (ROLLBACK; harmless when the transaction already ended) and
 * returns the connection to the pool, or destroys it when the ROLLBACK fails: its state is unknown.
 */
export async function rollbackAndRelease(client: PgClient): Promise<void> {
  let broken: Error | undefined;
  try {
    await client.query('ROLLBACK');
  } catch (rollbackError) {
    broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
  }
  client.release(broken);
}

/** A BIGINT read back (node-postgres returns them as strings): a safe non-negative integer or a StoreError. */
export function toCount(value: unknown, what: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new StoreError(
      'STORE_FAILURE',
      `${what} read from the database is not a safe count: ${String(value)}`,
    );
  }
  return n;
}

/** A bytea read back, as a Uint8Array over the same memory. */
export function toBytes(value: Buffer): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.length);
}
