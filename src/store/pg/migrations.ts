// Versioned schema migrations for the PostgreSQL stores.
//
// Each migration runs in one transaction together with the row that records it in
// `signet_schema_migrations`, so a migration is applied entirely or not at all. `migrate` holds a
// session advisory lock while it reads what is applied and applies the rest: several servers starting at
// once wait for each other, and the ones that come second find nothing to do. A database whose schema is
// newer than this code (a version it does not know) is refused, never written to.
//
// The ledger tables (`ledger_entries`, `ledger_nodes`, `ledger_checkpoints`) are append-only and
// `objects` is write-once (DESIGN invariants 1 and 2): statement triggers refuse UPDATE, DELETE and
// TRUNCATE with SQLSTATE SG001 for every role, the owner included, and insert triggers refuse a row that
// would break the tree (SG002): an index that is not the next one (a gap or a fork), an id or leaf hash
// that is not the hash of the envelope, a time before the previous entry's, a tree node that is not the
// hash of its children. The application role is granted SELECT and INSERT only on them (`APP_PRIVILEGES`);
// the one function it calls to append, `signet_append_batch`, runs with its privileges (SECURITY INVOKER).
import { escapeIdentifier } from 'pg';

import { messageOf, StoreError } from '../../errors.js';
import {
  INSUFFICIENT_PRIVILEGE,
  MIGRATION_LOCK,
  SIGNET_LOCK_CLASS,
  sqlStateOf,
  type PgPool,
  type PgQueryable,
} from './sql.js';

export interface Migration {
  /** 1, 2, 3…: applied in order, each exactly once. */
  readonly version: number;
  readonly name: string;
  /** One or more statements, run in the migration's transaction. */
  readonly sql: string;
}

export const MIGRATIONS_TABLE = 'signet_schema_migrations';

