import type { AnyNewEvent, DomainEvent } from '@neurocards/contracts';
import {
  availableCredits,
  type CreditsState,
  evolveCredits,
  initialCredits,
  invoicePayload,
  parseCreditPackages,
} from '@neurocards/contracts';
import { describe, expect, it } from 'vitest';
import {
  delivered,
  deliveryFailed,
  generationFailed,
  grantRequested,
  order,
  paymentReceived,
  paymentRefundRequested,
  registered,
  stored,
} from '../../test/events.js';
import {
  captureCredits,
  expireReservation,
  grantCredits,
  grantFreeCredits,
  purchaseCredits,
  refundCredits,
  refundPayment,
  reserveOrder,
} from './credits-decisions.js';

const seller = 42;
const now = new Date('2026-11-20T10:00:00Z');
const ttl = { now, reservationTtlMs: 60_000, freeCredits: 0 };
const packages = parseCreditPackages('p5:5:250,p15:15:690');

/** given(history).when(decide) → { events, then }: the decision over the real evolve. */
function given(...history: AnyNewEvent[]) {
  const state = history.map((event) => stored(event) as DomainEvent).reduce(evolveCredits, initialCredits());
  return {
    state,
    when(decide: (state: CreditsState) => AnyNewEvent[]) {
      const events = decide(state);
      return {
        events,
        after: [...history, ...events],
        thenAppends: (...types: string[]) => expect(events.map((event) => event.type)).toEqual(types),
      };
    },
  };
}

const free = (amount = 2) => given().when((s) => grantFreeCredits(s, registered(seller), amount)).events;

describe('free credits', () => {
  it('are granted once per user', () => {
    given()
      .when((s) => grantFreeCredits(s, registered(seller), 2))
      .thenAppends('FreeCreditsGranted');
    given(...free())
      .when((s) => grantFreeCredits(s, registered(seller), 2))
      .thenAppends();
  });

  it('arrive with the first order when it is seen before the registration', () => {
    const [first] = order(seller, 1);
    const result = given().when((s) => reserveOrder(s, first!, { ...ttl, freeCredits: 2 }));
    result.thenAppends('FreeCreditsGranted', 'CreditReserved');
    expect(availableCredits(given(...result.after).state)).toBe(1);
    given(...result.after)
      .when((s) => grantFreeCredits(s, registered(seller), 2))
      .thenAppends();
  });
});

describe('orders', () => {
  it('reserve every job of the order with an expiry when the balance covers it', () => {
    const jobs = order(seller, 2);
    const result = given(...free(2)).when((s) => reserveOrder(s, jobs[0]!, ttl));
    result.thenAppends('CreditReserved', 'CreditReserved');
    expect(result.events.map((e) => e.data)).toEqual(
      jobs.map((job) =>
        expect.objectContaining({ jobId: job.data.jobId, amount: 1, expiresAt: '2026-11-20T10:01:00.000Z' }),
      ),
    );
    expect(result.events.map((e) => e.correlationId)).toEqual(jobs.map((job) => job.data.jobId));
    expect(availableCredits(given(...result.after).state)).toBe(0);
  });

  it('reject the whole order when the balance covers only part of it, saying what is needed', () => {
    const jobs = order(seller, 3);
    const result = given(...free(2)).when((s) => reserveOrder(s, jobs[1]!, ttl));
    result.thenAppends('CreditReservationRejected', 'CreditReservationRejected', 'CreditReservationRejected');
    expect(result.events[0]?.data).toMatchObject({ needed: 3, available: 2 });
    expect(availableCredits(given(...result.after).state)).toBe(2);
  });

  it('are decided once, whichever of their jobs arrives first or again', () => {
    const jobs = order(seller, 2);
    const first = given(...free(2)).when((s) => reserveOrder(s, jobs[1]!, ttl));
    for (const job of jobs)
      given(...first.after)
        .when((s) => reserveOrder(s, job, ttl))
        .thenAppends();
  });
});

