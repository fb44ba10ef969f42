import {
  type AnyNewEvent,
  type CreditsState,
  type DomainEvent,
  evolveCredits,
  initialCredits,
  invoicePayload,
  newEvent,
  parseCreditPackages,
} from '@neurocards/contracts';
import fc from 'fast-check';
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
} from '../../test/events.js';
import { checkCreditInvariants } from '../../test/invariants.js';
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

// Random sequences of requests, deliveries, failures, payments, refunds, grants, expiries, duplicates and
// reorderings against one user's credit stream, with every credit invariant of DESIGN §5 checked after
// each step from the raw events, not from the state under test.

const seller = 7;
const packages = parseCreditPackages('p5:5:250,p15:15:690');
const ttlMs = 30 * 60_000;

/** One user's credit stream with the store's rules: versions, and re-appended ids are a no-op. */
class CreditStream {
  readonly events: DomainEvent[] = [];
  state: CreditsState = initialCredits();
  private readonly ids = new Set<string>();

  append(batch: AnyNewEvent[]): void {
    const stored = batch.filter((event) => this.ids.has(event.eventId)).length;
    if (stored === batch.length) return; // already stored (or nothing to append)
    if (stored > 0) throw new Error('a batch mixed stored and new events');
    for (const event of batch) {
      const envelope = {
        ...event,
        streamId: `credits-${seller}`,
        streamVersion: this.events.length + 1,
      } as DomainEvent;
      this.ids.add(event.eventId);
      this.events.push(envelope);
      this.state = evolveCredits(this.state, envelope);
    }
  }
}

