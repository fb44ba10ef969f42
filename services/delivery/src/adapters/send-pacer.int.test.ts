import { createPool, eventStoreMigrations, migrate } from '@neurocards/runtime/event-store';
import { createTestDatabase, type TestDatabase } from '@neurocards/runtime/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryMigrations } from '../migrations.js';
import { SendPacer } from './send-pacer.js';

// Two delivery "replicas", each with its own pool, pacing through the same PostgreSQL.

let db: TestDatabase;
let other: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase('delivery_pacing', 24);
  await migrate(db.pool, [eventStoreMigrations, deliveryMigrations]);
  other = createPool({ connectionString: db.url, max: 24 });
});
afterAll(async () => {
  await other?.end();
  await db?.drop();
});

/** The most sends found in any window of `windowMs` (sliding over the sorted send times). */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe('SendPacer', () => {
  it('keeps two replicas together under the bot-wide rate', async () => {
    const pace = { perChat: 1, global: 25 };
    const replicas = [new SendPacer(db.pool, pace), new SendPacer(other, pace)];
    const started = performance.now();
    // 75 messages to 75 chats, half from each replica, all at once.
    const slots = await Promise.all(
      Array.from(
        { length: 75 },
        async (_, i) => (await (replicas[i % 2] as SendPacer).waitForSlot(9_000_000 + i)).slotMs,
      ),
    );
    const elapsed = performance.now() - started;
    // The slots handed out are at least 40 ms apart (25 a second), whichever replica asked.
    const sorted = slots.sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++)
      expect((sorted[i] as number) - (sorted[i - 1] as number)).toBeGreaterThanOrEqual(39.99);
    expect(busiestWindow(sorted, 1000)).toBeLessThanOrEqual(25);
    // And the callers really waited for them: 75 messages take at least 74 × 40 ms.
    expect(elapsed).toBeGreaterThanOrEqual(74 * 40 - 20);
  });

  it('spaces the messages to one chat a second apart, from either replica', async () => {
    const pace = { perChat: 1, global: 25 };
    const replicas = [new SendPacer(db.pool, pace), new SendPacer(other, pace)];
    const chat = 9_100_001;
    const times = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        return (await (replicas[i % 2] as SendPacer).waitForSlot(chat)).slotMs;
      }),
    );
    const sorted = times.sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++)
      expect((sorted[i] as number) - (sorted[i - 1] as number)).toBeGreaterThanOrEqual(999.99);
  });

  it('after a 429 holds the chat for every replica, and leaves other chats alone', async () => {
    const pace = { perChat: 1, global: 25 };
    const [a, b] = [new SendPacer(db.pool, pace), new SendPacer(other, pace)];
    await a.holdChat(9_200_001, 1500);
    const [held, free] = await Promise.all([b.waitForSlot(9_200_001), b.waitForSlot(9_200_002)]);
    expect(held.waitedMs).toBeGreaterThanOrEqual(1400);
    expect(free.waitedMs).toBeLessThan(500);
  });

  it('keeps pacing after a database crash has emptied the unlogged pace table', async () => {
    // Crash recovery truncates unlogged tables, the bot-wide row included.
    await db.pool.query('TRUNCATE delivery.send_pace');
    const pace = { perChat: 1, global: 25 };
    const replicas = [new SendPacer(db.pool, pace), new SendPacer(other, pace)];
    const slots = await Promise.all(
      Array.from(
        { length: 10 },
        async (_, i) => (await (replicas[i % 2] as SendPacer).waitForSlot(9_400_000 + i)).slotMs,
      ),
    );
    const sorted = slots.sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++)
      expect((sorted[i] as number) - (sorted[i - 1] as number)).toBeGreaterThanOrEqual(39.99);
  });

  it('forgets quiet chats', async () => {
    const pacer = new SendPacer(db.pool, { perChat: 1, global: 25 });
    await pacer.waitForSlot(9_300_001);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await pacer.prune(50)).toBeGreaterThan(0);
    const { rows } = await db.pool.query(`SELECT key FROM delivery.send_pace WHERE key = 'chat:9300001'`);
    expect(rows).toEqual([]);
  });
});
