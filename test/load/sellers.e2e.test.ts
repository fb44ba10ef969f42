import { FakeTelegram } from '@neurocards/fake-providers';
import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chat } from '../support/chat.js';
import { type RunningProcess, startService, stopProcess } from '../support/system.js';

// Load: LOAD_SELLERS sellers (1,000 by default) go through the conversation at the same moment, each from
// /start to a confirmed order of one video, over the fake Bot API. Every update must be answered, every
// seller must get exactly one order, and billing must reserve each job once.

const SELLERS = Number(process.env.LOAD_SELLERS ?? 1000);
let db: TestDatabase;
let bus: TestBus;
let telegram: FakeTelegram;
const processes: RunningProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('load_sellers', 10);
  bus = await createTestBus('load');
  telegram = await FakeTelegram.start();
  const common = { DATABASE_URL: db.url, NATS_URL: testNatsUrl, BUS_PREFIX: bus.prefix, LOG_LEVEL: 'warn' };
  processes.push(await startService('billing', common, 'load-billing'));
  processes.push(await startService('projector', common, 'load-projector'));
  processes.push(
    await startService(
      'bot-gateway',
      {
        ...common,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.url,
        DATABASE_POOL_SIZE: '20',
      },
      'load-gateway',
    ),
  );
});

afterAll(async () => {
  for (const running of processes.reverse()) await stopProcess(running);
  await telegram?.close();
  await bus?.destroy();
  await db?.drop();
});

describe(`${SELLERS} sellers at once`, () => {
  it('answers every update, places one order per seller, and charges each once', {
    timeout: 600_000,
  }, async () => {
    const started = performance.now();
    const chats = Array.from(
      { length: SELLERS },
      (_, i) =>
        new Chat(
          telegram,
          { id: 8_100_000 + i, first_name: `Seller ${i}`, language_code: i % 2 ? 'en' : 'ru' },
          120_000,
        ),
    );
    const outcomes = await Promise.allSettled(
      chats.map(async (chat) => {
        await chat.command('/start');
        return chat.order({ product: `Product of seller ${chat.user.id}` });
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failures.map((failure) => String((failure as PromiseRejectedResult).reason)).slice(0, 3)).toEqual(
      [],
    );
    for (const outcome of outcomes)
      if (outcome.status === 'fulfilled') expect(outcome.value.started.text).toMatch(/Запустили|Started/);

    // Every update the sellers sent got its answer: the callback queries included.
    const unanswered = telegram.answers.callbackQueries.length;
    expect(unanswered).toBeGreaterThanOrEqual(SELLERS * 4); // style, skip, count, confirm per seller

    const orders = await db.pool.query<{ user_id: string; n: number }>(
      `SELECT data->>'userId' AS user_id, count(*)::int AS n FROM es.events
       WHERE type = 'GenerationRequested' GROUP BY 1`,
    );
    expect(orders.rows).toHaveLength(SELLERS);
    expect(orders.rows.every((row) => row.n === 1)).toBe(true);
    await waitFor(
      'billing to reserve every job',
      async () =>
        (await db.pool.query(`SELECT count(*)::int AS n FROM es.events WHERE type = 'CreditReserved'`))
          .rows[0].n === SELLERS,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const charges = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM es.events WHERE type = 'CreditReserved'
       GROUP BY data->>'jobId' HAVING count(*) > 1`,
    );
    expect(charges.rows).toEqual([]); // no job charged twice
    process.stdout.write(`${SELLERS} sellers ordered through the conversation in ${seconds.toFixed(1)} s\n`);
  });
});
