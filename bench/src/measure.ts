import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { TestBus, TestDatabase } from '@neurocards/runtime/testing';

/** Runs `workers` loops of `step` until `durationMs` has passed; returns how many steps completed per second. */
export async function rateOver(
  durationMs: number,
  workers: number,
  step: (worker: number) => Promise<number | undefined>,
): Promise<{ count: number; seconds: number; perSecond: number }> {
  const started = performance.now();
  const deadline = started + durationMs;
  let count = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        const done = await step(worker);
        count += done ?? 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { count, seconds, perSecond: count / seconds };
}

export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}

export function printTable(title: string, rows: Array<[string, string, string?]>): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  process.stdout.write(`\n${title}\n${'-'.repeat(title.length)}\n`);
  for (const [label, value, note] of rows) {
    process.stdout.write(`  ${label.padEnd(width)}  ${value.padStart(12)}${note ? `  ${note}` : ''}\n`);
  }
}

/** Single-row INSERTs per second into a scratch table, `writers` connections at once: PostgreSQL's raw speed. */
export async function rawInsertRate(db: TestDatabase, durationMs: number, writers = 16) {
  await db.pool.query(
    'CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, payload jsonb NOT NULL)',
  );
  const payload = JSON.stringify({
    userId: 1,
    adminId: 2,
    amount: 1,
    reason: 'benchmark grant of one credit',
  });
  return rateOver(durationMs, writers, async () => {
    await db.pool.query('INSERT INTO bench_raw (payload) VALUES ($1)', [payload]);
    return 1;
  });
}

/** JetStream publishes per second of 256-byte messages to a scratch stream, 256 in flight: NATS's raw speed. */
export async function rawPublishRate(bus: TestBus, durationMs: number) {
  const subject = `${bus.prefix}.raw`;
  const name = `${bus.prefix.toUpperCase()}_RAW`;
  await bus.jsm.streams.add({
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
  });
  const body = 'x'.repeat(256);
  try {
    return await rateOver(durationMs, 256, async () => {
      await bus.js.publish(subject, body);
      return 1;
    });
  } finally {
    await bus.jsm.streams.delete(name).catch(() => false);
  }
}
