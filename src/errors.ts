// One base error with a string-literal `code`, a few subclasses by audience, and one table that maps
// each code to an HTTP status and a CLI exit code (fastify lib/errors.js, jose src/util/errors.ts).

/** CLI exit codes: 0 ok, 1 a verification failure or a "no", 2 bad input or an error. */
export const EXIT_OK = 0;
export const EXIT_NO = 1;
export const EXIT_ERROR = 2;

type Audience = 'input' | 'verification' | 'authority' | 'store' | 'internal';

interface CodeInfo {
  readonly audience: Audience;
  readonly http: number;
  readonly exit: number;
}

const CODES = {
  // bad input
  INVALID_ARGUMENT: { audience: 'input', http: 400, exit: EXIT_ERROR },
  INVALID_DIGEST: { audience: 'input', http: 400, exit: EXIT_ERROR },
  INVALID_JSON: { audience: 'input', http: 400, exit: EXIT_ERROR },
  INVALID_UTF8: { audience: 'input', http: 400, exit: EXIT_ERROR },
  INVALID_ENVELOPE: { audience: 'input', http: 400, exit: EXIT_ERROR },
  INVALID_STATEMENT: { audience: 'input', http: 400, exit: EXIT_ERROR },
  INVALID_CHECKPOINT: { audience: 'input', http: 400, exit: EXIT_ERROR },
  INVALID_PROOF: { audience: 'input', http: 400, exit: EXIT_ERROR },
  INVALID_KEY: { audience: 'input', http: 400, exit: EXIT_ERROR },
  UNSUPPORTED_FILE_TYPE: { audience: 'input', http: 400, exit: EXIT_ERROR },
  NOT_FOUND: { audience: 'input', http: 404, exit: EXIT_ERROR },
  OUT_OF_RANGE: { audience: 'input', http: 400, exit: EXIT_ERROR },
  // HTTP API: a body over its limit, a method the route does not have, a body that is not JSON, an
  // operation the API does not offer yet, and a signed statement made before the log moved on.
  PAYLOAD_TOO_LARGE: { audience: 'input', http: 413, exit: EXIT_ERROR },
  METHOD_NOT_ALLOWED: { audience: 'input', http: 405, exit: EXIT_ERROR },
  UNSUPPORTED_MEDIA_TYPE: { audience: 'input', http: 415, exit: EXIT_ERROR },
  NOT_IMPLEMENTED: { audience: 'input', http: 501, exit: EXIT_ERROR },
  STALE_STATEMENT: { audience: 'authority', http: 409, exit: EXIT_NO },
  HOME_EXISTS: { audience: 'input', http: 409, exit: EXIT_ERROR },
  HOME_MISSING: { audience: 'input', http: 500, exit: EXIT_ERROR },
  // verification failures: the answer is "no"
  DIGEST_MISMATCH: { audience: 'verification', http: 422, exit: EXIT_NO },
  BAD_SIGNATURE: { audience: 'verification', http: 422, exit: EXIT_NO },
  ROOT_MISMATCH: { audience: 'verification', http: 422, exit: EXIT_NO },
  PROOF_FAILED: { audience: 'verification', http: 422, exit: EXIT_NO },
  INCONSISTENT_LOG: { audience: 'verification', http: 422, exit: EXIT_NO },
  OBJECT_MISSING: { audience: 'verification', http: 422, exit: EXIT_NO },
  TIME_WENT_BACKWARDS: { audience: 'verification', http: 422, exit: EXIT_NO },
  // authority: a refusal is a "no"
  NOT_AUTHORISED: { audience: 'authority', http: 403, exit: EXIT_NO },
  KEY_NOT_BOUND: { audience: 'authority', http: 403, exit: EXIT_NO },
  SELF_APPROVAL: { audience: 'authority', http: 403, exit: EXIT_NO },
  // A material route needs a request written by a person; a generated one is refused.
  GENERATED_REQUEST: { audience: 'authority', http: 403, exit: EXIT_NO },
  STALE_VIEW: { audience: 'authority', http: 409, exit: EXIT_NO },
  DRAFT_CLOSED: { audience: 'input', http: 409, exit: EXIT_ERROR },
  // A prepared proposal is made into a draft once: submitting it again finds the draft there.
  DRAFT_EXISTS: { audience: 'input', http: 409, exit: EXIT_ERROR },
  UNAUTHENTICATED: { audience: 'authority', http: 401, exit: EXIT_ERROR },
  // stores
  APPEND_ONLY: { audience: 'store', http: 409, exit: EXIT_ERROR },
  // This instance signs with a log key the log has retired (another instance rotated it): no append.
  LOG_KEY_ROTATED: { audience: 'store', http: 409, exit: EXIT_ERROR },
  STORE_FAILURE: { audience: 'store', http: 500, exit: EXIT_ERROR },
  // A conditional append (Ledger.appendIf) found an entry its condition excludes: nothing was appended.
  APPEND_CONDITION_FAILED: { audience: 'store', http: 409, exit: EXIT_ERROR },
  // anything else
  INTERNAL: { audience: 'internal', http: 500, exit: EXIT_ERROR },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof CODES;

export class SignetError extends Error {
  readonly code: ErrorCode;
  /** Extra, machine-readable facts about the failure (a digest, an index, a list of problems). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }

  get httpStatus(): number {
    return CODES[this.code].http;
  }

  get exitCode(): number {
    return CODES[this.code].exit;
  }
}

export class InputError extends SignetError {}
export class VerificationError extends SignetError {}
export class AuthorityError extends SignetError {}
export class StoreError extends SignetError {}

export function isSignetError(error: unknown): error is SignetError {
  return error instanceof SignetError;
}

/**
 * The message of any thrown value, for an error that wraps it. Node reports a refused connection to a
 * name with several addresses (`localhost`) as an AggregateError with an empty message: its inner
 * errors' messages are given instead.
 */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map((inner) => messageOf(inner)).join('; ') || 'connection failed';
  }
  return error instanceof Error ? error.message : String(error);
}