// Fixed-format texts compare in byte order (COLLATE "C"), as SQLite's BINARY does, whatever the
// database's default collation: RFC 3339 times then sort by time, digests and ids by their bytes.
const LEDGER = `
CREATE FUNCTION signet_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'signet: % of % refused: the table is %', TG_OP, TG_TABLE_NAME, TG_ARGV[0]
    USING ERRCODE = 'SG001',
          HINT = 'Signet ledger rows are never changed or removed; objects are written once.';
END
$$;

CREATE TABLE ledger_entries (
  idx bigint PRIMARY KEY CHECK (idx >= 0),
  id text COLLATE "C" NOT NULL UNIQUE,
  kind text COLLATE "C" NOT NULL,
  time text COLLATE "C" NOT NULL
    CHECK (time ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$'),
  envelope bytea NOT NULL,
  leaf_hash bytea NOT NULL,
  CONSTRAINT ledger_entries_id_is_digest CHECK (id = 'sha256:' || encode(sha256(envelope), 'hex')),
  CONSTRAINT ledger_entries_leaf_hash CHECK (leaf_hash = sha256(decode('00', 'hex') || envelope))
);
CREATE INDEX ledger_entries_by_kind ON ledger_entries (kind, idx);

-- Every perfect aligned subtree hash (RFC 9162 §2.1; see src/ledger/merkle.ts): level 0 holds the leaves.
CREATE TABLE ledger_nodes (
  level smallint NOT NULL CHECK (level BETWEEN 0 AND 52),
  idx bigint NOT NULL CHECK (idx >= 0),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (level, idx)
);

-- The signed checkpoint (C2SP signed note) stored with each append.
CREATE TABLE ledger_checkpoints (
  size bigint PRIMARY KEY CHECK (size > 0),
  note bytea NOT NULL
);

CREATE FUNCTION signet_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  next_index bigint;
  last_time text COLLATE "C";
BEGIN
  SELECT idx + 1, time INTO next_index, last_time FROM ledger_entries ORDER BY idx DESC LIMIT 1;
  next_index := coalesce(next_index, 0);
  IF NEW.idx <> next_index THEN
    RAISE EXCEPTION 'signet: entry index % refused: the next index of the ledger is %', NEW.idx, next_index
      USING ERRCODE = 'SG002';
  END IF;
  IF last_time IS NOT NULL AND NEW.time < last_time THEN
    RAISE EXCEPTION 'signet: entry % refused: its time % is before the previous entry''s %',
      NEW.idx, NEW.time, last_time USING ERRCODE = 'SG002';
  END IF;
  RETURN NEW;
END
$$;

CREATE FUNCTION signet_check_node() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  expected bytea;
BEGIN
  IF NEW.level = 0 THEN
    SELECT leaf_hash INTO expected FROM ledger_entries WHERE idx = NEW.idx;
  ELSE
    SELECT sha256(decode('01', 'hex') || l.hash || r.hash) INTO expected
      FROM ledger_nodes l JOIN ledger_nodes r ON r.level = l.level AND r.idx = l.idx + 1
      WHERE l.level = NEW.level - 1 AND l.idx = 2 * NEW.idx;
  END IF;
  IF expected IS DISTINCT FROM NEW.hash THEN
    RAISE EXCEPTION 'signet: tree node (level %, index %) refused: it is not the hash of its children',
      NEW.level, NEW.idx USING ERRCODE = 'SG002';
  END IF;
  RETURN NEW;
END
$$;

CREATE FUNCTION signet_check_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  current_size bigint;
BEGIN
  SELECT coalesce(max(idx) + 1, 0) INTO current_size FROM ledger_entries;
  IF NEW.size <> current_size THEN
    RAISE EXCEPTION 'signet: checkpoint of size % refused: the ledger has % entries', NEW.size, current_size
      USING ERRCODE = 'SG002';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER ledger_entries_check BEFORE INSERT ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION signet_check_entry();
CREATE TRIGGER ledger_nodes_check BEFORE INSERT ON ledger_nodes
  FOR EACH ROW EXECUTE FUNCTION signet_check_node();
CREATE TRIGGER ledger_checkpoints_check BEFORE INSERT ON ledger_checkpoints
  FOR EACH ROW EXECUTE FUNCTION signet_check_checkpoint();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION signet_refuse_change('append-only');
CREATE TRIGGER ledger_nodes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION signet_refuse_change('append-only');
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION signet_refuse_change('append-only');
`;

const OBJECTS = `
CREATE TABLE objects (
  digest text COLLATE "C" PRIMARY KEY,
  size bigint NOT NULL,
  bytes bytea NOT NULL,
  CONSTRAINT objects_size CHECK (size = octet_length(bytes)),
  CONSTRAINT objects_digest CHECK (digest = 'sha256:' || encode(sha256(bytes), 'hex'))
);
CREATE TRIGGER objects_write_once BEFORE UPDATE OR DELETE OR TRUNCATE ON objects
  FOR EACH STATEMENT EXECUTE FUNCTION signet_refuse_change('write-once');
`;

// Working state, not evidence: drafts are closed by UPDATE, approvals replaced.
const DRAFTS = `
CREATE TABLE registrations (
  kind text COLLATE "C" NOT NULL CHECK (kind IN ('model', 'dataset')),
  digest text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  registration text COLLATE "C" NOT NULL,
  PRIMARY KEY (kind, digest)
);
CREATE TABLE drafts (
  id text COLLATE "C" PRIMARY KEY,
  status text COLLATE "C" NOT NULL CHECK (status IN ('open', 'sealed', 'rejected')),
  inputs text COLLATE "C" NOT NULL,
  view text COLLATE "C" NOT NULL,
  requester text COLLATE "C" NOT NULL,
  model text COLLATE "C" NOT NULL,
  context text COLLATE "C" NOT NULL,
  route text COLLATE "C" NOT NULL,
  tier text COLLATE "C" NOT NULL,
  request_signature text COLLATE "C" NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  closed_by text COLLATE "C"
);
CREATE INDEX drafts_by_status ON drafts (status, created_at);
CREATE TABLE approvals (
  draft text COLLATE "C" NOT NULL,
  identity text COLLATE "C" NOT NULL,
  view text COLLATE "C" NOT NULL,
  approval text NOT NULL,
  PRIMARY KEY (draft, identity)
);
`;

