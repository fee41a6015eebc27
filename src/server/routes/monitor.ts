// Population-shift monitoring over HTTP: scoring traffic streams in as CSV or NDJSON (constant memory,
// as `signet monitor ingest`), and the status of a model's monitoring reads back as JSON. Ingesting
// needs an authenticated caller; the flags it may append are the log's own statements, and bad traffic
// can only make the next promotion stricter (material), never easier.
import { ingestTraffic, monitorStatus } from '../../app/monitor.js';
import { InputError } from '../../errors.js';
import type { WindowSize } from '../../monitor/ingest.js';
import { callerOf } from '../auth.js';
import type { ApiApp, RouteDeps } from '../deps.js';
import { assertDeclaredLength, tooLarge } from '../http.js';

const MODEL_NAME_MAX = 128;
const COLUMN_MAX = 256;
/** Media types of traffic bodies, by format. */
export const TRAFFIC_MEDIA_TYPES: Readonly<Record<string, 'csv' | 'ndjson'>> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

export function registerMonitorRoutes(app: ApiApp, { home, config }: RouteDeps): void {
  app.post('/v1/monitor/ingest', async (c) => {
    callerOf(c);
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const format = TRAFFIC_MEDIA_TYPES[mediaType];
    if (format === undefined) {
      throw new InputError(
        'UNSUPPORTED_MEDIA_TYPE',
        `traffic must be sent as text/csv or application/x-ndjson, not ${JSON.stringify(mediaType || 'nothing')}`,
      );
    }
    const window = c.req.query('window') ?? 'day';
    if (window !== 'hour' && window !== 'day') {
      throw new InputError('INVALID_ARGUMENT', `window must be hour or day, not ${JSON.stringify(window)}`);
    }
    const timestampColumn = optionalText(c.req.query('timestampColumn'), 'timestampColumn', COLUMN_MAX);
    const scoreColumn = optionalText(c.req.query('scoreColumn'), 'scoreColumn', COLUMN_MAX);
    assertDeclaredLength(c, config.maxTrafficBytes);
    const result = await ingestTraffic(home, {
      model: requiredText(c.req.query('model'), 'model', MODEL_NAME_MAX),
      context: requiredText(c.req.query('context'), 'context', MODEL_NAME_MAX),
      source: limited(c.req.raw.body, config.maxTrafficBytes),
      format,
      window: window as WindowSize,
      ...(timestampColumn !== undefined ? { timestampColumn } : {}),
      ...(scoreColumn !== undefined ? { scoreColumn } : {}),
    });
    return c.json(result);
  });

  app.get('/v1/monitor/status', async (c) => {
    callerOf(c);
    const context = optionalText(c.req.query('context'), 'context', MODEL_NAME_MAX);
    return c.json(
      await monitorStatus(home, {
        model: requiredText(c.req.query('model'), 'model', MODEL_NAME_MAX),
        ...(context !== undefined ? { context } : {}),
      }),
    );
  });
}

function requiredText(value: string | undefined, name: string, max: number): string {
  const text = optionalText(value, name, max);
  if (text === undefined) throw new InputError('INVALID_ARGUMENT', `the query parameter ${name} is required`);
  return text;
}

function optionalText(value: string | undefined, name: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > max) {
    throw new InputError('INVALID_ARGUMENT', `${name} must be 1–${max} characters`);
  }
  return value;
}

/** The request body, refused (413) as soon as more than `maxBytes` arrive. */
async function* limited(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): AsyncIterable<Uint8Array> {
  if (body === null) return;
  const reader = body.getReader();
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
