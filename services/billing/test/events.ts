import { type AnyNewEvent, type DomainEvent, type EventEnvelope, newEvent } from '@neurocards/contracts';
import { orderRequests } from '@neurocards/runtime/testing';

// Builders of the events billing reacts to, stored with versions as the store would give them.

let version = 0;

export function stored<T extends DomainEvent['type']>(
  event: AnyNewEvent,
  streamId = 'test',
): EventEnvelope<T> {
  version += 1;
  return { ...event, streamId, streamVersion: version } as EventEnvelope<T>;
}

export function registered(userId: number, referrerId: number | null = null) {
  return stored<'UserRegistered'>(
    newEvent(
      'UserRegistered',
      { userId, chatId: userId, username: null, firstName: `Seller ${userId}`, language: 'ru', referrerId },
      { correlationId: `user-${userId}` },
    ),
  );
}

/** The GenerationRequested events of one order of `size` videos. */
export function order(userId: number, size: number, cost = 1) {
  return orderRequests({ userId, size, cost, language: 'ru' }).map((event) =>
    stored<'GenerationRequested'>(event),
  );
}

export function delivered(userId: number, jobId: string) {
  return stored<'VideoDelivered'>(
    newEvent(
      'VideoDelivered',
      { userId, jobId, messageId: 1, bytes: 1000, sentAs: 'video' },
      { correlationId: jobId },
    ),
  );
}

export function generationFailed(userId: number, jobId: string) {
  return stored<'GenerationFailed'>(
    newEvent(
      'GenerationFailed',
      {
        userId,
        jobId,
        errorClass: 'USER_VIOLATION',
        code: '501',
        message: 'people in the photo',
        attempts: 1,
      },
      { correlationId: jobId },
    ),
  );
}

export function deliveryFailed(userId: number, jobId: string) {
  return stored<'DeliveryFailed'>(
    newEvent(
      'DeliveryFailed',
      { userId, jobId, errorClass: 'BLOCKED', reason: 'blocked', attempts: 1 },
      { correlationId: jobId },
    ),
  );
}

export function paymentReceived(userId: number, chargeId: string, stars: number, payload: string) {
  return stored<'PaymentReceived'>(
    newEvent(
      'PaymentReceived',
      { userId, chargeId, stars, payload },
      { correlationId: `payment-${chargeId}` },
    ),
  );
}

export function paymentRefundRequested(userId: number, chargeId: string, adminId = 900) {
  return stored<'PaymentRefundRequested'>(
    newEvent(
      'PaymentRefundRequested',
      { userId, chargeId, adminId },
      { correlationId: `payment-${chargeId}` },
    ),
  );
}

export function grantRequested(userId: number, amount: number, adminId = 900) {
  return stored<'CreditsGrantRequested'>(
    newEvent(
      'CreditsGrantRequested',
      { userId, adminId, amount, reason: 'goodwill' },
      { correlationId: `user-${userId}` },
    ),
  );
}
