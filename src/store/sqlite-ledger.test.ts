// The SQLite ledger adapter: log-assigned times that never go backwards, proofs that match an
// in-memory tree, the checkpoint signed at each batch, appends from several processes on one file
// serialised into one tree (no fork, no gap, no duplicate index), and group commit: one transaction and
// one checkpoint per batch, the batch cap, a failed batch that writes nothing, a write lock never held
// while envelopes are stored, and a batch sealed again when another writer appended meanwhile.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { distModule, runNode, runNodeScript } from '../../test/helpers/dist.js';
import { buildWorker, type WorkerBuild } from '../../test/helpers/worker-build.js';
import { InputError, StoreError } from '../errors.js';
import { openCheckpoint } from '../ledger/checkpoint.js';
import { openEntry, type EntryDraft } from '../ledger/entry.js';
import { createGenesisDraft } from '../ledger/genesis.js';
import { LogVerifier } from '../ledger/log-verifier.js';
import { MemoryTree, verifyConsistency, verifyInclusion } from '../ledger/merkle.js';
import { createSigner, generateKeyPair, type Signer } from '../signing/keys.js';
import type { Ledger } from './ledger.js';
import { createMemoryObjectStore } from './memory-object-store.js';
import type { ObjectStore } from './object-store.js';
import { openSqliteLedger, type SqliteLedgerOptions } from './sqlite-ledger.js';

const ORIGIN = 'test.example/ledger';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'signet-sqlite-ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function note(i: number): EntryDraft {
  return {
    subject: [{ name: `note-${i}`, digest: { sha256: 'cd'.repeat(32) } }],
    predicateType: 'urn:signet:test-note:v1',
    predicate: { i },
  };
}

function open(
  clock?: () => number,
  more: Partial<SqliteLedgerOptions> = {},
): { ledger: Ledger; publicKey: Uint8Array; privatePem: string } {
  const keys = generateKeyPair();
  const ledger = openSqliteLedger({
    file: path.join(dir, 'ledger.sqlite'),
    log: { origin: ORIGIN, signer: createSigner(keys.privatePem) },
    objects: createMemoryObjectStore(),
    ...(clock ? { clock } : {}),
    ...more,
  });
  return { ledger, publicKey: keys.publicKey, privatePem: keys.privatePem };
}

/** The sizes of the stored checkpoints, read over a connection of its own. */
function checkpointSizes(): number[] {
  const db = new Database(path.join(dir, 'ledger.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT size FROM checkpoints ORDER BY size').all() as { size: number }[]).map(
      (r) => r.size,
    );
  } finally {
    db.close();
  }
}

/** An object store whose puts run `before` first. */
function storeWith(before: (bytes: Uint8Array) => Promise<void>): ObjectStore {
  const inner = createMemoryObjectStore();
  return {
    ...inner,
    put: async (bytes) => {
      await before(bytes);
      return inner.put(bytes);
    },
  };
}

async function verifyAll(ledger: Ledger, publicKey: Uint8Array): Promise<void> {
  const verifier = new LogVerifier({ origin: ORIGIN, logPublicKey: publicKey });
  for await (const stored of ledger.entries()) verifier.add(stored.envelope, stored.id);
  expect(verifier.checkCheckpoint((await ledger.checkpoint()).note).size).toBe(await ledger.size());
}

