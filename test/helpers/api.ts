// Calls the HTTP API in process (`app.request()`) and checks every response against the OpenAPI
// document: the operation must exist for the method and path (or, for an unknown route or method, the
// body must be an Error), the status must be one the operation documents, the media type one it lists,
// and a JSON body must validate against the schema for that status (ajv, draft 2020-12).
import { expect } from 'vitest';

import { OPENAPI, type Operation } from '../../src/server/openapi.js';
import { createSchemaValidator } from '../../src/server/schemas.js';

const validator = createSchemaValidator(OPENAPI);

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  readonly body: unknown;
  readonly bytes: Uint8Array;
  readonly text: string;
}

/** Something with Hono's `request` (an app), so tests need not import Hono's types. */
export interface Requestable {
  request(input: string | Request, init?: RequestInit): Response | Promise<Response>;
}

/** A request body as the tests send it. */
export type Body = string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>;

export interface CallOptions {
  readonly token?: string;
  readonly json?: unknown;
  readonly body?: Body;
  readonly headers?: Record<string, string>;
}

/** The operation a concrete path and method map to in the document, if any. */
export function findOperation(
  method: string,
  path: string,
): { template: string; operation: Operation } | undefined {
  const pathname = path.split('?')[0]!;
  for (const [template, item] of Object.entries(OPENAPI.paths)) {
    const pattern = new RegExp(
      '^' +
        template
          .split('/')
          .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('/') +
        '$',
    );
    if (!pattern.test(pathname)) continue;
    const operation = item[method.toLowerCase() as keyof typeof item];
    if (operation) return { template, operation };
  }
  return undefined;
}

/** Checks a response against the document; returns what it found. */
export function expectDocumented(method: string, path: string, response: ApiResponse): void {
  const found = findOperation(method === 'HEAD' ? 'GET' : method, path);
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (!found) {
    // An unknown route or method: a JSON error.
    expect([401, 404, 405], `${method} ${path} is not documented`).toContain(response.status);
    expect(type).toBe('application/json');
    expectSchema('Error', response.body, `${method} ${path} ${response.status}`);
    return;
  }
  const documented = found.operation.responses[String(response.status)];
  expect(
    documented,
    `${method} ${found.template} does not document status ${response.status}: ${response.text.slice(0, 300)}`,
  ).toBeDefined();
  const content = documented!.content;
  if (method === 'HEAD' || content === undefined) return;
  const media = content[type];
  expect(media, `${method} ${found.template} ${response.status} does not document ${type}`).toBeDefined();
  if (type === 'application/json') {
    const validate = validator.compile(media!.schema);
    const ok = validate(response.body);
    expect(
      ok,
      `${method} ${found.template} ${response.status}: ${JSON.stringify(validate.errors)}\n${response.text.slice(0, 500)}`,
    ).toBe(true);
  }
}

export function expectSchema(name: string, value: unknown, what = name): void {
  const schema = OPENAPI.components.schemas[name];
  expect(schema, `no schema ${name}`).toBeDefined();
  const validate = validator.compile(schema!);
  expect(validate(value), `${what}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

/** A client of `app` whose every response is checked against the document. */
export function createApiClient(app: Requestable, defaults: { readonly origin?: string } = {}) {
  const base = defaults.origin ?? 'http://127.0.0.1:8080';
  return async function call(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers['Authorization'] = `Bearer ${options.token}`;
    let body: Body | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['Content-Type'] ??= 'application/json';
    }
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (body !== undefined) {
      init.body = body;
      if (body instanceof ReadableStream) init.duplex = 'half';
    }
    const res = await app.request(new Request(base + path, init));
    const bytes = new Uint8Array(await res.arrayBuffer());
    const text = Buffer.from(bytes).toString('utf8');
    const isJson = (res.headers.get('content-type') ?? '').startsWith('application/json');
    const response: ApiResponse = {
      status: res.status,
      headers: res.headers,
      body: isJson && text.length > 0 ? (JSON.parse(text) as unknown) : undefined,
      bytes,
      text,
    };
    expectDocumented(method, path, response);
    return response;
  };
}

export type ApiCall = ReturnType<typeof createApiClient>;

/** The `code` of an error response. */
export function codeOf(response: ApiResponse): string | undefined {
  return (response.body as { code?: string } | undefined)?.code;
}
