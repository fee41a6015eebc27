import { describe, expect, it } from 'vitest';

import { isSignetError, type ErrorCode } from '../errors.js';
import { canonicalize } from '../signing/canonical-json.js';
import { digestOfBytes } from '../signing/digest.js';
import {
  createSoftAuthenticator,
  FLAG_AT,
  FLAG_UP,
  type SoftAlgorithm,
} from '../../test/helpers/soft-authenticator.js';
import {
  authenticationOptions,
  registrationOptions,
  toWebAuthnSignature,
  verifyRegistration,
  verifySignIn,
} from './enrol.js';
import type { PasskeyCredential } from './types.js';
import { challengeOf, keyIdOfCose, verifyWebAuthnSignature } from './verify.js';

const RP_ID = 'signet.example.org';
const ORIGIN = 'https://signet.example.org';
const EXPECTED = { origin: ORIGIN, rpId: RP_ID };

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const unb64url = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));

async function expectRejection(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<Error> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  expect(isSignetError(thrown), `expected a SignetError ${code}, got ${String(thrown)}`).toBe(true);
  if (!isSignetError(thrown)) throw new Error('unreachable');
  expect(thrown.code, thrown.message).toBe(code);
  if (message) expect(thrown.message).toMatch(message);
  return thrown;
}

async function enrol(algorithm: SoftAlgorithm = 'ES256') {
  const auth = createSoftAuthenticator({ rpId: RP_ID, origin: ORIGIN, algorithm });
  const { options, challenge } = await registrationOptions({
    rpId: RP_ID,
    rpName: 'Signet',
    userId: 'alice',
  });
  const credential = await verifyRegistration(auth.register(options), {
    ...EXPECTED,
    expectedChallenge: challenge,
  });
  return { auth, credential };
}

const statementDigest = digestOfBytes(
  canonicalize({
    type: 'signet-approval-statement/v1',
    decision: 'approve',
    identity: 'alice',
    ledgerSize: 3,
  }),
);

describe('registrationOptions', () => {
  it('asks for attestation "none", user verification and the supported algorithms', async () => {
    const { options, challenge, userHandle } = await registrationOptions({
      rpId: RP_ID,
      rpName: 'Signet',
      userId: 'alice@example.org',
      excludeCredentials: [{ credentialId: 'AAAA', transports: ['usb'] }],
    });
    expect(options.rp).toEqual({ id: RP_ID, name: 'Signet' });
    expect(options.attestation).toBe('none');
    expect(options.authenticatorSelection?.userVerification).toBe('required');
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7, -257]);
    expect(options.excludeCredentials).toEqual([{ id: 'AAAA', transports: ['usb'], type: 'public-key' }]);
    expect(options.user.name).toBe('alice@example.org');
    expect(unb64url(challenge)).toHaveLength(32);
    expect(challenge).toBe(options.challenge);
    // The user handle is random, never the identity (L3 #sctn-user-handle-privacy).
    expect(unb64url(userHandle)).toHaveLength(32);
    expect(Buffer.from(unb64url(userHandle)).toString('latin1')).not.toContain('alice');
  });

  it('uses a stored user handle, and a fresh challenge each time', async () => {
    const handle = new Uint8Array(64).fill(7);
    const first = await registrationOptions({
      rpId: RP_ID,
      rpName: 'Signet',
      userId: 'alice',
      userHandle: handle,
    });
    const second = await registrationOptions({
      rpId: RP_ID,
      rpName: 'Signet',
      userId: 'alice',
      userHandle: handle,
    });
    expect(first.userHandle).toBe(b64url(handle));
    expect(first.challenge).not.toBe(second.challenge);
    expect(second.options.authenticatorSelection).toEqual(first.options.authenticatorSelection);
  });

  it('refuses bad input', async () => {
    const base = { rpId: RP_ID, rpName: 'Signet', userId: 'alice' };
    await expectRejection(
      registrationOptions({ ...base, userHandle: new Uint8Array(65) }),
      'INVALID_ARGUMENT',
    );
    await expectRejection(
      registrationOptions({ ...base, userHandle: new Uint8Array(0) }),
      'INVALID_ARGUMENT',
    );
    await expectRejection(registrationOptions({ ...base, rpId: '' }), 'INVALID_ARGUMENT');
    await expectRejection(
      registrationOptions({ ...base, excludeCredentials: [{ credentialId: 'not base64url!' }] }),
      'INVALID_ARGUMENT',
    );
  });
});

