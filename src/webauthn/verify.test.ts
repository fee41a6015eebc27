import { describe, expect, it } from 'vitest';

import { isSignetError, type ErrorCode } from '../errors.js';
import { canonicalize } from '../signing/canonical-json.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import {
  createSoftAuthenticator,
  FLAG_AT,
  FLAG_BE,
  FLAG_BS,
  FLAG_ED,
  FLAG_UP,
  FLAG_UV,
  type SoftAlgorithm,
  type SoftAuthenticator,
} from '../../test/helpers/soft-authenticator.js';
import type { WebAuthnSignature } from './types.js';
import { challengeOf, keyIdOfCose, verifyWebAuthnSignature } from './verify.js';

const RP_ID = 'signet.example.org';
const ORIGIN = 'https://signet.example.org';
const WHAT = 'the passkey signature';

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const unb64url = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));

function statementDigest(decision: 'approve' | 'reject' = 'approve'): Digest {
  return digestOfBytes(
    canonicalize({
      type: 'signet-approval-statement/v1',
      decision,
      draft: 'draft-1',
      identity: 'alice@example.org',
      ledgerSize: 7,
    }),
  );
}

/** The stored record for an assertion, built by hand so these tests do not depend on enrol.ts. */
function recordOf(
  auth: SoftAuthenticator,
  response: ReturnType<SoftAuthenticator['assert']>,
  fields: Partial<Record<keyof WebAuthnSignature, unknown>> = {},
): Record<string, unknown> {
  return {
    scheme: 'webauthn',
    keyId: keyIdOfCose(auth.cosePublicKey),
    credentialId: auth.credentialId,
    publicKey: b64url(auth.cosePublicKey),
    authenticatorData: response.response.authenticatorData,
    clientDataJSON: response.response.clientDataJSON,
    signature: response.response.signature,
    rpId: RP_ID,
    origin: ORIGIN,
    ...fields,
  };
}

function expectFailure(run: () => unknown, code: ErrorCode, message?: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(isSignetError(thrown), `expected a SignetError ${code}, got ${String(thrown)}`).toBe(true);
  if (!isSignetError(thrown)) return;
  expect(thrown.code, thrown.message).toBe(code);
  expect(thrown.message.startsWith(`${WHAT}: `), thrown.message).toBe(true);
  if (message) expect(thrown.message).toMatch(message);
}

function flipBit(text: string, index: number, bit: number): string {
  const bytes = unb64url(text);
  bytes[index] = (bytes[index] ?? 0) ^ bit;
  return b64url(bytes);
}

const ALGORITHMS: readonly SoftAlgorithm[] = ['ES256', 'Ed25519', 'RS256'];
const authenticators = new Map(
  ALGORITHMS.map((algorithm) => [
    algorithm,
    createSoftAuthenticator({ rpId: RP_ID, origin: ORIGIN, algorithm }),
  ]),
);
const soft = (algorithm: SoftAlgorithm): SoftAuthenticator => authenticators.get(algorithm)!;