describe('sqlite ledger', () => {
  it('backdating: a clock that steps back never makes a log time go backwards', async () => {
    const ticks = [
      Date.parse('2026-11-27T10:00:00.000Z'),
      Date.parse('2026-11-27T09:00:00.000Z'),
      Date.parse('2026-11-27T11:00:00.000Z'),
    ];
    let call = 0;
    const { ledger, publicKey } = open(() => ticks[Math.min(call++, ticks.length - 1)]!);
    const times: string[] = [];
    for (let i = 0; i < 3; i++) times.push((await ledger.append(note(i))).time);
    expect(times).toEqual([
      '2026-11-27T10:00:00.000Z',
      '2026-11-27T10:00:00.000Z',
      '2026-11-27T11:00:00.000Z',
    ]);
    // The stamp inside the signed statement is the same time.
    const stored = await ledger.read(1);
    expect(openEntry(stored.envelope, publicKey).statement.predicate.log.time).toBe(
      '2026-11-27T10:00:00.000Z',
    );
    await ledger.close();
  });

  it('roots, proofs and checkpoints agree with an in-memory tree at every size', async () => {
    const { ledger, publicKey } = open();
    const tree = new MemoryTree();
    for (let i = 0; i < 37; i++) {
      const sealed = await ledger.append(note(i));
      expect(sealed.index).toBe(i);
      tree.append(sealed.leafHash);
      const checkpoint = openCheckpoint((await ledger.checkpoint()).note, ORIGIN, publicKey);
      expect(checkpoint.size).toBe(i + 1);
      expect(Buffer.from(checkpoint.rootHash).equals(Buffer.from(tree.root()))).toBe(true);
    }
    for (let size = 1; size <= 37; size += 3) {
      const root = await ledger.root(size);
      for (let index = 0; index < size; index += 2) {
        const proof = await ledger.proveInclusion(index, size);
        expect(proof.map((h) => Buffer.from(h).toString('hex'))).toEqual(
          tree.inclusionProof(index, size).map((h) => Buffer.from(h).toString('hex')),
        );
        verifyInclusion(tree.leafHash(index), index, size, proof, root);
      }
      verifyConsistency(size, 37, root, await ledger.root(37), await ledger.proveConsistency(size, 37));
    }
    await expect(ledger.proveInclusion(37, 37)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await expect(ledger.proveConsistency(5, 38)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await ledger.close();
  });

  it('appends from several processes on one file, some through append workers, are serialised: one tree, no fork, no gap', async () => {
    const keys = generateKeyPair();
    const file = path.join(dir, 'ledger.sqlite');
    // Two of the writers append through a worker thread, as `signet serve` does.
    const writer = (name: string, count: number, worker = false): string => `
      import { openSqliteLedger } from ${JSON.stringify(distModule('store/sqlite-ledger.js'))};
      import { createMemoryObjectStore } from ${JSON.stringify(distModule('store/memory-object-store.js'))};
      import { createSigner } from ${JSON.stringify(distModule('signing/keys.js'))};
      const pem = ${JSON.stringify(keys.privatePem)};
      const ledger = openSqliteLedger({
        file: ${JSON.stringify(file)},
        log: { origin: ${JSON.stringify(ORIGIN)}, signer: createSigner(pem) },
        ...(${worker} ? { appendWorker: { privateKeyPem: pem } } : { objects: createMemoryObjectStore() }),
      });
      const ids = [];
      for (let i = 0; i < ${count}; i++) {
        const e = await ledger.append({ subject: [{ name: '${name}-' + i, digest: { sha256: '${'ef'.repeat(32)}' } }],
          predicateType: 'urn:signet:test-note:v1', predicate: { writer: '${name}', i } });
        ids.push(e.id);
      }
      await ledger.close();
      process.stdout.write(JSON.stringify(ids));
    `;
    const runs = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name, i) => runNodeScript(writer(name, 40, i >= 2))),
    );
    const acknowledged = runs.flatMap((run) => {
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as string[];
    });
    expect(new Set(acknowledged).size).toBe(160);

    const ledger = openSqliteLedger({
      file,
      log: { origin: ORIGIN, signer: createSigner(keys.privatePem) },
      objects: createMemoryObjectStore(),
    });
    expect(await ledger.size()).toBe(160);
    const tree = new MemoryTree();
    const seen = new Set<string>();
    let index = 0;
    for await (const entry of ledger.entries()) {
      const opened = openEntry(entry.envelope, keys.publicKey);
      expect(opened.index).toBe(index++);
      seen.add(opened.id);
      tree.append(opened.leafHash);
    }
    for (const id of acknowledged) expect(seen.has(id)).toBe(true);
    const checkpoint = openCheckpoint((await ledger.checkpoint()).note, ORIGIN, keys.publicKey);
    expect(checkpoint.size).toBe(160);
    expect(Buffer.from(checkpoint.rootHash).equals(Buffer.from(tree.root()))).toBe(true);
    await ledger.close();
  });

  it('group commit: concurrent appends share a transaction and one checkpoint per batch, up to the cap', async () => {
    const { ledger, publicKey } = open(undefined, { maxBatch: 10 });
    await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: publicKey }));
    const sealed = await Promise.all(Array.from({ length: 25 }, (_, i) => ledger.append(note(i))));
    expect(sealed.map((e) => e.index)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    // Genesis alone, then batches of 10, 10 and 5: a checkpoint for each batch's final size only.
    expect(checkpointSizes()).toEqual([1, 11, 21, 26]);
    await verifyAll(ledger, publicKey);
    await ledger.close();
  });

  it('group commit: appends made while a batch is being written go together in the next one', async () => {
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    let puts = 0;
    const { ledger, publicKey } = open(undefined, {
      objects: storeWith(async () => {
        if (puts++ === 0) {
          entered();
          await held;
        }
      }),
    });
    const first = ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: publicKey }));
    await inFlight;
    const rest = [1, 2, 3].map((i) => ledger.append(note(i)));
    release();
    expect((await first).index).toBe(0);
    expect((await Promise.all(rest)).map((e) => e.index)).toEqual([1, 2, 3]);
    expect(checkpointSizes()).toEqual([1, 4]);
    await verifyAll(ledger, publicKey);
    await ledger.close();
  });

  it('group commit: a batch whose envelope objects cannot be stored fails as a whole and writes nothing', async () => {
    let failing = false;
    const { ledger, publicKey } = open(undefined, {
      objects: storeWith(async () => {
        if (failing) throw new Error('disk full');
      }),
    });
    await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: publicKey }));
    failing = true;
    const settled = await Promise.allSettled([1, 2, 3].map((i) => ledger.append(note(i))));
    for (const result of settled) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_FAILURE' });
    }
    expect(await ledger.size()).toBe(1);
    expect(checkpointSizes()).toEqual([1]);
    failing = false;
    expect((await ledger.append(note(4))).index).toBe(1);
    await verifyAll(ledger, publicKey);
    await ledger.close();
  });

  it('holds no write lock while envelopes are stored: another connection of this process can write', async () => {
    // Were the lock held across the await, this connection's write would wait for it synchronously (the
    // busy handler blocks the thread) while the lock holder could never run again: SQLITE_BUSY here.
    const file = path.join(dir, 'ledger.sqlite');
    const other = new Database(file);
    other.pragma('busy_timeout = 200');
    other.exec('CREATE TABLE IF NOT EXISTS elsewhere (n INTEGER)');
    const { ledger, publicKey } = open(undefined, {
      objects: storeWith(async () => {
        other.prepare('INSERT INTO elsewhere (n) VALUES (1)').run();
      }),
    });
    await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: publicKey }));
    await Promise.all([1, 2, 3].map((i) => ledger.append(note(i))));
    expect((other.prepare('SELECT count(*) AS n FROM elsewhere').get() as { n: number }).n).toBe(4);
    other.close();
    await verifyAll(ledger, publicKey);
    await ledger.close();
  });

  it('a batch is sealed again when another writer appended between its sealing and its commit', async () => {
    const keys = generateKeyPair();
    const file = path.join(dir, 'ledger.sqlite');
    const log = { origin: ORIGIN, signer: createSigner(keys.privatePem) };
    const writer = openSqliteLedger({ file, log, objects: createMemoryObjectStore() });
    await writer.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    // The other writer appends while this one stores its envelopes, on each of its three optimistic
    // attempts; the fourth holds the write lock from its read to its commit (and is left alone: another
    // writer would wait for that lock).
    let interfere = 3;
    const ledger = openSqliteLedger({
      file,
      log,
      objects: storeWith(async () => {
        if (interfere > 0) {
          interfere -= 1;
          await writer.append(note(100 + interfere));
        }
      }),
    });
    const sealed = await ledger.append(note(1));
    expect(sealed.index).toBe(4);
    const stored = await ledger.read(4);
    expect(stored.id).toBe(sealed.id);
    expect(openEntry(stored.envelope, keys.publicKey).statement.predicate.log.index).toBe(4);
    expect(checkpointSizes()).toEqual([1, 2, 3, 4, 5]);
    await verifyAll(ledger, keys.publicKey);
    await writer.close();
    await ledger.close();
  });
});

