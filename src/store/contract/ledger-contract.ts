// The Ledger port's contract, run over every adapter (kysely's `for (const dialect of DIALECTS)`): each
// adapter gives the same answers for the same entries.
import { afterEach, describe, expect, it } from 'vitest';

import { openCheckpoint } from '../../ledger/checkpoint.js';
import { openEntry, type EntryDraft } from '../../ledger/entry.js';
import { createGenesisDraft } from '../../ledger/genesis.js';
import { createLogKeyRotationDraft } from '../../ledger/log-keys.js';
import { LogVerifier } from '../../ledger/log-verifier.js';
import { EMPTY_ROOT, MemoryTree, verifyConsistency, verifyInclusion } from '../../ledger/merkle.js';
import { digestOfBytes } from '../../signing/digest.js';
import { createSigner, generateKeyPair, type Signer } from '../../signing/keys.js';
import type { Ledger, StoredEntry } from '../ledger.js';
import { createMemoryObjectStore } from '../memory-object-store.js';
import type { ObjectStore } from '../object-store.js';

export interface LedgerOpenOptions {
  readonly origin: string;
  readonly signer: Signer;
  /** The PEM of `signer`'s key, for an adapter that signs in another thread. */
  readonly privatePem: string;
  readonly objects: ObjectStore;
  readonly clock?: () => number;
}

export interface LedgerContractSubject {
  /** A new, empty ledger. */
  open(options: LedgerOpenOptions): Promise<Ledger>;
  /** The object store to give `open`; a new memory store when absent. */
  objects?(): Promise<ObjectStore>;
  /**
   * The object store in which an entry's envelope is found under its id: `objects` (the store given to
   * `open`) by default; for a ledger that keeps envelopes in its rows only, the view that serves them.
   */
  envelopeObjects?(ledger: Ledger, objects: ObjectStore): ObjectStore;
  /** After each test, once the ledgers it opened are closed. */
  cleanup?(): Promise<void>;
}

const ORIGIN = 'contract.example/ledger';

/** A test entry of kind `kind` (`test-note` by default). */
export function noteDraft(i: number, kind = 'test-note'): EntryDraft {
  return {
    subject: [{ name: `note-${i}`, digest: { sha256: 'cd'.repeat(32) } }],
    predicateType: `urn:signet:${kind}:v1`,
    predicate: { i },
  };
}

