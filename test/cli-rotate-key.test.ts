// `signet log rotate-key` end to end through the built executable, on the embedded default and (the
// cli-postgres-backend vitest project) on PostgreSQL: the rotation itself, the verifiers that follow it
// (verify, gate, export), the stale instance refused at open, and the attacks — an old-key entry after
// the rotation, a forged announcement, a wrong proof of possession, a tampered rotation entry, and a
// running server (appending through its worker thread) refused with 409 once another instance rotated. The
// attacker's appends go through the ledger adapter itself with the attacker's signer, so the tree and
// checkpoints are well formed and only the key rules can catch them.
import { spawn } from 'node:child_process';
import { chmod, cp, readFile, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { openCheckpoint, signCheckpoint } from '../src/ledger/checkpoint.js';
import type { EntryDraft } from '../src/ledger/entry.js';
import { createLogKeyRotationDraft } from '../src/ledger/log-keys.js';
import { createSigner, generateKeyPair, publicKeyFromPem, type Signer } from '../src/signing/keys.js';
import { createFsObjectStore } from '../src/store/fs-object-store.js';
import type { Ledger } from '../src/store/ledger.js';
import { openPostgresStores } from '../src/store/pg/pool.js';
import { openSqliteLedger } from '../src/store/sqlite-ledger.js';
import { flipPayloadByte } from './helpers/at-rest.js';
import { createTempHome, expectNoStackTrace, SIGNET_BIN, type TempHome } from './helpers/cli.js';
import { CONTEXT, createPromotionFixture, type PromotionFixture } from './helpers/promotion-fixture.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function newHome(): Promise<TempHome> {
  const home = await createTempHome('signet-rotate-');
  cleanups.push(() => home.cleanup());
  const init = await home.run(['init', '--json']);
  expect(init.code, init.stderr).toBe(0);
  return home;
}

async function ok(home: TempHome, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await home.run(args, env ? { env } : {});
  expect(result.code, `signet ${args.join(' ')}\n${result.stderr}`).toBe(0);
  expectNoStackTrace(result);
  return result.stdout;
}

interface RotateResult {
  origin: string;
  previousKeyId: string;
  keyId: string;
  entry: { index: number; id: string };
  previousPrivateKey: string;
  resumed: boolean;
}

async function rotate(home: TempHome): Promise<RotateResult> {
  return JSON.parse(await ok(home, ['log', 'rotate-key', '--json'])) as RotateResult;
}

async function config(home: TempHome): Promise<{ origin: string; logKeyId: string }> {
  return JSON.parse(await readFile(path.join(home.dir, 'config.json'), 'utf8')) as {
    origin: string;
    logKeyId: string;
  };
}

async function homeSigner(home: TempHome): Promise<Signer> {
  return createSigner(await readFile(path.join(home.dir, 'log-key.pem'), 'utf8'));
}

/**
 * The backend's ledger opened with any signer — what a server started before the rotation (or an
 * attacker with write access to the store and some key) appends with. The open-time key check of
 * `signet` is bypassed on purpose: this is what it cannot see.
 */
async function withLedgerSignedBy<T>(
  home: TempHome,
  signer: Signer,
  work: (ledger: Ledger) => Promise<T>,
): Promise<T> {
  const { origin } = await config(home);
  if (home.database) {
    const stores = await openPostgresStores(home.database.url, { log: { origin, signer } });
    try {
      return await work(stores.ledger);
    } finally {
      await stores.close();
    }
  }
  const ledger = openSqliteLedger({
    file: path.join(home.dir, 'ledger.sqlite'),
    log: { origin, signer },
    objects: createFsObjectStore(path.join(home.dir, 'objects')),
  });
  try {
    return await work(ledger);
  } finally {
    await ledger.close();
  }
}

/**
 * Signs with `signer` but names `claimed`'s key id: gets past a ledger's check that it signs with the key
 * the log announces (which compares key ids), as a bug or a tampered server could. Verifiers check the
 * signature against the key in force, so the disguise changes nothing for them.
 */
function disguisedAs(claimed: Signer, signer: Signer): Signer {
  return { keyId: claimed.keyId, publicKey: claimed.publicKey, sign: (message) => signer.sign(message) };
}

function note(n: number): EntryDraft {
  return {
    subject: [{ name: `note-${n}`, digest: { sha256: 'ab'.repeat(32) } }],
    predicateType: 'urn:signet:test-note:v1',
    predicate: { n },
  };
}

