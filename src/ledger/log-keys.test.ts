// Log key rotation, pure: logs built in memory with chosen signers, checked by the LogVerifier and by
// openEntry / openCheckpoint with the keys by position. Every attack on the rotation is tried here.
import { describe, expect, it } from 'vitest';

import { SignetError } from '../errors.js';
import { digestOfBytes } from '../signing/digest.js';
import { createSigner, generateKeyPair, type Signer } from '../signing/keys.js';
import { openCheckpoint, signCheckpoint } from './checkpoint.js';
import { formatLogTime, openEntry, sealEntry, type EntryDraft } from './entry.js';
import { createGenesisDraft } from './genesis.js';
import { createLogKeyRotationDraft, LogKeys } from './log-keys.js';
import { LogVerifier } from './log-verifier.js';
import { MemoryTree } from './merkle.js';

const ORIGIN = 'example.com/rotating-log';

function newSigner(): Signer {
  return createSigner(generateKeyPair().privatePem);
}

function note(i: number): EntryDraft {
  return {
    subject: [{ name: `note-${i}`, digest: { sha256: 'ab'.repeat(32) } }],
    predicateType: 'urn:signet:test-note:v1',
    predicate: { n: i },
  };
}

/** A log under construction: each append is sealed by the signer given, as a ledger adapter would. */
class TestLog {
  readonly envelopes: Uint8Array[] = [];
  private readonly tree = new MemoryTree();

  append(draft: EntryDraft, signer: Signer): Uint8Array {
    const index = this.envelopes.length;
    const sealed = sealEntry(
      draft,
      { origin: ORIGIN, index, time: formatLogTime(1_700_000_000_000 + index) },
      signer,
    );
    this.envelopes.push(sealed.envelope);
    this.tree.append(sealed.leafHash);
    return sealed.envelope;
  }

  head(size = this.envelopes.length): { size: number; rootHash: Uint8Array } {
    return { size, rootHash: this.tree.root(size) };
  }

  checkpoint(signer: Signer, size = this.envelopes.length): Uint8Array {
    return signCheckpoint({ origin: ORIGIN, ...this.head(size) }, ORIGIN, signer);
  }

  rotation(previous: Signer, next: Signer, head = this.head()): EntryDraft {
    return createLogKeyRotationDraft({
      origin: ORIGIN,
      previousKey: previous.publicKey,
      next,
      extends: head,
    });
  }

  /** Runs the log verifier over every entry; returns it, or throws the first failure. */
  verify(genesisKey: Uint8Array): LogVerifier {
    const verifier = new LogVerifier({ origin: ORIGIN, logPublicKey: genesisKey });
    for (const envelope of this.envelopes) verifier.add(envelope);
    return verifier;
  }
}

/** genesis (K1), two notes (K1), rotation to K2 at index 3 (K1), two notes (K2). */
function rotatedLog(): { log: TestLog; k1: Signer; k2: Signer; rotationIndex: number } {
  const k1 = newSigner();
  const k2 = newSigner();
  const log = new TestLog();
  log.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: k1.publicKey }), k1);
  log.append(note(1), k1);
  log.append(note(2), k1);
  log.append(log.rotation(k1, k2), k1);
  log.append(note(4), k2);
  log.append(note(5), k2);
  return { log, k1, k2, rotationIndex: 3 };
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SignetError) return error.code;
    throw error;
  }
  return 'no error';
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return 'no error';
}