const AUTH = `
CREATE TABLE api_tokens (
  id text COLLATE "C" PRIMARY KEY,
  identity text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  token_hash text COLLATE "C" NOT NULL UNIQUE,
  created_by text COLLATE "C" NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  revoked_at text COLLATE "C"
);
CREATE TABLE sessions (
  id_hash text COLLATE "C" PRIMARY KEY,
  identity text COLLATE "C" NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  expires_at text COLLATE "C" NOT NULL,
  revoked_at text COLLATE "C"
);
CREATE TABLE invites (
  id text COLLATE "C" PRIMARY KEY,
  token_hash text COLLATE "C" NOT NULL UNIQUE,
  identity text COLLATE "C" NOT NULL,
  created_by text COLLATE "C" NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  expires_at text COLLATE "C" NOT NULL,
  used_at text COLLATE "C"
);
CREATE TABLE challenges (
  id text COLLATE "C" PRIMARY KEY,
  purpose text COLLATE "C" NOT NULL,
  challenge text COLLATE "C" NOT NULL,
  identity text COLLATE "C",
  created_at text COLLATE "C" NOT NULL,
  expires_at text COLLATE "C" NOT NULL,
  used_at text COLLATE "C"
);
`;

const MONITOR_COUNTS = `
CREATE TABLE monitor_window_counts (
  model text COLLATE "C" NOT NULL,
  context text COLLATE "C" NOT NULL,
  reference text COLLATE "C" NOT NULL,
  "window" text COLLATE "C" NOT NULL,
  feature text COLLATE "C" NOT NULL,
  counts text NOT NULL,
  PRIMARY KEY (model, context, reference, "window", feature)
);
`;

// One append batch's rows in one call, so in one round trip (pg-ledger.ts): the entries in index order,
// then the tree nodes bottom-up, then the checkpoint. Three INSERT statements, as the ledger sent them
// before, not one statement of data-modifying CTEs: those share one snapshot, so a node's trigger would
// not see the entries inserted beside it. Here each statement sees the rows of the ones before, and every
// insert trigger checks each row as it did. SECURITY INVOKER (the default, stated): it runs with the
// caller's privileges, so only a role that may INSERT into the ledger tables can append through it;
// EXECUTE is therefore granted to PUBLIC explicitly (whatever the default privileges say), and a schema
// migrated without `appRole` (`signet db migrate`) still lets the application role append.
const APPEND_BATCH = `
CREATE FUNCTION signet_append_batch(
  entry_idx bigint[], entry_id text[], entry_kind text[], entry_time text[],
  entry_envelope bytea[], entry_leaf_hash bytea[],
  node_level smallint[], node_idx bigint[], node_hash bytea[],
  checkpoint_size bigint, checkpoint_note bytea
) RETURNS void LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
BEGIN
  INSERT INTO ledger_entries (idx, id, kind, time, envelope, leaf_hash)
    SELECT e.idx, e.id, e.kind, e.time, e.envelope, e.leaf_hash
      FROM unnest(entry_idx, entry_id, entry_kind, entry_time, entry_envelope, entry_leaf_hash)
           WITH ORDINALITY AS e(idx, id, kind, time, envelope, leaf_hash, i)
     ORDER BY e.i;
  INSERT INTO ledger_nodes (level, idx, hash)
    SELECT n.level, n.idx, n.hash
      FROM unnest(node_level, node_idx, node_hash) WITH ORDINALITY AS n(level, idx, hash, i)
     ORDER BY n.i;
  INSERT INTO ledger_checkpoints (size, note) VALUES (checkpoint_size, checkpoint_note);
END
$$;
GRANT EXECUTE ON FUNCTION signet_append_batch(
  bigint[], text[], text[], text[], bytea[], bytea[], smallint[], bigint[], bytea[], bigint, bytea
) TO PUBLIC;
`;

