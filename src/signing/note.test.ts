import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import { createSigner, generateKeyPair, privateKeyPemFromSeed, type Signer } from './keys.js';
import {
  MAX_NOTE_BYTES,
  noteKeyId,
  parseNote,
  parseVerifierKey,
  signNote,
  verifierKey,
  verifyNote,
} from './note.js';

interface NoteCase {
  readonly title: string;
  readonly kind: 'sign' | 'verify' | 'verifierKey';
  readonly input: {
    readonly text?: string;
    readonly name?: string;
    readonly signer?: string;
    readonly note?: string;
    readonly noteHex?: string;
    readonly verifier?: string;
    readonly verifierKey?: string;
  };
  readonly expected: {
    readonly note?: string;
    readonly text?: string;
    readonly name?: string;
    readonly error?: string;
  };
}

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/signed-note.json', import.meta.url), 'utf8'),
) as {
  readonly keys: Readonly<Record<string, { readonly verifierKey: string; readonly signerKey?: string }>>;
  readonly cases: readonly NoteCase[];
};

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const EM = '\u2014';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (!isSignetError(error)) throw error;
    return error.code;
  }
  return undefined;
}

/** A sumdb/note signer key "PRIVATE+KEY+<name>+<hash>+base64(0x01 ‖ seed)" as a Signer. */
function signerFromSkey(skey: string): Signer {
  const typed = Buffer.from(skey.split('+').slice(4).join('+'), 'base64');
  expect(typed[0]).toBe(0x01);
  return createSigner(privateKeyPemFromSeed(new Uint8Array(typed.subarray(1))));
}

const peter = vectors.keys['PeterNeumann'];
if (!peter?.signerKey) throw new Error('vector keys missing');
const peterSigner = signerFromSkey(peter.signerKey);

describe('signed note: golang.org/x/mod/sumdb/note vectors', () => {
  it('the PeterNeumann signer key gives the published verifier key and key ID c74f20a3', () => {
    expect(verifierKey('PeterNeumann', peterSigner.publicKey)).toBe(peter.verifierKey);
    expect(Buffer.from(noteKeyId('PeterNeumann', peterSigner.publicKey)).toString('hex')).toBe('c74f20a3');
    expect(parseVerifierKey(peter.verifierKey)).toEqual({
      name: 'PeterNeumann',
      publicKey: peterSigner.publicKey,
    });
  });

  for (const c of vectors.cases) {
    it(c.title, () => {
      if (c.kind === 'sign') {
        const bytes = signNote(c.input.text ?? '', c.input.name ?? '', peterSigner);
        expect(new TextDecoder().decode(bytes)).toBe(c.expected.note);
        return;
      }
      if (c.kind === 'verifierKey') {
        const run = () => parseVerifierKey(c.input.verifierKey ?? '');
        if (c.expected.error) expect(codeOf(run)).toBe(c.expected.error);
        else expect(run().name).toBe(c.expected.name);
        return;
      }
      const key = parseVerifierKey(vectors.keys[c.input.verifier ?? '']?.verifierKey ?? '');
      const bytes =
        c.input.noteHex !== undefined
          ? new Uint8Array(Buffer.from(c.input.noteHex, 'hex'))
          : utf8(c.input.note ?? '');
      const run = () => verifyNote(bytes, key.name, key.publicKey);
      if (c.expected.error) expect(codeOf(run)).toBe(c.expected.error);
      else expect(run()).toBe(c.expected.text);
    });
  }

  it('TestNewVerifier manglings: every proper substring and every one-byte change of the verifier key is refused', () => {
    const vkey = peter.verifierKey;
    for (let i = 0; i <= vkey.length; i++) {
      for (let j = i + 1; j <= vkey.length; j++) {
        if (i === 0 && j === vkey.length) continue;
        expect(
          codeOf(() => parseVerifierKey(vkey.slice(i, j))),
          vkey.slice(i, j),
        ).toBe('INVALID_KEY');
      }
    }
    for (let i = 0; i < vkey.length; i++) {
      const mangled = vkey.slice(0, i) + String.fromCharCode(vkey.charCodeAt(i) + 1) + vkey.slice(i + 1);
      expect(
        codeOf(() => parseVerifierKey(mangled)),
        mangled,
      ).toBe('INVALID_KEY');
    }
  });
});

