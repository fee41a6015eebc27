// What `signet serve` is configured with: where it is reached, how large a body may be, where it logs.
import { InputError } from '../errors.js';

export const DEFAULT_MAX_JSON_BYTES = 1024 * 1024;
export const DEFAULT_MAX_OBJECT_BYTES = 256 * 1024 * 1024;
export const MAX_OBJECT_BYTES_ENV = 'SIGNET_MAX_OBJECT_BYTES';
/** Traffic is streamed and counted, never kept: the limit only bounds how long one request may run. */
export const DEFAULT_MAX_TRAFFIC_BYTES = 16 * 1024 * 1024 * 1024;

export interface ServerConfig {
  /**
   * The URL people reach the server at (scheme, host and port, no path): the WebAuthn origin, and the
   * only origin a browser session may make changes from.
   */
  readonly origin: string;
  /** Largest JSON request body. */
  readonly maxJsonBytes: number;
  /** Largest object upload, counted while streaming. */
  readonly maxObjectBytes: number;
  /** Largest scoring-traffic body (POST /v1/monitor/ingest), counted while streaming. */
  readonly maxTrafficBytes: number;
  /** One line of the server log (no trailing newline). */
  readonly log: (line: string) => void;
}

export interface ServerConfigOptions {
  readonly origin?: string;
  readonly maxJsonBytes?: number;
  readonly maxObjectBytes?: number;
  readonly maxTrafficBytes?: number;
  readonly log?: (line: string) => void;
}

/** The config for a server on `host:port`, with defaults and SIGNET_MAX_OBJECT_BYTES from `env`. */
export function createServerConfig(
  listen: { readonly host: string; readonly port: number },
  options: ServerConfigOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const fromEnv = env[MAX_OBJECT_BYTES_ENV];
  return {
    origin: normaliseOrigin(options.origin ?? defaultOrigin(listen.host, listen.port)),
    maxJsonBytes: positive(options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES, 'the JSON body limit'),
    maxObjectBytes: positive(
      options.maxObjectBytes ??
        (fromEnv !== undefined && fromEnv !== ''
          ? parseBytes(fromEnv, MAX_OBJECT_BYTES_ENV)
          : DEFAULT_MAX_OBJECT_BYTES),
      'the object size limit',
    ),
    maxTrafficBytes: positive(options.maxTrafficBytes ?? DEFAULT_MAX_TRAFFIC_BYTES, 'the traffic size limit'),
    log: options.log ?? ((line) => void process.stderr.write(line + '\n')),
  };
}

export function defaultOrigin(host: string, port: number): string {
  // An IPv6 literal goes in brackets (RFC 3986 §3.2.2).
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

/** An origin as browsers send it: `scheme://host[:port]`, lowercase, no path, no trailing slash. */
export function normaliseOrigin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError('INVALID_ARGUMENT', `--origin ${JSON.stringify(text)} is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new InputError('INVALID_ARGUMENT', `--origin ${JSON.stringify(text)} must be an http(s) origin`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `--origin ${JSON.stringify(text)} must have no path, query or fragment`,
    );
  }
  return url.origin;
}

function parseBytes(text: string, what: string): number {
  if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `${what} must be a positive number of bytes, got ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

function positive(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InputError('INVALID_ARGUMENT', `${what} must be a positive number of bytes`);
  }
  return value;
}