type Command =
  | { kind: 'register' }
  | { kind: 'order'; size: 1 | 2 | 3 | 5; cost: 1 | 2 }
  | { kind: 'request'; pick: number }
  | { kind: 'deliver' | 'generationFails' | 'deliveryFails'; pick: number }
  | { kind: 'pay'; pack: number; pick: number; fresh: boolean }
  | { kind: 'refundPayment'; pick: number }
  | { kind: 'grant'; amount: number }
  | { kind: 'tick'; minutes: number }
  | { kind: 'replay'; pick: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.constant({ kind: 'register' as const }),
  fc.record({
    kind: fc.constant('order' as const),
    size: fc.constantFrom(1, 2, 3, 5),
    cost: fc.constantFrom(1, 2),
  }),
  fc.record({ kind: fc.constant('request' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constantFrom('deliver', 'generationFails', 'deliveryFails'), pick: fc.nat() }),
  fc.record({ kind: fc.constant('pay' as const), pack: fc.nat(1), pick: fc.nat(), fresh: fc.boolean() }),
  fc.record({ kind: fc.constant('refundPayment' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('grant' as const), amount: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('tick' as const), minutes: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }),
) as fc.Arbitrary<Command>;

function pickFrom<T>(items: readonly T[], pick: number): T | undefined {
  return items.length === 0 ? undefined : items[pick % items.length];
}

/** Runs the commands; every decision is also remembered so `replay` can deliver its cause again. */
function simulate(
  commands: readonly Command[],
  check: (stream: CreditStream, orders: ReadonlyMap<string, readonly string[]>) => void,
): CreditStream {
  const stream = new CreditStream();
  const requests: ReturnType<typeof order>[number][] = [];
  const orders = new Map<string, readonly string[]>();
  const charges: string[] = [];
  const decisions: Array<(state: CreditsState, now: Date) => AnyNewEvent[]> = [];
  let now = new Date('2026-11-20T10:00:00Z');
  let chargeCount = 0;

  const run = (decide: (state: CreditsState, now: Date) => AnyNewEvent[]) => {
    decisions.push(decide);
    stream.append(decide(stream.state, now));
  };
  const sweep = () => {
    for (const jobId of [...stream.state.reservations.keys()]) {
      stream.append(expireReservation(stream.state, seller, jobId, now));
    }
  };

  for (const cmd of commands) {
    switch (cmd.kind) {
      case 'register':
        run((state) => grantFreeCredits(state, registered(seller), 2));
        break;
      case 'order':
        {
          const jobs = order(seller, cmd.size, cmd.cost);
          requests.push(...jobs);
          orders.set(jobs[0]?.data.orderId ?? '', jobs[0]?.data.orderJobIds ?? []);
        }
        break;
      case 'request': {
        const request = pickFrom(requests, cmd.pick);
        if (request)
          run((state, at) =>
            reserveOrder(state, request, { now: at, reservationTtlMs: ttlMs, freeCredits: 2 }),
          );
        break;
      }
      case 'deliver':
      case 'generationFails':
      case 'deliveryFails': {
        const jobId = pickFrom(requests, cmd.pick)?.data.jobId;
        if (!jobId) break;
        if (cmd.kind === 'deliver') run((state) => captureCredits(state, delivered(seller, jobId)));
        else if (cmd.kind === 'generationFails')
          run((state) => refundCredits(state, generationFailed(seller, jobId)));
        else run((state) => refundCredits(state, deliveryFailed(seller, jobId)));
        break;
      }
      case 'pay': {
        const pack = packages[cmd.pack] ?? packages[0];
        const chargeId =
          cmd.fresh || charges.length === 0 ? `charge-${++chargeCount}` : pickFrom(charges, cmd.pick);
        if (!pack || !chargeId) break;
        if (!charges.includes(chargeId)) charges.push(chargeId);
        const payment = paymentReceived(seller, chargeId, pack.stars, invoicePayload(pack));
        run((state) => purchaseCredits(state, payment, packages));
        break;
      }
      case 'refundPayment': {
        const chargeId = pickFrom(charges, cmd.pick) ?? 'unknown-charge';
        run((state) => refundPayment(state, paymentRefundRequested(seller, chargeId)));
        break;
      }
      case 'grant':
        run((state) => grantCredits(state, grantRequested(seller, cmd.amount)));
        break;
      case 'tick':
        now = new Date(now.getTime() + cmd.minutes * 60_000);
        sweep();
        break;
      case 'replay': {
        const decide = pickFrom(decisions, cmd.pick);
        if (decide) stream.append(decide(stream.state, now));
        break;
      }
    }
    check(stream, orders);
  }
  now = new Date(now.getTime() + 2 * ttlMs);
  sweep();
  check(stream, orders);
  return stream;
}

describe('credit invariants under random histories', () => {
  it('hold after every step, and every reservation ends captured or refunded', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 80 }), (commands) => {
        const stream = simulate(commands, (current, orders) => checkCreditInvariants(current.events, orders));
        expect(stream.state.reservations.size).toBe(0);
        const reservations = stream.events.filter((e) => e.type === 'CreditReserved').length;
        const settlements = stream.events.filter(
          (e) => e.type === 'CreditCaptured' || e.type === 'CreditRefunded',
        ).length;
        expect(settlements).toBe(reservations);
      }),
      { numRuns: 400 },
    );
  });

  it('would notice a second settlement of one job (the checker itself can fail)', () => {
    const orders = new Map<string, readonly string[]>();
    const stream = simulate(
      [
        { kind: 'register' },
        { kind: 'order', size: 1, cost: 1 },
        { kind: 'request', pick: 0 },
        { kind: 'deliver', pick: 0 },
      ],
      (_stream, known) => {
        for (const [id, jobs] of known) orders.set(id, jobs);
      },
    );
    expect(() => checkCreditInvariants(stream.events, orders)).not.toThrow();
    const captured = stream.events.find((e) => e.type === 'CreditCaptured');
    if (captured?.type !== 'CreditCaptured') throw new Error('expected a capture');
    const { userId, jobId, amount } = captured.data;
    // A refund with an id of its own, as a buggy decision might append after the capture.
    stream.append([
      newEvent(
        'CreditRefunded',
        { userId, jobId, amount, reason: 'delivery_failed' },
        { correlationId: jobId },
      ),
    ]);
    expect(() => checkCreditInvariants(stream.events, orders)).toThrow(/without an active reservation/);
  });
});
