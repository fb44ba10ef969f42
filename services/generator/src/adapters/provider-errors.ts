import type { ProviderFailure } from '../domain/failures.js';
import { KieApiError } from './kie-client.js';

// Turns whatever a KIE call threw into the ProviderFailure the failure table matches on. undici throws its own
// error classes, Node's socket errors, or wraps either in `cause` (fetch) or an AggregateError (happy eyeballs),
// so the codes are looked up along that whole chain.

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
]);
// AbortError: our own AbortSignal fired, and the only signal we pass to KIE calls is a deadline.
const TIMEOUT_NAMES = new Set([
  'AbortError',
  'TimeoutError',
  'ConnectTimeoutError',
  'HeadersTimeoutError',
  'BodyTimeoutError',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const NETWORK_NAMES = new Set(['SocketError']);
const NETWORK_MESSAGES = /other side closed|socket hang up|connection (refused|reset)|getaddrinfo/i;

// Causes nest only a few levels in practice; the cap stops a cyclic `cause` from looping forever.
const MAX_DEPTH = 5;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The error itself, then its causes and aggregated errors, breadth first. */
function errorChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let level: unknown[] = [error];
  for (let depth = 0; depth < MAX_DEPTH && level.length > 0; depth += 1) {
    const next: unknown[] = [];
    for (const item of level) {
      if (typeof item !== 'object' || item === null || chain.includes(item as ErrorLike)) continue;
      const like = item as ErrorLike;
      chain.push(like);
      if (like.cause !== undefined) next.push(like.cause);
      if (Array.isArray(like.errors)) next.push(...like.errors);
    }
    level = next;
  }
  return chain;
}

function describeLink(link: ErrorLike): string {
  const message = typeof link.message === 'string' && link.message !== '' ? link.message : String(link);
  return typeof link.code === 'string' ? `${link.code}: ${message}` : message;
}

/** Maps a thrown KieApiError, undici or socket error to a ProviderFailure; anything else lands in UNKNOWN. */
export function providerFailureFrom(error: unknown): ProviderFailure {
  if (error instanceof KieApiError) {
    return { kind: 'api', httpStatus: error.httpStatus, code: error.code, message: error.message };
  }
  const chain = errorChain(error);
  // Timeouts first: undici reports a connect timeout that also carries a socket code as a timeout.
  const timeout = chain.find(
    (link) =>
      (typeof link.code === 'string' && TIMEOUT_CODES.has(link.code)) ||
      (typeof link.name === 'string' && TIMEOUT_NAMES.has(link.name)),
  );
  if (timeout) return { kind: 'timeout', message: describeLink(timeout) };
  const network = chain.find(
    (link) =>
      (typeof link.code === 'string' && NETWORK_CODES.has(link.code)) ||
      (typeof link.name === 'string' && NETWORK_NAMES.has(link.name)) ||
      (typeof link.message === 'string' && NETWORK_MESSAGES.test(link.message)),
  );
  if (network) return { kind: 'network', message: describeLink(network) };
  return { kind: 'api', httpStatus: 0, code: 0, message: String(error) };
}
