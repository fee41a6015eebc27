// End to end through the built `signet` executable, in temporary homes: init, objects, log, proofs,
// export, verify — and the attacks of the foundation issue (tamper, forgery, deletion, bad input). The
// tampering happens where the backend keeps the log: the SQLite file and object files of the embedded
// default, or the rows of the PostgreSQL database (helpers/at-rest.ts).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  deleteLedgerRows,
  flipPayloadByte,
  overwriteObject,
  replaceEnvelopeObject,
  tryRewritingHistory,
} from './helpers/at-rest.js';
import { createTempHome, expectNoStackTrace, type TempHome } from './helpers/cli.js';
import { distModule, runNodeScript } from './helpers/dist.js';

let home: TempHome;

beforeEach(async () => {
  home = await createTempHome();
});
afterEach(async () => {
  await home.cleanup();
});

async function init(): Promise<void> {
  const result = await home.run(['init', '--json']);
  expect(result.code, result.stderr).toBe(0);
}

/** Appends `count` entries through the app layer (later issues add commands that append). */
async function appendNotes(count: number): Promise<void> {
  const script = `
    import { openHome } from ${JSON.stringify(distModule('app/home.js'))};
    const home = await openHome(${JSON.stringify(home.dir)});
    for (let i = 0; i < ${count}; i++) {
      await home.ledger.append({
        subject: [{ name: 'note-' + i, digest: { sha256: '${'ab'.repeat(32)}' } }],
        predicateType: 'urn:signet:test-note:v1',
        predicate: { n: i },
      });
    }
    await home.close();
  `;
  const result = await runNodeScript(script, home.env);
  expect(result.code, result.stderr).toBe(0);
}

describe('signet init', () => {
  it('creates the home, a 0600 log key and the genesis entry; refuses an existing home', async () => {
    const first = await home.run(['init', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout) as { genesis: string; origin: string };
    expect(result.genesis).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await stat(path.join(home.dir, 'log-key.pem'))).mode & 0o777).toBe(0o600);

    const entry = await home.run(['log', 'entry', '0', '--json']);
    const genesis = JSON.parse(entry.stdout) as {
      kind: string;
      id: string;
      statement: { predicate: { discipline: { forwardOnly: boolean } } };
    };
    expect(genesis.kind).toBe('genesis');
    expect(genesis.id).toBe(result.genesis);
    expect(genesis.statement.predicate.discipline.forwardOnly).toBe(true);

    const again = await home.run(['init']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('HOME_EXISTS');
    expectNoStackTrace(again);
  });

  it('names a missing home instead of creating one', async () => {
    const result = await home.run(['log', 'checkpoint']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('HOME_MISSING');
    expectNoStackTrace(result);
  });
});

describe('--help', () => {
  it('every command explains itself and exits 0', async () => {
    const commands = [
      [],
      ['init'],
      ['hash'],
      ['object'],
      ['object', 'put'],
      ['object', 'get'],
      ['object', 'verify'],
      ['log'],
      ['log', 'checkpoint'],
      ['log', 'entry'],
      ['log', 'prove', 'inclusion'],
      ['log', 'prove', 'consistency'],
      ['log', 'export'],
      ['verify'],
    ];
    for (const command of commands) {
      const result = await home.run([...command, '--help']);
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout).toContain('Usage: signet');
    }
  });

  it('an unknown command or option is bad input: exit 2', async () => {
    expect((await home.run(['frobnicate'])).code).toBe(2);
    expect((await home.run(['verify', '--no-such-flag'])).code).toBe(2);
  });
});

