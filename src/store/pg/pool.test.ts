// SIGNET_DATABASE_URL: parsed with clear errors that never show the password, and a server that does not
// answer reported with the URL redacted.
import { describe, expect, it } from 'vitest';

import { createSigner, generateKeyPair } from '../../signing/keys.js';
import { openPostgresStores, parseDatabaseUrl, readDatabaseUrl, redactDatabaseUrl } from './pool.js';

const SECRET = 'hunter2-s3cret';

async function messageOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    return error instanceof Error ? `${error.message} ${JSON.stringify(error)}` : String(error);
  }
  throw new Error('expected a refusal');
}

describe('postgres database URL', () => {
  it('parses a URL and redacts its password', () => {
    const url = parseDatabaseUrl(`postgres://signet:${SECRET}@db.internal:6543/signet_prod?sslmode=require`);
    expect(url).toMatchObject({ host: 'db.internal', port: 6543, database: 'signet_prod', user: 'signet' });
    expect(url.redacted).toBe('postgres://signet:***@db.internal:6543/signet_prod?sslmode=require');
    expect(parseDatabaseUrl('postgresql://127.0.0.1/x').port).toBe(5432);
    expect(redactDatabaseUrl(`postgres://u@h/d?password=${SECRET}`)).not.toContain(SECRET);
  });

  it('refuses what is not a usable PostgreSQL URL, never echoing the password', async () => {
    for (const bad of [
      `signet:${SECRET}@db/signet`,
      `mysql://u:${SECRET}@db/signet`,
      `postgres://u:${SECRET}@db:5432/`,
      `postgres://u:${SECRET}@db:5432`,
      `postgres://u:${SECRET}@db/a/b`,
      `postgres://u:${SECRET}@db/%zz`,
    ]) {
      expect(() => parseDatabaseUrl(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(await messageOf(() => parseDatabaseUrl(bad))).not.toContain(SECRET);
    }
  });

  it('reads SIGNET_DATABASE_URL: absent or empty means the embedded default', () => {
    expect(readDatabaseUrl({})).toBeUndefined();
    expect(readDatabaseUrl({ SIGNET_DATABASE_URL: '  ' })).toBeUndefined();
    expect(readDatabaseUrl({ SIGNET_DATABASE_URL: 'postgres://h/d' })?.database).toBe('d');
    expect(() => readDatabaseUrl({ SIGNET_DATABASE_URL: 'nonsense' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('a server that does not answer is a STORE_FAILURE naming the redacted URL', async () => {
    const url = `postgres://signet:${SECRET}@127.0.0.1:1/signet`;
    const open = () =>
      openPostgresStores(url, {
        log: { origin: 'x', signer: createSigner(generateKeyPair().privatePem) },
        pool: { connectionTimeoutMs: 2_000 },
      });
    await expect(open()).rejects.toMatchObject({ code: 'STORE_FAILURE' });
    const message = await messageOf(open);
    expect(message).toContain('postgres://signet:***@127.0.0.1:1/signet');
    expect(message).not.toContain(SECRET);
  });
});
