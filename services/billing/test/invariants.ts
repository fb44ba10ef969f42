import type { DomainEvent } from '@neurocards/contracts';
import { availableCredits, foldCredits } from '@neurocards/contracts';
import { expect } from 'vitest';

/**
 * Every credit invariant of DESIGN §5 for one credit stream, recomputed from its raw events (not from the
 * state under test): balance never below zero at any point, one decision and at most one settlement per
 * job, settlements only of active reservations, orders reserved or rejected whole (for the orders given),
 * each charge credited and refunded at most once, free credits at most once.
 */
export function checkCreditInvariants(
  events: readonly DomainEvent[],
  orders: ReadonlyMap<string, readonly string[]> = new Map(),
): void {
  let credited = 0;
  let captured = 0;
  const reserved = new Map<string, number>();
  const settled = new Map<string, string>();
  const orderDecisions = new Map<string, Set<string>>();
  const purchased = new Set<string>();
  const refundedCharges = new Set<string>();
  const expired = new Set<string>();
  let freeGrants = 0;

  for (const event of events) {
    switch (event.type) {
      case 'FreeCreditsGranted':
        freeGrants++;
        credited += event.data.amount;
        break;
      case 'CreditsGranted':
      case 'ReferralBonusGranted':
        credited += event.data.amount;
        break;
      case 'CreditsPurchased':
        expect(purchased.has(event.data.chargeId), 'a charge credited twice').toBe(false);
        purchased.add(event.data.chargeId);
        credited += event.data.credits;
        break;
      case 'PaymentRefunded':
        expect(purchased.has(event.data.chargeId), 'a refund of an unknown payment').toBe(true);
        expect(refundedCharges.has(event.data.chargeId), 'a payment refunded twice').toBe(false);
        refundedCharges.add(event.data.chargeId);
        credited -= event.data.credits;
        break;
      case 'CreditReserved':
      case 'CreditReservationRejected': {
        const { jobId, orderId } = event.data;
        expect(reserved.has(jobId) || settled.has(jobId), 'a job decided twice').toBe(false);
        const kinds = orderDecisions.get(orderId) ?? new Set();
        orderDecisions.set(orderId, kinds.add(event.type));
        if (event.type === 'CreditReserved') reserved.set(jobId, event.data.amount);
        else settled.set(jobId, 'rejected');
        break;
      }
      case 'CreditCaptured':
      case 'CreditRefunded': {
        const { jobId } = event.data;
        expect(reserved.has(jobId), `${event.type} without an active reservation`).toBe(true);
        expect(event.data.amount).toBe(reserved.get(jobId));
        reserved.delete(jobId);
        settled.set(jobId, event.type);
        if (event.type === 'CreditCaptured') captured += event.data.amount;
        else if (event.data.reason === 'timeout') expired.add(event.data.jobId);
        break;
      }
      case 'CreditCaptureWaived':
        expect(expired.has(event.data.jobId), 'a waiver for a job that did not expire').toBe(true);
        break;
    }
    let active = 0;
    for (const amount of reserved.values()) active += amount;
    expect(credited - captured - active, 'balance below zero').toBeGreaterThanOrEqual(0);
  }

  let active = 0;
  for (const amount of reserved.values()) active += amount;
  const state = foldCredits(events);
  expect(availableCredits(state)).toBe(credited - captured - active);
  expect(freeGrants).toBeLessThanOrEqual(1);
  for (const kinds of orderDecisions.values()) expect(kinds.size, 'an order half reserved').toBe(1);
  for (const orderId of orderDecisions.keys()) {
    const jobs = orders.get(orderId);
    if (!jobs) continue; // the caller did not say which jobs the order has
    const decided = jobs.filter((jobId) => reserved.has(jobId) || settled.has(jobId));
    expect(decided.length, `order ${orderId} decided for only some of its jobs`).toBe(jobs.length);
  }
}