describe.each(['ES256', 'Ed25519', 'RS256'] as const)('enrolling a %s passkey', (algorithm) => {
  it('round-trips: registration, then an approval that verifies offline, then a sign-in', async () => {
    const { auth, credential } = await enrol(algorithm);
    expect(credential).toEqual({
      credentialId: auth.credentialId,
      publicKey: b64url(auth.cosePublicKey),
      keyId: keyIdOfCose(auth.cosePublicKey),
      algorithm: auth.coseAlgorithm,
      transports: ['internal'],
    });

    // An approval: the challenge is the statement digest.
    const approval = await authenticationOptions({
      rpId: RP_ID,
      challenge: challengeOf(statementDigest),
      allowCredentials: [credential],
    });
    expect(approval.options.challenge).toBe(b64url(challengeOf(statementDigest)));
    expect(approval.options.userVerification).toBe('required');
    expect(approval.options.allowCredentials).toEqual([
      { id: credential.credentialId, transports: ['internal'], type: 'public-key' },
    ]);
    const record = toWebAuthnSignature(auth.assert(approval.options), credential, {
      rpId: RP_ID,
      origin: ORIGIN,
    });
    expect(Object.keys(record).sort()).toEqual([
      'authenticatorData',
      'clientDataJSON',
      'credentialId',
      'keyId',
      'origin',
      'publicKey',
      'rpId',
      'scheme',
      'signature',
    ]);
    // What a verifier does years later, from the stored record alone (through JSON, as stored).
    const stored: unknown = JSON.parse(JSON.stringify(record));
    const verified = verifyWebAuthnSignature(stored, challengeOf(statementDigest), 'the passkey signature', {
      rpId: RP_ID,
      origins: [ORIGIN],
    });
    expect(verified.keyId).toBe(credential.keyId);

    // A sign-in with a random challenge.
    const signIn = await authenticationOptions({ rpId: RP_ID });
    expect(unb64url(signIn.challenge)).toHaveLength(32);
    await expect(
      verifySignIn(auth.assert(signIn.options), credential, {
        ...EXPECTED,
        expectedChallenge: signIn.challenge,
      }),
    ).resolves.toBe(true);
  });
});