describe.each(ALGORITHMS)('a valid %s assertion', (algorithm) => {
  const auth = soft(algorithm);
  const digest = statementDigest();
  const record = recordOf(auth, auth.assert(challengeOf(digest)));

  it('verifies and returns the key id and the COSE key', () => {
    const result = verifyWebAuthnSignature(record, challengeOf(digest), WHAT, {
      rpId: RP_ID,
      origins: [ORIGIN],
    });
    expect(result.keyId).toBe(digestOfBytes(auth.cosePublicKey));
    expect(b64url(result.publicKey)).toBe(b64url(auth.cosePublicKey));
  });

  it('fails with any one bit of authenticatorData flipped', () => {
    const length = unb64url(record['authenticatorData'] as string).length;
    for (let i = 0; i < length; i++) {
      for (let bit = 1; bit < 256; bit <<= 1) {
        const tampered = {
          ...record,
          authenticatorData: flipBit(record['authenticatorData'] as string, i, bit),
        };
        expectFailure(() => verifyWebAuthnSignature(tampered, challengeOf(digest), WHAT), 'BAD_SIGNATURE');
      }
    }
  });

  it('fails with any one byte of clientDataJSON flipped', () => {
    const length = unb64url(record['clientDataJSON'] as string).length;
    for (let i = 0; i < length; i++) {
      const tampered = { ...record, clientDataJSON: flipBit(record['clientDataJSON'] as string, i, 0x01) };
      let thrown: unknown;
      try {
        verifyWebAuthnSignature(tampered, challengeOf(digest), WHAT);
      } catch (error) {
        thrown = error;
      }
      expect(isSignetError(thrown), `byte ${i}`).toBe(true);
      if (isSignetError(thrown)) expect(['BAD_SIGNATURE', 'INVALID_JSON']).toContain(thrown.code);
    }
  });

  it('fails with any one byte of the signature flipped', () => {
    const length = unb64url(record['signature'] as string).length;
    for (let i = 0; i < length; i++) {
      const tampered = { ...record, signature: flipBit(record['signature'] as string, i, 0x01) };
      expectFailure(() => verifyWebAuthnSignature(tampered, challengeOf(digest), WHAT), 'BAD_SIGNATURE');
    }
  });

  it('fails against another statement digest', () => {
    expectFailure(
      () => verifyWebAuthnSignature(record, challengeOf(statementDigest('reject')), WHAT),
      'BAD_SIGNATURE',
      /the challenge is not this approval statement's digest/,
    );
  });
});