/** A rotation draft as `rotate-key` makes it, over the ledger's current tree head. */
async function rotationDraft(
  home: TempHome,
  ledger: Ledger,
  previous: Signer,
  next: Signer,
): Promise<EntryDraft> {
  const size = await ledger.size();
  return createLogKeyRotationDraft({
    origin: (await config(home)).origin,
    previousKey: previous.publicKey,
    next,
    extends: { size, rootHash: await ledger.root(size) },
  });
}

function newSigner(): Signer {
  return createSigner(generateKeyPair().privatePem);
}

async function expectVerifyFails(home: TempHome, code: string, text?: RegExp): Promise<void> {
  const result = await home.run(['verify']);
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(result.stderr).toContain(code);
  if (text) expect(result.stderr).toMatch(text);
  expectNoStackTrace(result);
}

async function rawEnvelopeKeyId(home: TempHome, index: number): Promise<string> {
  const raw = JSON.parse(await ok(home, ['log', 'entry', String(index), '--raw'])) as {
    signatures: { keyid: string }[];
  };
  return raw.signatures[0]!.keyid;
}

async function checkpointNote(home: TempHome): Promise<{ size: number; note: Uint8Array }> {
  const json = JSON.parse(await ok(home, ['log', 'checkpoint', '--json'])) as { size: number; note: string };
  return { size: json.size, note: new TextEncoder().encode(json.note) };
}

