import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyFailure } from '../domain/failures.js';
import { KieApiError, KieClient } from './kie-client.js';
import { providerFailureFrom } from './provider-errors.js';

const servers: Server[] = [];

/** A local HTTP server with the given behaviour; closed (with its sockets) after each test. */
async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** The error a real undici call throws. */
async function thrownBy(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('the call did not fail');
}

/** Reads the body too, so body timeouts and mid-body resets surface. */
async function get(url: string, options: { headersTimeout?: number; bodyTimeout?: number } = {}) {
  const response = await request(url, options);
  return response.body.text();
}

describe('providerFailureFrom with real undici errors', () => {
  it('maps a refused connection to network', async () => {
    const url = await serve(() => {});
    const closed = servers.pop();
    await new Promise((resolve) => closed?.close(resolve));
    const failure = providerFailureFrom(await thrownBy(() => get(url)));
    expect(failure).toMatchObject({ kind: 'network', message: expect.stringMatching(/^ECONNREFUSED/) });
    expect(classifyFailure(failure)).toMatchObject({ errorClass: 'TEMPORARY', rule: 'network' });
  });

  it('maps a server that never answers to timeout', async () => {
    const url = await serve(() => {});
    const failure = providerFailureFrom(await thrownBy(() => get(url, { headersTimeout: 100 })));
    expect(failure).toMatchObject({
      kind: 'timeout',
      message: expect.stringMatching(/^UND_ERR_HEADERS_TIMEOUT/),
    });
    expect(classifyFailure(failure)).toMatchObject({ errorClass: 'TEMPORARY', rule: 'timeout' });
  });

  it('maps a body that stalls to timeout', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"code":');
    });
    const failure = providerFailureFrom(await thrownBy(() => get(url, { bodyTimeout: 100 })));
    expect(failure).toMatchObject({
      kind: 'timeout',
      message: expect.stringMatching(/^UND_ERR_BODY_TIMEOUT/),
    });
  });

  it('maps an AbortSignal deadline to timeout', async () => {
    const url = await serve(() => {});
    const error = await thrownBy(() => request(url, { signal: AbortSignal.timeout(50) }));
    expect(providerFailureFrom(error)).toMatchObject({ kind: 'timeout' });
  });

  it('maps a server that destroys the socket to network', async () => {
    const url = await serve((req) => req.socket.destroy());
    const failure = providerFailureFrom(await thrownBy(() => get(url)));
    expect(failure).toMatchObject({ kind: 'network', message: expect.stringMatching(/^UND_ERR_SOCKET/) });
  });

  it('maps a socket reset in the middle of the body to network', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"code":', () => res.socket?.destroy());
    });
    expect(providerFailureFrom(await thrownBy(() => get(url)))).toMatchObject({ kind: 'network' });
  });

  it('maps a refused KieClient call to api, and its 429 to RATE_LIMIT', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 429, msg: 'Rate limit exceeded', data: null }));
    });
    const client = new KieClient({ baseUrl: url, uploadBaseUrl: url, timeoutMs: 1000 });
    const failure = providerFailureFrom(await thrownBy(() => client.getTask('key', 'task_1')));
    expect(failure).toEqual({ kind: 'api', httpStatus: 429, code: 429, message: 'Rate limit exceeded' });
    expect(classifyFailure(failure)).toMatchObject({ errorClass: 'RATE_LIMIT', keyCooldownMs: 60_000 });
  });
});

describe('providerFailureFrom with built errors', () => {
  it('keeps the fields of a KieApiError', () => {
    const failure = providerFailureFrom(new KieApiError(200, 500, 'This interface is temporarily paused'));
    expect(failure).toEqual({
      kind: 'api',
      httpStatus: 200,
      code: 500,
      message: 'This interface is temporarily paused',
    });
    expect(classifyFailure(failure)).toMatchObject({ rule: 'model_paused', modelUnavailable: true });
  });

  it('finds socket codes through `cause`, as fetch wraps them', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const error = new TypeError('fetch failed', { cause: reset });
    expect(providerFailureFrom(error)).toEqual({ kind: 'network', message: 'ECONNRESET: read ECONNRESET' });
  });

  it('finds DNS failures inside an AggregateError', () => {
    const dns = Object.assign(new Error('getaddrinfo EAI_AGAIN api.kie.ai'), { code: 'EAI_AGAIN' });
    expect(providerFailureFrom(new AggregateError([dns], 'connect failed'))).toMatchObject({
      kind: 'network',
    });
  });

  it('maps a connect timeout to timeout', () => {
    const error = Object.assign(new Error('Connect Timeout Error'), {
      name: 'ConnectTimeoutError',
      code: 'UND_ERR_CONNECT_TIMEOUT',
    });
    expect(providerFailureFrom(error)).toEqual({
      kind: 'timeout',
      message: 'UND_ERR_CONNECT_TIMEOUT: Connect Timeout Error',
    });
  });

  it('survives a cyclic cause', () => {
    const error: Error & { cause?: unknown } = new Error('loop');
    error.cause = error;
    expect(providerFailureFrom(error)).toEqual({
      kind: 'api',
      httpStatus: 0,
      code: 0,
      message: 'Error: loop',
    });
  });

  it.each([
    ['a plain Error', new TypeError('x is not a function'), 'TypeError: x is not a function'],
    ['a string', 'boom', 'boom'],
    ['undefined', undefined, 'undefined'],
  ])('sends %s to UNKNOWN', (_description, thrown, message) => {
    const failure = providerFailureFrom(thrown);
    expect(failure).toEqual({ kind: 'api', httpStatus: 0, code: 0, message });
    expect(classifyFailure(failure)).toMatchObject({ errorClass: 'UNKNOWN', rule: 'unknown' });
  });
});
