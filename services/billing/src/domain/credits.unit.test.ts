import { randomUUID } from 'node:crypto';
import { type AnyNewEvent, type DomainEvent, type EventEnvelope, newEvent } from '@neurocards/contracts';
import { describe, expect, it } from 'vitest';
import {
  availableCredits,
  captureCredits,
  evolveCredits,
  grantFreeCredits,
  initialCredits,
  refundCredits,
  reserveCredits,
} from './credits.js';

const userId = 42;
let version = 0;

function stored<E extends AnyNewEvent>(event: E): DomainEvent {
  version += 1;
  return { ...event, streamId: `credits-${userId}`, streamVersion: version } as DomainEvent;
}

/** given(events).when(decide) → the new events, over the real evolve. */
function given(...events: AnyNewEvent[]) {
  const state = events.map(stored).reduce(evolveCredits, initialCredits());
  return { state, when: <T>(decide: (s: typeof state) => T) => decide(state) };
}

const registered = stored(
  newEvent(
    'UserRegistered',
    { userId, chatId: userId, username: 'seller', firstName: 'Ann', language: 'ru', referrerId: null },
    { correlationId: `user-${userId}` },
  ),
) as EventEnvelope<'UserRegistered'>;

function requested(cost = 1): EventEnvelope<'GenerationRequested'> {
  const jobId = randomUUID();
  return stored(
    newEvent(
      'GenerationRequested',
      {
        jobId,
        orderId: randomUUID(),
        userId,
        chatId: userId,
        language: 'ru',
        photo: { fileId: 'f', fileUniqueId: 'u' },
        product: 'mug',
        templateId: 'studio',
        wishes: null,
        model: 'kling-2.6/image-to-video',
        cost,
      },
      { correlationId: jobId },
    ),
  ) as EventEnvelope<'GenerationRequested'>;
}

function jobEvent<T extends 'VideoDelivered' | 'DeliveryFailed' | 'GenerationFailed'>(
  type: T,
  jobId: string,
): EventEnvelope<T> {
  const data = {
    VideoDelivered: { jobId, userId, messageId: 10, bytes: 100, sentAs: 'video' },
    DeliveryFailed: { jobId, userId, errorClass: 'BLOCKED', reason: 'blocked', attempts: 1 },
    GenerationFailed: {
      jobId,
      userId,
      errorClass: 'USER_VIOLATION',
      code: '501',
      message: 'people',
      attempts: 1,
    },
  }[type];
  // biome-ignore lint/suspicious/noExplicitAny: test fixture spanning three event types
  return stored(newEvent(type, data as any, { correlationId: jobId }) as AnyNewEvent) as EventEnvelope<T>;
}

const now = new Date('2026-11-20T10:00:00Z');

describe('credits', () => {
  it('grants free credits once', () => {
    const [grant] = given().when((s) => grantFreeCredits(s, registered, 2));
    expect(grant).toMatchObject({ type: 'FreeCreditsGranted', data: { userId, amount: 2 } });
    expect(given(grant as AnyNewEvent).when((s) => grantFreeCredits(s, registered, 2))).toEqual([]);
  });

  it('reserves the cost with an expiry when the balance covers it', () => {
    const [grant] = given().when((s) => grantFreeCredits(s, registered, 2));
    const request = requested(2);
    const [reserved] = given(grant as AnyNewEvent).when((s) =>
      reserveCredits(s, request, { now, reservationTtlMs: 60_000, freeCredits: 0 }),
    );
    expect(reserved).toMatchObject({
      type: 'CreditReserved',
      causationId: request.eventId,
      correlationId: request.data.jobId,
      data: { jobId: request.data.jobId, amount: 2, expiresAt: '2026-11-20T10:01:00.000Z' },
    });
  });

  it('rejects a request the balance does not cover, saying what is needed and available', () => {
    const [grant] = given().when((s) => grantFreeCredits(s, registered, 1));
    const [rejected] = given(grant as AnyNewEvent).when((s) =>
      reserveCredits(s, requested(2), { now, reservationTtlMs: 60_000, freeCredits: 0 }),
    );
    expect(rejected).toMatchObject({ type: 'CreditReservationRejected', data: { needed: 2, available: 1 } });
  });

  it('grants missing free credits first when the order arrives before the registration', () => {
    const request = requested(1);
    const events = given().when((s) =>
      reserveCredits(s, request, { now, reservationTtlMs: 60_000, freeCredits: 2 }),
    );
    expect(events.map((e) => e.type)).toEqual(['FreeCreditsGranted', 'CreditReserved']);
    const after = given(...events);
    expect(availableCredits(after.state)).toBe(1);
    expect(after.when((s) => grantFreeCredits(s, registered, 2))).toEqual([]); // the registration is a no-op now
  });

  it('does not reserve the same job twice', () => {
    const [grant] = given().when((s) => grantFreeCredits(s, registered, 5));
    const request = requested();
    const [reserved] = given(grant as AnyNewEvent).when((s) =>
      reserveCredits(s, request, { now, reservationTtlMs: 60_000, freeCredits: 0 }),
    );
    const again = given(grant as AnyNewEvent, reserved as AnyNewEvent).when((s) =>
      reserveCredits(s, request, { now, reservationTtlMs: 60_000, freeCredits: 0 }),
    );
    expect(again).toEqual([]);
  });

  it('captures on delivery and refunds on failure, each exactly once, and never both', () => {
    const [grant] = given().when((s) => grantFreeCredits(s, registered, 2));
    const request = requested();
    const [reserved] = given(grant as AnyNewEvent).when((s) =>
      reserveCredits(s, request, { now, reservationTtlMs: 60_000, freeCredits: 0 }),
    );
    const history = [grant, reserved] as AnyNewEvent[];
    expect(given(...history).state).toSatisfy(
      (s: ReturnType<typeof initialCredits>) => availableCredits(s) === 1,
    );

    const delivered = jobEvent('VideoDelivered', request.data.jobId);
    const [captured] = given(...history).when((s) => captureCredits(s, delivered));
    expect(captured).toMatchObject({ type: 'CreditCaptured', data: { amount: 1 } });

    const after = [...history, captured as AnyNewEvent];
    expect(availableCredits(given(...after).state)).toBe(1);
    expect(given(...after).when((s) => captureCredits(s, delivered))).toEqual([]);
    expect(
      given(...after).when((s) => refundCredits(s, jobEvent('DeliveryFailed', request.data.jobId))),
    ).toEqual([]);
  });

  it('refunds with the reason of the failure and restores the balance', () => {
    const [grant] = given().when((s) => grantFreeCredits(s, registered, 1));
    const request = requested();
    const [reserved] = given(grant as AnyNewEvent).when((s) =>
      reserveCredits(s, request, { now, reservationTtlMs: 60_000, freeCredits: 0 }),
    );
    const [refund] = given(grant as AnyNewEvent, reserved as AnyNewEvent).when((s) =>
      refundCredits(s, jobEvent('GenerationFailed', request.data.jobId)),
    );
    expect(refund).toMatchObject({
      type: 'CreditRefunded',
      data: { amount: 1, reason: 'generation_failed' },
    });
    expect(
      availableCredits(given(grant as AnyNewEvent, reserved as AnyNewEvent, refund as AnyNewEvent).state),
    ).toBe(1);
  });
});
