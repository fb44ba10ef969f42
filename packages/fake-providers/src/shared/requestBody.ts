import type { IncomingMessage } from 'node:http';

/** Thrown when a request body is larger than allowed; the body has been drained by then. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Thrown when a body cannot be parsed in its declared content type. */
export class MalformedBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedBodyError';
  }
}

/**
 * Reads a whole (non-file) request body. Past `limit` bytes the rest is drained without being kept, so the
 * client can finish sending and read the error answer, then BodyTooLargeError is thrown.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) throw new BodyTooLargeError(limit);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

/** Drains a request body without keeping it, e.g. before answering an injected error. */
export async function drainBody(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  for await (const _ of req) {
    // discard
  }
}

/** The media type of a request without parameters, lower-cased ('' when absent). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Parses a JSON or urlencoded body into a plain object; an empty body is `{}`. */
export function parseFormOrJson(body: Buffer, contentType: string): Record<string, unknown> {
  if (body.length === 0) return {};
  if (contentType === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedBodyError('body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedBodyError('body is not a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Reads a JSON object body (any content type is tried as JSON). */
export async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return parseFormOrJson(await readBody(req, limit), 'application/json');
}

/** The bearer token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1];
}