// What an append reads under the ledger lock (pg-ledger.ts), as a function so that its plans are
// prepared once per connection, each an index lookup: the last entry, the latest `log-key` entry, and
// the frontier of the tree after the last entry (the node at level l, when bit l of the size is set, is
// (l, size >> l) - 1). The same query written as one statement was planned again on every append (about
// 1 ms) and, on stale statistics, joined the frontier levels against a scan of every node. The first row
// is the last entry with a null level (so that a tree whose frontier nodes were all missing still reads
// as non-empty); one row per frontier node follows. No row: the ledger is empty. STABLE, SECURITY
// INVOKER: it reads with the caller's privileges, in the caller's statement snapshot (taken after the
// lock).
const APPEND_TAIL = `
CREATE FUNCTION signet_append_tail()
RETURNS TABLE (idx bigint, "time" text, level smallint, hash bytea, rotation bigint)
LANGUAGE plpgsql STABLE SECURITY INVOKER AS $$
#variable_conflict use_column
DECLARE
  last_idx bigint;
  last_time text;
  rotation_idx bigint;
  size bigint;
BEGIN
  SELECT e.idx, e.time INTO last_idx, last_time FROM ledger_entries e ORDER BY e.idx DESC LIMIT 1;
  IF last_idx IS NULL THEN
    RETURN;
  END IF;
  SELECT r.idx INTO rotation_idx FROM ledger_entries r WHERE r.kind = 'log-key' ORDER BY r.idx DESC LIMIT 1;
  RETURN QUERY SELECT last_idx, last_time, NULL::smallint, NULL::bytea, rotation_idx;
  size := last_idx + 1;
  FOR l IN 0..52 LOOP
    IF (size >> l) & 1 = 1 THEN
      RETURN QUERY SELECT last_idx, last_time, n.level, n.hash, rotation_idx
        FROM ledger_nodes n WHERE n.level = l AND n.idx = (size >> l) - 1;
    END IF;
  END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION signet_append_tail() TO PUBLIC;
`;

// The index of the latest entry of each kind, for conditional appends (`Ledger.appendIf`, pg-ledger.ts):
// read under the ledger lock in the same round trip as the tail. The kinds are found by a loose index
// scan of (kind, idx) — one probe per distinct kind, a dozen or so — and each kind's last index by one
// more, so the cost does not grow with the log. plpgsql, so that the plans are prepared once per
// connection; STABLE, SECURITY INVOKER, as signet_append_tail.
const APPEND_KINDS = `
CREATE FUNCTION signet_append_kinds()
RETURNS TABLE (kind text, last_idx bigint)
LANGUAGE plpgsql STABLE SECURITY INVOKER AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    WITH RECURSIVE kinds(k) AS (
      (SELECT e.kind FROM ledger_entries e ORDER BY e.kind LIMIT 1)
      UNION ALL
      SELECT (SELECT e.kind FROM ledger_entries e WHERE e.kind > kinds.k ORDER BY e.kind LIMIT 1)
        FROM kinds WHERE kinds.k IS NOT NULL
    )
    SELECT kinds.k::text, (SELECT max(e.idx) FROM ledger_entries e WHERE e.kind = kinds.k)
      FROM kinds WHERE kinds.k IS NOT NULL;
END
$$;
GRANT EXECUTE ON FUNCTION signet_append_kinds() TO PUBLIC;
`;

