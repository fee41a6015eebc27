import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decodeBase64Strict, encodeBase64 } from './base64.js';

describe('strict base64', () => {
  it('decodes what it encodes, for any bytes (generative)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(decodeBase64Strict(encodeBase64(bytes))).toEqual(bytes);
        const url = Buffer.from(bytes).toString('base64url');
        expect(decodeBase64Strict(url + '='.repeat((4 - (url.length % 4)) % 4), { urlSafe: true })).toEqual(
          bytes,
        );
      }),
    );
  });

  it('encodes views of larger buffers correctly', () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    expect(encodeBase64(backing.subarray(1, 4))).toBe('AQID');
  });

  it.each([
    ['missing padding', 'aGk'],
    ['non-zero trailing bits', 'aGl='],
    ['whitespace', 'aG k='],
    ['a newline', 'aGk=\n'],
    ['a character outside the alphabet', 'aGk*'],
    ['padding in the middle', 'aG==aGk='],
    ['too much padding', 'aGk=='],
    ['URL-safe characters by default', 'a-_='],
  ])('refuses %s', (_title, text) => {
    expect(decodeBase64Strict(text)).toBeUndefined();
  });

  it('accepts the URL-safe alphabet only when asked, and never mixed with the standard one', () => {
    expect(decodeBase64Strict('-_-_Pj8=', { urlSafe: true })).toEqual(
      new Uint8Array([0xfb, 0xff, 0xbf, 0x3e, 0x3f]),
    );
    expect(decodeBase64Strict('-_+/Pj8=', { urlSafe: true })).toBeUndefined();
    expect(decodeBase64Strict('', { urlSafe: true })).toEqual(new Uint8Array(0));
  });
});
