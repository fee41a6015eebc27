import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isSignetError } from '../errors.js';
import { canonicalize, parseJson } from './canonical-json.js';
import {
  MAX_ENVELOPE_SIGNATURES,
  PAYLOAD_TYPE_IN_TOTO,
  pae,
  parseEnvelope,
  serializeEnvelope,
  signEnvelope,
  verifyEnvelope,
  type Envelope,
} from './dsse.js';
import {
  createSigner,
  generateKeyPair,
  privateKeyPemFromSeed,
  verifySignature,
  type Signer,
} from './keys.js';

interface DsseCase {
  readonly title: string;
  readonly input: {
    readonly envelope: unknown;
    readonly trustedKeys: readonly string[];
    readonly threshold: number;
    readonly supportedPayloadTypes: readonly string[];
  };
  readonly expected: { readonly paeHex: string; readonly result: 'accept' | 'reject' };
}

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/dsse-pae.json', import.meta.url), 'utf8'),
) as {
  readonly keys: Readonly<Record<string, { readonly seed: string; readonly public: string }>>;
  readonly protocolExample: {
    readonly input: { readonly payloadType: string; readonly payloadUtf8: string };
    readonly expected: { readonly pae: string; readonly paeHex: string };
    readonly signature: {
      readonly x: string;
      readonly y: string;
      readonly envelope: { readonly signatures: readonly [{ readonly sig: string }] };
    };
  };
  readonly cases: readonly DsseCase[];
};

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
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

const newSigner = (): Signer => createSigner(generateKeyPair().privatePem);

describe('DSSE PAE: published vectors', () => {
  it('protocol.md: "hello world" as http://example.com/HelloWorld', () => {
    const { input, expected } = vectors.protocolExample;
    const bytes = pae(input.payloadType, utf8(input.payloadUtf8));
    expect(new TextDecoder().decode(bytes)).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    expect(new TextDecoder().decode(bytes)).toBe(expected.pae);
    expect(toHex(bytes)).toBe(expected.paeHex);
  });

  it('protocol.md: the published ECDSA P-256 signature verifies over our PAE bytes', () => {
    const { input, signature } = vectors.protocolExample;
    const coordinate = (decimal: string): string =>
      Buffer.from(BigInt(decimal).toString(16).padStart(64, '0'), 'hex').toString('base64url');
    const key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: coordinate(signature.x), y: coordinate(signature.y) },
      format: 'jwk',
    });
    const sig = Buffer.from(signature.envelope.signatures[0].sig, 'base64');
    const message = pae(input.payloadType, utf8(input.payloadUtf8));
    expect(cryptoVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    expect(
      cryptoVerify(
        'sha256',
        pae(input.payloadType, utf8('hello world!')),
        { key, dsaEncoding: 'ieee-p1363' },
        sig,
      ),
    ).toBe(false);
  });

  it('counts bytes, not characters, and writes an empty body as "0 "', () => {
    expect(new TextDecoder().decode(pae('t\u00e4', utf8('\u20ac')))).toBe('DSSEv1 3 t\u00e4 3 \u20ac');
    expect(new TextDecoder().decode(pae('', new Uint8Array(0)))).toBe('DSSEv1 0  0 ');
  });
});

describe('DSSE testvectors/vectors.json (Ed25519 keys of RFC 8032 tests 1 and 2)', () => {
  const publicKeyOf = (name: string): Uint8Array => fromHex(vectors.keys[name]?.public ?? '');
  // Why each published rejection fails here.
  const rejectCode: Record<string, string> = {
    'payload-type-swapped': 'BAD_SIGNATURE',
    'empty-payload-type': 'INVALID_ENVELOPE',
    'threshold-two-one-key-twice': 'BAD_SIGNATURE',
  };

  it('the published seeds give the published public keys', () => {
    for (const key of Object.values(vectors.keys)) {
      expect(toHex(createSigner(privateKeyPemFromSeed(fromHex(key.seed))).publicKey)).toBe(key.public);
    }
  });

  for (const c of vectors.cases) {
    it(`${c.title}: ${c.expected.result}`, () => {
      const bytes = utf8(JSON.stringify(c.input.envelope));
      const envelope = parseEnvelope(bytes, { acceptUrlSafeBase64: true });
      // `paeHex` is what the signatures cover: the envelope's own PAE, except where the type was swapped.
      const ownPae = toHex(pae(envelope.payloadType, envelope.payload));
      if (c.title === 'payload-type-swapped') expect(ownPae).not.toBe(c.expected.paeHex);
      else expect(ownPae).toBe(c.expected.paeHex);
      const [first] = envelope.signatures;
      expect(
        verifySignature(publicKeyOf('A'), fromHex(c.expected.paeHex), first?.sig ?? new Uint8Array()),
      ).toBe(true);
      const verify = (): Uint8Array =>
        verifyEnvelope(envelope, c.input.trustedKeys.map(publicKeyOf), {
          payloadTypes: c.input.supportedPayloadTypes,
          threshold: c.input.threshold,
        });
      if (c.expected.result === 'accept') {
        expect(verify()).toEqual(envelope.payload);
      } else {
        expect(codeOf(verify)).toBe(rejectCode[c.title]);
      }
    });
  }

  it('strict parsing (the default) refuses the URL-safe vector: Signet writes standard base64 only', () => {
    const c = vectors.cases.find((v) => v.title === 'url-safe-base64');
    expect(codeOf(() => parseEnvelope(utf8(JSON.stringify(c?.input.envelope))))).toBe('INVALID_ENVELOPE');
  });
});

