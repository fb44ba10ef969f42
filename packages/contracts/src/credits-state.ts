import type { DomainEvent } from './envelope.js';

// The credits of one user (stream `credits-<userId>`), folded from its events; billing decides with it, delivery shows the balance from it. Pure: no I/O, no clock.
// Balance (available) = everything credited − captured − active reservations (DESIGN §5).

export interface Reservation {
  orderId: string;
  amount: number;
  expiresAt: string;
}

export interface Purchase {
  stars: number;
  credits: number;
  refunded: boolean;
}

export interface CreditsState {
  /** Free, purchased, granted and referral credits, less refunded payments. */
  credited: number;
  captured: number;
  /** Active reservations by job id. */
  reservations: ReadonlyMap<string, Reservation>;
  /** Jobs whose credit story has ended: captured, refunded, rejected or waived. */
  settledJobs: ReadonlySet<string>;
  /** Jobs the sweeper released for running past their expiry. */
  expiredJobs: ReadonlySet<string>;
  /** Jobs delivered free of charge after their reservation had gone. */
  waivedJobs: ReadonlySet<string>;
  /** Orders already reserved or rejected as a whole. */
  decidedOrders: ReadonlySet<string>;
  /** Telegram Stars payments credited here, by telegram_payment_charge_id. */
  purchases: ReadonlyMap<string, Purchase>;
  freeCreditsGranted: boolean;
  capturedJobs: number;
  /** Invited users whose first video already earned this user a referral bonus. */
  referralBonusesFor: ReadonlySet<number>;
}

export const initialCredits = (): CreditsState => ({
  credited: 0,
  captured: 0,
  reservations: new Map(),
  settledJobs: new Set(),
  expiredJobs: new Set(),
  waivedJobs: new Set(),
  decidedOrders: new Set(),
  purchases: new Map(),
  freeCreditsGranted: false,
  capturedJobs: 0,
  referralBonusesFor: new Set(),
});

export function reservedCredits(state: CreditsState): number {
  let total = 0;
  for (const reservation of state.reservations.values()) total += reservation.amount;
  return total;
}

/** Credits the user can spend now; never below zero if only the decisions of this module wrote the stream. */
export function availableCredits(state: CreditsState): number {
  return state.credited - state.captured - reservedCredits(state);
}

export function evolveCredits(state: CreditsState, event: DomainEvent): CreditsState {
  switch (event.type) {
    case 'FreeCreditsGranted':
      return { ...state, credited: state.credited + event.data.amount, freeCreditsGranted: true };
    case 'CreditsGranted':
      return { ...state, credited: state.credited + event.data.amount };
    case 'ReferralBonusGranted':
      return {
        ...state,
        credited: state.credited + event.data.amount,
        referralBonusesFor: with_(state.referralBonusesFor, event.data.referredUserId),
      };
    case 'CreditsPurchased': {
      const { chargeId, stars, credits } = event.data;
      const purchases = new Map(state.purchases).set(chargeId, { stars, credits, refunded: false });
      return { ...state, credited: state.credited + credits, purchases };
    }
    case 'PaymentRefunded': {
      const purchase = state.purchases.get(event.data.chargeId);
      const purchases = new Map(state.purchases);
      if (purchase) purchases.set(event.data.chargeId, { ...purchase, refunded: true });
      return { ...state, credited: state.credited - event.data.credits, purchases };
    }
    case 'CreditReserved': {
      const { jobId, orderId, amount, expiresAt } = event.data;
      const reservations = new Map(state.reservations).set(jobId, { orderId, amount, expiresAt });
      return { ...state, reservations, decidedOrders: with_(state.decidedOrders, orderId) };
    }
    case 'CreditReservationRejected':
      return {
        ...settle(state, event.data.jobId),
        decidedOrders: with_(state.decidedOrders, event.data.orderId),
      };
    case 'CreditCaptured':
      return {
        ...settle(state, event.data.jobId),
        captured: state.captured + event.data.amount,
        capturedJobs: state.capturedJobs + 1,
      };
    case 'CreditRefunded': {
      const settled = settle(state, event.data.jobId);
      if (event.data.reason !== 'timeout') return settled;
      return { ...settled, expiredJobs: with_(state.expiredJobs, event.data.jobId) };
    }
    case 'CreditCaptureWaived':
      return { ...settle(state, event.data.jobId), waivedJobs: with_(state.waivedJobs, event.data.jobId) };
    default:
      return state;
  }
}

export const creditsModel = { initial: initialCredits, evolve: evolveCredits };

/** The credits of a whole `credits-<userId>` stream, folded. */
export function foldCredits(events: readonly DomainEvent[]): CreditsState {
  return events.reduce(evolveCredits, initialCredits());
}

function settle(state: CreditsState, jobId: string): CreditsState {
  const reservations = new Map(state.reservations);
  reservations.delete(jobId);
  return { ...state, reservations, settledJobs: with_(state.settledJobs, jobId) };
}

function with_<T>(set: ReadonlySet<T>, value: T): ReadonlySet<T> {
  return new Set(set).add(value);
}
