import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HttpRoute, send } from '@neurocards/runtime/shell';
import type { Pool } from 'pg';
import type { ProjectionLag } from '../lag.js';
import { deny, exchangeToken, isAuthorized } from './auth.js';
import { dashboardData } from './data.js';

const publicDir = fileURLToPath(new URL('../../public/', import.meta.url));
// Chart.js comes from node_modules, never a CDN: production machines may have no way out.
const chartJsDir = dirname(createRequire(import.meta.url).resolve('chart.js'));

interface Asset {
  body: Buffer;
  type: string;
}

function loadAssets(): Record<string, Asset> {
  const file = (path: string, type: string): Asset => ({ body: readFileSync(path), type });
  return {
    'chart.umd.min.js': file(join(chartJsDir, 'chart.umd.min.js'), 'text/javascript; charset=utf-8'),
    'dashboard.js': file(join(publicDir, 'dashboard.js'), 'text/javascript; charset=utf-8'),
    'dashboard.css': file(join(publicDir, 'dashboard.css'), 'text/css; charset=utf-8'),
    'index.html': file(join(publicDir, 'dashboard.html'), 'text/html; charset=utf-8'),
  };
}

const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function serve(res: ServerResponse, asset: Asset, cache: string): void {
  res.writeHead(200, { 'content-type': asset.type, 'cache-control': cache, ...securityHeaders });
  res.end(asset.body);
}

export interface DashboardDeps {
  pool: Pool;
  token: string;
  /** The latest lag sample of every projection. */
  lags(): ProjectionLag[];
}

/**
 * The dashboard on the projector's operations server: `/dashboard` (the page), `/dashboard/data` (JSON of
 * the analytics views, `?days=` 1–366, default 30) and `/dashboard/assets/*`. Everything needs the token.
 */
export function dashboardRoutes(deps: DashboardDeps): HttpRoute[] {
  const assets = loadAssets();
  const page = assets['index.html'] as Asset;
  return [
    {
      method: 'GET',
      path: '/dashboard',
      handle(req, res) {
        if (exchangeToken(req, res, deps.token)) return;
        if (!isAuthorized(req, deps.token)) return deny(res);
        serve(res, page, 'no-store');
      },
    },
    {
      method: 'GET',
      path: '/dashboard/*',
      async handle(req, res) {
        if (!isAuthorized(req, deps.token)) return deny(res);
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (url.pathname === '/dashboard/data') {
          const days = Math.min(366, Math.max(1, Number(url.searchParams.get('days')) || 30));
          res.setHeader('cache-control', 'no-store');
          return send(res, 200, await dashboardData(deps.pool, days, deps.lags()));
        }
        const name = url.pathname.slice('/dashboard/assets/'.length);
        const asset = url.pathname.startsWith('/dashboard/assets/') ? assets[name] : undefined;
        if (!asset || name === 'index.html') return send(res, 404, { error: 'not found' });
        serve(res, asset, 'private, max-age=300');
      },
    },
  ];
}
