import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import { createSigner, generateKeyPair, privateKeyPemFromSeed } from '../signing/keys.js';
import { parseVerifierKey, signNote, verifierKey } from '../signing/note.js';
import {
  formatCheckpoint,
  openCheckpoint,
  parseCheckpointBody,
  signCheckpoint,
  type Checkpoint,
} from './checkpoint.js';

interface CheckpointCase {
  readonly title: string;
  readonly input: {
    readonly note: string;
    readonly verifierKey?: string;
    readonly keyName?: string;
    readonly seed?: string;
  };
  readonly expected: { readonly origin: string; readonly size: number; readonly rootHash: string };
}

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/tlog-checkpoint.json', import.meta.url), 'utf8'),
) as {
  readonly cases: readonly CheckpointCase[];
};

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const fromBase64 = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (!isSignetError(error)) throw error;
    return error.code;
  }
  return undefined;
}

describe('checkpoint: published checkpoints verify', () => {
  for (const c of vectors.cases) {
    it(c.title, () => {
      let name: string;
      let publicKey: Uint8Array;
      if (c.input.verifierKey !== undefined) {
        ({ name, publicKey } = parseVerifierKey(c.input.verifierKey));
      } else {
        name = c.input.keyName ?? '';
        publicKey = createSigner(
          privateKeyPemFromSeed(new Uint8Array(Buffer.from(c.input.seed ?? '', 'hex'))),
        ).publicKey;
      }
      const checkpoint = openCheckpoint(utf8(c.input.note), name, publicKey);
      expect(checkpoint).toEqual({
        origin: c.expected.origin,
        size: c.expected.size,
        rootHash: fromBase64(c.expected.rootHash),
      });
      // Formatting the parsed checkpoint gives back the signed text byte for byte.
      expect(c.input.note.startsWith(`${formatCheckpoint(checkpoint)}\n`)).toBe(true);
    });
  }

  it('the C2SP tlog-checkpoint example body formats exactly', () => {
    // https://c2sp.org/tlog-checkpoint (its signing key is not published, so only the body is checked).
    const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    const parsed = parseCheckpointBody(body);
    expect(parsed.origin).toBe('example.com/behind-the-sofa');
    expect(parsed.size).toBe(20852163);
    expect(formatCheckpoint(parsed)).toBe(body);
  });
});