/** Exit code for any thrown value: a coded error knows its own; anything else is an error (2). */
export function exitCodeOf(error: unknown): number {
  return isSignetError(error) ? error.exitCode : EXIT_ERROR;
}

export function httpStatusOf(error: unknown): number {
  return isSignetError(error) ? error.httpStatus : 500;
}

/**
 * An error as it crosses from a worker thread (structured clone keeps neither the class nor the code of an
 * Error): what it takes to throw the same one on the other side.
 */
export interface TransferredError {
  readonly name: string;
  readonly message: string;
  /** A SignetError's code, or a Node.js system error's (`EIO`). */
  readonly code: string | undefined;
  readonly signet: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;
}

export function transferError(error: unknown): TransferredError {
  if (isSignetError(error)) {
    return {
      name: error.name,
      message: error.message,
      code: error.code,
      signet: true,
      details: error.details,
    };
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { name: error.name, message: error.message, code, signet: false, details: undefined };
  }
  return { name: 'Error', message: String(error), code: undefined, signet: false, details: undefined };
}

const SIGNET_ERROR_CLASSES = new Map<string, typeof SignetError>([
  ['SignetError', SignetError],
  ['InputError', InputError],
  ['VerificationError', VerificationError],
  ['AuthorityError', AuthorityError],
  ['StoreError', StoreError],
]);

/** The SignetError a worker sent, of the same class, code and details; undefined for any other error. */
export function reviveSignetError(error: TransferredError): SignetError | undefined {
  const Class = error.signet ? SIGNET_ERROR_CLASSES.get(error.name) : undefined;
  if (Class === undefined || error.code === undefined || !(error.code in CODES)) return undefined;
  return new Class(
    error.code as ErrorCode,
    error.message,
    error.details ? { details: { ...error.details } } : {},
  );
}