describe('attacks on a correctly signed assertion', () => {
  const auth = soft('ES256');
  const digest = statementDigest();
  const challenge = challengeOf(digest);
  const verify = (record: unknown, options: Parameters<typeof verifyWebAuthnSignature>[3] = {}) =>
    verifyWebAuthnSignature(record, challenge, WHAT, options);

  it('a registration (type webauthn.create) is not an assertion', () => {
    const record = recordOf(auth, auth.assert(challenge, { type: 'webauthn.create' }));
    expectFailure(() => verify(record), 'BAD_SIGNATURE', /"webauthn\.create", not "webauthn\.get"/);
  });

  it('an origin in clientDataJSON that is not the recorded origin', () => {
    const record = recordOf(auth, auth.assert(challenge, { origin: 'https://evil.example' }));
    expectFailure(
      () => verify(record),
      'BAD_SIGNATURE',
      /origin "https:\/\/evil\.example" is not the recorded origin/,
    );
  });

  it('a consistent origin that is not an allowed one', () => {
    const record = recordOf(auth, auth.assert(challenge, { origin: 'https://evil.example' }), {
      origin: 'https://evil.example',
    });
    expect(() => verify(record)).not.toThrow();
    expectFailure(
      () => verify(record, { origins: [ORIGIN] }),
      'BAD_SIGNATURE',
      /not one of the allowed origins/,
    );
  });

  it('an rpIdHash of another rpId', () => {
    const record = recordOf(auth, auth.assert(challenge, { rpId: 'evil.example' }));
    expectFailure(() => verify(record), 'BAD_SIGNATURE', /rpIdHash does not match rpId signet\.example\.org/);
  });

  it('a consistent rpId that is not the expected one', () => {
    const evil = createSoftAuthenticator({ rpId: 'evil.example', origin: ORIGIN, algorithm: 'ES256' });
    const record = recordOf(evil, evil.assert(challenge), { rpId: 'evil.example' });
    expect(() => verify(record)).not.toThrow();
    expectFailure(
      () => verify(record, { rpId: RP_ID }),
      'BAD_SIGNATURE',
      /rpId "evil\.example" is not the expected/,
    );
  });

  it('the UP flag cleared', () => {
    const record = recordOf(auth, auth.assert(challenge, { flags: FLAG_UV }));
    expectFailure(() => verify(record), 'BAD_SIGNATURE', /user-present \(UP\) flag is not set/);
    expectFailure(() => verify(record, { requireUserVerification: false }), 'BAD_SIGNATURE', /UP/);
  });

  it('the UV flag cleared, unless user verification is not required', () => {
    const record = recordOf(auth, auth.assert(challenge, { flags: FLAG_UP }));
    expectFailure(() => verify(record), 'BAD_SIGNATURE', /user-verified \(UV\) flag is not set/);
    expect(() => verify(record, { requireUserVerification: false })).not.toThrow();
  });

  it('backup flags: BS needs BE', () => {
    const synced = recordOf(auth, auth.assert(challenge, { flags: FLAG_UP | FLAG_UV | FLAG_BE | FLAG_BS }));
    expect(() => verify(synced)).not.toThrow();
    const bad = recordOf(auth, auth.assert(challenge, { flags: FLAG_UP | FLAG_UV | FLAG_BS }));
    expectFailure(() => verify(bad), 'BAD_SIGNATURE', /BS\) flag is set without backup-eligible/);
  });

  it('the AT flag, which only a registration may set', () => {
    const record = recordOf(auth, auth.assert(challenge, { flags: FLAG_UP | FLAG_UV | FLAG_AT }));
    expectFailure(() => verify(record), 'BAD_SIGNATURE', /AT\) flag/);
  });

  it('extension data must match the ED flag', () => {
    // {"uvm": []} as CBOR, standing in for any extension output.
    const extensions = new Uint8Array([0xa1, 0x63, 0x75, 0x76, 0x6d, 0x80]);
    const withEd = recordOf(auth, auth.assert(challenge, { flags: FLAG_UP | FLAG_UV | FLAG_ED, extensions }));
    expect(() => verify(withEd)).not.toThrow();
    const withoutEd = recordOf(auth, auth.assert(challenge, { extensions }));
    expectFailure(() => verify(withoutEd), 'BAD_SIGNATURE', /no extension data \(ED\) flag/);
    const emptyEd = recordOf(auth, auth.assert(challenge, { flags: FLAG_UP | FLAG_UV | FLAG_ED }));
    expectFailure(() => verify(emptyEd), 'BAD_SIGNATURE', /ED\) flag is set but/);
  });

  it('a cross-origin frame', () => {
    const crossOrigin = recordOf(auth, auth.assert(challenge, { crossOrigin: true }));
    expectFailure(() => verify(crossOrigin), 'BAD_SIGNATURE', /cross-origin frame/);
    const topOrigin = recordOf(
      auth,
      auth.assert(challenge, { extraClientData: { topOrigin: 'https://evil.example' } }),
    );
    expectFailure(() => verify(topOrigin), 'BAD_SIGNATURE', /cross-origin frame/);
    const notBoolean = recordOf(auth, auth.assert(challenge, { extraClientData: { crossOrigin: 'no' } }));
    expectFailure(() => verify(notBoolean), 'BAD_SIGNATURE', /crossOrigin is "no"/);
  });

  it('accepts unknown clientDataJSON members, as browsers add them (L3 #clientdatajson-verification)', () => {
    const record = recordOf(
      auth,
      auth.assert(challenge, {
        extraClientData: { other_keys_can_be_added_here: 'do not compare clientDataJSON' },
      }),
    );
    expect(() => verify(record)).not.toThrow();
  });

  it('a keyId that is not the digest of the public key', () => {
    const record = recordOf(auth, auth.assert(challenge), { keyId: statementDigest() });
    expectFailure(
      () => verify(record),
      'BAD_SIGNATURE',
      /keyId sha256:[0-9a-f]{64} is not the digest of the public key/,
    );
  });

  it('the public key swapped for another key (with its own keyId)', () => {
    const other = createSoftAuthenticator({ rpId: RP_ID, origin: ORIGIN, algorithm: 'ES256' });
    const record = recordOf(auth, auth.assert(challenge), {
      publicKey: b64url(other.cosePublicKey),
      keyId: keyIdOfCose(other.cosePublicKey),
    });
    expectFailure(
      () => verify(record),
      'BAD_SIGNATURE',
      /the ES256 signature does not verify with the public key/,
    );
  });

  it('an Ed25519 key in place of the ES256 key', () => {
    const other = soft('Ed25519');
    const record = recordOf(auth, auth.assert(challenge), {
      publicKey: b64url(other.cosePublicKey),
      keyId: keyIdOfCose(other.cosePublicKey),
    });
    expectFailure(() => verify(record), 'BAD_SIGNATURE', /EdDSA signature does not verify/);
  });
});