// `appendWorker` (what `signet serve` sets): the worker, transpiled from the sources, seals and commits.
describe('sqlite ledger, append worker', () => {
  let worker: WorkerBuild;
  beforeAll(() => {
    worker = buildWorker('store/sqlite-append-worker.ts');
  });
  afterAll(() => worker.remove());

  /** A ledger whose own signer refuses to sign: only the worker can seal. */
  function openWithWorker(
    privateKeyPem: string,
    keyPem = privateKeyPem,
    url = worker.url,
    maxBatch?: number,
  ): Ledger {
    const real = createSigner(keyPem);
    const refusing: Signer = {
      keyId: real.keyId,
      publicKey: real.publicKey,
      sign: () => {
        throw new Error('signed on the calling thread');
      },
    };
    return openSqliteLedger({
      file: path.join(dir, 'ledger.sqlite'),
      log: { origin: ORIGIN, signer: refusing },
      appendWorker: { privateKeyPem, url },
      ...(maxBatch !== undefined ? { maxBatch } : {}),
    });
  }

  it('seals and commits in the worker: the calling thread never signs, and the tree verifies', async () => {
    const keys = generateKeyPair();
    const ledger = openWithWorker(keys.privatePem);
    await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    const sealed = await Promise.all(Array.from({ length: 40 }, (_, i) => ledger.append(note(i))));
    expect(sealed.map((e) => e.index)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Read back on this thread's connection: every committed batch is visible.
    expect(await ledger.size()).toBe(41);
    await verifyAll(ledger, keys.publicKey);
    await ledger.close();
  });

  it('batches handed over while the worker is busy are merged: one transaction and one checkpoint, in order', async () => {
    const keys = generateKeyPair();
    const ledger = openWithWorker(keys.privatePem);
    await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    // Another connection holds the write lock: the worker waits in its BEGIN IMMEDIATE with the first batch.
    const other = new Database(path.join(dir, 'ledger.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    const appended: Promise<{ index: number }>[] = [ledger.append(note(0))];
    // Each in a turn of its own: the group commit hands each over as a batch of its own.
    for (let i = 1; i <= 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      appended.push(ledger.append(note(i)));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    other.exec('ROLLBACK');
    other.close();
    expect((await Promise.all(appended)).map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
    // Genesis, then the six batches in at most two transactions: the one the worker held (unless the
    // others reached it first) and those that queued up behind it.
    const sizes = checkpointSizes();
    expect(sizes[0]).toBe(1);
    expect(sizes.at(-1)).toBe(7);
    expect(sizes.length).toBeLessThanOrEqual(3);
    await verifyAll(ledger, keys.publicKey);
    await ledger.close();
  });

  it("merged batches keep the ledger's cap: no transaction holds more than maxBatch appends", async () => {
    const keys = generateKeyPair();
    const ledger = openWithWorker(keys.privatePem, keys.privatePem, worker.url, 2);
    await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    const other = new Database(path.join(dir, 'ledger.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    const appended: Promise<{ index: number }>[] = [];
    for (let i = 0; i < 7; i++) {
      appended.push(ledger.append(note(i)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    other.exec('ROLLBACK');
    other.close();
    expect((await Promise.all(appended)).map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const sizes = checkpointSizes();
    expect(sizes.at(-1)).toBe(8);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]! - sizes[i - 1]!).toBeLessThanOrEqual(2);
    await ledger.close();
  });

  it('a process started with a Node option that workers refuse still appends through its worker', async () => {
    const keys = generateKeyPair();
    const script = `
      import { openSqliteLedger } from ${JSON.stringify(distModule('store/sqlite-ledger.js'))};
      import { createSigner } from ${JSON.stringify(distModule('signing/keys.js'))};
      const pem = ${JSON.stringify(keys.privatePem)};
      const real = createSigner(pem);
      const refusing = { keyId: real.keyId, publicKey: real.publicKey, sign: () => { throw new Error('signed here'); } };
      const ledger = openSqliteLedger({
        file: ${JSON.stringify(path.join(dir, 'ledger.sqlite'))},
        log: { origin: ${JSON.stringify(ORIGIN)}, signer: refusing },
        appendWorker: { privateKeyPem: pem },
      });
      const entry = await ledger.append({ subject: [{ name: 'n', digest: { sha256: '${'ab'.repeat(32)}' } }],
        predicateType: 'urn:signet:test-note:v1', predicate: { i: 0 } });
      await ledger.close();
      process.stdout.write(String(entry.index));
    `;
    // --max-semi-space-size is process-wide: new Worker refuses it in execArgv (ERR_WORKER_INVALID_EXEC_ARGV).
    const run = await runNode(['--max-semi-space-size=32', '--input-type=module', '-e', script]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('0');
  });

  it('a worker that dies fails the batch in flight with STORE_FAILURE; the next append starts a new one', async () => {
    const keys = generateKeyPair();
    // The real worker, behind a listener that ends the thread when a batch holding note 1 arrives
    // (before the real one sees it): as if it crashed.
    const crashing = new URL('crashing-append-worker.js', worker.url);
    await writeFile(
      fileURLToPath(crashing),
      `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (request) => {
  if (request.kind === 'append' && request.items.some((item) => item.draft.predicate.i === 1)) process.exit(3);
});
await import('./sqlite-append-worker.js');
`,
    );
    const ledger = openWithWorker(keys.privatePem, keys.privatePem, crashing);
    await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: keys.publicKey }));
    const lost = ledger.append(note(1));
    await expect(lost).rejects.toBeInstanceOf(StoreError);
    await expect(lost).rejects.toThrow(/append worker stopped: exit code 3/);
    // A new worker (its first batch): appends go on after the entry the dead one committed last.
    expect((await ledger.append(note(2))).index).toBe(1);
    expect((await ledger.append(note(3))).index).toBe(2);
    await verifyAll(ledger, keys.publicKey);
    await ledger.close();
  });

  it('a draft that cannot be sealed fails alone, with its own error class and code', async () => {
    const keys = generateKeyPair();
    const ledger = openWithWorker(keys.privatePem);
    const bad = { ...note(1), predicateType: 'not a predicate type' };
    const [good, refused, after] = await Promise.allSettled([
      ledger.append(note(0)),
      ledger.append(bad),
      ledger.append(note(2)),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(after.status).toBe('fulfilled');
    expect(refused.status).toBe('rejected');
    const error = (refused as PromiseRejectedResult).reason as unknown;
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'INVALID_STATEMENT' });
    expect(await ledger.size()).toBe(2);
    await ledger.close();
  });

  it('a worker given another key than the ledger signer refuses to start, and nothing is appended', async () => {
    const keys = generateKeyPair();
    const other = generateKeyPair();
    const ledger = openWithWorker(other.privatePem, keys.privatePem);
    const failure = ledger.append(note(0));
    await expect(failure).rejects.toBeInstanceOf(StoreError);
    await expect(failure).rejects.toThrow(/could not start its append worker.*not the ledger's/);
    expect(await ledger.size()).toBe(0);
    await ledger.close();
  });

  it('without the worker script beside the module, appends run on the calling thread', async () => {
    const keys = generateKeyPair();
    const missing = new URL('missing-worker.js', worker.url);
    const ledger = openWithWorker(keys.privatePem, keys.privatePem, missing);
    // The refusing signer is this thread's: appending here fails, which shows where it ran.
    await expect(ledger.append(note(0))).rejects.toThrow(/signed on the calling thread/);
    await ledger.close();
  });

  it('an idle append worker does not keep the process alive: a script that never closes the ledger ends', async () => {
    const keys = generateKeyPair();
    const run = await runNodeScript(`
      import { openSqliteLedger } from ${JSON.stringify(distModule('store/sqlite-ledger.js'))};
      import { createSigner } from ${JSON.stringify(distModule('signing/keys.js'))};
      const pem = ${JSON.stringify(keys.privatePem)};
      const ledger = openSqliteLedger({
        file: ${JSON.stringify(path.join(dir, 'ledger.sqlite'))},
        log: { origin: ${JSON.stringify(ORIGIN)}, signer: createSigner(pem) },
        appendWorker: { privateKeyPem: pem },
      });
      const entry = await ledger.append({ subject: [{ name: 'n', digest: { sha256: '${'ab'.repeat(32)}' } }],
        predicateType: 'urn:signet:test-note:v1', predicate: { i: 0 } });
      process.stdout.write(String(entry.index));
    `);
    // The append resolved (the worker was referenced while it ran) and the process then exited by itself.
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('0');
  });

  it('refuses options that cannot cross threads', () => {
    const keys = generateKeyPair();
    expect(() =>
      openSqliteLedger({
        file: path.join(dir, 'ledger.sqlite'),
        log: { origin: ORIGIN, signer: createSigner(keys.privatePem) },
        objects: createMemoryObjectStore(),
        appendWorker: { privateKeyPem: keys.privatePem, url: worker.url },
      }),
    ).toThrow(/appendWorker cannot be combined/);
  });
});