async function collect(entries: AsyncIterable<StoredEntry>): Promise<StoredEntry[]> {
  const out: StoredEntry[] = [];
  for await (const entry of entries) out.push(entry);
  return out;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * Checks the whole ledger as `signet verify` does (every signature, index and time, the root recomputed
 * from the leaves, the latest checkpoint), then each entry's inclusion proof under that checkpoint.
 */
async function verifyLedger(ledger: Ledger, publicKey: Uint8Array): Promise<void> {
  const verifier = new LogVerifier({ origin: ORIGIN, logPublicKey: publicKey });
  const leaves: Uint8Array[] = [];
  for await (const stored of ledger.entries()) {
    const entry = verifier.add(stored.envelope, stored.id);
    expect(entry.index).toBe(stored.index);
    leaves.push(entry.leafHash);
  }
  const checkpoint = verifier.checkCheckpoint((await ledger.checkpoint()).note);
  expect(checkpoint.size).toBe(verifier.size);
  expect(checkpoint.size).toBe(await ledger.size());
  for (const [index, leaf] of leaves.entries()) {
    const proof = await ledger.proveInclusion(index, checkpoint.size);
    verifyInclusion(leaf, index, checkpoint.size, proof, checkpoint.rootHash);
  }
}

export function describeLedgerContract(name: string, subject: LedgerContractSubject): void {
  describe(`Ledger contract: ${name}`, () => {
    const opened: Ledger[] = [];
    afterEach(async () => {
      for (const ledger of opened.splice(0)) await ledger.close();
      await subject.cleanup?.();
    });

    async function open(options: { clock?: () => number } = {}) {
      const keys = generateKeyPair();
      const objects = subject.objects ? await subject.objects() : createMemoryObjectStore();
      const ledger = await subject.open({
        origin: ORIGIN,
        signer: createSigner(keys.privatePem),
        privatePem: keys.privatePem,
        objects,
        ...(options.clock ? { clock: options.clock } : {}),
      });
      opened.push(ledger);
      return { ledger, publicKey: keys.publicKey, objects, signer: createSigner(keys.privatePem) };
    }

    it('an empty ledger has size 0, the empty root, and no checkpoint', async () => {
      const { ledger } = await open();
      expect(await ledger.size()).toBe(0);
      expect(hex(await ledger.root(0))).toBe(hex(EMPTY_ROOT));
      await expect(ledger.checkpoint()).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(ledger.read(0)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
      await expect(ledger.proveInclusion(0, 0)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
      expect(await collect(ledger.entries())).toEqual([]);
    });

    it('stamps the next index and the log time into the signed entry, and reads back the same bytes', async () => {
      const { ledger, publicKey, objects } = await open();
      for (let i = 0; i < 5; i++) {
        const sealed = await ledger.append(noteDraft(i));
        expect(sealed.index).toBe(i);
        const stored = await ledger.read(i);
        expect(stored).toMatchObject({ index: i, id: sealed.id, kind: 'test-note', time: sealed.time });
        expect(hex(stored.envelope)).toBe(hex(sealed.envelope));
        expect(stored.id).toBe(digestOfBytes(stored.envelope));
        const entry = openEntry(stored.envelope, publicKey);
        expect(entry.statement.predicate.log).toEqual({ origin: ORIGIN, index: i, time: sealed.time });
        // The envelope is also an object under its id.
        const envelopes = subject.envelopeObjects?.(ledger, objects) ?? objects;
        expect(hex(await envelopes.get(sealed.id))).toBe(hex(sealed.envelope));
        expect(await envelopes.has(sealed.id)).toBe(true);
        expect(await ledger.find(sealed.id)).toEqual(stored);
      }
      expect(await ledger.size()).toBe(5);
      expect(await ledger.find(digestOfBytes(new Uint8Array([1])))).toBeUndefined();
      await expect(ledger.read(5)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
      await expect(ledger.read(-1)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
      await expect(ledger.read(1.5)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    });

    it('lists entries by range and by kind, in log order', async () => {
      const { ledger } = await open();
      const kinds = ['test-note', 'role-grant', 'test-note', 'policy', 'role-grant', 'test-note'];
      for (const [i, kind] of kinds.entries()) await ledger.append(noteDraft(i, kind));
      expect((await collect(ledger.entries())).map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5]);
      expect((await collect(ledger.entries(2, 4))).map((e) => e.index)).toEqual([2, 3]);
      expect((await collect(ledger.entries(4))).map((e) => e.index)).toEqual([4, 5]);
      expect((await collect(ledger.entriesOfKinds(['role-grant', 'policy']))).map((e) => e.index)).toEqual([
        1, 3, 4,
      ]);
      expect((await collect(ledger.entriesOfKinds(['role-grant'], 2))).map((e) => e.index)).toEqual([4]);
      expect(await collect(ledger.entriesOfKinds([]))).toEqual([]);
      expect(await collect(ledger.entriesOfKinds(['nothing']))).toEqual([]);
    });

    it('backdating: a clock that steps back never makes a log time go backwards', async () => {
      const ticks = ['2026-11-27T10:00:00.000Z', '2026-11-27T09:00:00.000Z', '2026-11-27T11:00:00.000Z'];
      let call = 0;
      const { ledger } = await open({ clock: () => Date.parse(ticks[Math.min(call++, ticks.length - 1)]!) });
      const times: string[] = [];
      for (let i = 0; i < 3; i++) times.push((await ledger.append(noteDraft(i))).time);
      expect(times).toEqual([ticks[0], ticks[0], ticks[2]]);
      expect((await ledger.read(1)).time).toBe(ticks[0]);
    });

    it('roots, proofs and checkpoints agree with an in-memory tree at every size', async () => {
      const { ledger, publicKey } = await open();
      const tree = new MemoryTree();
      const count = 21;
      for (let i = 0; i < count; i++) {
        tree.append((await ledger.append(noteDraft(i))).leafHash);
        const stored = await ledger.checkpoint();
        const checkpoint = openCheckpoint(stored.note, ORIGIN, publicKey);
        expect(stored.size).toBe(i + 1);
        expect(checkpoint.size).toBe(i + 1);
        expect(hex(checkpoint.rootHash)).toBe(hex(tree.root()));
      }
      for (let size = 1; size <= count; size += 2) {
        const root = await ledger.root(size);
        expect(hex(root)).toBe(hex(tree.root(size)));
        for (let index = 0; index < size; index += 3) {
          const proof = await ledger.proveInclusion(index, size);
          expect(proof.map(hex)).toEqual(tree.inclusionProof(index, size).map(hex));
          verifyInclusion(tree.leafHash(index), index, size, proof, root);
        }
        const proof = await ledger.proveConsistency(size, count);
        verifyConsistency(size, count, root, await ledger.root(count), proof);
      }
      await expect(ledger.root(count + 1)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
      await expect(ledger.proveInclusion(count, count)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
      await expect(ledger.proveConsistency(5, count + 1)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
      await expect(ledger.proveConsistency(6, 5)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    });

    it('refuses a malformed draft and leaves the ledger as it was', async () => {
      const { ledger } = await open();
      await ledger.append(noteDraft(0));
      const bad: EntryDraft[] = [
        { ...noteDraft(1), predicateType: 'urn:other:thing:v1' },
        { ...noteDraft(1), subject: [] },
        { ...noteDraft(1), predicate: { log: { index: 7 } } },
      ];
      for (const draft of bad) {
        await expect(ledger.append(draft)).rejects.toMatchObject({ code: 'INVALID_STATEMENT' });
      }
      expect(await ledger.size()).toBe(1);
      expect((await ledger.append(noteDraft(1))).index).toBe(1);
    });

    it('concurrent appends in one process get distinct, consecutive indices', async () => {
      const { ledger } = await open();
      const sealed = await Promise.all(Array.from({ length: 12 }, (_, i) => ledger.append(noteDraft(i))));
      expect(sealed.map((e) => e.index).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
      expect(new Set(sealed.map((e) => e.id)).size).toBe(12);
      expect(await ledger.size()).toBe(12);
    });

    it('group commit: 600 concurrent appends (over two batch caps) make one tree that verifies', async () => {
      const { ledger, publicKey } = await open();
      await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: publicKey }));
      const count = 600;
      // Two waves: the second is issued while the first is being committed, so it queues behind it.
      const first = Array.from({ length: count / 2 }, (_, i) => ledger.append(noteDraft(i)));
      await Promise.resolve();
      const second = Array.from({ length: count / 2 }, (_, i) => ledger.append(noteDraft(count / 2 + i)));
      const sealed = await Promise.all([...first, ...second]);
      // Consecutive after the first entry, in the order they were submitted: none twice, none skipped.
      expect(sealed.map((e) => e.index)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      expect(await ledger.size()).toBe(count + 1);
      // Each resolved entry is readable at the index it was given, with the bytes it was given.
      for (const [i, entry] of sealed.entries()) {
        const stored = await ledger.read(entry.index);
        expect(stored.id).toBe(entry.id);
        expect(hex(stored.envelope)).toBe(hex(entry.envelope));
        expect(openEntry(stored.envelope, publicKey).statement.predicate).toMatchObject({ i });
      }
      // Log times never go backwards across batches.
      const times = sealed.map((e) => e.time);
      expect([...times].sort()).toEqual(times);
      await verifyLedger(ledger, publicKey);
      // The latest checkpoint covers the whole batch that ended the log, and earlier sizes stay provable.
      const tree = new MemoryTree();
      for await (const stored of ledger.entries())
        tree.append(openEntry(stored.envelope, publicKey).leafHash);
      for (const size of [1, 2, 257, 300, 301, 513, count + 1]) {
        expect(hex(await ledger.root(size))).toBe(hex(tree.root(size)));
        verifyConsistency(
          size,
          count + 1,
          tree.root(size),
          tree.root(),
          await ledger.proveConsistency(size, count + 1),
        );
      }
    });

    it('group commit: a malformed draft among concurrent appends fails alone and takes no index', async () => {
      const { ledger, publicKey } = await open();
      await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: publicKey }));
      const drafts: EntryDraft[] = Array.from({ length: 40 }, (_, i) =>
        i % 7 === 3 ? { ...noteDraft(i), predicate: { log: { index: 0 } } } : noteDraft(i),
      );
      const settled = await Promise.allSettled(drafts.map((d) => ledger.append(d)));
      const bad = settled.filter((_, i) => i % 7 === 3);
      const good = settled.filter((_, i) => i % 7 !== 3);
      for (const result of bad) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_STATEMENT' });
      }
      const indices = good.map((result) => {
        expect(result.status).toBe('fulfilled');
        return (result as PromiseFulfilledResult<{ index: number }>).value.index;
      });
      expect(indices).toEqual(Array.from({ length: good.length }, (_, i) => i + 1));
      expect(await ledger.size()).toBe(good.length + 1);
      await verifyLedger(ledger, publicKey);
      // Nothing is left queued: the next append goes on from there.
      expect((await ledger.append(noteDraft(99))).index).toBe(good.length + 1);
    });

    it('appendIf: appends only when every entry since has an allowed kind, its own batch included; a refusal takes no index', async () => {
      const { ledger, publicKey } = await open();
      const appendIf = ledger.appendIf?.bind(ledger);
      expect(appendIf, 'every adapter appends conditionally').toBeDefined();
      if (appendIf === undefined) return;
      await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: publicKey }));
      const notes = new Set(['test-note']);
      await ledger.append(noteDraft(1));
      expect((await appendIf(noteDraft(2), { since: 1, kinds: notes })).index).toBe(2);
      await ledger.append(noteDraft(3, 'test-flag'));
      await expect(appendIf(noteDraft(4), { since: 1, kinds: notes })).rejects.toMatchObject({
        code: 'APPEND_CONDITION_FAILED',
        details: { since: 1, index: 3, kind: 'test-flag' },
      });
      // The genesis entry is below `since`: only what is at or after it counts.
      expect((await appendIf(noteDraft(5), { since: 4, kinds: notes })).index).toBe(4);
      // In one batch: an excluded entry sealed before a conditional draft refuses it; the others go in.
      const settled = await Promise.allSettled([
        appendIf(noteDraft(6), { since: 5, kinds: notes }),
        ledger.append(noteDraft(7, 'test-flag')),
        appendIf(noteDraft(8), { since: 5, kinds: notes }),
        appendIf(noteDraft(9), { since: 5, kinds: new Set(['test-note', 'test-flag']) }),
      ]);
      expect(settled.map((r) => (r.status === 'fulfilled' ? r.value.index : r.reason.code))).toEqual([
        5,
        6,
        'APPEND_CONDITION_FAILED',
        7,
      ]);
      expect(await ledger.size()).toBe(8);
      await verifyLedger(ledger, publicKey);
    });

    it('a stale key: after a rotation entry, the retired key signs nothing more, in its batch or after', async () => {
      const { ledger, publicKey } = await open();
      await ledger.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: publicKey }));
      await ledger.append(noteDraft(1));
      const next = createSigner(generateKeyPair().privatePem);
      const rotation = createLogKeyRotationDraft({
        origin: ORIGIN,
        previousKey: publicKey,
        next,
        extends: { size: 2, rootHash: await ledger.root(2) },
      });
      // One batch: a note, the rotation, two notes. The rotation is the last entry the old key signs.
      const settled = await Promise.allSettled([
        ledger.append(noteDraft(2)),
        ledger.append(rotation),
        ledger.append(noteDraft(3)),
        ledger.append(noteDraft(4)),
      ]);
      expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
      expect((settled[1] as PromiseFulfilledResult<{ index: number }>).value.index).toBe(3);
      for (const rejected of settled.slice(2)) {
        expect((rejected as PromiseRejectedResult).reason).toMatchObject({ code: 'LOG_KEY_ROTATED' });
      }
      // A later append by this instance (still holding the retired key) is refused, and nothing is added.
      await expect(ledger.append(noteDraft(5))).rejects.toMatchObject({
        code: 'LOG_KEY_ROTATED',
        message: expect.stringContaining(next.keyId),
      });
      expect(await ledger.size()).toBe(4);
      await verifyLedger(ledger, publicKey);
    });
  });
}
