// Objects by digest. A GET streams the bytes as the store reads and re-hashes them; the store reports a
// mismatch only at the end, after the bytes, so a failure mid-stream aborts the connection instead of
// ending the body cleanly: a client that saw a clean end got bytes that hash to the digest. A PUT streams
// the body into the store, counting bytes against the limit and hashing as it goes; a body over the
// limit or not hashing to the digest in the path fails before the store commits anything.
import { createHash } from 'node:crypto';

import { InputError, isSignetError, VerificationError } from '../../errors.js';
import { digestHex, equalDigests, toDigest, type Digest } from '../../signing/digest.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { assertDeclaredLength, digestParam, tooLarge } from '../http.js';

export function registerObjectRoutes(app: ApiApp, { home, config }: RouteDeps): void {
  app.get('/v1/objects/:digest', async (c) => {
    const digest = digestParam(c, 'digest');
    const headers = {
      'Content-Type': 'application/octet-stream',
      'X-Signet-Digest': digest,
      Digest: `sha-256=${Buffer.from(digestHex(digest), 'hex').toString('base64')}`,
    };
    if (c.req.method === 'HEAD') {
      if (!(await home.objects.has(digest))) {
        throw new InputError('NOT_FOUND', `object ${digest} is not in the store`, { details: { digest } });
      }
      return c.body(null, 200, headers);
    }
    const outgoing = (c.env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;
    const iterator = home.objects.getStream(digest)[Symbol.asyncIterator]();
    // The first read opens the object: a missing one is a 404 before any header is sent.
    const first = await iterator.next();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (first.done) controller.close();
        else controller.enqueue(first.value);
      },
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          config.log(
            `object ${digest}: stream aborted: ${isSignetError(error) ? `[${error.code}] ${error.message}` : String(error)}`,
          );
          // Behind a listener, the connection is destroyed here (already logged: the adapter would log
          // the error again); in process, the body stream errors.
          if (outgoing) outgoing.destroy();
          else controller.error(error);
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    });
    // Chunked: the adapter then sends the headers at once and streams, and an error destroys the
    // connection (it does not buffer the first chunks to work out a length).
    return c.body(stream, 200, { ...headers, 'Transfer-Encoding': 'chunked' });
  });

  app.put('/v1/objects/:digest', async (c) => {
    const digest = digestParam(c, 'digest');
    assertDeclaredLength(c, config.maxObjectBytes);
    const body = c.req.raw.body;
    const result = await home.objects.putStream(checkedBody(body, digest, config.maxObjectBytes));
    return c.json(result, result.created ? 201 : 200);
  });
}

/**
 * The request body as the store reads it: it throws (and the store discards what it wrote) past
 * `maxBytes`, or at the end when the bytes do not hash to `expected`.
 */
async function* checkedBody(
  body: ReadableStream<Uint8Array> | null,
  expected: Digest,
  maxBytes: number,
): AsyncIterable<Uint8Array> {
  const hash = createHash('sha256');
  let size = 0;
  if (body !== null) {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw tooLarge(maxBytes);
        }
        hash.update(value);
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  const actual = toDigest(hash.digest());
  if (!equalDigests(actual, expected)) {
    throw new VerificationError('DIGEST_MISMATCH', `the body hashes to ${actual}, not to ${expected}`, {
      details: { digest: expected, actual },
    });
  }
}
