import { randomUUID } from 'node:crypto';
import { type AnyNewEvent, type EventData, type EventType, newEvent } from '@neurocards/contracts';
import type { EventStore } from '@neurocards/runtime/event-store';
import type { Logger } from '@neurocards/runtime/shell';
import { orderRequests, waitFor } from '@neurocards/runtime/testing';
import type { Pool } from 'pg';
import { projectionLags } from '../src/lag.js';
import { ProjectionRunner } from '../src/projection-runner.js';
import { projections } from '../src/projections/registry.js';

// A small shop's history: registrations with a referral, orders that succeed, fail in generation, fail in
// delivery, time out and get delivered late, a rejected order, a payment and its refund, a ban, and one
// stored event no reader understands. Event times span several weeks so the daily and weekly views have
// more than one row.

export const sellers = { anna: 7_100_001, boris: 7_100_002, clara: 7_100_003, dmitri: 7_100_004 };

const day = 86_400_000;
// Three weeks ago, 09:00 UTC: recent enough for the dashboard's default 30 days.
const start = Math.floor(Date.now() / day) * day - 21 * day + 9 * 3_600_000;

/** Appends events one stream at a time, each `minutes` after the previous one in event time. */
export class ScenarioWriter {
  private clock = start;
  constructor(private readonly store: EventStore) {}

  at(daysFromStart: number): this {
    this.clock = Math.max(this.clock, start + daysFromStart * day);
    return this;
  }

  async append<T extends EventType>(stream: string, type: T, data: EventData<T>, minutes = 1): Promise<void> {
    this.clock += minutes * 60_000;
    const event = newEvent(type, data, { correlationId: stream, occurredAt: new Date(this.clock) });
    await this.store.append(stream, [event as AnyNewEvent], { expectedVersion: 'any' });
  }

  /** One job of `userId` requested (an order of one) and reserved; returns its id. */
  async orderedJob(userId: number, model = 'kling-2.6/image-to-video'): Promise<string> {
    const [request] = orderRequests({ userId, model });
    if (!request) throw new Error('no request');
    const { jobId, orderId } = request.data;
    this.clock += 60_000;
    await this.store.append(
      `job-${jobId}`,
      [{ ...request, occurredAt: new Date(this.clock).toISOString() }],
      {
        expectedVersion: 'no_stream',
      },
    );
    const expiresAt = new Date(this.clock + 30 * 60_000).toISOString();
    await this.append(`credits-${userId}`, 'CreditReserved', {
      userId,
      jobId,
      orderId,
      amount: 1,
      expiresAt,
    });
    return jobId;
  }

  /** Prompt, submission and a ready video after `renderMinutes`. */
  async generated(userId: number, jobId: string, renderMinutes: number, model = 'kling-2.6/image-to-video') {
    const stream = `job-${jobId}`;
    await this.append(stream, 'PromptPrepared', {
      userId,
      jobId,
      prompt: 'A mug on a table',
      source: 'model',
    });
    await this.append(stream, 'GenerationSubmitted', {
      userId,
      jobId,
      attempt: 1,
      model,
      taskId: `task-${jobId}`,
      keyId: 'k1',
    });
    await this.append(
      stream,
      'VideoReady',
      { userId, jobId, videoUrl: 'https://files.example/v.mp4', model, taskId: `task-${jobId}` },
      renderMinutes,
    );
  }

  async delivered(userId: number, jobId: string) {
    await this.append(`job-${jobId}`, 'VideoDelivered', {
      userId,
      jobId,
      messageId: 10,
      bytes: 1_500_000,
      sentAs: 'video',
    });
    await this.append(`credits-${userId}`, 'CreditCaptured', { userId, jobId, amount: 1 });
  }
}

