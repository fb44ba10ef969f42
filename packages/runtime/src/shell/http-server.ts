import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';

export type ReadinessProbe = () => Promise<boolean> | boolean;

/** A route a service adds to its operations server (webhooks, callbacks, the dashboard). */
export interface HttpRoute {
  method: 'GET' | 'POST';
  /** An exact path, or a prefix ending in `/*` (e.g. `/kie/callback/*`). */
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  logger: Logger;
  readiness: Record<string, ReadinessProbe>;
  routes?: HttpRoute[];
}

/**
 * The operations endpoints of a service: `/healthz` (the process answers), `/readyz` (every dependency
 * answers; 503 with the failing ones otherwise, and while shutting down) and Prometheus `/metrics`.
 */
export class OpsServer {
  private readonly server: Server;
  private shuttingDown = false;

  constructor(private readonly options: OpsServerOptions) {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        options.logger.error({ err: error, path: req.url }, 'http handler failed');
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
        else res.end();
      });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** From now on /readyz answers 503, so load balancers stop sending work. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') return this.ready(res);
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': this.options.registry.contentType });
      res.end(await this.options.registry.metrics());
      return;
    }
    const route = this.options.routes?.find(
      (candidate) =>
        candidate.method === req.method &&
        (candidate.path === path ||
          (candidate.path.endsWith('/*') && path.startsWith(candidate.path.slice(0, -1)))),
    );
    if (route) return route.handle(req, res);
    send(res, 404, { error: 'not found' });
  }

  private async ready(res: ServerResponse): Promise<void> {
    const checks: Record<string, boolean> = {};
    await Promise.all(
      Object.entries(this.options.readiness).map(async ([name, probe]) => {
        checks[name] = await withTimeout(Promise.resolve().then(probe), 2000).catch(() => false);
      }),
    );
    const ready = !this.shuttingDown && Object.values(checks).every(Boolean);
    send(res, ready ? 200 : 503, {
      status: ready ? 'ready' : 'not ready',
      shuttingDown: this.shuttingDown,
      checks,
    });
  }
}

/** Writes a JSON response. */
export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