describe('signet object', () => {
  beforeEach(init);

  it('puts a file and standard input, gets them back, and verifies them', async () => {
    const file = path.join(home.root, 'report.html');
    await writeFile(file, '<p>challenger report</p>');
    const put = JSON.parse((await home.run(['object', 'put', file, '--json'])).stdout) as {
      digest: string;
      created: boolean;
    };
    expect(put.digest).toBe(
      'sha256:' + createHash('sha256').update('<p>challenger report</p>').digest('hex'),
    );
    expect(put.created).toBe(true);
    const again = JSON.parse((await home.run(['object', 'put', file, '--json'])).stdout) as {
      created: boolean;
    };
    expect(again.created).toBe(false);

    const piped = await home.run(['object', 'put', '-', '--json'], { input: Buffer.from('from stdin') });
    const pipedDigest = (JSON.parse(piped.stdout) as { digest: string }).digest;
    const got = await home.run(['object', 'get', pipedDigest]);
    expect(got.stdout).toBe('from stdin');

    const out = path.join(home.root, 'copy.html');
    expect((await home.run(['object', 'get', put.digest, '-o', out])).code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('<p>challenger report</p>');

    const verified = await home.run(['object', 'verify', '--json']);
    expect(verified.code).toBe(0);
    // The two objects put here (and, on PostgreSQL, the entry envelopes it stores as objects too; the
    // embedded home keeps those in the ledger, where `signet verify` checks them).
    expect((JSON.parse(verified.stdout) as { checked: number }).checked).toBeGreaterThanOrEqual(2);
  });

  it('tamper: a byte flipped in a stored object is named by object verify and by get', async () => {
    const file = path.join(home.root, 'plot.svg');
    await writeFile(file, '<svg>shap</svg>');
    const { digest } = JSON.parse((await home.run(['object', 'put', file, '--json'])).stdout) as {
      digest: string;
    };
    await overwriteObject(home, digest, (stored) => {
      const bytes = Buffer.from(stored);
      bytes[3] = bytes[3]! ^ 0x01;
      return bytes;
    });

    const verified = await home.run(['object', 'verify']);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain(digest);
    const one = await home.run(['object', 'verify', digest, '--json']);
    expect(one.code).toBe(1);
    const got = await home.run(['object', 'get', digest, '-o', path.join(home.root, 'out.svg')]);
    expect(got.code).toBe(1);
    expect(got.stderr).toContain(digest);
    expect(got.stderr).toContain('DIGEST_MISMATCH');
    await expect(stat(path.join(home.root, 'out.svg'))).rejects.toThrow();
    expectNoStackTrace(got);
  });

  it('bad input: a malformed digest is refused with exit 2 and a coded message', async () => {
    for (const bad of ['sha256:../../etc', 'sha256:XYZ', 'deadbeef']) {
      const result = await home.run(['object', 'get', bad]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('INVALID_DIGEST');
      expectNoStackTrace(result);
    }
    const missing = await home.run(['object', 'put', path.join(home.root, 'nope.bin')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('NOT_FOUND');
  });
});

describe('signet log and verify', () => {
  beforeEach(async () => {
    await init();
    await appendNotes(12);
  });

  it('prints a C2SP checkpoint, entries by index and id, and proofs that verify', async () => {
    const checkpoint = await home.run(['log', 'checkpoint']);
    expect(checkpoint.code).toBe(0);
    const lines = checkpoint.stdout.split('\n');
    expect(lines[1]).toBe('13');
    expect(lines[3]).toBe('');
    expect(lines[4]).toMatch(/^\u2014 \S+ [A-Za-z0-9+/=]+$/);

    const byIndex = JSON.parse((await home.run(['log', 'entry', '5', '--json'])).stdout) as {
      id: string;
      time: string;
    };
    const byId = JSON.parse((await home.run(['log', 'entry', byIndex.id, '--json'])).stdout) as {
      index: number;
    };
    expect(byId.index).toBe(5);

    const inclusion = JSON.parse((await home.run(['log', 'prove', 'inclusion', '5', '--json'])).stdout) as {
      hashes: string[];
      leafHash: string;
      rootHash: string;
      size: number;
    };
    expect(inclusion.size).toBe(13);
    expect(inclusion.hashes).toHaveLength(4);
    expect(Buffer.from(inclusion.rootHash, 'hex').toString('base64')).toBe(lines[2]);

    const consistency = await home.run(['log', 'prove', 'consistency', '7', '13', '--json']);
    expect(consistency.code).toBe(0);
    expect((JSON.parse(consistency.stdout) as { hashes: string[] }).hashes.length).toBeGreaterThan(0);

    const out = await home.run(['log', 'prove', 'inclusion', '13']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('OUT_OF_RANGE');
  });

  it('verify passes, and is consistent with an earlier checkpoint', async () => {
    const earlier = path.join(home.root, 'checkpoint-13');
    await writeFile(earlier, (await home.run(['log', 'checkpoint'])).stdout);
    await appendNotes(5);
    const result = await home.run(['verify', '--checkpoint', earlier, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      size: number;
      earlierCheckpoint: { size: number };
      kinds: Record<string, number>;
    };
    expect(report.size).toBe(18);
    expect(report.earlierCheckpoint.size).toBe(13);
    expect(report.kinds).toEqual({ genesis: 1, 'test-note': 17 });
  });

  it('forgery: a checkpoint signed by another log key is refused', async () => {
    const other = await createTempHome();
    try {
      expect((await other.run(['init', '--origin', 'forged.example/log'])).code).toBe(0);
      const forged = path.join(home.root, 'forged-checkpoint');
      await writeFile(forged, (await other.run(['log', 'checkpoint'])).stdout);
      const result = await home.run(['verify', '--checkpoint', forged]);
      expect(result.code).toBe(1);
      expectNoStackTrace(result);
    } finally {
      await other.cleanup();
    }
  });

  it('append-only: the triggers refuse UPDATE and DELETE of entries, even to the superuser', async () => {
    const refusals = await tryRewritingHistory(home, 3);
    expect(refusals).toHaveLength(3);
    for (const refusal of refusals) expect(refusal).toMatch(/append-only/);
  });

  it('tamper: a byte flipped in an entry at rest (the SQLite file, the row) fails verify, naming the entry', async () => {
    // One bit inside the base64 payload of entry 7: in the SQLite file itself, or in its row.
    await flipPayloadByte(home, 7);
    const result = await home.run(['verify']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/entry 7/);
    expectNoStackTrace(result);
  });

  it('tamper: a row deleted with the triggers out of the way fails verify', async () => {
    await deleteLedgerRows(home, { entries: [4] });
    const result = await home.run(['verify']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/entry 4/);
  });

  it('tamper: the last row and its checkpoint deleted are caught by a checkpoint kept outside', async () => {
    const kept = path.join(home.root, 'kept-checkpoint');
    await writeFile(kept, (await home.run(['log', 'checkpoint'])).stdout);
    await deleteLedgerRows(home, { entries: [12], checkpoints: [13] });
    const result = await home.run(['verify', '--checkpoint', kept]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('INCONSISTENT_LOG');
  });

  it('tamper: other bytes under an entry envelope id in the object store fail verify, naming the object', async () => {
    const entry = JSON.parse((await home.run(['log', 'entry', '9', '--json'])).stdout) as { id: string };
    await replaceEnvelopeObject(home, entry.id, Buffer.from('not the envelope'));
    const result = await home.run(['verify']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(entry.id);
    expect(result.stderr).toContain('DIGEST_MISMATCH');
  });

  it('export: plain files that the standalone verifier accepts; an envelope re-signed by another key is refused', async () => {
    const dir = path.join(home.root, 'export');
    const exported = await home.run(['log', 'export', dir, '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    expect((await readdir(path.join(dir, 'entries'))).length).toBe(13);
    const ok = await home.run([
      'verify',
      '--export',
      dir,
      '--key',
      path.join(home.dir, 'log-key.pub.pem'),
      '--json',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as { size: number }).size).toBe(13);

    // Replace entry 3 with an entry from another log (validly signed, by the wrong key).
    const other = await createTempHome();
    try {
      await other.run(['init']);
      const foreign = (await other.run(['log', 'entry', '0', '--raw'])).stdout.trimEnd();
      const files = (await readdir(path.join(dir, 'entries'))).sort();
      await writeFile(path.join(dir, 'entries', files[3]!), foreign);
      const bad = await home.run(['verify', '--export', dir]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/entry 3/);
      expect(bad.stderr).toContain('BAD_SIGNATURE');
    } finally {
      await other.cleanup();
    }
  });

  it('bad input in an export: truncated envelope, invalid UTF-8, a lone surrogate — coded, exit 1, no stack', async () => {
    const dir = path.join(home.root, 'export');
    await home.run(['log', 'export', dir]);
    const files = (await readdir(path.join(dir, 'entries'))).sort();
    const target = path.join(dir, 'entries', files[2]!);
    const original = await readFile(target);
    const cases: [string, Buffer][] = [
      ['truncated', original.subarray(0, original.length - 10)],
      [
        'invalid utf-8',
        Buffer.concat([original.subarray(0, 20), Buffer.from([0xc3, 0x28]), original.subarray(20)]),
      ],
      ['lone surrogate', Buffer.from(original.toString('utf8').replace('{', '{"x":"\\ud800",'))],
    ];
    for (const [title, bytes] of cases) {
      await writeFile(target, bytes);
      const result = await home.run(['verify', '--export', dir]);
      expect(result.code, title).toBe(1);
      expect(result.stderr, title).toMatch(/entry 2/);
      expect(result.stderr, title).toMatch(/\[[A-Z_]+\]/);
      expectNoStackTrace(result);
    }
    await mkdir(path.join(home.root, 'empty'));
    const empty = await home.run(['verify', '--export', path.join(home.root, 'empty')]);
    expect(empty.code).toBe(2);
    expectNoStackTrace(empty);
  });
});
