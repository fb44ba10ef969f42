import { randomUUID } from 'node:crypto';
import {
  type AnyNewEvent,
  type DomainEvent,
  type EventData,
  type EventType,
  newEvent,
} from '@neurocards/contracts';
import { asStored, orderRequests } from '@neurocards/runtime/testing';
import { describe, expect, it } from 'vitest';
import { evolveJob, type JobRow, jobErrorOf, withDurations } from './jobs.js';
import { movementOf, nextEntry } from './ledger.js';
import { earlier, isNewFor, later, watermark } from './position.js';
import { evolveUser, isSellerAction, usersOf } from './users.js';

const userId = 4_200_001;
let minute = 0;

function event<T extends EventType>(type: T, data: EventData<T>): DomainEvent {
  minute += 1;
  const occurredAt = new Date(Date.UTC(2026, 10, 2, 9, minute));
  return asStored(
    newEvent(type, data, { correlationId: 'c', occurredAt }) as AnyNewEvent,
    's',
    minute,
  ) as DomainEvent;
}

/** Folds events over a job, as the jobs projection does. */
function jobAfter(events: DomainEvent[]): JobRow | undefined {
  return events.reduce<JobRow | undefined>((job, e) => evolveJob(job, e), undefined);
}

describe('jobs', () => {
  const [request] = orderRequests({ userId });
  if (!request) throw new Error('no request');
  const { jobId, orderId } = request.data;
  const requested = asStored(
    { ...request, occurredAt: new Date(Date.UTC(2026, 10, 2, 9, 0)).toISOString() },
    `job-${jobId}`,
    1,
  ) as DomainEvent;
  const ref = { userId, jobId };
  const reserved = () =>
    event('CreditReserved', { ...ref, orderId, amount: 1, expiresAt: new Date().toISOString() });
  const submitted = () =>
    event('GenerationSubmitted', { ...ref, attempt: 1, model: 'm1', taskId: 't1', keyId: 'k' });
  const ready = () =>
    event('VideoReady', { ...ref, videoUrl: 'https://x.example/v.mp4', model: 'm1', taskId: 't1' });
  const delivered = () => event('VideoDelivered', { ...ref, messageId: 1, bytes: 10, sentAs: 'video' });
  const failed = () =>
    event('GenerationFailed', { ...ref, errorClass: 'UNKNOWN', code: 'x', message: 'boom', attempts: 3 });

  it('ignores anything about a job whose request it has not seen', () => {
    expect(jobAfter([reserved(), submitted()])).toBeUndefined();
  });

  it('follows the timeline and works out durations when written', () => {
    const job = withDurations(jobAfter([requested, reserved(), submitted(), ready(), delivered()]) as JobRow);
    expect(job.status).toBe('delivered');
    expect(job.generation_seconds).toBe(60);
    expect(job.delivery_seconds).toBe(60);
    expect(job.total_seconds).toBeGreaterThan(0);
  });

  it('never moves a delivered job back, and counts a final failure once', () => {
    const job = jobAfter([requested, reserved(), submitted(), ready(), delivered()]) as JobRow;
    const after = evolveJob(job, failed());
    expect(after?.status).toBe('delivered');
    expect(jobErrorOf(job, failed())).toBeUndefined();
    const running = jobAfter([requested, reserved(), submitted()]) as JobRow;
    expect(jobErrorOf(running, failed())).toMatchObject({ final: true, stage: 'generation', model: 'm1' });
  });

  it('shows a timed-out job as failed, then delivered when a late video reaches the seller for free', () => {
    const timedOut = jobAfter([
      requested,
      reserved(),
      submitted(),
      event('CreditRefunded', { ...ref, amount: 1, reason: 'timeout' }),
    ]) as JobRow;
    expect(timedOut).toMatchObject({ status: 'failed', error_class: 'TIMEOUT' });
    const late = jobAfter([
      requested,
      reserved(),
      submitted(),
      event('CreditRefunded', { ...ref, amount: 1, reason: 'timeout' }),
      ready(),
      delivered(),
    ]);
    expect(late).toMatchObject({ status: 'delivered', error_class: 'TIMEOUT', refund_reason: 'timeout' });
  });
});

