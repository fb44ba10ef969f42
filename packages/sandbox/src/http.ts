import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** A refusal of a page request, answered as `{error: code, message}` with this status. */
export class PageError extends Error {
  override readonly name = 'PageError';

  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 502,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Headers of every answer: nothing from elsewhere, no framing, no sniffing. */
export const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...securityHeaders,
  });
  res.end(text);
}

/** Reads the whole body, refusing more than `maxBytes` with 413 (without reading the rest). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): PageError {
  return new PageError(413, 'too_large', `The body is over ${Math.round(maxBytes / 1024 / 1024)} MB`);
}

/** Reads a JSON body (content type application/json, at most 64 KB) and checks it with `schema`. */
export async function readJson<T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.infer<T>> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    throw new PageError(415, 'json_expected', 'Send application/json');
  let value: unknown;
  try {
    value = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8'));
  } catch (error) {
    if (error instanceof PageError) throw error;
    throw new PageError(400, 'bad_json', 'The body is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PageError(400, 'invalid', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** A cookie of the request by name. */
export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * Serves a file with byte ranges, which browsers use to play and seek a video; `type` is its content type.
 */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  type: string,
  cache = 'no-store',
): Promise<void> {
  const { size } = await stat(path);
  const headers = {
    'content-type': type,
    'accept-ranges': 'bytes',
    'cache-control': cache,
    ...securityHeaders,
  };
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (!range || (range[1] === '' && range[2] === '')) {
    res.writeHead(200, { ...headers, 'content-length': size });
    if (req.method === 'HEAD') return void res.end();
    return pipeFile(res, path);
  }
  const start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
  const end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
  if (start > end || start >= size) {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
    return void res.end();
  }
  res.writeHead(206, {
    ...headers,
    'content-length': end - start + 1,
    'content-range': `bytes ${start}-${end}/${size}`,
  });
  if (req.method === 'HEAD') return void res.end();
  return pipeFile(res, path, { start, end });
}

function pipeFile(res: ServerResponse, path: string, range?: { start: number; end: number }): Promise<void> {
  return new Promise((resolve) => {
    const stream = createReadStream(path, range);
    stream.once('error', () => {
      res.destroy();
      resolve();
    });
    stream.once('end', resolve);
    res.once('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}