describe('malformed records', () => {
  const auth = soft('ES256');
  const challenge = challengeOf(statementDigest());
  const good = recordOf(auth, auth.assert(challenge));
  const verify = (record: unknown) => verifyWebAuthnSignature(record, challenge, WHAT);

  it.each([
    ['null', null],
    ['an array', [good]],
    ['a string', JSON.stringify(good)],
    ['a number', 42],
    ['undefined', undefined],
    ['a class instance', new Map(Object.entries(good))],
  ])('not an object: %s', (_name, value) => {
    expectFailure(() => verify(value), 'INVALID_ARGUMENT', /not a JSON object/);
  });

  it.each(Object.keys(good))('missing %s', (field) => {
    const record = { ...good };
    delete record[field];
    expectFailure(() => verify(record), 'INVALID_ARGUMENT', new RegExp(`has no ${field}`));
  });

  it('an unknown field', () => {
    expectFailure(() => verify({ ...good, counter: 1 }), 'INVALID_ARGUMENT', /unknown field "counter"/);
  });

  it('another scheme', () => {
    expectFailure(() => verify({ ...good, scheme: 'ed25519' }), 'INVALID_ARGUMENT', /scheme is "ed25519"/);
  });

  it('a keyId that is not a digest', () => {
    expectFailure(() => verify({ ...good, keyId: 'sha256:XYZ' }), 'INVALID_ARGUMENT', /keyId must be/);
  });

  const BYTE_FIELDS = [
    'credentialId',
    'publicKey',
    'authenticatorData',
    'clientDataJSON',
    'signature',
  ] as const;

  it.each(BYTE_FIELDS)('%s: wrong types and malformed base64url', (field) => {
    const text = good[field] as string;
    const standard = Buffer.from(unb64url(text)).toString('base64');
    const variants: unknown[] = [
      42,
      null,
      unb64url(text),
      '',
      `${text}=`, // padding
      `${text} `, // whitespace
      `${text.slice(0, 10)}\n${text.slice(10)}`,
      `${text}!`,
      text + 'A'.repeat((((1 - text.length) % 4) + 4) % 4 || 4), // a length no encoding has
    ];
    if (standard.replace(/=+$/, '') !== text) variants.push(standard.replace(/=+$/, '')); // + and /
    // Non-zero trailing bits: the same bytes under another spelling.
    const last = text.at(-1) ?? 'A';
    if (text.length % 4 !== 0) {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      variants.push(text.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1]);
    }
    for (const value of variants) {
      expectFailure(() => verify({ ...good, [field]: value }), 'INVALID_ARGUMENT', new RegExp(field));
    }
  });

  it.each(['rpId', 'origin'])('%s: not a non-empty string', (field) => {
    for (const value of [42, null, '', 'x'.repeat(4096), ['a']]) {
      expectFailure(() => verify({ ...good, [field]: value }), 'INVALID_ARGUMENT', new RegExp(field));
    }
  });

  it('oversized byte fields are refused before decoding', () => {
    expectFailure(
      () => verify({ ...good, clientDataJSON: 'A'.repeat(1_000_000) }),
      'INVALID_ARGUMENT',
      /clientDataJSON is longer than/,
    );
  });

  it('clientDataJSON that is not I-JSON, or not an object', () => {
    const cases: [string, ErrorCode][] = [
      ['not json', 'INVALID_JSON'],
      ['["webauthn.get"]', 'INVALID_JSON'],
      ['{"type":"webauthn.get","type":"webauthn.get"}', 'INVALID_JSON'],
    ];
    for (const [text, code] of cases) {
      expectFailure(
        () => verify({ ...good, clientDataJSON: b64url(Buffer.from(text)) }),
        code,
        /clientDataJSON/,
      );
    }
    expectFailure(
      () => verify({ ...good, clientDataJSON: b64url(Uint8Array.of(0x7b, 0xff, 0x7d)) }),
      'INVALID_UTF8',
      /clientDataJSON is not valid UTF-8/,
    );
  });

  it('a duplicated challenge member cannot smuggle a second challenge', () => {
    const json = JSON.stringify({ type: 'webauthn.get', challenge: 'AAAA', origin: ORIGIN });
    const smuggled = json.replace('}', `,"challenge":"${b64url(challenge)}"}`);
    expectFailure(
      () => verify({ ...good, clientDataJSON: b64url(Buffer.from(smuggled)) }),
      'INVALID_JSON',
      /duplicate key/,
    );
  });

  it('an authenticatorData shorter than 37 bytes', () => {
    expectFailure(
      () =>
        verify({
          ...good,
          authenticatorData: b64url(unb64url(good['authenticatorData'] as string).slice(0, 36)),
        }),
      'BAD_SIGNATURE',
      /fewer than 37/,
    );
  });

  it('an empty or non-Uint8Array expected challenge is a caller error', () => {
    expect(() => verifyWebAuthnSignature(good, new Uint8Array(0), WHAT)).toThrow(/expected challenge/);
    expect(() => verifyWebAuthnSignature(good, 'abc' as unknown as Uint8Array, WHAT)).toThrow(
      /expected challenge/,
    );
    expect(() => verifyWebAuthnSignature(good, challenge, WHAT, { origins: [] })).toThrow(/origins is empty/);
  });
});