describe('checkpoint: sign and open', () => {
  const signer = createSigner(generateKeyPair().privatePem);
  const origin = 'signet.example/log';
  const rootHash = new Uint8Array(32).map((_, i) => i * 7);
  const checkpoint: Checkpoint = { origin, size: 42, rootHash };
  const note = signCheckpoint(checkpoint, origin, signer);

  it('round-trips', () => {
    expect(openCheckpoint(note, origin, signer.publicKey)).toEqual(checkpoint);
    expect(
      new TextDecoder()
        .decode(note)
        .startsWith(`${origin}\n42\n${Buffer.from(rootHash).toString('base64')}\n\n\u2014 ${origin} `),
    ).toBe(true);
  });

  it('round-trips size 0, the largest safe size, and extension lines', () => {
    for (const cp of [
      { origin, size: 0, rootHash },
      { origin, size: Number.MAX_SAFE_INTEGER, rootHash },
      { origin, size: 7, rootHash, extensions: ['ext one', 'ext two'] },
    ]) {
      expect(openCheckpoint(signCheckpoint(cp, origin, signer), origin, signer.publicKey)).toEqual(cp);
    }
  });

  it('works with a verifier key published as text', () => {
    const { name, publicKey } = parseVerifierKey(verifierKey(origin, signer.publicKey));
    expect(openCheckpoint(note, name, publicKey).size).toBe(42);
  });

  describe('security', () => {
    it('forgery: a checkpoint signed by another key is BAD_SIGNATURE', () => {
      const forged = signCheckpoint(checkpoint, origin, createSigner(generateKeyPair().privatePem));
      expect(codeOf(() => openCheckpoint(forged, origin, signer.publicKey))).toBe('BAD_SIGNATURE');
    });

    it('forgery: a bigger tree or another root under the old signature is BAD_SIGNATURE', () => {
      const text = new TextDecoder().decode(note);
      const signatures = text.slice(text.indexOf('\n\n'));
      for (const body of [
        formatCheckpoint({ ...checkpoint, size: 43 }),
        formatCheckpoint({ ...checkpoint, rootHash: new Uint8Array(32) }),
        formatCheckpoint({ ...checkpoint, origin: 'signet.example/other' }),
      ]) {
        expect(
          codeOf(() => openCheckpoint(utf8(body.slice(0, -1) + signatures), origin, signer.publicKey)),
        ).toBe('BAD_SIGNATURE');
      }
    });

    it('a note under another key name, or checked against another name, is BAD_SIGNATURE', () => {
      expect(
        codeOf(() => openCheckpoint(signCheckpoint(checkpoint, 'witness', signer), origin, signer.publicKey)),
      ).toBe('BAD_SIGNATURE');
      expect(codeOf(() => openCheckpoint(note, 'signet.example/log2', signer.publicKey))).toBe(
        'BAD_SIGNATURE',
      );
    });

    it('tamper: one bit flipped in any byte is refused', () => {
      for (let i = 0; i < note.length; i++) {
        for (const bit of [0x01, 0x40]) {
          const bad = note.slice();
          bad[i] = (bad[i] ?? 0) ^ bit;
          expect(['BAD_SIGNATURE', 'INVALID_CHECKPOINT', 'INVALID_UTF8'], `byte ${i} bit ${bit}`).toContain(
            codeOf(() => openCheckpoint(bad, origin, signer.publicKey)),
          );
        }
      }
    });

    it('truncation: every proper prefix is refused', () => {
      for (let n = 0; n < note.length; n++) {
        expect(['BAD_SIGNATURE', 'INVALID_CHECKPOINT', 'INVALID_UTF8'], `prefix ${n}`).toContain(
          codeOf(() => openCheckpoint(note.subarray(0, n), origin, signer.publicKey)),
        );
      }
    });

    it('a validly signed note that is not a checkpoint is INVALID_CHECKPOINT', () => {
      const notCheckpoint = signNote('hello\nworld\n', origin, signer);
      expect(codeOf(() => openCheckpoint(notCheckpoint, origin, signer.publicKey))).toBe(
        'INVALID_CHECKPOINT',
      );
    });

    it('random bytes only ever produce coded errors (generative)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (random) => {
          expect(codeOf(() => openCheckpoint(random, origin, signer.publicKey))).toBeDefined();
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('checkpoint: strict body parsing', () => {
  const root = Buffer.alloc(32, 1).toString('base64');

  it.each([
    ['no final newline', `o\n1\n${root}`],
    ['two lines', `o\n1\n`],
    ['an empty origin', `\n1\n${root}\n`],
    ['an origin with a control character', `o\u0001\n1\n${root}\n`],
    ['a size with a leading zero', `o\n01\n${root}\n`],
    ['a signed size', `o\n+1\n${root}\n`],
    ['a negative size', `o\n-1\n${root}\n`],
    ['a size with a space', `o\n 1\n${root}\n`],
    ['a fractional size', `o\n1.0\n${root}\n`],
    ['a size in exponent form', `o\n1e3\n${root}\n`],
    ['an empty size', `o\n\n${root}\n`],
    ['a size beyond 2^53 - 1', `o\n9007199254740992\n${root}\n`],
    ['a huge size', `o\n${'9'.repeat(30)}\n${root}\n`],
    ['a 31-byte root', `o\n1\n${Buffer.alloc(31).toString('base64')}\n`],
    ['a 33-byte root', `o\n1\n${Buffer.alloc(33).toString('base64')}\n`],
    ['a root without padding', `o\n1\n${root.replace(/=$/, '')}\n`],
    ['a root with non-zero trailing bits', `o\n1\n${root.slice(0, -2)}B=\n`],
    ['a root in URL-safe base64', `o\n1\n${Buffer.alloc(32, 0xfb).toString('base64url')}=\n`],
    ['an empty extension line', `o\n1\n${root}\n\next\n`],
    ['a carriage return', `o\r\n1\n${root}\n`],
  ])('refuses %s (INVALID_CHECKPOINT)', (_title, text) => {
    expect(codeOf(() => parseCheckpointBody(text))).toBe('INVALID_CHECKPOINT');
  });

  it.each<[string, Checkpoint]>([
    ['an empty origin', { origin: '', size: 1, rootHash: new Uint8Array(32) }],
    ['an origin with a newline', { origin: 'a\nb', size: 1, rootHash: new Uint8Array(32) }],
    ['a negative size', { origin: 'o', size: -1, rootHash: new Uint8Array(32) }],
    ['a fractional size', { origin: 'o', size: 1.5, rootHash: new Uint8Array(32) }],
    ['an unsafe size', { origin: 'o', size: 2 ** 53, rootHash: new Uint8Array(32) }],
    ['a short root', { origin: 'o', size: 1, rootHash: new Uint8Array(31) }],
    ['an empty extension', { origin: 'o', size: 1, rootHash: new Uint8Array(32), extensions: [''] }],
  ])('formatCheckpoint refuses %s (INVALID_CHECKPOINT)', (_title, cp) => {
    expect(codeOf(() => formatCheckpoint(cp))).toBe('INVALID_CHECKPOINT');
  });
});
