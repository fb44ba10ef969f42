import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const COOKIE = 'nc_dashboard';

/** What the session cookie holds: a digest of the token, so a copied cookie does not reveal the token. */
const sessionOf = (token: string) => createHash('sha256').update(`nc-dashboard:${token}`).digest('hex');

function sameSecret(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

function cookieOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

/** Whether a request carries the dashboard token: `Authorization: Bearer <token>` or the session cookie. */
export function isAuthorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return sameSecret(header.slice('Bearer '.length), token);
  const cookie = cookieOf(req);
  return cookie !== undefined && sameSecret(cookie, sessionOf(token));
}

/**
 * `/dashboard?token=<token>` (a link an operator bookmarks) trades the token for an HttpOnly session cookie
 * and redirects to the bare URL, so the token leaves the address bar and the history. Returns whether it
 * answered the request.
 */
export function exchangeToken(req: IncomingMessage, res: ServerResponse, token: string): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const offered = url.searchParams.get('token');
  if (offered === null) return false;
  if (!sameSecret(offered, token)) {
    deny(res);
    return true;
  }
  url.searchParams.delete('token');
  res.writeHead(303, {
    location: `${url.pathname}${url.search}`,
    'set-cookie': `${COOKIE}=${sessionOf(token)}; HttpOnly; SameSite=Strict; Path=/dashboard; Max-Age=43200`,
    'cache-control': 'no-store',
  });
  res.end();
  return true;
}

export function deny(res: ServerResponse): void {
  res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' });
  res.end('The dashboard needs its token: open /dashboard?token=<DASHBOARD_TOKEN>.\n');
}