describe('a rotated log', () => {
  it('verifies: each entry and checkpoint under the key in force at its position', () => {
    const { log, k1, k2 } = rotatedLog();
    const verifier = log.verify(k1.publicKey);
    expect(verifier.keys.epochs.map((e) => [e.keyId, e.firstIndex, e.lastIndex])).toEqual([
      [k1.keyId, 0, 3],
      [k2.keyId, 4, undefined],
    ]);
    expect(verifier.keys.current.announcedBy?.index).toBe(3);
    // The checkpoint that ends with the rotation entry is the old key's; every later one the new key's.
    expect(verifier.checkCheckpoint(log.checkpoint(k1, 4)).size).toBe(4);
    expect(verifier.checkCheckpoint(log.checkpoint(k1, 2)).size).toBe(2);
    expect(verifier.checkCheckpoint(log.checkpoint(k2, 5)).size).toBe(5);
    expect(verifier.checkCheckpoint(log.checkpoint(k2)).size).toBe(6);
    expect(verifier.summary().kinds).toMatchObject({ 'log-key': 1 });
  });

  it('opens every entry and checkpoint with the keys by position (what the app layer uses)', () => {
    const { log, k1, k2 } = rotatedLog();
    const keys = log.verify(k1.publicKey).keys;
    log.envelopes.forEach((envelope, i) => expect(openEntry(envelope, keys).index).toBe(i));
    expect(openCheckpoint(log.checkpoint(k1, 4), ORIGIN, keys).size).toBe(4);
    expect(openCheckpoint(log.checkpoint(k2), ORIGIN, keys).size).toBe(6);
    // One key alone opens only its own part of the log.
    expect(codeOf(() => openEntry(log.envelopes[5]!, k1.publicKey))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => openEntry(log.envelopes[1]!, k2.publicKey))).toBe('BAD_SIGNATURE');
  });

  it('follows a second rotation', () => {
    const { log, k1, k2 } = rotatedLog();
    const k3 = newSigner();
    log.append(log.rotation(k2, k3), k2);
    log.append(note(7), k3);
    const verifier = log.verify(k1.publicKey);
    expect(verifier.keys.epochs.map((e) => e.keyId)).toEqual([k1.keyId, k2.keyId, k3.keyId]);
    expect(verifier.checkCheckpoint(log.checkpoint(k2, 7)).size).toBe(7);
    expect(verifier.checkCheckpoint(log.checkpoint(k3)).size).toBe(8);
  });
});