/** The first part of the history: registrations, a delivered video, a failed one, a rejected order. */
export async function firstWeeks(w: ScenarioWriter): Promise<{ jobs: string[] }> {
  const { anna, boris, clara, dmitri } = sellers;
  w.at(0);
  await w.append(`user-${anna}`, 'UserRegistered', {
    userId: anna,
    chatId: anna,
    username: 'anna_shop',
    firstName: 'Anna',
    language: 'ru',
    referrerId: null,
  });
  await w.append(`credits-${anna}`, 'FreeCreditsGranted', { userId: anna, amount: 2 });
  const job1 = await w.orderedJob(anna);
  await w.generated(anna, job1, 3);
  await w.delivered(anna, job1);

  const job2 = await w.orderedJob(anna, 'bytedance/seedance-1.5-pro');
  await w.append(`job-${job2}`, 'GenerationAttemptFailed', {
    userId: anna,
    jobId: job2,
    attempt: 1,
    model: 'bytedance/seedance-1.5-pro',
    errorClass: 'TEMPORARY',
    code: '500',
    message: 'internal error',
    retryAt: new Date().toISOString(),
  });
  await w.append(`job-${job2}`, 'GenerationFailed', {
    userId: anna,
    jobId: job2,
    errorClass: 'USER_VIOLATION',
    code: '400',
    message: 'people in the photo',
    attempts: 2,
  });
  await w.append(`credits-${anna}`, 'CreditRefunded', {
    userId: anna,
    jobId: job2,
    amount: 1,
    reason: 'generation_failed',
  });

  w.at(2);
  await w.append(`user-${boris}`, 'UserRegistered', {
    userId: boris,
    chatId: boris,
    username: null,
    firstName: 'Boris',
    language: 'en',
    referrerId: anna,
  });
  await w.append(`credits-${boris}`, 'FreeCreditsGranted', { userId: boris, amount: 2 });
  const job3 = await w.orderedJob(boris);
  await w.generated(boris, job3, 5);
  await w.delivered(boris, job3);
  await w.append(`credits-${anna}`, 'ReferralBonusGranted', {
    userId: anna,
    referredUserId: boris,
    amount: 1,
  });

  w.at(3);
  await w.append(`user-${clara}`, 'UserRegistered', {
    userId: clara,
    chatId: clara,
    username: 'clara',
    firstName: 'Clara',
    language: 'ru',
    referrerId: anna,
  });
  const [rejected] = orderRequests({ userId: clara, size: 1, cost: 3 });
  if (!rejected) throw new Error('no request');
  await w.append(`job-${rejected.data.jobId}`, 'GenerationRequested', rejected.data);
  await w.append(`credits-${clara}`, 'CreditReservationRejected', {
    userId: clara,
    jobId: rejected.data.jobId,
    orderId: rejected.data.orderId,
    needed: 3,
    available: 0,
  });
  await w.append(`user-${dmitri}`, 'UserRegistered', {
    userId: dmitri,
    chatId: dmitri,
    username: 'dm',
    firstName: 'Dmitri',
    language: 'en',
    referrerId: null,
  });
  await w.append(`user-${dmitri}`, 'UserBanned', { userId: dmitri, adminId: 900, reason: 'spam' });
  return { jobs: [job1, job2, job3, rejected.data.jobId] };
}