describe('COSE keys', () => {
  const auth = soft('ES256');
  const challenge = challengeOf(statementDigest());
  const response = auth.assert(challenge);
  const withKey = (cose: Uint8Array) =>
    recordOf(auth, response, { publicKey: b64url(cose), keyId: keyIdOfCose(cose) });
  const verify = (record: unknown) => verifyWebAuthnSignature(record, challenge, WHAT);
  const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'));
  const cose = auth.cosePublicKey;
  const x = Buffer.from(cose.slice(10, 42)).toString('hex');
  const y = Buffer.from(cose.slice(45, 77)).toString('hex');

  it('the soft authenticator writes the CTAP2 canonical form', () => {
    expect(Buffer.from(cose).toString('hex')).toBe(`a5010203262001215820${x}225820${y}`);
  });

  it.each([
    ['trailing bytes', `a5010203262001215820${x}225820${y}00`, /1 trailing bytes/],
    ['a truncated y', `a5010203262001215820${x}225820${y.slice(0, 20)}`, /runs past the end/],
    ['a missing label', `a4010203262001215820${x}`, /has no label -3/],
    ['an extra label', `a6010203262001215820${x}225820${y}0201`, /unexpected label 2/],
    ['a duplicate label', `a5010203260326215820${x}225820${y}`, /duplicate label 3/],
    ['a non-minimal integer', `a501180203262001215820${x}225820${y}`, /shortest form/],
    ['an indefinite-length map', `bf010203262001215820${x}225820${y}ff`, /additional information 31/],
    ['not a map', `8501020326200121`, /major type 4/],
    ['ES384 (-35)', `a501020338222002215820${x}225820${y}`, /COSE algorithm -35 is not supported/],
    ['ES256 on another curve', `a5010203262002215820${x}225820${y}`, /P-256 \(crv 1\), got 2/],
    ['ES256 with kty OKP', `a5010103262001215820${x}225820${y}`, /kty 2 \(EC2\), got 1/],
    ['a 31-byte x', `a501020326200121581f${x.slice(2)}225820${y}`, /has 31 bytes, not 32/],
    ['x as an integer', `a50102032620012101225820${y}`, /non-empty byte string/],
    ['a point off the curve', `a5010203262001215820${x}225820${x}`, /not a valid public key/],
    ['an Ed25519 key on crv 7', `a4010103272007215820${x}`, /Ed25519 \(crv 6\), got 7/],
    [
      'an RSA key with a tiny modulus',
      'a401030339010020' + '41c3' + '21' + '43010001',
      /fewer than 2048|not a valid/,
    ],
  ])('refuses %s', (_name, text, message) => {
    expectFailure(() => verify(withKey(hex(text))), 'INVALID_KEY', message);
  });

  it('refuses an oversized key', () => {
    expectFailure(
      () => verify(withKey(new Uint8Array(3000))),
      'INVALID_ARGUMENT',
      /publicKey is longer than/,
    );
  });
});

