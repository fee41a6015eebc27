// The stores of a test home read and attacked directly, below the CLI, on either backend: the SQLite
// file and object files of the embedded default, or the rows of the home's PostgreSQL database as its
// superuser. Each attack is the same on both — someone with write access to the storage changes what
// the log holds — so one CLI test asserts that `signet` notices, whichever backend it runs on.
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';

import type { TempHome } from './cli.js';
import { asSuperuser } from './postgres.js';

const LEDGER_FILE = 'ledger.sqlite';
// Replica mode: no ordinary trigger fires in this session, the append-only and write-once ones included.
const REPLICA = 'SET session_replication_role = replica';

/** The number of entries in the ledger, read from the store (no CLI process). */
export async function ledgerSize(home: TempHome): Promise<number> {
  return count(home, { embedded: 'entries', postgres: 'ledger_entries' });
}

/** The number of stored objects (entry envelopes included). */
export async function objectCount(home: TempHome): Promise<number> {
  if (home.database) return count(home, { embedded: '', postgres: 'objects' });
  const files = await readdir(path.join(home.dir, 'objects', 'sha256'), {
    recursive: true,
    withFileTypes: true,
  });
  return files.filter((f) => f.isFile()).length;
}

/** Replaces the stored bytes of an object, as the file's owner (embedded) or the superuser would. */
export async function overwriteObject(
  home: TempHome,
  digest: string,
  edit: (stored: Buffer) => Uint8Array,
): Promise<void> {
  if (home.database) {
    await superuser(home, async (client) => {
      // The write-once trigger off and the digest check dropped: nothing in the database stops it now.
      await client.query(REPLICA);
      await client.query('ALTER TABLE objects DROP CONSTRAINT objects_digest, DROP CONSTRAINT objects_size');
      const { rows } = await client.query<{ bytes: Buffer }>('SELECT bytes FROM objects WHERE digest = $1', [
        digest,
      ]);
      if (!rows[0]) throw new Error(`no object ${digest} in ${home.database!.name}`);
      const bytes = Buffer.from(edit(rows[0].bytes));
      await client.query('UPDATE objects SET bytes = $1, size = $2 WHERE digest = $3', [
        bytes,
        bytes.length,
        digest,
      ]);
    });
    return;
  }
  const file = objectFile(home, digest);
  const bytes = await readFile(file);
  await chmod(file, 0o644);
  await writeFile(file, edit(bytes));
}

/**
 * Makes the object store answer other bytes under an entry's id. Both homes keep envelopes in the
 * ledger's rows only and serve them as objects from there, reading the object store under the id first:
 * a file is planted there, or on PostgreSQL a row of `objects` (one an earlier version wrote is
 * overwritten).
 */
export async function replaceEnvelopeObject(home: TempHome, id: string, bytes: Uint8Array): Promise<void> {
  if (home.database) {
    await superuser(home, async (client) => {
      await client.query(REPLICA);
      await client.query('ALTER TABLE objects DROP CONSTRAINT objects_digest, DROP CONSTRAINT objects_size');
      await client.query(
        `INSERT INTO objects (digest, size, bytes) VALUES ($1, $2, $3)
           ON CONFLICT (digest) DO UPDATE SET size = excluded.size, bytes = excluded.bytes`,
        [id, bytes.length, Buffer.from(bytes)],
      );
    });
    return;
  }
  const file = objectFile(home, id);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes, { flag: 'wx' });
}

/**
 * Rewrites entry `index`'s envelope in place with the append-only guards removed: the SQLite update
 * trigger dropped, or on PostgreSQL the triggers off and the id and leaf-hash checks dropped (the id
 * column keeps the old digest, as in SQLite).
 */
export async function rewriteEntry(
  home: TempHome,
  index: number,
  edit: (envelope: Buffer) => Uint8Array,
): Promise<void> {
  if (home.database) {
    await superuser(home, async (client) => {
      await client.query(REPLICA);
      await client.query(
        'ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_id_is_digest, ' +
          'DROP CONSTRAINT ledger_entries_leaf_hash',
      );
      const { rows } = await client.query<{ envelope: Buffer }>(
        'SELECT envelope FROM ledger_entries WHERE idx = $1',
        [index],
      );
      if (!rows[0]) throw new Error(`no entry ${index} in ${home.database!.name}`);
      await client.query('UPDATE ledger_entries SET envelope = $1 WHERE idx = $2', [
        Buffer.from(edit(rows[0].envelope)),
        index,
      ]);
    });
    return;
  }
  const db = openLedgerFile(home);
  try {
    const row = db.prepare('SELECT envelope FROM entries WHERE idx = ?').get(index) as { envelope: Buffer };
    db.exec('DROP TRIGGER entries_no_update');
    db.prepare('UPDATE entries SET envelope = ? WHERE idx = ?').run(Buffer.from(edit(row.envelope)), index);
  } finally {
    db.close();
  }
}