/** The second part: a payment and its refund, a timeout with a late free delivery, a delivery failure. */
export async function laterWeeks(w: ScenarioWriter): Promise<{ jobs: string[]; chargeId: string }> {
  const { anna, boris } = sellers;
  w.at(9);
  const chargeId = `charge-${randomUUID()}`;
  await w.append(`payment-${chargeId}`, 'PaymentReceived', {
    userId: boris,
    chargeId,
    stars: 250,
    payload: 'p5',
  });
  await w.append(`credits-${boris}`, 'CreditsPurchased', {
    userId: boris,
    chargeId,
    packageId: 'p5',
    stars: 250,
    credits: 5,
  });
  const job4 = await w.orderedJob(boris, 'wan/2-6-image-to-video');
  await w.append(`job-${job4}`, 'PromptPrepared', {
    userId: boris,
    jobId: job4,
    prompt: 'A lamp',
    source: 'fallback',
  });
  await w.append(`job-${job4}`, 'GenerationSubmitted', {
    userId: boris,
    jobId: job4,
    attempt: 1,
    model: 'wan/2-6-image-to-video',
    taskId: 'task-slow',
    keyId: 'k1',
  });
  await w.append(
    `credits-${boris}`,
    'CreditRefunded',
    { userId: boris, jobId: job4, amount: 1, reason: 'timeout' },
    31,
  );
  await w.append(`job-${job4}`, 'VideoReady', {
    userId: boris,
    jobId: job4,
    videoUrl: 'https://files.example/late.mp4',
    model: 'wan/2-6-image-to-video',
    taskId: 'task-slow',
  });
  await w.append(`job-${job4}`, 'VideoDelivered', {
    userId: boris,
    jobId: job4,
    messageId: 11,
    bytes: 900_000,
    sentAs: 'document',
  });
  await w.append(`credits-${boris}`, 'CreditCaptureWaived', {
    userId: boris,
    jobId: job4,
    reason: 'reservation_expired',
  });

  w.at(15);
  await w.append(`user-${anna}`, 'LanguageChanged', { userId: anna, language: 'en' });
  const job5 = await w.orderedJob(anna);
  await w.generated(anna, job5, 2);
  await w.append(`job-${job5}`, 'DeliveryAttemptFailed', {
    userId: anna,
    jobId: job5,
    attempt: 1,
    errorClass: 'TEMPORARY',
    reason: '502 Bad Gateway',
    retryAt: new Date().toISOString(),
  });
  await w.append(`job-${job5}`, 'DeliveryFailed', {
    userId: anna,
    jobId: job5,
    errorClass: 'BLOCKED',
    reason: 'bot was blocked by the user',
    attempts: 2,
  });
  await w.append(`credits-${anna}`, 'CreditRefunded', {
    userId: anna,
    jobId: job5,
    amount: 1,
    reason: 'delivery_failed',
  });

  w.at(16);
  await w.append(`payment-${chargeId}`, 'PaymentRefundRequested', { userId: boris, chargeId, adminId: 900 });
  await w.append(`credits-${boris}`, 'PaymentRefunded', {
    userId: boris,
    chargeId,
    stars: 250,
    credits: 5,
    adminId: 900,
  });
  return { jobs: [job4, job5], chargeId };
}

/** A stored event of a type this build does not know (written by a newer service, say). */
export async function storeUnknownEvent(pool: Pool): Promise<string> {
  const eventId = randomUUID();
  await pool.query(
    `INSERT INTO es.events (stream_id, stream_version, event_id, type, schema_version, data, correlation_id, occurred_at)
     VALUES ($1, 1, $2, 'CouponRedeemed', 1, '{"code":"X"}', 'x', now())`,
    [`coupon-${eventId}`, eventId],
  );
  return eventId;
}

/** Every row of every rm table, in key order, as JSON text: two read models are equal iff these are. */
export async function snapshotReadModels(pool: Pool): Promise<Record<string, string[]>> {
  const tables: Record<string, string> = {
    users: 'user_id',
    user_activity: 'user_id, day',
    jobs: 'job_id',
    job_errors: 'event_id',
    credit_ledger: 'event_id',
    payments: 'charge_id',
    skipped_events: 'projection, event_id',
  };
  const snapshot: Record<string, string[]> = {};
  for (const [table, key] of Object.entries(tables)) {
    const columns = table === 'skipped_events' ? 'projection, event_id, type, reason' : '*';
    const { rows } = await pool.query<{ row: string }>(
      `SELECT row_to_json(t)::text AS row FROM (SELECT ${columns} FROM rm.${table} ORDER BY ${key}) t`,
    );
    snapshot[table] = rows.map((r) => r.row);
  }
  return snapshot;
}

/**
 * Steps every projection (small batches, to cross batch boundaries) until each has applied every stored
 * event. A transaction elsewhere in the cluster can hide the newest events for a moment, hence the wait.
 */
export async function catchUp(deps: { pool: Pool; store: EventStore; logger: Logger }, batchSize = 7) {
  // One runner for all projections, as the projector runs them.
  const runners = [new ProjectionRunner(projections, deps, { batchSize })];
  await waitFor(
    'every projection to apply every stored event',
    async () => {
      for (const runner of runners) while ((await runner.step()) > 0) {}
      const lags = await projectionLags(
        deps.pool,
        runners.flatMap((runner) => runner.checkpointNames),
      );
      return lags.every((lag) => lag.events === 0);
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  );
}
