import { availableCredits, type DomainEvent, foldCredits, reservedCredits } from '@neurocards/contracts';
import type { Pool } from 'pg';
import { expect } from 'vitest';
import { checkCreditInvariants } from '../../services/billing/test/invariants.js';

/** How one job ended, from the event store alone. */
export type Outcome =
  | 'rejected'
  | 'delivered'
  | 'generation_failed'
  | 'delivery_failed'
  | 'expired'
  | 'expired_delivered_free';

/** Every event of the given streams, grouped by stream, in stream order. */
export async function readStreams(
  pool: Pool,
  streamIds: readonly string[],
): Promise<Map<string, DomainEvent[]>> {
  const streams = new Map<string, DomainEvent[]>(streamIds.map((id) => [id, []]));
  const { rows } = await pool.query<{ stream_id: string; envelope: DomainEvent }>(
    `SELECT stream_id, jsonb_build_object(
        'eventId', event_id, 'type', type, 'schemaVersion', schema_version, 'streamId', stream_id,
        'streamVersion', stream_version, 'occurredAt', occurred_at, 'correlationId', correlation_id,
        'causationId', causation_id, 'data', data) AS envelope
     FROM es.events WHERE stream_id = ANY($1) ORDER BY stream_id, stream_version`,
    [streamIds],
  );
  for (const row of rows) streams.get(row.stream_id)?.push(row.envelope);
  return streams;
}

