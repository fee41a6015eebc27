// `signet serve`: the API behind a real listener (@hono/node-server). Port 0 takes any free port; the
// URL returned names the port actually bound.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';

import type { Home } from '../app/home.js';
import { createApp } from './app.js';
import { createServerConfig, defaultOrigin, type ServerConfig, type ServerConfigOptions } from './config.js';

export interface StartServerOptions extends ServerConfigOptions {
  readonly home: Home;
  /** Default 8080; 0 for any free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningServer {
  /** `http://host:port/` with the bound port. */
  readonly url: string;
  readonly config: ServerConfig;
  /** Stops accepting connections, lets requests in flight finish (up to `graceMs`), then closes. */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const requestedPort = options.port ?? DEFAULT_PORT;
  // Bad options are refused before anything listens.
  createServerConfig({ host, port: requestedPort }, options, options.env);
  // The origin defaults to where the server listens, so the port must be known first.
  const started: { app?: ReturnType<typeof createApp> } = {};
  const { server, port } = await new Promise<{ server: Server; port: number }>((resolve, reject) => {
    const server = serve(
      {
        fetch: (request, env) =>
          started.app ? started.app.fetch(request, env) : new Response(null, { status: 503 }),
        port: requestedPort,
        hostname: host,
      },
      (info: AddressInfo) => resolve({ server, port: info.port }),
    ) as Server;
    server.once('error', reject);
  });
  const config = createServerConfig({ host, port }, options, options.env);
  started.app = createApp({ home: options.home, config, processMetrics: true });
  return {
    url: `${defaultOrigin(host, port)}/`,
    config,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        // A connection that finishes its request after close() stays open as keep-alive until the
        // client drops it: sweep idle connections until every one is gone, and cut the rest at the grace.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        sweep.unref();
        timer.unref();
        server.close((error) => {
          clearInterval(sweep);
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
