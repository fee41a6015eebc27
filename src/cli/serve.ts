// `signet serve`: the HTTP API over the home, until SIGINT or SIGTERM; then the listener stops and the
// home is closed cleanly.
import type { Command } from 'commander';

import { openHome, resolveHomeDir } from '../app/home.js';
import { InputError } from '../errors.js';
import type { Output } from './output.js';
import { parseCount } from './parse.js';

const MAX_PORT = 65535;

export function registerServeCommand(program: Command, out: Output): void {
  program
    .command('serve')
    .description(
      'Serve the HTTP API (/v1, described at /v1/openapi.json and /v1/docs) over the home until\n' +
        'SIGINT or SIGTERM. Pipelines authenticate with API tokens: signet tokens create ID --as ADMIN.\n' +
        'Objects are limited to $SIGNET_MAX_OBJECT_BYTES (default 256 MiB).',
    )
    .option('--port <port>', 'the port to listen on; 0 for any free port', '8080')
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--origin <url>', 'the URL people reach the server at (default http://HOST:PORT)')
    .option('--json', 'print the listening URL as one JSON line')
    .action(async (opts: { port: string; host: string; origin?: string; json?: boolean }) => {
      out.json = Boolean(opts.json);
      const port = parseCount(opts.port, '--port');
      if (port > MAX_PORT) throw new InputError('OUT_OF_RANGE', `--port must be 0–${MAX_PORT}`);
      const { startServer } = await import('../server/serve.js');
      // Appends (one per gate request) are sealed and committed beside the thread that answers.
      const home = await openHome(resolveHomeDir(), { appendInWorker: true });
      let server;
      try {
        server = await startServer({
          home,
          port,
          host: opts.host,
          ...(opts.origin !== undefined ? { origin: opts.origin } : {}),
          log: (line) => out.stderr(line + '\n'),
        });
      } catch (error) {
        await home.close();
        throw isAddressError(error)
          ? new InputError('INVALID_ARGUMENT', `cannot listen on ${opts.host}:${port}: ${error.message}`)
          : error;
      }
      out.stdout(
        opts.json
          ? JSON.stringify({ url: server.url, origin: server.config.origin, home: home.dir }) + '\n'
          : `signet: serving ${home.dir} at ${server.url} (docs: ${server.url}v1/docs)\n`,
      );
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      out.stderr(`signet: ${signal}: stopping\n`);
      try {
        await server.close();
      } finally {
        await home.close();
      }
    });
}

function isAddressError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    error instanceof Error &&
    (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND')
  );
}