describe('users', () => {
  it('counts a registration through a link for the referrer too', () => {
    const registered = event('UserRegistered', {
      userId,
      chatId: userId,
      username: null,
      firstName: 'A',
      language: 'ru',
      referrerId: 99,
    });
    expect(usersOf(registered)).toEqual([userId, 99]);
    expect(evolveUser(undefined, registered, 99).referrals).toBe(1);
    const seller = evolveUser(undefined, registered, userId);
    expect(seller).toMatchObject({ referrer_id: 99, referrals: 0, registered_at: registered.occurredAt });
    expect(isSellerAction(registered)).toBe(true);
  });

  it('moves credits between balance and reserved as billing does', () => {
    const jobId = randomUUID();
    const steps = [
      event('FreeCreditsGranted', { userId, amount: 2 }),
      event('CreditReserved', {
        userId,
        jobId,
        orderId: jobId,
        amount: 1,
        expiresAt: new Date().toISOString(),
      }),
      event('CreditCaptured', { userId, jobId, amount: 1 }),
    ];
    const user = steps.reduce(
      (row, e) => evolveUser(row, e, userId),
      evolveUser(undefined, steps[0] as DomainEvent, userId),
    );
    // The grant applied twice above (initial row, then the fold): 2 + 2 − 1.
    expect(user).toMatchObject({ balance: 3, reserved: 0, credits_spent: 1 });
    expect(isSellerAction(steps[0] as DomainEvent)).toBe(false);
  });
});

describe('ledger', () => {
  it('numbers entries per seller and carries the balances', () => {
    const grant = event('FreeCreditsGranted', { userId, amount: 2 });
    const jobId = randomUUID();
    const reserve = event('CreditReserved', {
      userId,
      jobId,
      orderId: jobId,
      amount: 1,
      expiresAt: new Date().toISOString(),
    });
    const position = { transactionId: 10n, globalPosition: 1n };
    const first = nextEntry(
      undefined,
      movementOf(grant) as NonNullable<ReturnType<typeof movementOf>>,
      grant,
      position,
    );
    const second = nextEntry(
      first,
      movementOf(reserve) as NonNullable<ReturnType<typeof movementOf>>,
      reserve,
      position,
    );
    expect([first.entry_no, first.balance_after, first.reserved_after]).toEqual([1, 2, 0]);
    expect([second.entry_no, second.kind, second.balance_after, second.reserved_after]).toEqual([
      2,
      'reserve',
      1,
      1,
    ]);
    expect(movementOf(event('LanguageChanged', { userId, language: 'en' }))).toBeUndefined();
  });
});

describe('positions', () => {
  it('order by transaction first: a lower position in a later transaction is newer', () => {
    const row = watermark({ transactionId: 100n, globalPosition: 50n });
    expect(isNewFor(row, { transactionId: 101n, globalPosition: 49n })).toBe(true);
    expect(isNewFor(row, { transactionId: 100n, globalPosition: 50n })).toBe(false);
    expect(isNewFor(row, { transactionId: 99n, globalPosition: 51n })).toBe(false);
    expect(isNewFor(undefined, { transactionId: 1n, globalPosition: 1n })).toBe(true);
  });

  it('compare event times and PostgreSQL times alike', () => {
    expect(later('2026-11-02T09:00:00.5+00:00', '2026-11-02T09:00:00.400Z')).toBe(
      '2026-11-02T09:00:00.5+00:00',
    );
    expect(earlier('2026-11-02T09:00:01.000Z', '2026-11-02T09:00:00.999Z')).toBe('2026-11-02T09:00:00.999Z');
    expect(later(null, '2026-11-02T09:00:00.000Z')).toBe('2026-11-02T09:00:00.000Z');
  });
});