/**
 * One bit of entry `index`'s payload flipped where it is kept: in the bytes of the SQLite file itself,
 * below SQLite, or in its PostgreSQL row.
 */
export async function flipPayloadByte(home: TempHome, index: number): Promise<void> {
  const flip = (envelope: Buffer, at: number): void => {
    envelope[at] = envelope[at] === 0x41 ? 0x42 : 0x41;
  };
  const payloadByte = (envelope: Buffer): number => envelope.indexOf(Buffer.from('"payload":"')) + 40;
  if (home.database) {
    await rewriteEntry(home, index, (envelope) => {
      const copy = Buffer.from(envelope);
      flip(copy, payloadByte(copy));
      return copy;
    });
    return;
  }
  const db = openLedgerFile(home);
  const row = db.prepare('SELECT envelope FROM entries WHERE idx = ?').get(index) as { envelope: Buffer };
  db.close();
  const file = path.join(home.dir, LEDGER_FILE);
  const bytes = await readFile(file);
  const at = bytes.indexOf(row.envelope);
  if (at <= 0) throw new Error(`entry ${index}'s envelope is not in ${file} as is`);
  flip(bytes, at + payloadByte(row.envelope));
  await writeFile(file, bytes);
}

/** Deletes ledger rows with the append-only triggers out of the way. */
export async function deleteLedgerRows(
  home: TempHome,
  rows: { entries: readonly number[]; checkpoints?: readonly number[] },
): Promise<void> {
  const checkpoints = rows.checkpoints ?? [];
  if (home.database) {
    await superuser(home, async (client) => {
      await client.query(REPLICA);
      await client.query('DELETE FROM ledger_entries WHERE idx = ANY($1)', [rows.entries]);
      await client.query('DELETE FROM ledger_checkpoints WHERE size = ANY($1)', [checkpoints]);
    });
    return;
  }
  const db = openLedgerFile(home);
  try {
    db.exec('DROP TRIGGER entries_no_delete; DROP TRIGGER checkpoints_no_delete');
    for (const idx of rows.entries) db.prepare('DELETE FROM entries WHERE idx = ?').run(idx);
    for (const size of checkpoints) db.prepare('DELETE FROM checkpoints WHERE size = ?').run(size);
  } finally {
    db.close();
  }
}

/**
 * Tries to change the log as the most privileged user of the store (the SQLite file's owner, the
 * PostgreSQL superuser) with the guards in place: an UPDATE and a DELETE of entry `index`, a DELETE of
 * every checkpoint. Returns each refusal's message, or "done" for a change that went through.
 */
export async function tryRewritingHistory(home: TempHome, index: number): Promise<string[]> {
  const attempts = home.database
    ? [
        ['UPDATE ledger_entries SET kind = $1 WHERE idx = $2', ['x', index]],
        ['DELETE FROM ledger_entries WHERE idx = $1', [index]],
        ['DELETE FROM ledger_checkpoints', []],
      ]
    : [
        ['UPDATE entries SET kind = ? WHERE idx = ?', ['x', index]],
        ['DELETE FROM entries WHERE idx = ?', [index]],
        ['DELETE FROM checkpoints', []],
      ];
  const outcomes: string[] = [];
  if (home.database) {
    await superuser(home, async (client) => {
      for (const [sql, values] of attempts as [string, unknown[]][]) {
        outcomes.push(
          await client.query(sql, values).then(
            () => 'done',
            (error: unknown) => (error instanceof Error ? error.message : String(error)),
          ),
        );
      }
    });
    return outcomes;
  }
  const db = openLedgerFile(home);
  try {
    for (const [sql, values] of attempts as [string, unknown[]][]) {
      try {
        db.prepare(sql).run(...values);
        outcomes.push('done');
      } catch (error) {
        outcomes.push(error instanceof Error ? error.message : String(error));
      }
    }
  } finally {
    db.close();
  }
  return outcomes;
}

function objectFile(home: TempHome, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return path.join(home.dir, 'objects', 'sha256', hex.slice(0, 2), hex.slice(2));
}

function openLedgerFile(home: TempHome): Database.Database {
  return new Database(path.join(home.dir, LEDGER_FILE), { fileMustExist: true });
}

async function count(home: TempHome, table: { embedded: string; postgres: string }): Promise<number> {
  if (home.database) {
    return superuser(home, async (client) => {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.postgres}`);
      return Number(rows[0]!.n);
    });
  }
  const db = openLedgerFile(home);
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table.embedded}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function superuser<T>(home: TempHome, work: (client: pg.Client) => Promise<T>): Promise<T> {
  return asSuperuser(home.database!.url, work);
}