describe('capture and refund', () => {
  const [job] = order(seller, 1);
  const jobId = job!.data.jobId;
  const reserved = given(...free(1)).when((s) => reserveOrder(s, job!, ttl)).after;

  it('capture on delivery, once', () => {
    const captured = given(...reserved).when((s) => captureCredits(s, delivered(seller, jobId)));
    captured.thenAppends('CreditCaptured');
    given(...captured.after)
      .when((s) => captureCredits(s, delivered(seller, jobId)))
      .thenAppends();
    given(...captured.after)
      .when((s) => refundCredits(s, deliveryFailed(seller, jobId)))
      .thenAppends();
    expect(availableCredits(given(...captured.after).state)).toBe(0);
  });

  it('refund on a final failure with its reason, once, and never capture afterwards', () => {
    const refunded = given(...reserved).when((s) => refundCredits(s, generationFailed(seller, jobId)));
    refunded.thenAppends('CreditRefunded');
    expect(refunded.events[0]?.data).toMatchObject({ amount: 1, reason: 'generation_failed' });
    given(...refunded.after)
      .when((s) => refundCredits(s, deliveryFailed(seller, jobId)))
      .thenAppends();
    given(...refunded.after)
      .when((s) => captureCredits(s, delivered(seller, jobId)))
      .thenAppends();
    expect(availableCredits(given(...refunded.after).state)).toBe(1);
  });

  it('release an expired reservation, and a later delivery is free of charge and recorded', () => {
    given(...reserved)
      .when((s) => expireReservation(s, seller, jobId, now))
      .thenAppends();
    const later = new Date(now.getTime() + 60_000);
    const expired = given(...reserved).when((s) => expireReservation(s, seller, jobId, later));
    expired.thenAppends('CreditRefunded');
    expect(expired.events[0]?.data).toMatchObject({ reason: 'timeout' });
    const waived = given(...expired.after).when((s) => captureCredits(s, delivered(seller, jobId)));
    waived.thenAppends('CreditCaptureWaived');
    given(...waived.after)
      .when((s) => captureCredits(s, delivered(seller, jobId)))
      .thenAppends();
    expect(availableCredits(given(...waived.after).state)).toBe(1);
  });
});

describe('payments', () => {
  const pack = packages[0]!;
  const payment = paymentReceived(seller, 'charge-1', pack.stars, invoicePayload(pack));

  it('credit the package bought, once per charge id', () => {
    const bought = given().when((s) => purchaseCredits(s, payment, packages));
    bought.thenAppends('CreditsPurchased');
    expect(bought.events[0]?.data).toMatchObject({
      chargeId: 'charge-1',
      credits: 5,
      stars: 250,
      packageId: 'p5',
    });
    given(...bought.after)
      .when((s) => purchaseCredits(s, payment, packages))
      .thenAppends();
  });

  it('keep the terms invoiced even if the package list changed, and match foreign payloads by price', () => {
    const other = purchaseCredits(initialCredits(), payment, parseCreditPackages('p9:9:999'));
    expect(other[0]?.data).toMatchObject({ credits: 5, packageId: 'p5' });
    const byPrice = purchaseCredits(initialCredits(), paymentReceived(seller, 'c2', 690, 'legacy'), packages);
    expect(byPrice[0]?.data).toMatchObject({ credits: 15, packageId: 'p15' });
    expect(() => purchaseCredits(initialCredits(), paymentReceived(seller, 'c3', 1, 'x'), packages)).toThrow(
      /no package/,
    );
  });

  it('refund when the credits are unspent, and refuse with the reason otherwise', () => {
    const bought = given().when((s) => purchaseCredits(s, payment, packages)).after;
    const refund = given(...bought).when((s) => refundPayment(s, paymentRefundRequested(seller, 'charge-1')));
    refund.thenAppends('PaymentRefunded');
    expect(availableCredits(given(...refund.after).state)).toBe(0);
    const again = given(...refund.after).when((s) =>
      refundPayment(s, paymentRefundRequested(seller, 'charge-1')),
    );
    expect(again.events[0]?.data).toMatchObject({ reason: 'already_refunded' });

    const [job] = order(seller, 1, 3);
    const spent = given(...bought).when((s) => reserveOrder(s, job!, ttl)).after;
    const refused = given(...spent).when((s) => refundPayment(s, paymentRefundRequested(seller, 'charge-1')));
    refused.thenAppends('PaymentRefundRefused');
    expect(refused.events[0]?.data).toMatchObject({ reason: 'credits_spent', available: 2, needed: 5 });

    const unknown = given().when((s) => refundPayment(s, paymentRefundRequested(seller, 'nope')));
    expect(unknown.events[0]?.data).toMatchObject({ reason: 'unknown_payment' });
  });
});

describe('admin grants', () => {
  it('record the admin and the reason', () => {
    const grant = given().when((s) => grantCredits(s, grantRequested(seller, 3, 901)));
    grant.thenAppends('CreditsGranted');
    expect(grant.events[0]?.data).toEqual({ userId: seller, adminId: 901, amount: 3, reason: 'goodwill' });
  });
});
