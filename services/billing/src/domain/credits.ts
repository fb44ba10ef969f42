import {
  type AnyNewEvent,
  type DomainEvent,
  deterministicEventId,
  type EventEnvelope,
  newEvent,
} from '@neurocards/contracts';

// The credits of one user (stream `credits-<userId>`), as pure evolve and decide functions.
// Balance = everything credited − captured − active reservations (DESIGN §5).

export interface Reservation {
  amount: number;
  expiresAt: string;
}

export interface CreditsState {
  credited: number;
  captured: number;
  /** Active reservations by job id. */
  reservations: ReadonlyMap<string, Reservation>;
  /** Jobs whose reservation has ended (captured, refunded) or was rejected: never reserved again. */
  settledJobs: ReadonlySet<string>;
  freeCreditsGranted: boolean;
}

export const initialCredits = (): CreditsState => ({
  credited: 0,
  captured: 0,
  reservations: new Map(),
  settledJobs: new Set(),
  freeCreditsGranted: false,
});

export function reservedTotal(state: CreditsState): number {
  let total = 0;
  for (const reservation of state.reservations.values()) total += reservation.amount;
  return total;
}

/** Credits the user can spend now. */
export function availableCredits(state: CreditsState): number {
  return state.credited - state.captured - reservedTotal(state);
}

export function evolveCredits(state: CreditsState, event: DomainEvent): CreditsState {
  switch (event.type) {
    case 'FreeCreditsGranted':
      return { ...state, credited: state.credited + event.data.amount, freeCreditsGranted: true };
    case 'CreditsPurchased':
      return { ...state, credited: state.credited + event.data.credits };
    case 'CreditsGranted':
    case 'ReferralBonusGranted':
      return { ...state, credited: state.credited + event.data.amount };
    case 'PaymentRefunded':
      return { ...state, credited: state.credited - event.data.credits };
    case 'CreditReserved': {
      const reservations = new Map(state.reservations);
      reservations.set(event.data.jobId, { amount: event.data.amount, expiresAt: event.data.expiresAt });
      return { ...state, reservations };
    }
    case 'CreditCaptured':
      return settle({ ...state, captured: state.captured + event.data.amount }, event.data.jobId);
    case 'CreditRefunded':
    case 'CreditReservationRejected':
      return settle(state, event.data.jobId);
    default:
      return state;
  }
}

function settle(state: CreditsState, jobId: string): CreditsState {
  const reservations = new Map(state.reservations);
  reservations.delete(jobId);
  return { ...state, reservations, settledJobs: new Set(state.settledJobs).add(jobId) };
}

export const creditsModel = { initial: initialCredits, evolve: evolveCredits };

/**
 * FREE_CREDITS once per user, however often it is asked for. Billing asks on registration and again on an
 * order, since the two arrive on separate consumers in no fixed order: whichever comes first grants.
 */
export function grantFreeCredits(
  state: CreditsState,
  cause: EventEnvelope<'UserRegistered' | 'GenerationRequested'>,
  amount: number,
): AnyNewEvent[] {
  if (state.freeCreditsGranted || amount <= 0) return [];
  const { userId } = cause.data;
  return [
    newEvent(
      'FreeCreditsGranted',
      { userId, amount },
      { causedBy: cause, eventId: deterministicEventId('free-credits', userId) },
    ),
  ];
}

/**
 * Reserves the job's cost, or rejects it saying what was needed and what is available. A seller whose free
 * credits are not granted yet gets them first, in the same append.
 */
export function reserveCredits(
  state: CreditsState,
  cause: EventEnvelope<'GenerationRequested'>,
  options: { now: Date; reservationTtlMs: number; freeCredits: number },
): AnyNewEvent[] {
  const { jobId, orderId, userId, cost } = cause.data;
  if (state.reservations.has(jobId) || state.settledJobs.has(jobId)) return [];
  const grant = grantFreeCredits(state, cause, options.freeCredits);
  const available = availableCredits(state) + (grant.length > 0 ? options.freeCredits : 0);
  const eventId = deterministicEventId('reserve', jobId);
  if (available < cost) {
    return [
      ...grant,
      newEvent(
        'CreditReservationRejected',
        { userId, jobId, orderId, needed: cost, available },
        { causedBy: cause, eventId },
      ),
    ];
  }
  const expiresAt = new Date(options.now.getTime() + options.reservationTtlMs).toISOString();
  return [
    ...grant,
    newEvent(
      'CreditReserved',
      { userId, jobId, orderId, amount: cost, expiresAt },
      { causedBy: cause, eventId },
    ),
  ];
}

/** Captures the reservation of a delivered job; nothing if it was already settled. */
export function captureCredits(state: CreditsState, cause: EventEnvelope<'VideoDelivered'>): AnyNewEvent[] {
  const { jobId, userId } = cause.data;
  const reservation = state.reservations.get(jobId);
  if (!reservation) return [];
  return [
    newEvent(
      'CreditCaptured',
      { userId, jobId, amount: reservation.amount },
      { causedBy: cause, eventId: deterministicEventId('settle', jobId) },
    ),
  ];
}

/** Gives the reserved credits back after a final failure; nothing if the job was already settled. */
export function refundCredits(
  state: CreditsState,
  cause: EventEnvelope<'GenerationFailed' | 'DeliveryFailed'>,
): AnyNewEvent[] {
  const { jobId, userId } = cause.data;
  const reservation = state.reservations.get(jobId);
  if (!reservation) return [];
  const reason = cause.type === 'GenerationFailed' ? 'generation_failed' : 'delivery_failed';
  return [
    newEvent(
      'CreditRefunded',
      { userId, jobId, amount: reservation.amount, reason },
      // One settlement id per job: the store can never hold both a capture and a refund of it.
      { causedBy: cause, eventId: deterministicEventId('settle', jobId) },
    ),
  ];
}