describe('signet log rotate-key', () => {
  it('a running server whose key another instance rotated answers 409 LOG_KEY_ROTATED and appends nothing', async () => {
    const home = await createTempHome('signet-rotate-serve-');
    cleanups.push(() => home.cleanup());
    const keys = path.join(home.root, 'config', 'signet', 'keys');
    await ok(home, ['keys', 'create', '--identity', 'admin']);
    await ok(home, ['init', '--admin', 'admin', '--admin-key', path.join(keys, 'admin.pub.pem')]);
    const token = JSON.parse(
      await ok(home, ['tokens', 'create', 'admin', '--name', 'deployer', '--as', 'admin', '--json']),
    ) as { secret: string };
    // `signet serve` appends through its append worker on the embedded default: the refusal must cross
    // the thread with its code.
    const server = spawn(process.execPath, [SIGNET_BIN, 'serve', '--port', '0', '--json'], {
      env: { ...process.env, ...home.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.unshift(async () => {
      server.kill('SIGKILL');
      await new Promise((resolve) =>
        server.exitCode === null ? server.once('exit', resolve) : resolve(undefined),
      );
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { url: string }).url.replace(/\/$/, ''));
      });
      server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const gate = () =>
      fetch(`${url}/v1/gate`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token.secret}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: `sha256:${'ab'.repeat(32)}`, context: 'retail-credit/uk' }),
      });
    // Before the rotation: a deny (no promotion), recorded as a deployment entry.
    const before = await gate();
    expect(before.status).toBe(200);
    expect(((await before.json()) as { allow: boolean }).allow).toBe(false);

    await rotate(home);
    const size = async () =>
      (JSON.parse(await ok(home, ['log', 'checkpoint', '--json'])) as { size: number }).size;
    const sizeAfterRotation = await size();
    const after = await gate();
    expect(after.status).toBe(409);
    expect(await after.json()).toMatchObject({ code: 'LOG_KEY_ROTATED' });
    // The stale server signed nothing: the log is as the rotation left it, and verifies.
    expect(await size()).toBe(sizeAfterRotation);
    const verify = JSON.parse(await ok(home, ['verify', '--json'])) as { size: number };
    expect(verify.size).toBe(sizeAfterRotation);
  });

  it('announces the new key under the old one; verify, gate, show and export follow the rotation', async () => {
    const fx: PromotionFixture = await createPromotionFixture();
    cleanups.push(() => fx.cleanup());
    const home = fx.home;
    const approved = await fx.json<{ sealed: { entry: string; index: number } }>([
      'approve',
      fx.proposal.draft,
      '--as',
      'bob',
    ]);
    const before = await config(home);
    const oldPublicPem = await readFile(path.join(home.dir, 'log-key.pub.pem'), 'utf8');
    const oldPrivatePem = await readFile(path.join(home.dir, 'log-key.pem'), 'utf8');
    const oldKey = publicKeyFromPem(oldPublicPem);

    const rotated = await rotate(home);
    expect(rotated).toMatchObject({
      previousKeyId: before.logKeyId,
      previousPrivateKey: 'deleted',
      resumed: false,
    });
    expect(rotated.keyId).not.toBe(before.logKeyId);
    // The home now holds the new key, 0600, and nothing of the old private key or the rotation.
    expect((await config(home)).logKeyId).toBe(rotated.keyId);
    expect((await stat(path.join(home.dir, 'log-key.pem'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(home.dir, 'log-key.pem'), 'utf8')).not.toBe(oldPrivatePem);
    expect(existsSync(path.join(home.dir, 'log-key.next.pem'))).toBe(false);
    const newKey = publicKeyFromPem(await readFile(path.join(home.dir, 'log-key.pub.pem'), 'utf8'));
    expect((await homeSigner(home)).keyId).toBe(rotated.keyId);

    // The announcement: signed by the old key, naming both keys, and its checkpoint the old key's.
    const entry = JSON.parse(await ok(home, ['log', 'entry', String(rotated.entry.index), '--json'])) as {
      kind: string;
      id: string;
      statement: { predicate: Record<string, { digest?: string; size?: number }> };
    };
    expect(entry).toMatchObject({ kind: 'log-key', id: rotated.entry.id });
    expect(entry.statement.predicate['logKey']?.digest).toBe(rotated.keyId);
    expect(entry.statement.predicate['previousKey']?.digest).toBe(before.logKeyId);
    expect(await rawEnvelopeKeyId(home, rotated.entry.index)).toBe(before.logKeyId);
    const atRotation = await checkpointNote(home);
    expect(atRotation.size).toBe(rotated.entry.index + 1);
    expect(openCheckpoint(atRotation.note, rotated.origin, oldKey).size).toBe(atRotation.size);

    // The gate, after the rotation: the sealed promotion (old key) under the current checkpoint; the
    // deployment entry it appends and the checkpoint after it are the new key's.
    const gate = await fx.run(['gate', '--model', fx.registered.candidate, '--context', CONTEXT, '--json']);
    expect(gate.code, gate.stderr).toBe(0);
    const decision = JSON.parse(gate.stdout) as {
      allow: boolean;
      deploymentIndex: number;
      promotion: string;
    };
    expect(decision).toMatchObject({ allow: true, promotion: approved.sealed.entry });
    expect(decision.deploymentIndex).toBe(rotated.entry.index + 1);
    expect(await rawEnvelopeKeyId(home, decision.deploymentIndex)).toBe(rotated.keyId);
    const after = await checkpointNote(home);
    expect(openCheckpoint(after.note, rotated.origin, newKey).size).toBe(decision.deploymentIndex + 1);
    expect(() => openCheckpoint(after.note, rotated.origin, oldKey)).toThrow();
    expect(await ok(home, ['show', approved.sealed.entry])).toContain(fx.registered.candidate);

    const report = JSON.parse(await ok(home, ['verify', '--json'])) as {
      ok: boolean;
      logKeys: { keyId: string; firstIndex: number; lastIndex?: number; announcedBy?: string }[];
    };
    expect(report.logKeys).toEqual([
      { keyId: before.logKeyId, firstIndex: 0, lastIndex: rotated.entry.index },
      { keyId: rotated.keyId, firstIndex: rotated.entry.index + 1, announcedBy: rotated.entry.id },
    ]);

    // Export: every key for an outside checker; the standalone verifier pinned to the genesis key.
    const exported = path.join(home.root, 'export');
    await ok(home, ['log', 'export', exported]);
    const keys = JSON.parse(await readFile(path.join(exported, 'log-keys.json'), 'utf8')) as {
      format: string;
      keys: { keyId: string; firstIndex: number; lastIndex?: number; vkey: string }[];
    };
    expect(keys.format).toBe('signet-log-keys/v1');
    expect(keys.keys.map((k) => [k.keyId, k.firstIndex, k.lastIndex])).toEqual([
      [before.logKeyId, 0, rotated.entry.index],
      [rotated.keyId, rotated.entry.index + 1, undefined],
    ]);
    expect(publicKeyFromPem(await readFile(path.join(exported, 'log-key.pub.pem'), 'utf8'))).toEqual(newKey);
    const genesisPem = path.join(home.root, 'genesis-key.pub.pem');
    await writeFile(genesisPem, oldPublicPem);
    const pinned = JSON.parse(
      await ok(home, ['verify', '--export', exported, '--key', genesisPem, '--json']),
    ) as {
      keySource: string;
      logKeys: unknown[];
    };
    expect(pinned).toMatchObject({ keySource: 'pinned' });
    expect(pinned.logKeys).toHaveLength(2);
    const strangerPem = path.join(home.root, 'stranger.pub.pem');
    await writeFile(strangerPem, generateKeyPair().publicPem);
    const stranger = await home.run(['verify', '--export', exported, '--key', strangerPem]);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain('BAD_SIGNATURE');

    // An export whose key list leaves out the rotation would mislead an outside checker: refused.
    const [genesisKey] = keys.keys;
    await chmod(path.join(exported, 'log-keys.json'), 0o644);
    await writeFile(path.join(exported, 'log-keys.json'), JSON.stringify({ ...keys, keys: [genesisKey] }));
    const edited = await home.run(['verify', '--export', exported]);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain('log-keys.json does not list the keys the log announces');
  });

  it('a second instance still holding the old key refuses to open, naming both keys', async () => {
    const home = await newHome();
    const oldFiles = await Promise.all(
      ['config.json', 'log-key.pem', 'log-key.pub.pem'].map(
        async (f) => [f, await readFile(path.join(home.dir, f))] as const,
      ),
    );
    const rotated = await rotate(home);

    // The other instance's home: the same log (the same folder's ledger, or the same database), the
    // key files from before the rotation.
    const stale = path.join(home.root, 'stale-home');
    await cp(home.dir, stale, { recursive: true });
    for (const [file, bytes] of oldFiles) {
      await chmod(path.join(stale, file), 0o600);
      await writeFile(path.join(stale, file), bytes);
    }
    for (const args of [['log', 'checkpoint'], ['verify']]) {
      const refused = await home.run(args, { env: { SIGNET_HOME: stale } });
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toContain('INVALID_KEY');
      expect(refused.stderr).toContain(rotated.keyId);
      expect(refused.stderr).toContain(rotated.previousKeyId);
      expect(refused.stderr).toContain('retired');
      expectNoStackTrace(refused);
    }

    // Distributing the rotated home's files makes it an instance of the log again.
    for (const file of ['config.json', 'log-key.pem', 'log-key.pub.pem']) {
      await cp(path.join(home.dir, file), path.join(stale, file));
    }
    await ok(home, ['log', 'checkpoint'], { SIGNET_HOME: stale });
  });

  it('a later rotation is announced by the second key and followed by every verifier', async () => {
    const home = await newHome();
    const first = await rotate(home);
    const second = await rotate(home);
    expect(second.previousKeyId).toBe(first.keyId);
    expect(second.entry.index).toBe(first.entry.index + 1);
    const report = JSON.parse(await ok(home, ['verify', '--json'])) as { logKeys: { keyId: string }[] };
    expect(report.logKeys.map((k) => k.keyId)).toEqual([first.previousKeyId, first.keyId, second.keyId]);
    const exported = path.join(home.root, 'export');
    await ok(home, ['log', 'export', exported]);
    await ok(home, ['verify', '--export', exported]);
  });
});

