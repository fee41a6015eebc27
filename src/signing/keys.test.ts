import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import {
  createSigner,
  ed25519VerificationsRun,
  generateKeyPair,
  keyIdOf,
  privateKeyPemFromSeed,
  publicKeyFromPem,
  publicKeyToPem,
  verifySignature,
} from './keys.js';

interface Ed25519Case {
  readonly title: string;
  readonly input: { readonly secretKey: string; readonly publicKey: string; readonly message: string };
  readonly expected: { readonly signature: string };
}

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/ed25519.json', import.meta.url), 'utf8'),
) as {
  readonly cases: readonly Ed25519Case[];
};

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (!isSignetError(error)) throw error;
    return error.code;
  }
  return undefined;
}

describe('Ed25519: RFC 8032 §7.1 test vectors', () => {
  it('has tests 1-3', () => expect(vectors.cases).toHaveLength(3));

  for (const c of vectors.cases) {
    it(c.title, () => {
      // privateKeyPemFromSeed wraps the raw seed in the PKCS#8 prefix 302e020100300506032b657004220420.
      const signer = createSigner(privateKeyPemFromSeed(fromHex(c.input.secretKey)));
      expect(toHex(signer.publicKey)).toBe(c.input.publicKey);
      const message = fromHex(c.input.message);
      expect(toHex(signer.sign(message))).toBe(c.expected.signature);
      expect(verifySignature(fromHex(c.input.publicKey), message, fromHex(c.expected.signature))).toBe(true);
    });
  }
});

describe('security: verifySignature says no to anything but the exact signature', () => {
  const [first, second] = vectors.cases;
  if (!first || !second) throw new Error('vectors missing');
  const publicKey = fromHex(first.input.publicKey);
  const message = fromHex(first.input.message);
  const signature = fromHex(first.expected.signature);

  it('rejects a signature with any single bit flipped', () => {
    for (let i = 0; i < signature.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = signature.slice();
        bad[i] = (bad[i] ?? 0) ^ bit;
        expect(verifySignature(publicKey, message, bad), `byte ${i} bit ${bit}`).toBe(false);
      }
    }
  });

  it('rejects a changed message, another key, and truncated or extended signatures', () => {
    expect(verifySignature(publicKey, new Uint8Array([0]), signature)).toBe(false);
    expect(verifySignature(fromHex(second.input.publicKey), message, signature)).toBe(false);
    expect(verifySignature(publicKey, message, signature.subarray(0, 63))).toBe(false);
    expect(verifySignature(publicKey, message, new Uint8Array([...signature, 0]))).toBe(false);
    expect(verifySignature(publicKey, message, new Uint8Array(0))).toBe(false);
  });

  it('rejects the all-zero signature and a non-canonical S (S + L)', () => {
    expect(verifySignature(publicKey, message, new Uint8Array(64))).toBe(false);
    // RFC 8032 §5.1.7: S must be < L; adding L to S gives a signature that a lax verifier would accept.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const sLittle = signature.slice(32);
    const s = BigInt(`0x${toHex(sLittle.slice().reverse())}`);
    const sPlusL = fromHex((s + L).toString(16).padStart(64, '0')).reverse();
    expect(verifySignature(publicKey, message, new Uint8Array([...signature.slice(0, 32), ...sPlusL]))).toBe(
      false,
    );
  });
});

