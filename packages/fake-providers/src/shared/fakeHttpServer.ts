import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where a fake listens; port 0 (the default) picks a free port. */
export interface ListenOptions {
  host?: string;
  port?: number;
}

/**
 * Base of the three fakes: owns one node:http server on 127.0.0.1 and turns a handler that throws into a 500
 * instead of a crash. Subclasses implement `handle`.
 */
export abstract class FakeHttpServer {
  private server: Server | undefined;
  private baseUrl: string | undefined;
  private readonly host: string;
  private readonly port: number;

  protected constructor(options: ListenOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
  }

  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`; throws before `start()`. */
  get url(): string {
    if (this.baseUrl === undefined) throw new Error(`${this.constructor.name} is not started`);
    return this.baseUrl;
  }

  /** True between `start()` and `close()`. */
  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Starts listening; resolves once the port is bound and `url` is known. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => this.dispatch(req, res));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.server = server;
    this.baseUrl = `http://${host}:${address.port}`;
  }

  /** Stops listening, cuts keep-alive and pending connections, and releases timers of the subclass. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await this.onClose();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** Handles one request; may throw, which answers 500. */
  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  /** The body of a 500 answer when a handler throws, in the wire format of the faked API. */
  protected failureBody(message: string): object {
    return { error: message };
  }

  /** Hook for subclasses to stop timers and resolve pending waits before the sockets are cut. */
  protected async onClose(): Promise<void> {}

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    this.handle(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      sendJson(res, 500, this.failureBody(`fake server failure: ${message}`));
    });
  }
}

/** Writes a JSON body with content-length; no-op when the client is already gone. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Cuts the TCP connection without an HTTP answer, as a network fault. */
export function destroyConnection(req: IncomingMessage, res: ServerResponse): void {
  res.destroy();
  req.socket.destroy();
}

/** Resolves after `ms`; resolves at once for 0 so the 0-latency mode creates no timers. */
export function sleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms));
}