describe('signed note: own round trips and form', () => {
  const signer = createSigner(generateKeyPair().privatePem);
  const name = 'example.com/signet';
  const text = 'line one\n\nline three after a blank line\n';
  const note = signNote(text, name, signer);

  it('signs and verifies, splitting at the last blank line', () => {
    expect(verifyNote(note, name, signer.publicKey)).toBe(text);
    const parsed = parseNote(note);
    expect(parsed.text).toBe(text);
    expect(parsed.signatures).toHaveLength(1);
    expect(parsed.signatures[0]?.name).toBe(name);
    expect(parsed.signatures[0]?.keyIdHex).toBe(
      Buffer.from(noteKeyId(name, signer.publicKey)).toString('hex'),
    );
    expect(parsed.signatures[0]?.signature).toHaveLength(64);
    expect(new TextDecoder().decode(note)).toMatch(
      new RegExp(`\n\n${EM} example\\.com/signet [A-Za-z0-9+/]{91}=\n$`),
    );
  });

  it('ignores signatures by unknown keys, before and after the known one (c2sp.org/signed-note)', () => {
    const other = createSigner(generateKeyPair().privatePem);
    const otherLine = new TextDecoder()
      .decode(signNote(text, 'witness.example', other))
      .slice(text.length + 1);
    const ownLine = new TextDecoder().decode(note).slice(text.length + 1);
    const both = utf8(`${text}\n${otherLine}${ownLine}${otherLine}`);
    expect(verifyNote(both, name, signer.publicKey)).toBe(text);
    expect(verifyNote(both, 'witness.example', other.publicKey)).toBe(text);
  });

  it.each([
    ['text without a final newline', 'abc', name],
    ['a control character in the text', 'a\tb\n', name],
    ['an empty name', 'abc\n', ''],
    ['a name with a space', 'abc\n', 'a b'],
    ['a name with a no-break space', 'abc\n', 'a\u00a0b'],
    ['a name with a plus', 'abc\n', 'a+b'],
  ])('signNote refuses %s', (_title, t, n) => {
    expect(codeOf(() => signNote(t, n, signer))).toBe('INVALID_ARGUMENT');
  });

  it.each([
    ['no signature line prefix', `${text}\n- ${name} AAAAAAAA\n`],
    ['a hyphen instead of the em dash', `${text}\n\u2013 ${name} AAAAAAAA\n`],
    ['no space after the name', `${text}\n${EM} ${name}\n`],
    ['only a key ID (4 bytes)', `${text}\n${EM} ${name} AAAAAA==\n`],
    ['non-canonical base64', `${text}\n${EM} ${name} AAAAAAB=\n`],
    ['URL-safe base64', `${text}\n${EM} ${name} AAAA-_8=\n`],
    ['two spaces', `${text}\n${EM} ${name}  AAAAAAAA\n`],
    ['a name with a plus', `${text}\n${EM} a+b AAAAAAAA\n`],
    ['a carriage return', `${text}\n${EM} ${name} AAAAAAAA\r\n`],
  ])('parseNote refuses %s (INVALID_CHECKPOINT)', (_title, input) => {
    expect(codeOf(() => parseNote(utf8(input)))).toBe('INVALID_CHECKPOINT');
  });

  it('refuses notes over the size limit', () => {
    const big = utf8(`${'a'.repeat(MAX_NOTE_BYTES)}\n\n${EM} ${name} AAAAAAAA\n`);
    expect(codeOf(() => parseNote(big))).toBe('INVALID_CHECKPOINT');
  });

  describe('security', () => {
    it('forgery: a note signed by another key under the same name is BAD_SIGNATURE', () => {
      const forged = signNote(text, name, createSigner(generateKeyPair().privatePem));
      expect(codeOf(() => verifyNote(forged, name, signer.publicKey))).toBe('BAD_SIGNATURE');
    });

    it('forgery: another key signing with the trusted key ID copied in is BAD_SIGNATURE', () => {
      const attacker = createSigner(generateKeyPair().privatePem);
      const sig = attacker.sign(utf8(text));
      const keyed = Buffer.concat([noteKeyId(name, signer.publicKey), sig]).toString('base64');
      const forged = utf8(`${text}\n${EM} ${name} ${keyed}\n`);
      expect(codeOf(() => verifyNote(forged, name, signer.publicKey))).toBe('BAD_SIGNATURE');
    });

    it('a failing signature by the known key rejects the note even next to a valid one', () => {
      const good = new TextDecoder().decode(note).slice(text.length + 1);
      const sig = Buffer.from(good.slice(good.lastIndexOf(' ') + 1, -1), 'base64');
      sig[10] = (sig[10] ?? 0) ^ 1;
      const bad = `${EM} ${name} ${sig.toString('base64')}\n`;
      expect(codeOf(() => verifyNote(utf8(`${text}\n${good}${bad}`), name, signer.publicKey))).toBe(
        'BAD_SIGNATURE',
      );
    });

    it('verifying under another name is BAD_SIGNATURE', () => {
      expect(codeOf(() => verifyNote(note, 'example.com/other', signer.publicKey))).toBe('BAD_SIGNATURE');
    });

    it('tamper: one bit flipped in any byte is refused', () => {
      for (let i = 0; i < note.length; i++) {
        for (const bit of [0x01, 0x20]) {
          const bad = note.slice();
          bad[i] = (bad[i] ?? 0) ^ bit;
          expect(['BAD_SIGNATURE', 'INVALID_CHECKPOINT', 'INVALID_UTF8'], `byte ${i} bit ${bit}`).toContain(
            codeOf(() => verifyNote(bad, name, signer.publicKey)),
          );
        }
      }
    });

    it('truncation: every proper prefix is refused', () => {
      for (let n = 0; n < note.length; n++) {
        expect(['BAD_SIGNATURE', 'INVALID_CHECKPOINT', 'INVALID_UTF8'], `prefix ${n}`).toContain(
          codeOf(() => verifyNote(note.subarray(0, n), name, signer.publicKey)),
        );
      }
    });

    it('random bytes only ever produce coded errors (generative)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (random) => {
          expect(codeOf(() => verifyNote(random, name, signer.publicKey))).toBeDefined();
        }),
        { numRuns: 500 },
      );
    });
  });
});