describe('DSSE envelopes: sign, serialise, parse, verify', () => {
  const signer = newSigner();
  const statement = canonicalize({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [],
    predicate: { n: 1 },
  });
  const envelope = signEnvelope(PAYLOAD_TYPE_IN_TOTO, statement, signer);
  const bytes = serializeEnvelope(envelope);

  it('round-trips to the same bytes, which are RFC 8785 canonical JSON', () => {
    const parsed = parseEnvelope(bytes);
    expect(parsed.payloadType).toBe(PAYLOAD_TYPE_IN_TOTO);
    expect(parsed.payload).toEqual(statement);
    expect(parsed.signatures).toEqual([{ keyid: signer.keyId, sig: envelope.signatures[0]?.sig }]);
    expect(serializeEnvelope(parsed)).toEqual(bytes);
    expect(canonicalize(parseJson(bytes, 'envelope'))).toEqual(bytes);
    expect(new TextDecoder().decode(bytes)).toMatch(
      /^\{"payload":"[A-Za-z0-9+/=]+","payloadType":"application\/vnd\.in-toto\+json","signatures":\[\{"keyid":"sha256:[0-9a-f]{64}","sig":"[A-Za-z0-9+/=]{88}"\}\]\}$/,
    );
    expect(verifyEnvelope(parsed, [signer.publicKey])).toEqual(statement);
    expect(verifyEnvelope(parsed, signer.publicKey)).toEqual(statement);
  });

  it('leaves out an empty keyid and reads a missing one as empty', () => {
    const anonymous: Envelope = {
      ...envelope,
      signatures: [{ keyid: '', sig: envelope.signatures[0]?.sig ?? new Uint8Array() }],
    };
    const out = serializeEnvelope(anonymous);
    expect(new TextDecoder().decode(out)).not.toContain('keyid');
    expect(parseEnvelope(out).signatures[0]?.keyid).toBe('');
    expect(verifyEnvelope(parseEnvelope(out), [signer.publicKey])).toEqual(statement);
  });

  it('accepts a threshold met by distinct keys, in any order, among untrusted signatures', () => {
    const other = newSigner();
    const stranger = newSigner();
    const message = pae(PAYLOAD_TYPE_IN_TOTO, statement);
    const multi: Envelope = {
      ...envelope,
      signatures: [
        { keyid: stranger.keyId, sig: stranger.sign(message) },
        { keyid: other.keyId, sig: other.sign(message) },
        ...envelope.signatures,
      ],
    };
    const parsed = parseEnvelope(serializeEnvelope(multi));
    expect(verifyEnvelope(parsed, [signer.publicKey, other.publicKey], { threshold: 2 })).toEqual(statement);
    expect(codeOf(() => verifyEnvelope(parsed, [signer.publicKey, signer.publicKey], { threshold: 2 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => verifyEnvelope(parsed, [signer.publicKey], { threshold: 0 }))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('refuses payload types the verifier does not support (default: in-toto only)', () => {
    const other = signEnvelope('application/vnd.example+json', statement, signer);
    expect(codeOf(() => verifyEnvelope(other, [signer.publicKey]))).toBe('INVALID_ENVELOPE');
    expect(
      verifyEnvelope(other, [signer.publicKey], { payloadTypes: ['application/vnd.example+json'] }),
    ).toEqual(statement);
  });

  describe('security', () => {
    it('forgery: a signature by another key is BAD_SIGNATURE', () => {
      const forged = signEnvelope(PAYLOAD_TYPE_IN_TOTO, statement, newSigner());
      expect(codeOf(() => verifyEnvelope(parseEnvelope(serializeEnvelope(forged)), [signer.publicKey]))).toBe(
        'BAD_SIGNATURE',
      );
    });

    it('forgery: another key claiming the trusted keyid is BAD_SIGNATURE (keyid is only a hint)', () => {
      const attacker = newSigner();
      const forged: Envelope = {
        ...envelope,
        signatures: [{ keyid: signer.keyId, sig: attacker.sign(pae(PAYLOAD_TYPE_IN_TOTO, statement)) }],
      };
      expect(codeOf(() => verifyEnvelope(forged, [signer.publicKey]))).toBe('BAD_SIGNATURE');
    });

    it('tamper: a new payload or a swapped payload type under the old signature is BAD_SIGNATURE', () => {
      const swappedPayload: Envelope = { ...envelope, payload: canonicalize({ evil: true }) };
      expect(codeOf(() => verifyEnvelope(swappedPayload, [signer.publicKey]))).toBe('BAD_SIGNATURE');
      const swappedType: Envelope = { ...envelope, payloadType: 'application/vnd.example+json' };
      expect(
        codeOf(() =>
          verifyEnvelope(swappedType, [signer.publicKey], { payloadTypes: ['application/vnd.example+json'] }),
        ),
      ).toBe('BAD_SIGNATURE');
    });

    it('tamper: one bit flipped in any byte is refused, unless it only touched the unauthenticated keyid', () => {
      for (let i = 0; i < bytes.length; i++) {
        const bad = bytes.slice();
        bad[i] = (bad[i] ?? 0) ^ 0x01;
        let result: Uint8Array | undefined;
        const code = codeOf(() => {
          result = verifyEnvelope(parseEnvelope(bad), [signer.publicKey]);
        });
        if (code === undefined) {
          // Accepted: then it must say exactly what was signed, and the flip must be inside the keyid.
          expect(result, `byte ${i}`).toEqual(statement);
          expect(parseEnvelope(bad).signatures[0]?.keyid, `byte ${i}`).not.toBe(signer.keyId);
        } else {
          expect(['INVALID_ENVELOPE', 'BAD_SIGNATURE'], `byte ${i}`).toContain(code);
        }
      }
    });

    it('truncation: every proper prefix of the envelope is INVALID_ENVELOPE', () => {
      for (let n = 0; n < bytes.length; n++) {
        expect(
          codeOf(() => parseEnvelope(bytes.subarray(0, n))),
          `prefix ${n}`,
        ).toBe('INVALID_ENVELOPE');
      }
    });

    it('random bytes only ever produce INVALID_ENVELOPE (generative)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (random) => {
          expect(codeOf(() => parseEnvelope(random))).toBe('INVALID_ENVELOPE');
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('DSSE parseEnvelope: exactly the allowed form', () => {
  const sig = Buffer.alloc(64, 7).toString('base64');
  const valid = { payload: 'aGVsbG8=', payloadType: PAYLOAD_TYPE_IN_TOTO, signatures: [{ keyid: 'k', sig }] };
  const parse = (value: unknown) => () =>
    parseEnvelope(utf8(typeof value === 'string' ? value : JSON.stringify(value)));

  it('accepts the valid form', () => {
    expect(parse(valid)()).toEqual({
      payloadType: PAYLOAD_TYPE_IN_TOTO,
      payload: utf8('hello'),
      signatures: [{ keyid: 'k', sig: new Uint8Array(64).fill(7) }],
    });
  });

  it.each<[string, unknown]>([
    ['not JSON', 'garbage'],
    ['invalid UTF-8', '\uFFFD'],
    ['an array', [valid]],
    ['null', null],
    ['an extra top-level field', { ...valid, extra: 1 }],
    ['no payload', { payloadType: valid.payloadType, signatures: valid.signatures }],
    ['no payloadType', { payload: valid.payload, signatures: valid.signatures }],
    ['no signatures', { payload: valid.payload, payloadType: valid.payloadType }],
    ['empty signatures', { ...valid, signatures: [] }],
    ['signatures not an array', { ...valid, signatures: { keyid: 'k', sig } }],
    [
      'too many signatures',
      { ...valid, signatures: Array.from({ length: MAX_ENVELOPE_SIGNATURES + 1 }, () => ({ sig })) },
    ],
    ['a non-string payloadType', { ...valid, payloadType: 1 }],
    ['a non-string payload', { ...valid, payload: [1] }],
    ['payload without padding', { ...valid, payload: 'aGVsbG8' }],
    ['payload with non-zero trailing bits', { ...valid, payload: 'aGVsbG9=' }],
    ['payload with whitespace', { ...valid, payload: 'aGVs bG8=' }],
    ['payload in URL-safe base64', { ...valid, payload: '-_-_Pj8=' }],
    ['payload with a character outside base64', { ...valid, payload: 'aGVsbG8*' }],
    ['a signature that is not an object', { ...valid, signatures: [sig] }],
    ['a signature with an extra field', { ...valid, signatures: [{ keyid: 'k', sig, extra: true }] }],
    ['a signature without sig', { ...valid, signatures: [{ keyid: 'k' }] }],
    ['an empty sig', { ...valid, signatures: [{ keyid: 'k', sig: '' }] }],
    ['a non-canonical sig', { ...valid, signatures: [{ keyid: 'k', sig: sig.replace(/=+$/, '') }] }],
    ['a non-string keyid', { ...valid, signatures: [{ keyid: 5, sig }] }],
    [
      'a duplicate key',
      `{"payload":"aGVsbG8=","payload":"","payloadType":"x","signatures":[{"sig":"${sig}"}]}`,
    ],
  ])('refuses %s (INVALID_ENVELOPE)', (_title, value) => {
    const run =
      _title === 'invalid UTF-8' ? () => parseEnvelope(new Uint8Array([0x7b, 0xff, 0x7d])) : parse(value);
    expect(codeOf(run)).toBe('INVALID_ENVELOPE');
  });

  it('refuses oversized input before parsing it', () => {
    expect(codeOf(() => parseEnvelope(utf8(JSON.stringify(valid)), { maxBytes: 16 }))).toBe(
      'INVALID_ENVELOPE',
    );
  });
});
