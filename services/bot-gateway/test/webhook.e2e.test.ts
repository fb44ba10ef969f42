import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeTelegram } from '@neurocards/fake-providers';
import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
} from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chat } from '../../../test/support/chat.js';
import { freePort, type RunningProcess, startService, stopProcess } from '../../../test/support/system.js';

// Webhook mode: two gateway replicas behind one webhook URL (a round-robin proxy stands in for the load
// balancer), so consecutive updates of one conversation land on different replicas.

const SECRET = 'webhook-secret-for-tests-0123456789';
let db: TestDatabase;
let bus: TestBus;
let telegram: FakeTelegram;
let proxy: Server;
const hits: string[] = [];
const replicas: RunningProcess[] = [];
const others: RunningProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('gateway_webhook');
  bus = await createTestBus('gwh');
  telegram = await FakeTelegram.start();
  const ports = [await freePort(), await freePort()];
  let next = 0;
  proxy = createServer(async (req, res) => {
    const port = ports[next++ % ports.length] as number;
    hits.push(String(port));
    const body = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });
    const answer = await fetch(`http://127.0.0.1:${port}${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body,
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/telegram/webhook`;
  const common = { DATABASE_URL: db.url, NATS_URL: testNatsUrl, BUS_PREFIX: bus.prefix, LOG_LEVEL: 'info' };
  others.push(await startService('billing', common, 'gwh-billing'));
  others.push(await startService('projector', common, 'gwh-projector'));
  const env = {
    ...common,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    TELEGRAM_WEBHOOK_URL: proxyUrl,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
  };
  for (const [i, port] of ports.entries())
    replicas.push(await startService('bot-gateway', env, `gwh-gateway-${i}`, { port }));
});

afterAll(async () => {
  const codes = [];
  for (const running of [...replicas, ...others.reverse()]) codes.push(await stopProcess(running));
  await new Promise((resolve) => proxy?.close(resolve));
  await telegram?.close();
  await bus?.destroy();
  await db?.drop();
  expect(codes).toEqual([0, 0, 0, 0]);
});

describe('webhook mode', () => {
  it('registers the webhook with its secret', () => {
    const [setWebhook] = telegram.calls('setWebhook');
    expect(setWebhook?.params).toMatchObject({ secret_token: SECRET });
  });

  it('carries one conversation across two replicas, and places the order once', async () => {
    const chat = new Chat(telegram, { id: 7_800_001, first_name: 'Ivan', language_code: 'en' });
    await chat.command('/start');
    const { confirmation, started } = await chat.order({ product: 'Bamboo toothbrush set', count: 2 });
    expect(confirmation.text).toContain('Bamboo toothbrush set');
    expect(started.text).toContain('Started 2 videos');
    expect(new Set(hits).size).toBe(2); // both replicas took part
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM es.events WHERE type = 'GenerationRequested' AND (data->>'userId')::bigint = $1`,
      [7_800_001],
    );
    expect(rows[0].n).toBe(2);
  });

  it('refuses calls without the secret token', async () => {
    const update = {
      update_id: 1,
      message: { message_id: 1, date: 0, chat: { id: 1, type: 'private' }, text: '/start' },
    };
    const attempts: Record<string, string>[] = [
      {},
      { 'x-telegram-bot-api-secret-token': 'wrong-secret-wrong-secret' },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${replicas[0]?.url}/telegram/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(update),
      });
      expect(response.status).toBe(401);
    }
    expect(telegram.messagesTo(1)).toHaveLength(0);
  });
});