describe('verifyRegistration refuses', () => {
  const fresh = async () => {
    const auth = createSoftAuthenticator({ rpId: RP_ID, origin: ORIGIN, algorithm: 'ES256' });
    const { options, challenge } = await registrationOptions({
      rpId: RP_ID,
      rpName: 'Signet',
      userId: 'alice',
    });
    return { auth, options, challenge };
  };

  it('another challenge, with the library error kept as the cause', async () => {
    const { auth, options } = await fresh();
    const other = await registrationOptions({ rpId: RP_ID, rpName: 'Signet', userId: 'alice' });
    const error = await expectRejection(
      verifyRegistration(auth.register(options), { ...EXPECTED, expectedChallenge: other.challenge }),
      'BAD_SIGNATURE',
      /^the passkey registration does not verify: .*challenge/,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('another origin', async () => {
    const { auth, options, challenge } = await fresh();
    await expectRejection(
      verifyRegistration(auth.register(options, { origin: 'https://evil.example' }), {
        ...EXPECTED,
        expectedChallenge: challenge,
      }),
      'BAD_SIGNATURE',
      /origin/,
    );
  });

  it('another rpId', async () => {
    const evil = createSoftAuthenticator({ rpId: 'evil.example', origin: ORIGIN, algorithm: 'ES256' });
    const { options, challenge } = await registrationOptions({
      rpId: 'evil.example',
      rpName: 'x',
      userId: 'alice',
    });
    await expectRejection(
      verifyRegistration(evil.register(options), { ...EXPECTED, expectedChallenge: challenge }),
      'BAD_SIGNATURE',
      /RP ID/i,
    );
  });

  it('an assertion type, or no user verification', async () => {
    const { auth, options, challenge } = await fresh();
    const expected = { ...EXPECTED, expectedChallenge: challenge };
    await expectRejection(
      verifyRegistration(auth.register(options, { type: 'webauthn.get' }), expected),
      'BAD_SIGNATURE',
    );
    await expectRejection(
      verifyRegistration(auth.register(options, { flags: FLAG_UP | FLAG_AT }), expected),
      'BAD_SIGNATURE',
      /verif/,
    );
  });

  it('a response whose id is not the credential in the authenticator data', async () => {
    const { auth, options, challenge } = await fresh();
    const response = {
      ...auth.register(options),
      id: 'AAAAAAAAAAAAAAAAAAAAAA',
      rawId: 'AAAAAAAAAAAAAAAAAAAAAA',
    };
    await expectRejection(
      verifyRegistration(response, { ...EXPECTED, expectedChallenge: challenge }),
      'BAD_SIGNATURE',
      /names credential/,
    );
  });

  it('malformed responses', async () => {
    const { auth, options, challenge } = await fresh();
    const good = auth.register(options);
    const expected = { ...EXPECTED, expectedChallenge: challenge };
    const bad: unknown[] = [
      null,
      'response',
      { ...good, rawId: 'other' },
      { ...good, type: 'password' },
      { ...good, response: null },
      { ...good, response: { ...good.response, attestationObject: 42 } },
      { ...good, response: { ...good.response, clientDataJSON: `${good.response.clientDataJSON}=` } },
      { ...good, response: { ...good.response, transports: 'usb' } },
    ];
    for (const response of bad) {
      await expectRejection(
        verifyRegistration(response, expected),
        'INVALID_ARGUMENT',
        /^the passkey registration: /,
      );
    }
  });
});

describe('verifySignIn refuses', () => {
  it('another challenge, origin or rpId, or no user verification', async () => {
    const { auth, credential } = await enrol();
    const { options, challenge } = await authenticationOptions({ rpId: RP_ID });
    const expected = { ...EXPECTED, expectedChallenge: challenge };
    const other = await authenticationOptions({ rpId: RP_ID });
    await expectRejection(
      verifySignIn(auth.assert(options), credential, { ...expected, expectedChallenge: other.challenge }),
      'BAD_SIGNATURE',
      /^the passkey sign-in does not verify: .*challenge/,
    );
    await expectRejection(
      verifySignIn(auth.assert(options, { origin: 'https://evil.example' }), credential, expected),
      'BAD_SIGNATURE',
      /origin/,
    );
    await expectRejection(
      verifySignIn(auth.assert(options, { rpId: 'evil.example' }), credential, expected),
      'BAD_SIGNATURE',
      /RP ID/i,
    );
    await expectRejection(
      verifySignIn(auth.assert(options, { flags: FLAG_UP }), credential, expected),
      'BAD_SIGNATURE',
      /verif/,
    );
  });

  it('an assertion by another passkey, under its own id or under the enrolled id', async () => {
    const { credential } = await enrol();
    const { auth: other } = await enrol();
    const { options, challenge } = await authenticationOptions({ rpId: RP_ID });
    const expected = { ...EXPECTED, expectedChallenge: challenge };
    const response = other.assert(options);
    await expectRejection(verifySignIn(response, credential, expected), 'BAD_SIGNATURE', /not the enrolled/);
    const relabelled = { ...response, id: credential.credentialId, rawId: credential.credentialId };
    await expectRejection(verifySignIn(relabelled, credential, expected), 'BAD_SIGNATURE', /does not verify/);
  });

  it('a stored credential whose keyId or algorithm does not match its key', async () => {
    const { auth, credential } = await enrol();
    const { options, challenge } = await authenticationOptions({ rpId: RP_ID });
    const expected = { ...EXPECTED, expectedChallenge: challenge };
    const wrongKeyId: PasskeyCredential = { ...credential, keyId: statementDigest };
    await expectRejection(verifySignIn(auth.assert(options), wrongKeyId, expected), 'INVALID_KEY', /keyId/);
    const wrongAlgorithm: PasskeyCredential = { ...credential, algorithm: -8 };
    await expectRejection(
      verifySignIn(auth.assert(options), wrongAlgorithm, expected),
      'INVALID_KEY',
      /algorithm/,
    );
  });
});

describe('authenticationOptions and toWebAuthnSignature', () => {
  it('refuse a short challenge and an assertion by another credential', async () => {
    await expectRejection(
      authenticationOptions({ rpId: RP_ID, challenge: new Uint8Array(8) }),
      'INVALID_ARGUMENT',
    );
    const { credential } = await enrol();
    const { auth: other } = await enrol();
    expect(() =>
      toWebAuthnSignature(other.assert(challengeOf(statementDigest)), credential, {
        rpId: RP_ID,
        origin: ORIGIN,
      }),
    ).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
    expect(() => toWebAuthnSignature({ id: 'x' }, credential, { rpId: RP_ID, origin: ORIGIN })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('a record from a wrong-origin browser is built, and then does not verify', async () => {
    const { auth, credential } = await enrol();
    const response = auth.assert(challengeOf(statementDigest), { origin: 'https://evil.example' });
    const record = toWebAuthnSignature(response, credential, { rpId: RP_ID, origin: ORIGIN });
    expect(() =>
      verifyWebAuthnSignature(record, challengeOf(statementDigest), 'the passkey signature'),
    ).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
  });
});
