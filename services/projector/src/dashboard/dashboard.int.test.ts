import { EventStore, eventStoreMigrations, migrate } from '@neurocards/runtime/event-store';
import { createLogger, OpsServer } from '@neurocards/runtime/shell';
import { createTestDatabase, type TestDatabase } from '@neurocards/runtime/testing';
import type { Browser } from 'playwright-core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotStats } from '../../../../test/support/browser.js';
import { catchUp, firstWeeks, laterWeeks, ScenarioWriter } from '../../test/scenario.js';
import { readModelMigrations } from '../migrations.js';
import type { dashboardData } from './data.js';
import { dashboardRoutes } from './routes.js';

// The dashboard as an operator sees it: the projector's operations server over a real database, opened in
// headless Chromium (Debian's, installed by scripts/setup.sh).

const token = 'dashboard-test-token-0123456789';

/** The part of a browser canvas the test reads (the project compiles without the DOM types). */
interface Canvas {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}
const logger = createLogger({ service: 'projector-test', level: 'silent' });

let db: TestDatabase;
let server: OpsServer;
let base: string;
let browser: Browser;

beforeAll(async () => {
  db = await createTestDatabase('projector_dashboard');
  await migrate(db.pool, [eventStoreMigrations, readModelMigrations]);
  const store = new EventStore(db.pool);
  const writer = new ScenarioWriter(store);
  await firstWeeks(writer);
  await laterWeeks(writer);
  await catchUp({ pool: db.pool, store, logger });
  server = new OpsServer({
    host: '127.0.0.1',
    port: 0,
    registry: new Registry(),
    logger,
    readiness: {},
    routes: dashboardRoutes({
      pool: db.pool,
      token,
      lags: () => [{ name: 'projection:users', seconds: 0.2, events: 3 }],
    }),
  });
  base = `http://127.0.0.1:${await server.listen()}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await db?.drop();
});

describe('dashboard', () => {
  it('answers 401 to anyone without the token', async () => {
    for (const path of ['/dashboard', '/dashboard/data', '/dashboard/assets/dashboard.js']) {
      expect((await fetch(`${base}${path}`)).status).toBe(401);
      const wrong = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer not-the-token' } });
      expect(wrong.status).toBe(401);
    }
    expect((await fetch(`${base}/dashboard?token=not-the-token`, { redirect: 'manual' })).status).toBe(401);
    const forged = await fetch(`${base}/dashboard`, { headers: { cookie: `nc_dashboard=${token}` } });
    expect(forged.status).toBe(401);
  });

  it('serves the views as JSON to the token', async () => {
    const response = await fetch(`${base}/dashboard/data`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const data = (await response.json()) as Awaited<ReturnType<typeof dashboardData>>;
    // Six jobs: three videos delivered (one late, after a timeout), one rejected, two failed.
    expect(data.funnel).toEqual({ requested: 6, reserved: 5, generated: 4, delivered: 3 });
    expect(data.errors).toContainEqual({
      error_class: 'USER_VIOLATION',
      code: '400',
      failed_attempts: 0,
      failed_jobs: 1,
    });
    expect(data.revenue.map((r: { stars: number }) => r.stars)).toContain(250);
    expect(data.topReferrers[0]).toMatchObject({ invited: 2, bonus_credits: 1 });
    expect(data.retention.length).toBeGreaterThan(1);
  });

  it('draws every chart in Chromium from local files only, and the screenshot is not blank', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
    const errors: string[] = [];
    const foreign: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(base)) foreign.push(request.url());
    });
    await page.goto(`${base}/dashboard?token=${token}`);
    // The token was traded for a session cookie and left the address bar.
    expect(page.url()).toBe(`${base}/dashboard`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });

    const painted = await page.$$eval('canvas', (canvases) =>
      canvases.map((canvas) => {
        const context = (canvas as unknown as Canvas).getContext('2d');
        const { data } = context?.getImageData(0, 0, canvas.width, canvas.height) ?? { data: [] };
        let pixels = 0;
        for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) pixels++;
        return pixels;
      }),
    );
    expect(painted).toHaveLength(8);
    for (const pixels of painted) expect(pixels).toBeGreaterThan(500);
    expect(await page.textContent('#summary')).toContain('6 jobs requested, 3 delivered');

    const shot = await screenshotStats(await page.screenshot({ fullPage: true }), 'dashboard');
    expect(shot.colours).toBeGreaterThan(100);
    expect(shot.inkShare).toBeGreaterThan(0.05);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });
});
