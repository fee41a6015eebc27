// What every route shares: coded errors as JSON, request bodies read within a limit, path and query
// parameters checked before they reach the app layer. Everything a request carries is
// attacker-controlled: it is checked here or by the app layer before anything relies on it.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

import { InputError, isSignetError, type ErrorCode } from '../errors.js';
import { parseEntryRef } from '../app/log.js';
import { parseJson } from '../signing/canonical-json.js';
import { assertDigest, type Digest } from '../signing/digest.js';
import type { Ledger } from '../store/ledger.js';

/** Headers on every API response. */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export const DRAFT_ID_PATTERN = /^draft-[0-9a-f]{16}$/;

/** The body of every error response (`components.schemas.Error`). */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The generic message of a server-side failure: the cause goes to the server log, never to the client. */
export const INTERNAL_MESSAGE = 'internal error';

export interface MappedError {
  readonly status: ContentfulStatusCode;
  readonly body: ErrorBody;
  /** A failure of the server (logged with its stack), not of the request. */
  readonly internal: boolean;
}

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'NOT_AUTHORISED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'DRAFT_CLOSED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * A thrown value as a status and a JSON body. A SignetError keeps its code and status; a 500 keeps its
 * code but not its message or details (they may name files or internals). Anything else is a 500
 * INTERNAL with nothing of the error in the body.
 */
export function mapError(error: unknown): MappedError {
  if (isSignetError(error)) {
    const status = error.httpStatus as ContentfulStatusCode;
    if (status === 500)
      return { status, body: { code: error.code, message: INTERNAL_MESSAGE }, internal: true };
    return {
      status,
      body: {
        code: error.code,
        message: error.message,
        ...(error.details !== undefined ? { details: error.details } : {}),
      },
      internal: false,
    };
  }
  if (error instanceof HTTPException && error.status < 500) {
    const status = error.status as ContentfulStatusCode;
    return {
      status,
      body: { code: STATUS_CODES[status] ?? 'INVALID_ARGUMENT', message: error.message || 'bad request' },
      internal: false,
    };
  }
  return { status: 500, body: { code: 'INTERNAL', message: INTERNAL_MESSAGE }, internal: true };
}

/** The JSON error response for `error`; a server-side failure is logged with its stack. */
export function errorResponse(
  c: Context,
  error: unknown,
  log: (line: string) => void,
  headers: Record<string, string> = {},
): Response {
  const mapped = mapError(error);
  if (mapped.internal) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`error ${c.req.method} ${c.req.path}: ${detail}`);
  }
  return c.json(mapped.body, mapped.status, headers);
}

/** Sets the API headers on whatever the inner handlers answered (errors, 404 and 405 included). */
export const apiHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(API_HEADERS)) c.res.headers.set(name, value);
};

/**
 * Reads a request body of at most `maxBytes`, counting as it reads: a Content-Length over the limit is
 * refused before reading, but a body is never trusted to be as long as it says.
 */
export async function readBodyLimited(c: Context, maxBytes: number): Promise<Uint8Array> {
  assertDeclaredLength(c, maxBytes);
  // Under `signet serve`, a body with a declared length (the usual JSON call) is read straight from
  // Node's request stream: building the web Request and its body stream cost more CPU than the gate's
  // own work on a small body. The length was checked above and Node's parser delivers no more than it
  // declares; the bytes are counted all the same. Anything else (chunked bodies, apps called in
  // process) goes through the web stream.
  const incoming = directBody(c);
  if (incoming) return readIncomingLimited(incoming, maxBytes);
  const body = c.req.raw.body;
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, total);
}

/** The Node request of `c` when its body can be read from it directly (see readBodyLimited). */
function directBody(c: Context): IncomingMessage | undefined {
  const env: unknown = c.env;
  const incoming =
    typeof env === 'object' && env !== null ? (env as { incoming?: unknown }).incoming : undefined;
  if (!(incoming instanceof Readable)) return undefined;
  const request = incoming as IncomingMessage;
  if (request.headers['content-length'] === undefined || request.readableDidRead || c.req.raw.bodyUsed) {
    return undefined;
  }
  return request;
}

function readIncomingLimited(incoming: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength;
      if (total > maxBytes) {
        cleanup();
        incoming.resume(); // discard the rest; the 413 is answered
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new InputError('INVALID_ARGUMENT', `the request body could not be read: ${error.message}`));
    };
    const onClose = (): void => {
      if (incoming.readableEnded) return onEnd();
      cleanup();
      reject(new InputError('INVALID_ARGUMENT', 'the request body was cut off'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/** A JSON request body (Content-Type application/json), within the limit, parsed strictly. */
export async function readJsonBody(c: Context, maxBytes: number): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new InputError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the request body must be JSON (Content-Type: application/json), got ${JSON.stringify(type.slice(0, 80))}`,
    );
  }
  const bytes = await readBodyLimited(c, maxBytes);
  if (bytes.byteLength === 0) throw new InputError('INVALID_JSON', 'the request body is empty');
  return parseJson(bytes, 'the request body');
}

export function assertDeclaredLength(c: Context, maxBytes: number): void {
  const declared = c.req.header('content-length');
  if (declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > maxBytes) {
    throw tooLarge(maxBytes);
  }
}

export function tooLarge(maxBytes: number): InputError {
  return new InputError('PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`, {
    details: { limit: maxBytes },
  });
}

/** A path parameter that must be a digest. */
export function digestParam(c: Context, name: string): Digest {
  const value = c.req.param(name);
  assertDigest(value, name);
  return value;
}

/** A draft id path parameter: `draft-<16 hex>`. */
export function draftIdParam(c: Context, name = 'id'): string {
  const value = c.req.param(name) ?? '';
  if (!DRAFT_ID_PATTERN.test(value)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(value.slice(0, 80))} is not a draft id (draft-<16 hex>)`,
    );
  }
  return value;
}

/**
 * An entry reference path parameter: an index or an entry id. An index past the end of the log is a
 * NOT_FOUND here (a resource that does not exist), where the CLI says OUT_OF_RANGE.
 */
export async function entryRefParam(c: Context, ledger: Ledger, name = 'ref'): Promise<number | Digest> {
  const ref = parseEntryRef(c.req.param(name) ?? '');
  if (typeof ref === 'number') {
    const size = await ledger.size();
    if (ref >= size) {
      throw new InputError('NOT_FOUND', `no entry ${ref}: the log has ${size} entries`, {
        details: { size },
      });
    }
  }
  return ref;
}

/** A non-negative integer query parameter, within [min, max]; `fallback` when absent. */
export function countQuery(
  c: Context,
  name: string,
  options: { readonly fallback?: number; readonly min?: number; readonly max?: number } = {},
): number | undefined {
  const text = c.req.query(name);
  if (text === undefined) return options.fallback;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `query parameter ${name} must be a non-negative integer, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  const value = Number(text);
  if (
    (options.min !== undefined && value < options.min) ||
    (options.max !== undefined && value > options.max)
  ) {
    throw new InputError(
      'OUT_OF_RANGE',
      `query parameter ${name} must be between ${options.min ?? 0} and ${options.max ?? Number.MAX_SAFE_INTEGER}`,
    );
  }
  return value;
}

/** A required count query parameter. */
export function requiredCountQuery(
  c: Context,
  name: string,
  options: { readonly min?: number } = {},
): number {
  const value = countQuery(c, name, options);
  if (value === undefined) throw new InputError('INVALID_ARGUMENT', `query parameter ${name} is required`);
  return value;
}
