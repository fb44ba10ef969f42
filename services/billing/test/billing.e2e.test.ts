import { randomUUID } from 'node:crypto';
import { type AnyNewEvent, type DomainEvent, newEvent, streamIds } from '@neurocards/contracts';
import { EventStore, inTransaction } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  orderRequests,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProcess, startService, stopProcess } from '../../../test/support/system.js';
import { checkCreditInvariants } from './invariants.js';

// Two billing replicas as separate processes, sharing their durable consumers, under concurrent orders,
// duplicates and expiries; everything checked afterwards from the event store.

const users = Array.from({ length: 100 }, (_, i) => 7_000_000 + i);
const ORDERS = 500;
let db: TestDatabase;
let bus: TestBus;
let store: EventStore;
const replicas: RunningProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('billing_replicas', 30);
  bus = await createTestBus('billing');
  store = new EventStore(db.pool);
  const env = {
    DATABASE_URL: db.url,
    NATS_URL: testNatsUrl,
    BUS_PREFIX: bus.prefix,
    LOG_LEVEL: 'warn',
    FREE_CREDITS: '2',
    JOB_TIMEOUT: '15s',
    SWEEP_INTERVAL: '250ms',
    CONSUMER_RETRY_DELAYS_MS: '50,100,200,400',
    CONSUMER_MAX_DELIVER: '10',
  };
  for (const replica of ['a', 'b'])
    replicas.push(await startService('billing', env, `billing-replica-${replica}`));
});

afterAll(async () => {
  const codes = await Promise.all(replicas.map((replica) => stopProcess(replica)));
  await bus?.destroy();
  await db?.drop();
  expect(codes).toEqual([0, 0]);
});

async function eventsOfType(type: string): Promise<number> {
  const { rows } = await db.pool.query('SELECT count(*) AS n FROM es.events WHERE type = $1', [type]);
  return rows[0].n;
}

async function creditStream(userId: number): Promise<DomainEvent[]> {
  return store.readStream(streamIds.credits(userId));
}

function registration(userId: number, referrerId: number | null = null): AnyNewEvent {
  return newEvent(
    'UserRegistered',
    { userId, chatId: userId, username: null, firstName: 'Seller', language: 'ru', referrerId },
    { correlationId: streamIds.user(userId) },
  );
}

/** Appends every job of an order in one transaction, as the gateway does. */
async function placeOrder(userId: number, size: number): Promise<{ orderId: string; jobIds: string[] }> {
  const requests = orderRequests({ userId, size, product: 'Thermos 500 ml' });
  await inTransaction(db.pool, async (client) => {
    for (const request of requests) {
      await store.append(streamIds.job(request.data.jobId), [request], {
        expectedVersion: 'no_stream',
        client,
      });
    }
  });
  return { orderId: requests[0]?.data.orderId ?? '', jobIds: requests.map((request) => request.data.jobId) };
}