/** Every migration this code knows, in order. Never edit one that has shipped: add the next. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'ledger', sql: LEDGER },
  { version: 2, name: 'objects', sql: OBJECTS },
  { version: 3, name: 'drafts', sql: DRAFTS },
  { version: 4, name: 'auth', sql: AUTH },
  { version: 5, name: 'monitor-counts', sql: MONITOR_COUNTS },
  { version: 6, name: 'append-batch', sql: APPEND_BATCH },
  { version: 7, name: 'append-tail', sql: APPEND_TAIL },
  { version: 8, name: 'append-kinds', sql: APPEND_KINDS },
];

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

/**
 * What the application role may do, table by table. No UPDATE or DELETE on the ledger tables and
 * objects: the triggers refuse them anyway, and the role could not even ask. Drafts, auth and monitor
 * counts are working state that the adapters update; sessions, invites and challenges are purged.
 */
export const APP_PRIVILEGES: Readonly<Record<string, readonly Privilege[]>> = {
  [MIGRATIONS_TABLE]: ['SELECT'],
  ledger_entries: ['SELECT', 'INSERT'],
  ledger_nodes: ['SELECT', 'INSERT'],
  ledger_checkpoints: ['SELECT', 'INSERT'],
  objects: ['SELECT', 'INSERT'],
  registrations: ['SELECT', 'INSERT', 'UPDATE'],
  drafts: ['SELECT', 'INSERT', 'UPDATE'],
  approvals: ['SELECT', 'INSERT', 'UPDATE'],
  api_tokens: ['SELECT', 'INSERT', 'UPDATE'],
  sessions: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  invites: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  challenges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  monitor_window_counts: ['SELECT', 'INSERT', 'UPDATE'],
};

export interface MigrateOptions {
  /** Grants this role `APP_PRIVILEGES` (and revokes the rest) once the schema is current. */
  readonly appRole?: string;
  /** For tests: another list than `MIGRATIONS`. */
  readonly migrations?: readonly Migration[];
}

export interface MigrationReport {
  /** The schema version found (0: none). */
  readonly from: number;
  readonly to: number;
  /** The versions this call applied, in order; empty when the schema was current. */
  readonly applied: readonly number[];
}

/**
 * Brings the schema to the newest version, on one connection (the advisory lock is the session's).
 * Refuses, with StoreError STORE_FAILURE, a schema newer than the code or one that disagrees with it.
 *
 * @example
 * ```ts
 * const client = await pool.connect();
 * try { await migrate(client, { appRole: 'signet_app' }); } finally { client.release(); }
 * ```
 */
export async function migrate(client: PgQueryable, options: MigrateOptions = {}): Promise<MigrationReport> {
  const migrations = options.migrations ?? MIGRATIONS;
  assertMigrationList(migrations);
  const known = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  await client.query('SELECT pg_advisory_lock($1, $2)', [SIGNET_LOCK_CLASS, MIGRATION_LOCK]);
  try {
    const applied = await readApplied(client);
    const from = applied.length === 0 ? 0 : applied[applied.length - 1]!.version;
    if (from > known) {
      throw new StoreError(
        'STORE_FAILURE',
        `the database schema is at version ${from} (${applied[applied.length - 1]!.name}), newer than ` +
          `this Signet knows (${known}): upgrade Signet, or point SIGNET_DATABASE_URL at another database`,
        { details: { databaseVersion: from, codeVersion: known } },
      );
    }
    applied.forEach((row, i) => {
      const expected = migrations[i];
      if (!expected || expected.version !== row.version || expected.name !== row.name) {
        throw new StoreError(
          'STORE_FAILURE',
          `the database records migration ${row.version} (${row.name}) where this Signet has ` +
            `${expected ? `${expected.version} (${expected.name})` : 'none'}: it is not a Signet schema this code can use`,
          { details: { databaseVersion: from, codeVersion: known } },
        );
      }
    });
    const done: number[] = [];
    for (const migration of migrations.slice(applied.length)) {
      await applyOne(client, migration, known);
      done.push(migration.version);
    }
    if (options.appRole !== undefined) await grantAppPrivileges(client, options.appRole);
    return { from, to: known, applied: done };
  } finally {
    await client
      .query('SELECT pg_advisory_unlock($1, $2)', [SIGNET_LOCK_CLASS, MIGRATION_LOCK])
      .catch(() => undefined);
  }
}