/** Jobs whose credit story has ended (rejected, captured or refunded), of the given ones. */
export async function settledJobs(pool: Pool, jobIds: readonly string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(DISTINCT data->>'jobId')::int AS n FROM es.events
     WHERE type IN ('CreditReservationRejected', 'CreditCaptured', 'CreditRefunded') AND data->>'jobId' = ANY($1)`,
    [jobIds],
  );
  return rows[0]?.n ?? 0;
}

const count = (events: readonly DomainEvent[], type: string) => events.filter((e) => e.type === type).length;

/**
 * The outcome of one job from its job stream and its user's credit stream, asserting on the way that it is
 * exactly one terminal state and that the two streams agree:
 * - rejected: no reservation, and nothing happened to the job after its request;
 * - delivered: one VideoReady, one VideoDelivered, one capture, no failure and no refund;
 * - generation_failed / delivery_failed: one final failure, one refund for that reason, no capture;
 * - expired: the sweeper refunded it (reason timeout); a video delivered later is waived, never charged.
 */
export function outcomeOf(
  jobId: string,
  job: readonly DomainEvent[],
  credits: readonly DomainEvent[],
): Outcome {
  const about = credits.filter((e) => (e.data as { jobId?: string }).jobId === jobId);
  const where = `job ${jobId}: ${job.map((e) => e.type).join(',')} | ${about.map((e) => e.type).join(',')}`;
  expect(count(job, 'GenerationRequested'), where).toBe(1);
  for (const type of ['VideoReady', 'GenerationFailed', 'VideoDelivered', 'DeliveryFailed'])
    expect(count(job, type), `${where}: ${type} twice`).toBeLessThanOrEqual(1);
  const reserved = count(about, 'CreditReserved');
  const rejected = count(about, 'CreditReservationRejected');
  expect(reserved + rejected, `${where}: decided ${reserved + rejected} times`).toBe(1);
  if (rejected) {
    expect(
      job.map((e) => e.type),
      where,
    ).toEqual(['GenerationRequested']);
    expect(
      about.map((e) => e.type),
      where,
    ).toEqual(['CreditReservationRejected']);
    return 'rejected';
  }

  const captures = about.filter((e) => e.type === 'CreditCaptured');
  const refunds = about.filter((e) => e.type === 'CreditRefunded');
  expect(
    captures.length + refunds.length,
    `${where}: settled ${captures.length + refunds.length} times`,
  ).toBe(1);
  const ready = count(job, 'VideoReady') === 1;
  const generationFailed = count(job, 'GenerationFailed') === 1;
  const delivered = count(job, 'VideoDelivered') === 1;
  const deliveryFailed = count(job, 'DeliveryFailed') === 1;
  expect(ready && generationFailed, `${where}: both a video and a final generation failure`).toBe(false);
  expect(delivered && deliveryFailed, `${where}: both delivered and failed delivery`).toBe(false);
  if (delivered || deliveryFailed) expect(ready, `${where}: a delivery outcome without a video`).toBe(true);

  const refund = refunds[0];
  if (refund?.type === 'CreditRefunded' && refund.data.reason === 'timeout') {
    if (!delivered) return 'expired';
    expect(count(about, 'CreditCaptureWaived'), `${where}: a late delivery not waived`).toBe(1);
    return 'expired_delivered_free';
  }
  expect(count(about, 'CreditCaptureWaived'), where).toBe(0);
  if (captures.length === 1) {
    expect(delivered && !generationFailed && !deliveryFailed, `${where}: captured but not delivered`).toBe(
      true,
    );
    return 'delivered';
  }
  const reason = refund?.type === 'CreditRefunded' ? refund.data.reason : undefined;
  if (generationFailed) {
    expect(reason, where).toBe('generation_failed');
    expect(ready || delivered, `${where}: refunded but delivered`).toBe(false);
    return 'generation_failed';
  }
  expect(deliveryFailed, `${where}: refunded (${reason}) without a final failure`).toBe(true);
  expect(reason, where).toBe('delivery_failed');
  return 'delivery_failed';
}

/** The rm.jobs status each outcome must show. */
export const expectedStatus: Record<Outcome, string> = {
  rejected: 'rejected',
  delivered: 'delivered',
  generation_failed: 'failed',
  delivery_failed: 'failed',
  expired: 'failed',
  expired_delivered_free: 'delivered',
};

/** DESIGN §5 on each credit stream: recomputed from raw events (billing's test invariants). */
export function checkCredits(
  credits: ReadonlyMap<string, readonly DomainEvent[]>,
  orders: ReadonlyMap<string, readonly string[]>,
): void {
  for (const events of credits.values()) checkCreditInvariants(events, orders);
}

/** Differences between rm.users and the fold of each user's ledger; empty when they agree. */
export async function balanceMismatches(
  pool: Pool,
  credits: ReadonlyMap<number, readonly DomainEvent[]>,
): Promise<string[]> {
  const { rows } = await pool.query<{ user_id: string; balance: number; reserved: number }>(
    'SELECT user_id::text, balance, reserved FROM rm.users WHERE user_id = ANY($1)',
    [[...credits.keys()]],
  );
  const byUser = new Map(rows.map((row) => [Number(row.user_id), row]));
  const wrong: string[] = [];
  for (const [userId, events] of credits) {
    const state = foldCredits(events);
    const want = { balance: availableCredits(state), reserved: reservedCredits(state) };
    const row = byUser.get(userId);
    if (!row || row.balance !== want.balance || row.reserved !== want.reserved)
      wrong.push(`user ${userId}: rm ${JSON.stringify(row ?? null)}, ledger ${JSON.stringify(want)}`);
  }
  return wrong;
}

/** Jobs whose rm.jobs status is not the one their outcome needs; empty when all agree. */
export async function statusMismatches(
  pool: Pool,
  outcomes: ReadonlyMap<string, Outcome>,
): Promise<string[]> {
  const { rows } = await pool.query<{ job_id: string; status: string }>(
    'SELECT job_id::text, status FROM rm.jobs WHERE job_id = ANY($1)',
    [[...outcomes.keys()]],
  );
  const byJob = new Map(rows.map((row) => [row.job_id, row.status]));
  const wrong: string[] = [];
  for (const [jobId, outcome] of outcomes) {
    const status = byJob.get(jobId);
    if (status !== expectedStatus[outcome])
      wrong.push(`job ${jobId}: rm ${status ?? 'missing'}, events ${outcome}`);
  }
  return wrong;
}