describe('attacks on log key rotation', () => {
  it('an entry signed by the old key after the rotation (a stale server) fails verification', async () => {
    const home = await newHome();
    const oldSigner = await homeSigner(home);
    const rotated = await rotate(home);
    await ok(home, ['verify']);
    // A server still running with the old key: its ledger reads the rotation in the append transaction
    // and refuses to sign, adding nothing.
    const sizeBefore = await withLedgerSignedBy(home, oldSigner, (ledger) => ledger.size());
    await expect(
      withLedgerSignedBy(home, oldSigner, (ledger) => ledger.append(note(1))),
    ).rejects.toMatchObject({ code: 'LOG_KEY_ROTATED' });
    expect(await withLedgerSignedBy(home, oldSigner, (ledger) => ledger.size())).toBe(sizeBefore);
    await ok(home, ['verify']);
    // A writer that gets past that check (a bug, or someone with write access to the store and the old
    // key): what the verifiers must catch.
    await withLedgerSignedBy(home, disguisedAs(await homeSigner(home), oldSigner), (ledger) =>
      ledger.append(note(1)),
    );
    const index = rotated.entry.index + 1;
    await expectVerifyFails(home, 'BAD_SIGNATURE', new RegExp(`entry ${index}: .*retired log key`));
    const read = await home.run(['log', 'entry', String(index)]);
    expect(read.code).toBe(1);
    expect(read.stderr).toContain('BAD_SIGNATURE');

    // The standalone verifier says the same of an export.
    const exported = path.join(home.root, 'export');
    await ok(home, ['log', 'export', exported]);
    const offline = await home.run(['verify', '--export', exported]);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain('BAD_SIGNATURE');
  });

  it('a checkpoint signed by the old key after the rotation is rejected', async () => {
    const home = await newHome();
    const oldSigner = await homeSigner(home);
    const rotated = await rotate(home);
    const current = await homeSigner(home);
    await withLedgerSignedBy(home, current, (ledger) => ledger.append(note(1)));
    // The same tree head, signed by the retired key (as a stale server would sign it) and by the key in
    // force: `verify --checkpoint` accepts only the second.
    const { origin } = await config(home);
    const [byOld, byNew] = await withLedgerSignedBy(home, current, async (ledger) => {
      const size = await ledger.size();
      const head = { origin, size, rootHash: await ledger.root(size) };
      return [signCheckpoint(head, origin, oldSigner), signCheckpoint(head, origin, current)];
    });
    const refused = await home.run(['verify', '--checkpoint', await writeTemp(home, 'old', byOld!)]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('BAD_SIGNATURE');
    expect(refused.stderr).toContain(`signed by log key ${rotated.previousKeyId}`);
    expectNoStackTrace(refused);
    await ok(home, ['verify', '--checkpoint', await writeTemp(home, 'new', byNew!)]);
  });

  it('a forged announcement signed by a key not in force fails verification', async () => {
    const home = await newHome();
    const mallory = newSigner();
    // Mallory writes to the store: she announces her key with a valid proof of possession, but she
    // cannot sign it with the log key in force.
    const previous = await homeSigner(home);
    await withLedgerSignedBy(home, mallory, async (ledger) =>
      ledger.append(await rotationDraft(home, ledger, previous, mallory)),
    );
    await expectVerifyFails(home, 'BAD_SIGNATURE', /log-key entry at index 1/);
  });

  it('a second key announced with the retired key after a rotation fails verification', async () => {
    const home = await newHome();
    const oldSigner = await homeSigner(home);
    await rotate(home);
    const mallory = newSigner();
    // Past the adapters' own refusal to sign with a retired key (see the stale-server test).
    await withLedgerSignedBy(home, disguisedAs(await homeSigner(home), oldSigner), async (ledger) =>
      ledger.append(await rotationDraft(home, ledger, oldSigner, mallory)),
    );
    await expectVerifyFails(home, 'BAD_SIGNATURE');
  });

  it('a rotation whose proof of possession is by another key fails verification', async () => {
    const home = await newHome();
    const current = await homeSigner(home);
    const announced = newSigner();
    const impostor = newSigner();
    await withLedgerSignedBy(home, current, async (ledger) => {
      const byImpostor = await rotationDraft(home, ledger, current, impostor);
      const honest = await rotationDraft(home, ledger, current, announced);
      // Names `announced`, carries the impostor's proof.
      return ledger.append({
        ...honest,
        predicate: { ...honest.predicate, proofOfPossession: byImpostor.predicate['proofOfPossession'] },
      });
    });
    await expectVerifyFails(home, 'BAD_SIGNATURE', /proof of possession does not verify/);
  });

  it('a tampered rotation entry fails verification', async () => {
    const home = await newHome();
    const rotated = await rotate(home);
    await flipPayloadByte(home, rotated.entry.index);
    const result = await home.run(['verify']);
    expect(result.code, result.stderr).toBe(1);
    expectNoStackTrace(result);
  });
});

describe('an interrupted rotation', () => {
  it('announced but not installed: the home refuses to open until rotate-key finishes it', async () => {
    const home = await newHome();
    const current = await homeSigner(home);
    const pending = generateKeyPair();
    await writeFile(path.join(home.dir, 'log-key.next.pem'), pending.privatePem, { mode: 0o600 });
    await withLedgerSignedBy(home, current, async (ledger) =>
      ledger.append(await rotationDraft(home, ledger, current, createSigner(pending.privatePem))),
    );
    const refused = await home.run(['log', 'checkpoint']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('signet log rotate-key');
    expectNoStackTrace(refused);

    const finished = await rotate(home);
    expect(finished).toMatchObject({ resumed: true, keyId: createSigner(pending.privatePem).keyId });
    expect(existsSync(path.join(home.dir, 'log-key.next.pem'))).toBe(false);
    await ok(home, ['verify']);
  });

  it('never announced: the pending key is discarded and the rotation starts afresh', async () => {
    const home = await newHome();
    const pending = generateKeyPair();
    await writeFile(path.join(home.dir, 'log-key.next.pem'), pending.privatePem, { mode: 0o600 });
    const rotated = await rotate(home);
    expect(rotated.resumed).toBe(false);
    expect(rotated.keyId).not.toBe(createSigner(pending.privatePem).keyId);
    expect(rotated.entry.index).toBe(1);
    await ok(home, ['verify']);
  });
});

async function writeTemp(home: TempHome, name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(home.root, `checkpoint-${name}.note`);
  await writeFile(file, bytes);
  return file;
}