/** `migrate` on a connection of its own from the pool. */
export async function migrateDatabase(pool: PgPool, options: MigrateOptions = {}): Promise<MigrationReport> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await migrate(client, options);
  } catch (error) {
    // The session may still hold the advisory lock if the unlock failed: never hand it back to the pool.
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * The schema version the database is at (0: none), read without changing anything; throws
 * STORE_FAILURE unless it is `SCHEMA_VERSION`. For a server started with migrations turned off.
 */
export async function assertSchemaCurrent(client: PgQueryable): Promise<number> {
  const found = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
    MIGRATIONS_TABLE,
  ]);
  const version = found.rows[0]?.t
    ? ((await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${MIGRATIONS_TABLE}`)).rows[0]
        ?.v ?? 0)
    : 0;
  if (version !== SCHEMA_VERSION) {
    throw new StoreError(
      'STORE_FAILURE',
      `the database schema is at version ${version}, this Signet needs ${SCHEMA_VERSION}: ` +
        (version > SCHEMA_VERSION ? 'upgrade Signet' : 'run the migrations (as the migrator role)'),
      { details: { databaseVersion: version, codeVersion: SCHEMA_VERSION } },
    );
  }
  return version;
}

/**
 * Grants `role` exactly `APP_PRIVILEGES` on the tables that exist (revoking anything else it had on
 * them), in one transaction. Run by the schema's owner.
 */
export async function grantAppPrivileges(client: PgQueryable, role: string): Promise<void> {
  const who = escapeIdentifier(role);
  await client.query('BEGIN');
  try {
    for (const [table, privileges] of Object.entries(APP_PRIVILEGES)) {
      const found = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
      if (!found.rows[0]?.t) continue;
      const name = escapeIdentifier(table);
      await client.query(`REVOKE ALL ON TABLE ${name} FROM ${who}`);
      await client.query(`GRANT ${privileges.join(', ')} ON TABLE ${name} TO ${who}`);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new StoreError(
      'STORE_FAILURE',
      `could not grant the application role ${role} its privileges: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

async function readApplied(client: PgQueryable): Promise<{ version: number; name: string }[]> {
  const found = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
    MIGRATIONS_TABLE,
  ]);
  if (!found.rows[0]?.t) {
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
           version integer PRIMARY KEY CHECK (version > 0),
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
    } catch (error) {
      throw migrationError(`could not create ${MIGRATIONS_TABLE}`, error);
    }
    return [];
  }
  const rows = await client.query<{ version: number; name: string }>(
    `SELECT version, name FROM ${MIGRATIONS_TABLE} ORDER BY version`,
  );
  return rows.rows;
}

async function applyOne(client: PgQueryable, migration: Migration, known: number): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(migration.sql);
    await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [
      migration.version,
      migration.name,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw migrationError(
      `migration ${migration.version} (${migration.name}) failed; the schema stays at version ` +
        `${migration.version - 1} of ${known}`,
      error,
    );
  }
}

function migrationError(message: string, error: unknown): StoreError {
  const hint =
    sqlStateOf(error) === INSUFFICIENT_PRIVILEGE
      ? ': this role may not change the schema; run the migrations as the role that owns it (the migrator)'
      : '';
  return new StoreError('STORE_FAILURE', `${message}: ${messageOf(error)}${hint}`, { cause: error });
}

function assertMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((migration, i) => {
    if (migration.version !== i + 1) {
      throw new StoreError(
        'INTERNAL',
        `migration ${migration.name} has version ${migration.version}, expected ${i + 1}`,
      );
    }
  });
}
