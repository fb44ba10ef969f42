import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { type DomainEvent, newEvent, streamIds } from '@neurocards/contracts';
import { EventStore } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  orderRequests,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { formatRate, printTable } from './measure.js';

const require = createRequire(import.meta.url);
const billingMain = require.resolve('@neurocards/billing/dist/main.js');

export interface BillingResult {
  users: number;
  reservationsPerSecond: number;
  decisionSeconds: number;
  invariantViolations: number;
}

/**
 * Reservations per second when `users` sellers each place an order at once, with billing running as its own
 * process; afterwards every credit stream is checked: one decision per job, no balance below zero.
 */
export async function billingBenchmark(users: number): Promise<BillingResult> {
  const db = await createTestDatabase('bench_billing', 20);
  const bus = await createTestBus('benchbill');
  const env = {
    ...process.env,
    DATABASE_URL: db.url,
    NATS_URL: testNatsUrl,
    BUS_PREFIX: bus.prefix,
    LOG_LEVEL: 'warn',
    HTTP_PORT: '0',
    FREE_CREDITS: '2',
    CONSUMER_CONCURRENCY: '32',
  };
  const billing = spawn(process.execPath, [billingMain], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const store = new EventStore(db.pool);
  const count = async (type: string) =>
    (await db.pool.query('SELECT count(*) AS n FROM es.events WHERE type = $1', [type])).rows[0].n as number;
  try {
    const sellers = Array.from({ length: users }, (_, i) => 8_000_000 + i);
    await waitFor(
      'billing to start',
      async () => (await db.pool.query("SELECT to_regclass('billing.inbox') AS t")).rows[0].t,
      {
        timeoutMs: 30_000,
      },
    );
    // Everyone registered and granted first, so the timed part is reservations alone.
    await Promise.all(
      sellers.map((userId) =>
        store.append(
          streamIds.user(userId),
          [
            newEvent(
              'UserRegistered',
              {
                userId,
                chatId: userId,
                username: null,
                firstName: 'Seller',
                language: 'ru',
                referrerId: null,
              },
              { correlationId: streamIds.user(userId) },
            ),
          ],
          { expectedVersion: 'no_stream' },
        ),
      ),
    );
    await waitFor('free credits', async () => (await count('FreeCreditsGranted')) === users, {
      timeoutMs: 120_000,
    });

    const started = performance.now();
    await Promise.all(
      sellers.map((userId, i) => {
        // A quarter cannot afford their order.
        const [request] = orderRequests({ userId, cost: i % 4 === 0 ? 3 : 1, product: 'Bench product' });
        if (!request) throw new Error('no request');
        const jobId = request.data.jobId;
        return store.append(streamIds.job(jobId), [request], { expectedVersion: 'no_stream' });
      }),
    );
    await waitFor(
      'a decision on every order',
      async () => (await count('CreditReserved')) + (await count('CreditReservationRejected')) === users,
      { timeoutMs: 300_000, intervalMs: 20 },
    );
    const decisionSeconds = (performance.now() - started) / 1000;

    let invariantViolations = 0;
    for (const userId of sellers) {
      const events = await store.readStream(streamIds.credits(userId));
      if (!creditStreamHolds(events)) invariantViolations++;
    }
    const result = {
      users,
      reservationsPerSecond: users / decisionSeconds,
      decisionSeconds,
      invariantViolations,
    };
    printTable(`Billing: ${users} sellers ordering at once (one billing process)`, [
      [
        'orders decided',
        formatRate(result.reservationsPerSecond),
        `${users} in ${decisionSeconds.toFixed(2)} s`,
      ],
      [
        'reserved / rejected',
        `${await count('CreditReserved')} / ${await count('CreditReservationRejected')}`,
      ],
      ['credit streams breaking an invariant', String(invariantViolations), 'must be 0'],
    ]);
    return result;
  } finally {
    billing.kill('SIGTERM');
    await new Promise((resolve) => billing.once('exit', resolve));
    await bus.destroy();
    await db.drop();
  }
}

/** One decision per job and a balance that never goes below zero, recomputed from the raw events. */
function creditStreamHolds(events: readonly DomainEvent[]): boolean {
  let balance = 0;
  const decided = new Set<string>();
  for (const event of events) {
    if (event.type === 'FreeCreditsGranted') balance += event.data.amount;
    if (event.type === 'CreditReserved' || event.type === 'CreditReservationRejected') {
      if (decided.has(event.data.jobId)) return false;
      decided.add(event.data.jobId);
      if (event.type === 'CreditReserved') balance -= event.data.amount;
    }
    if (balance < 0) return false;
  }
  return decided.size === 1;
}