describe('challengeOf and keyIdOfCose', () => {
  it('a challenge is the 32 raw bytes of the digest', () => {
    const digest = statementDigest();
    const challenge = challengeOf(digest);
    expect(challenge).toHaveLength(32);
    expect(`sha256:${Buffer.from(challenge).toString('hex')}`).toBe(digest);
  });

  it('refuses anything that is not a digest', () => {
    for (const value of ['sha256:abc', 'sha512:' + '0'.repeat(64), 'SHA256:' + '0'.repeat(64), 42]) {
      expect(() => challengeOf(value as Digest)).toThrow(expect.objectContaining({ code: 'INVALID_DIGEST' }));
    }
  });

  it('a key id is the digest of the COSE bytes', () => {
    const cose = soft('Ed25519').cosePublicKey;
    expect(keyIdOfCose(cose)).toBe(digestOfBytes(cose));
    expect(() => keyIdOfCose('abc' as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

// Published assertions made by other implementations, verified with nothing of ours but the verifier.
const hexToB64url = (hex: string): string => Buffer.from(hex, 'hex').toString('base64url');
const VECTORS = [
  {
    title: 'W3C WebAuthn L3 §16.2 "ES256 Credential with No Attestation", the authentication',
    source:
      'https://www.w3.org/TR/webauthn-3/#sctn-test-vectors-none-es256 (hex as published; flags UP|BE|BS, no UV, counter 0)',
    input: {
      challenge: hexToB64url('39c0e7521417ba54d43e8dc95174f423dee9bf3cd804ff6d65c857c9abf4d408'),
      record: {
        credentialId: hexToB64url('f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4'),
        publicKey: hexToB64url(
          'a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61' +
            '225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220',
        ),
        authenticatorData: hexToB64url(
          'bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000',
        ),
        clientDataJSON: hexToB64url(
          '7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a224f63446e55685158756c545550' +
            '6f334a5558543049393770767a7a59425039745a63685879617630314167222c226f726967696e223a2268747470733a2f2f' +
            '6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d',
        ),
        signature: hexToB64url(
          '3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd38022100' +
            '8480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87',
        ),
        rpId: 'example.org',
        origin: 'https://example.org',
      },
      requireUserVerification: false,
    },
  },
  {
    title: 'SimpleWebAuthn test suite: a browser ES256 assertion on localhost (UP|UV)',
    source:
      'MasterKale/SimpleWebAuthn packages/server/src/authentication/verifyAuthenticationResponse.test.ts, "should pass verification if custom challenge verifier returns true"',
    input: {
      // base64url of {"actualChallenge":"K3QxOjnVJLiGlnVEp5va5QJeMVWNf_7PYgutgbAtAUA","arbitraryData":"signMePlease"}
      challenge:
        'eyJhY3R1YWxDaGFsbGVuZ2UiOiJLM1F4T2puVkpMaUdsblZFcDV2YTVRSmVNVldOZl83UFlndXRnYkF0QVVBIiwiYXJiaXRyYXJ5RGF0YSI6InNpZ25NZVBsZWFzZSJ9',
      record: {
        credentialId:
          'AaIBxnYfL2pDWJmIii6CYgHBruhVvFGHheWamphVioG_TnEXxKA9MW4FWnJh21zsbmRpRJso9i2JmAtWOtXfVd4oXTgYVusXwhWWsA',
        publicKey:
          'pQECAyYgASFYILTrxTUQv3X4DRM6L_pk65FSMebenhCx3RMsTKoBm-AxIlggEf3qk5552QLNSh1T1oQs7_2C2qysDwN4r4fCp52Hsqs',
        authenticatorData: 'SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFYftypQ',
        clientDataJSON:
          'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiZXlKaFkzUjFZV3hEYUdGc2JHVnVaMlVpT2lKTE0xRjRUMnB1VmtwTWFVZHNibFpGY0RWMllUVlJTbVZOVmxkT1psODNVRmxuZFhSbllrRjBRVlZCSWl3aVlYSmlhWFJ5WVhKNVJHRjBZU0k2SW5OcFoyNU5aVkJzWldGelpTSjkiLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjgwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9',
        signature:
          'MEUCIByFAVGfkoKPEzynp-37BX_HOXSaC6-58-ELjB7BG9opAiEAyD_1mN9YAPrphcwpzK3ym2Xx8EjAapgQ326mKgQ1pW0',
        rpId: 'localhost',
        origin: 'http://localhost:8000',
      },
      requireUserVerification: true,
    },
  },
  {
    title: 'SimpleWebAuthn test suite: an older ES256 assertion (UP only, counter 0, no crossOrigin member)',
    source:
      'MasterKale/SimpleWebAuthn packages/server/src/authentication/verifyAuthenticationResponse.test.ts, "should not compare counters if both are 0"',
    input: {
      challenge: b64url(Buffer.from('totallyUniqueValueEveryAssertion')),
      record: {
        credentialId:
          'wSisR0_4hlzw3Y1tj4uNwwifIhRa-ZxWJwWbnfror0pVK9qPdBPO5pW3gasPqn6wXHb0LNhXB_IrA1nFoSQJ9A',
        publicKey:
          'pQECAyYgASFYIGmaxR4mBbukc2QhtW2ldhAAd555r-ljlGQN8MbcTnPPIlgg9CyUlE-0AB2fbzZbNgBvJuRa7r6o2jPphOmtyNPR_kY',
        authenticatorData: 'PdxHEOnAiLIp26idVjIguzn3Ipr_RlsKZWsa-5qK-KABAAAAAA',
        clientDataJSON:
          'eyJjaGFsbGVuZ2UiOiJkRzkwWVd4c2VWVnVhWEYxWlZaaGJIVmxSWFpsY25sQmMzTmxjblJwYjI0IiwiY2xpZW50RXh0ZW5zaW9ucyI6e30sImhhc2hBbGdvcml0aG0iOiJTSEEtMjU2Iiwib3JpZ2luIjoiaHR0cHM6Ly9kZXYuZG9udG5lZWRhLnB3IiwidHlwZSI6IndlYmF1dGhuLmdldCJ9',
        signature:
          'MEQCIBu6M-DGzu1O8iocGHEj0UaAZm0HmxTeRIE6-nS3_CPjAiBDsmIzy5sacYwwzgpXqfwRt_2vl5yiQZ_OAqWJQBGVsQ',
        rpId: 'dev.dontneeda.pw',
        origin: 'https://dev.dontneeda.pw',
      },
      requireUserVerification: false,
    },
  },
] as const;

describe.each(VECTORS)('published vector: $title', ({ input }) => {
  const record = {
    scheme: 'webauthn',
    keyId: keyIdOfCose(unb64url(input.record.publicKey)),
    ...input.record,
  };
  const challenge = unb64url(input.challenge);
  const options = {
    rpId: input.record.rpId,
    origins: [input.record.origin],
    requireUserVerification: input.requireUserVerification,
  };

  it('verifies', () => {
    const result = verifyWebAuthnSignature(record, challenge, WHAT, options);
    expect(b64url(result.publicKey)).toBe(input.record.publicKey);
  });

  it('fails with its signature, authenticator data or client data altered, or another challenge', () => {
    expectFailure(
      () =>
        verifyWebAuthnSignature(
          { ...record, signature: flipBit(record.signature, 10, 0x01) },
          challenge,
          WHAT,
          options,
        ),
      'BAD_SIGNATURE',
    );
    expectFailure(
      () =>
        verifyWebAuthnSignature(
          { ...record, authenticatorData: flipBit(record.authenticatorData, 34, 0x01) },
          challenge,
          WHAT,
          options,
        ),
      'BAD_SIGNATURE',
    );
    const clientData = JSON.parse(Buffer.from(record.clientDataJSON, 'base64url').toString()) as object;
    const reencoded = b64url(Buffer.from(JSON.stringify(clientData, null, 1)));
    expectFailure(
      () => verifyWebAuthnSignature({ ...record, clientDataJSON: reencoded }, challenge, WHAT, options),
      'BAD_SIGNATURE',
      /signature does not verify/,
    );
    expectFailure(
      () => verifyWebAuthnSignature(record, challengeOf(statementDigest()), WHAT, options),
      'BAD_SIGNATURE',
      /challenge/,
    );
  });
});
