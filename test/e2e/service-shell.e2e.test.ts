import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
} from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProcess, startService, stopProcess } from '../support/system.js';

// The shell every service runs in: configuration, operations endpoints, log hygiene, graceful stop.

const root = fileURLToPath(new URL('../../', import.meta.url));
const botToken = '7000000001:TEST-shell-token-that-must-never-be-logged';
let db: TestDatabase;
let bus: TestBus;
let delivery: RunningProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase('e2e_shell');
  bus = await createTestBus('shell');
});

afterAll(async () => {
  if (delivery) await stopProcess(delivery);
  await bus?.destroy();
  await db?.drop();
});

function run(service: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${root}services/${service}/dist/main.js`], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('service shell', () => {
  it('refuses to start with a bad or missing variable, naming it', async () => {
    const { code, stderr } = await run('delivery', {
      DATABASE_URL: 'mysql://nope',
      TELEGRAM_BOT_TOKEN: 'not-a-token',
    });
    expect(code).toBe(78);
    expect(stderr).toMatch(/DATABASE_URL/);
    expect(stderr).toMatch(/TELEGRAM_BOT_TOKEN/);
    expect(stderr).not.toMatch(/at .*\.js:\d+/); // a message for an operator, not a stack trace

    const missing = await run('delivery', { DATABASE_URL: db.url });
    expect(missing.code).toBe(78);
    expect(missing.stderr).toMatch(/TELEGRAM_BOT_TOKEN is required/);
  });

  it('serves /healthz, /readyz and Prometheus /metrics, and never logs the bot token', async () => {
    delivery = await startService(
      'delivery',
      {
        DATABASE_URL: db.url,
        NATS_URL: testNatsUrl,
        BUS_PREFIX: bus.prefix,
        LOG_LEVEL: 'debug',
        TELEGRAM_BOT_TOKEN: botToken,
        TELEGRAM_API_ROOT: 'http://127.0.0.1:9',
      },
      'shell-delivery',
    );
    expect((await fetch(`${delivery.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${delivery.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: true, nats: true } });
    const metrics = await (await fetch(`${delivery.url}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE nc_events_handled_total counter/m);
    expect(metrics).toMatch(/process_resident_memory_bytes\{service="delivery"\}/);
    expect((await fetch(`${delivery.url}/nope`)).status).toBe(404);

    expect(await stopProcess(delivery)).toBe(0);
    const log = readFileSync(`${root}test-results/logs/shell-delivery.log`, 'utf8');
    expect(log).toMatch(/delivery stopped/);
    expect(log).not.toContain(botToken);
    expect(log).not.toContain('TEST-shell-token');
    delivery = undefined;
  });
});