describe('attacks on a rotated log', () => {
  it('rejects an entry after the rotation signed by the old key (a stale instance)', () => {
    const { log, k1 } = rotatedLog();
    log.append(note(6), k1);
    expect(codeOf(() => log.verify(k1.publicKey))).toBe('BAD_SIGNATURE');
    expect(messageOf(() => log.verify(k1.publicKey))).toMatch(/entry 6: .*retired log key/);
    // openEntry with the keys by position refuses it too, naming both keys.
    const { log: clean, k1: genesis } = rotatedLog();
    const known = clean.verify(genesis.publicKey).keys;
    clean.append(note(6), genesis);
    expect(codeOf(() => openEntry(clean.envelopes[6]!, known))).toBe('BAD_SIGNATURE');
    expect(messageOf(() => openEntry(clean.envelopes[6]!, known))).toContain('is the key in force at 6');
  });

  it('rejects a checkpoint after the rotation signed by the old key', () => {
    const { log, k1 } = rotatedLog();
    const verifier = log.verify(k1.publicKey);
    expect(codeOf(() => verifier.checkCheckpoint(log.checkpoint(k1)))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => openCheckpoint(log.checkpoint(k1, 5), ORIGIN, verifier.keys))).toBe('BAD_SIGNATURE');
  });

  it('rejects a checkpoint ending with the rotation entry signed by the new key (not yet in force)', () => {
    const { log, k1, k2 } = rotatedLog();
    const verifier = log.verify(k1.publicKey);
    expect(codeOf(() => verifier.checkCheckpoint(log.checkpoint(k2, 4)))).toBe('BAD_SIGNATURE');
  });

  it('rejects an entry before the rotation signed by the new key', () => {
    const { log, k1, k2 } = rotatedLog();
    const keys = log.verify(k1.publicKey).keys;
    const early = new TestLog();
    early.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: k1.publicKey }), k1);
    early.append(note(1), k2); // index 1: K1 is in force there
    expect(codeOf(() => openEntry(early.envelopes[1]!, keys))).toBe('BAD_SIGNATURE');
  });

  it('rejects a rotation entry not signed by the key in force (a forged announcement)', () => {
    const k1 = newSigner();
    const mallory = newSigner();
    const log = new TestLog();
    log.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: k1.publicKey }), k1);
    log.append(note(1), k1);
    // Mallory announces her own key, with a valid proof of possession, naming K1 as the previous key.
    log.append(log.rotation(k1, mallory), mallory);
    log.append(note(3), mallory);
    expect(codeOf(() => log.verify(k1.publicKey))).toBe('BAD_SIGNATURE');
    expect(messageOf(() => log.verify(k1.publicKey))).toMatch(/^entry 2: /);
  });

  it('rejects a second key announced by the retired key after a rotation', () => {
    const { log, k1 } = rotatedLog();
    const mallory = newSigner();
    log.append(log.rotation(k1, mallory), k1);
    expect(codeOf(() => log.verify(k1.publicKey))).toBe('BAD_SIGNATURE');
  });

  it('rejects a rotation whose proof of possession is by another key', () => {
    const k1 = newSigner();
    const announced = newSigner();
    const other = newSigner();
    const log = new TestLog();
    log.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: k1.publicKey }), k1);
    // Signed by K1 (in force), announcing `announced`, but the proof is `other`'s signature.
    const forged = log.rotation(k1, other);
    const draft: EntryDraft = {
      ...forged,
      subject: log.rotation(k1, announced).subject,
      predicate: { ...forged.predicate, logKey: log.rotation(k1, announced).predicate['logKey'] },
    };
    log.append(draft, k1);
    expect(codeOf(() => log.verify(k1.publicKey))).toBe('BAD_SIGNATURE');
    expect(messageOf(() => log.verify(k1.publicKey))).toContain('proof of possession does not verify');
  });

  it('rejects a proof of possession made over another log (a replayed announcement)', () => {
    const { log: other, k2 } = rotatedLog();
    const k1 = newSigner();
    const log = new TestLog();
    log.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: k1.publicKey }), k1);
    log.append(note(1), k1);
    // K2's proof over the other log's tree head of size 2, announced in this log by its own key K1.
    log.append(log.rotation(k1, k2, other.head(2)), k1);
    expect(codeOf(() => log.verify(k1.publicKey))).toBe('ROOT_MISMATCH');
  });

  it('rejects re-announcing a retired key (it would sign again)', () => {
    const { log, k1, k2 } = rotatedLog();
    log.append(log.rotation(k2, k1), k2);
    expect(codeOf(() => log.verify(k1.publicKey))).toBe('INCONSISTENT_LOG');
  });

  it('rejects a rotation naming another previous key than the key in force', () => {
    const k1 = newSigner();
    const k2 = newSigner();
    const log = new TestLog();
    log.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: k1.publicKey }), k1);
    log.append(log.rotation(newSigner(), k2), k1);
    expect(codeOf(() => log.verify(k1.publicKey))).toBe('INCONSISTENT_LOG');
  });

  it('rejects a tree head beyond the rotation entry itself', () => {
    const k1 = newSigner();
    const log = new TestLog();
    log.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: k1.publicKey }), k1);
    log.append(note(1), k1);
    // Claims to extend the tree of 2 entries, but sits at index 1.
    const head = log.head(2);
    const shorter = new TestLog();
    shorter.append(createGenesisDraft({ origin: ORIGIN, logPublicKey: k1.publicKey }), k1);
    shorter.append(shorter.rotation(k1, newSigner(), head), k1);
    expect(codeOf(() => shorter.verify(k1.publicKey))).toBe('INCONSISTENT_LOG');
  });

  it('rejects a tampered rotation entry (one payload byte changed)', () => {
    const { log, k1, rotationIndex } = rotatedLog();
    const tampered = Buffer.from(log.envelopes[rotationIndex]!);
    const at = tampered.indexOf('"payload":"') + 60;
    tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41;
    log.envelopes[rotationIndex] = new Uint8Array(tampered);
    expect(codeOf(() => log.verify(k1.publicKey))).toBe('BAD_SIGNATURE');
  });

  it('rejects a log whose genesis names another key than the trusted one', () => {
    const { log } = rotatedLog();
    expect(codeOf(() => log.verify(newSigner().publicKey))).toBe('BAD_SIGNATURE');
  });
});

describe('LogKeys', () => {
  it('gives the key in force by entry index and by checkpoint size', () => {
    const k1 = newSigner();
    const k2 = newSigner();
    const keys = LogKeys.fromGenesisKey(k1.publicKey).withRotation({
      index: 7,
      id: digestOfBytes(new Uint8Array([1])),
      publicKey: k2.publicKey,
    });
    expect([0, 7, 8, 100].map((i) => keys.keyAt(i).keyId)).toEqual([k1.keyId, k1.keyId, k2.keyId, k2.keyId]);
    expect([1, 8, 9].map((s) => keys.checkpointKey(s).keyId)).toEqual([k1.keyId, k1.keyId, k2.keyId]);
    expect(keys.genesis.lastIndex).toBe(7);
    expect(keys.current.lastIndex).toBeUndefined();
  });

  it('refuses to announce the key in force as the new key', () => {
    const k1 = newSigner();
    expect(() =>
      createLogKeyRotationDraft({
        origin: ORIGIN,
        previousKey: k1.publicKey,
        next: k1,
        extends: { size: 1, rootHash: new Uint8Array(32) },
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
  });
});