describe('billing with two replicas', () => {
  it('grants free credits once when registration arrives ten times at once', async () => {
    const userId = 6_999_999;
    // Ten different registration messages for one user, straight onto the bus, handled by both replicas.
    await Promise.all(
      Array.from({ length: 10 }, () => {
        const event = { ...registration(userId), streamId: streamIds.user(userId), streamVersion: 1 };
        return bus.js.publish(bus.names.eventSubject('UserRegistered'), JSON.stringify(event));
      }),
    );
    await waitFor('the grant', async () => (await creditStream(userId)).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // room for a second grant to show up
    const credits = await creditStream(userId);
    expect(credits.map((e) => e.type)).toEqual(['FreeCreditsGranted']);
  });

  it(`keeps every credit invariant under ${ORDERS} concurrent orders from ${users.length} users`, async () => {
    // Balances that cover only some orders: 2 free credits each, and 5 more for every third user.
    for (const userId of users)
      await store.append(streamIds.user(userId), [registration(userId)], { expectedVersion: 'no_stream' });
    for (const userId of users.filter((_, i) => i % 3 === 0)) {
      const grant = newEvent(
        'CreditsGrantRequested',
        { userId, adminId: 1, amount: 5, reason: 'test' },
        { correlationId: `u${userId}` },
      );
      await store.append(streamIds.user(userId), [grant], { expectedVersion: 'any' });
    }
    await waitFor(
      'free credits and grants',
      async () =>
        (await eventsOfType('CreditsGranted')) === 34 && (await eventsOfType('FreeCreditsGranted')) === 101,
      {
        timeoutMs: 60_000,
      },
    );

    const sizes = [1, 2, 3, 5];
    const orders = new Map<string, string[]>();
    const lanes = Array.from({ length: 50 }, async (_, lane) => {
      for (let i = lane; i < ORDERS; i += 50) {
        const userId = users[i % users.length] as number;
        const { orderId, jobIds } = await placeOrder(userId, sizes[(i * 7) % sizes.length] as number);
        orders.set(orderId, jobIds);
      }
    });
    await Promise.all(lanes);
    const totalJobs = [...orders.values()].reduce((sum, jobs) => sum + jobs.length, 0);
    await waitFor(
      'a decision for every job',
      async () =>
        (await eventsOfType('CreditReserved')) + (await eventsOfType('CreditReservationRejected')) ===
        totalJobs,
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    const reservedJobs = (
      await db.pool.query<{ job_id: string; user_id: number }>(
        `SELECT data->>'jobId' AS job_id, (data->>'userId')::bigint AS user_id FROM es.events WHERE type = 'CreditReserved'`,
      )
    ).rows;
    expect(reservedJobs.length).toBeGreaterThan(0);
    expect(reservedJobs.length).toBeLessThan(totalJobs); // balances covered only some orders

    // Outcomes: most delivered (some twice on the bus), some failing, a few never finishing (expiry).
    const outcome = async (
      { job_id: jobId, user_id: userId }: { job_id: string; user_id: number },
      i: number,
    ) => {
      const stream = streamIds.job(jobId);
      if (i % 10 === 9) return; // left to the sweeper
      const event =
        i % 10 < 6
          ? newEvent(
              'VideoDelivered',
              { userId, jobId, messageId: i + 1, bytes: 1000, sentAs: 'video' },
              { correlationId: jobId },
            )
          : i % 10 < 8
            ? newEvent(
                'GenerationFailed',
                { userId, jobId, errorClass: 'TEMPORARY', code: '500', message: 'x', attempts: 4 },
                { correlationId: jobId },
              )
            : newEvent(
                'DeliveryFailed',
                { userId, jobId, errorClass: 'BLOCKED', reason: 'blocked', attempts: 1 },
                { correlationId: jobId },
              );
      await store.append(stream, [event], { expectedVersion: 1 });
      if (i % 5 === 0) {
        // The same event once more straight onto the bus, past the server's duplicate window.
        const copy = { ...event, streamId: stream, streamVersion: 2 };
        await bus.js.publish(bus.names.eventSubject(event.type), JSON.stringify(copy), {
          msgID: randomUUID(),
        });
      }
    };
    await Promise.all(reservedJobs.map(outcome));

    await waitFor(
      'every reservation to end',
      async () =>
        (await eventsOfType('CreditCaptured')) + (await eventsOfType('CreditRefunded')) ===
        reservedJobs.length,
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // room for a wrong extra event to show up

    const delivered = reservedJobs.filter((_, i) => i % 10 < 6).length;
    const expired = reservedJobs.filter((_, i) => i % 10 === 9).length;
    expect(await eventsOfType('CreditCaptured')).toBe(delivered);
    const { rows } = await db.pool.query(
      `SELECT count(*) AS n FROM es.events WHERE type = 'CreditRefunded' AND data->>'reason' = 'timeout'`,
    );
    expect(rows[0].n).toBe(expired);
    for (const userId of users) checkCreditInvariants(await creditStream(userId), orders);
    const open = await db.pool.query('SELECT count(*) AS n FROM billing.open_reservations');
    expect(open.rows[0].n).toBe(0);
  });

  it("rewards the direct referrer once, on the invited seller's first delivered video, and nobody else", async () => {
    const [referrer, invited, selfReferred, cycleA, cycleB] = [
      6_900_001, 6_900_002, 6_900_003, 6_900_004, 6_900_005,
    ];
    const registrations: Array<[number, number | null]> = [
      [referrer, null],
      [invited, referrer],
      [selfReferred, selfReferred],
      [cycleA, cycleB],
      [cycleB, cycleA],
    ];
    for (const [userId, referrerId] of registrations) {
      await store.append(streamIds.user(userId), [registration(userId, referrerId)], {
        expectedVersion: 'no_stream',
      });
    }
    const deliver = async (userId: number) => {
      const { jobIds } = await placeOrder(userId, 1);
      const jobId = jobIds[0] as string;
      await waitFor('the reservation', async () =>
        (await creditStream(userId)).some((e) => e.type === 'CreditReserved' && e.data.jobId === jobId),
      );
      const video = newEvent(
        'VideoDelivered',
        { userId, jobId, messageId: 1, bytes: 1, sentAs: 'video' },
        { correlationId: jobId },
      );
      await store.append(streamIds.job(jobId), [video], { expectedVersion: 1 });
      await waitFor('the capture', async () =>
        (await creditStream(userId)).some((e) => e.type === 'CreditCaptured' && e.data.jobId === jobId),
      );
    };
    for (const userId of [invited, invited, selfReferred, cycleA, cycleB]) await deliver(userId);
    await new Promise((resolve) => setTimeout(resolve, 500));

    const bonuses = (await db.pool.query(`SELECT data FROM es.events WHERE type = 'ReferralBonusGranted'`))
      .rows;
    expect(bonuses.map((row) => row.data)).toEqual([
      { userId: referrer, referredUserId: invited, amount: 1 },
    ]);
    const referrerCredits = await creditStream(referrer);
    expect(referrerCredits.map((e) => e.type)).toEqual(['FreeCreditsGranted', 'ReferralBonusGranted']);
  });
});
