// The PostgreSQL home's envelopes (../ledger-envelopes.ts): an append writes the envelope in the entry's
// row only, no `objects` row; the view serves it from the row. A database from before keeps the envelope
// rows it has in `objects`: those are read first and must still hash to the entry id.
import { afterEach, describe, expect, it } from 'vitest';

import { asSuperuser, postgresFixture } from '../../../test/helpers/postgres.js';
import { createSigner, generateKeyPair } from '../../signing/keys.js';
import { withLedgerEnvelopes } from '../ledger-envelopes.js';

const ORIGIN = 'test.example/pg-ledger-envelopes';
const postgres = postgresFixture();
afterEach(() => postgres.cleanup());

async function openRowsOnly() {
  const log = { origin: ORIGIN, signer: createSigner(generateKeyPair().privatePem) };
  const stores = await postgres.open({ log, envelopesInRows: true });
  return { stores, ledger: stores.ledger, objects: withLedgerEnvelopes(stores.objects, stores.ledger) };
}

const note = (i: number) => ({
  subject: [{ name: `note-${i}`, digest: { sha256: 'ab'.repeat(32) } }],
  predicateType: 'urn:signet:test-note:v1',
  predicate: { i },
});

describe('postgres: envelopes in the ledger rows only', () => {
  it('an append writes no objects row; the view serves the envelope from the entry row', async () => {
    const { stores, ledger, objects } = await openRowsOnly();
    const sealed = await Promise.all([0, 1, 2].map((i) => ledger.append(note(i))));
    const rows = await stores.pool.query<{ n: string }>('SELECT count(*) AS n FROM objects');
    expect(rows.rows[0]?.n).toBe('0');
    for (const entry of sealed) {
      expect(await stores.objects.has(entry.id)).toBe(false);
      expect(await objects.has(entry.id)).toBe(true);
      expect(Buffer.from(await objects.get(entry.id))).toEqual(Buffer.from(entry.envelope));
    }
    await ledger.close();
  });

  it('an envelope row an earlier version wrote is read first, and refused once it no longer hashes to the id', async () => {
    const { stores, ledger, objects } = await openRowsOnly();
    const entry = await ledger.append(note(0));
    // As an earlier version stored it, in the append's transaction.
    await stores.objects.put(entry.envelope);
    expect(Buffer.from(await objects.get(entry.id))).toEqual(Buffer.from(entry.envelope));
    await asSuperuser(stores.db.url, async (client) => {
      await client.query('SET session_replication_role = replica');
      await client.query('ALTER TABLE objects DROP CONSTRAINT objects_digest');
      await client.query("UPDATE objects SET bytes = 'not the envelope', size = 16 WHERE digest = $1", [
        entry.id,
      ]);
    });
    // The intact entry row does not hide the changed object.
    await expect(objects.get(entry.id)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await ledger.close();
  });
});