describe('verifySignature remembers successes, never failures', () => {
  const signer = createSigner(generateKeyPair().privatePem);
  const other = createSigner(generateKeyPair().privatePem);
  /** The answer, and how many times Ed25519 itself ran to give it. */
  const checked = (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => {
    const before = ed25519VerificationsRun();
    const valid = verifySignature(key, message, signature);
    return { valid, ran: ed25519VerificationsRun() - before };
  };

  it('checks a signature once; the same key, message and signature again is answered from memory', () => {
    const message = new TextEncoder().encode(`remembered ${Math.random()}`);
    const signature = signer.sign(message);
    expect(checked(signer.publicKey, message, signature)).toEqual({ valid: true, ran: 1 });
    expect(checked(signer.publicKey, message, signature)).toEqual({ valid: true, ran: 0 });
  });

  it('after a remembered success, a changed byte of the message or the signature, or another key, is checked and refused', () => {
    const message = new TextEncoder().encode(`tampered ${Math.random()}`);
    const signature = signer.sign(message);
    expect(verifySignature(signer.publicKey, message, signature)).toBe(true);
    const changedMessage = message.slice();
    changedMessage[0] = (changedMessage[0] ?? 0) ^ 1;
    const changedSignature = signature.slice();
    changedSignature[63] = (changedSignature[63] ?? 0) ^ 1;
    for (const [key, m, sig] of [
      [signer.publicKey, changedMessage, signature],
      [signer.publicKey, message, changedSignature],
      [other.publicKey, message, signature],
    ] as const) {
      expect(checked(key, m, sig)).toEqual({ valid: false, ran: 1 });
    }
    // The caller's array changed in place after a success: what is checked is what it holds now.
    message[1] = (message[1] ?? 0) ^ 1;
    expect(checked(signer.publicKey, message, signature)).toEqual({ valid: false, ran: 1 });
  });

  it('a failed signature is checked again every time', () => {
    const message = new TextEncoder().encode(`refused ${Math.random()}`);
    const forged = other.sign(message);
    for (let i = 0; i < 2; i++) {
      expect(checked(signer.publicKey, message, forged)).toEqual({ valid: false, ran: 1 });
    }
  });
});

describe('keys: generation, PEM, key ids', () => {
  it('generates a PKCS#8 / SPKI pair whose parts agree', () => {
    const keys = generateKeyPair();
    expect(keys.privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(keys.publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(keys.publicKey).toHaveLength(32);
    expect(publicKeyFromPem(keys.publicPem)).toEqual(keys.publicKey);
    expect(publicKeyToPem(keys.publicKey)).toBe(keys.publicPem);
    const signer = createSigner(keys.privatePem);
    expect(signer.publicKey).toEqual(keys.publicKey);
    expect(signer.keyId).toBe(keyIdOf(keys.publicKey));
    const message = new TextEncoder().encode('promote model sha256:…');
    expect(verifySignature(keys.publicKey, message, signer.sign(message))).toBe(true);
    expect(generateKeyPair().publicKey).not.toEqual(keys.publicKey);
  });

  it('keyIdOf is "sha256:" + hex SHA-256 of the raw 32-byte key', () => {
    const raw = fromHex(vectors.cases[0]?.input.publicKey ?? '');
    expect(keyIdOf(raw)).toBe(`sha256:${createHash('sha256').update(raw).digest('hex')}`);
  });

  it('a signer hands out copies of its public key', () => {
    const signer = createSigner(generateKeyPair().privatePem);
    const before = signer.keyId;
    signer.publicKey.fill(0);
    expect(keyIdOf(signer.publicKey)).toBe(before);
  });
});

describe('keys: bad keys are INVALID_KEY', () => {
  const ed = generateKeyPair();
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecPrivatePem = ec.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const ecPublicPem = ec.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const encryptedPem = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' },
    publicKeyEncoding: { format: 'pem', type: 'spki' },
  }).privateKey;

  it.each([
    ['garbage', 'not a key'],
    ['an empty string', ''],
    ['a public key', ed.publicPem],
    ['a P-256 key', ecPrivatePem],
    ['an encrypted key', encryptedPem],
    ['a truncated PEM', ed.privatePem.slice(0, 60)],
  ])('createSigner refuses %s', (_title, pem) => {
    expect(codeOf(() => createSigner(pem))).toBe('INVALID_KEY');
  });

  it.each([
    ['garbage', 'not a key'],
    ['a private key', ed.privatePem],
    ['a P-256 public key', ecPublicPem],
    ['a truncated PEM', ed.publicPem.slice(0, 50)],
  ])('publicKeyFromPem refuses %s', (_title, pem) => {
    expect(codeOf(() => publicKeyFromPem(pem))).toBe('INVALID_KEY');
  });

  it('raw keys must have 32 bytes, seeds too', () => {
    expect(codeOf(() => publicKeyToPem(new Uint8Array(31)))).toBe('INVALID_KEY');
    expect(codeOf(() => keyIdOf(new Uint8Array(33)))).toBe('INVALID_KEY');
    expect(codeOf(() => verifySignature(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64)))).toBe(
      'INVALID_KEY',
    );
    expect(codeOf(() => privateKeyPemFromSeed(new Uint8Array(31)))).toBe('INVALID_KEY');
  });
});
