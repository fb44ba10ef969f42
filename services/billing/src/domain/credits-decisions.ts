import {
  type AnyNewEvent,
  availableCredits,
  type CreditPackage,
  type CreditsState,
  deterministicEventId,
  type EventEnvelope,
  newEvent,
  packageForPayment,
} from '@neurocards/contracts';

// What billing decides on one user's credit stream. Each function reads the folded state and returns the
// events to append (none when the decision was made before). Event ids are derived from what they settle,
// so a retried command appends the very same events, which the store ignores.

/** One settlement per job: the store can never hold both a capture and a refund of it. */
const settlementId = (jobId: string) => deterministicEventId('settle', jobId);

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
 * Reserves a whole order (every job of it) or rejects it whole, saying what was needed and what was
 * available: a seller never gets half an order because of a race. Missing free credits are granted first,
 * in the same append.
 */
export function reserveOrder(
  state: CreditsState,
  cause: EventEnvelope<'GenerationRequested'>,
  options: { now: Date; reservationTtlMs: number; freeCredits: number },
): AnyNewEvent[] {
  const { orderId, orderJobIds, userId, cost } = cause.data;
  if (state.decidedOrders.has(orderId) || orderJobIds.some((jobId) => state.settledJobs.has(jobId)))
    return [];
  const grant = grantFreeCredits(state, cause, options.freeCredits);
  const available = availableCredits(state) + (grant.length > 0 ? options.freeCredits : 0);
  const needed = cost * orderJobIds.length;
  const expiresAt = new Date(options.now.getTime() + options.reservationTtlMs).toISOString();
  const perJob = orderJobIds.map((jobId) => {
    const meta = { causedBy: cause, correlationId: jobId, eventId: deterministicEventId('reserve', jobId) };
    return available >= needed
      ? newEvent('CreditReserved', { userId, jobId, orderId, amount: cost, expiresAt }, meta)
      : newEvent('CreditReservationRejected', { userId, jobId, orderId, needed, available }, meta);
  });
  return [...grant, ...perJob];
}

/**
 * Captures the reservation of a delivered job. A job whose reservation the sweeper already released is
 * delivered free of charge, and that is recorded; anything else already settled is left alone.
 */
export function captureCredits(state: CreditsState, cause: EventEnvelope<'VideoDelivered'>): AnyNewEvent[] {
  const { jobId, userId } = cause.data;
  const reservation = state.reservations.get(jobId);
  if (reservation) {
    return [
      newEvent(
        'CreditCaptured',
        { userId, jobId, amount: reservation.amount },
        { causedBy: cause, eventId: settlementId(jobId) },
      ),
    ];
  }
  if (state.expiredJobs.has(jobId) && !state.waivedJobs.has(jobId)) {
    return [
      newEvent(
        'CreditCaptureWaived',
        { userId, jobId, reason: 'reservation_expired' },
        { causedBy: cause, eventId: deterministicEventId('waive', jobId) },
      ),
    ];
  }
  return [];
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
      { causedBy: cause, eventId: settlementId(jobId) },
    ),
  ];
}

/** Releases one reservation past its expiry (the sweeper); the job then counts as failed by timeout. */
export function expireReservation(
  state: CreditsState,
  userId: number,
  jobId: string,
  now: Date,
): AnyNewEvent[] {
  const reservation = state.reservations.get(jobId);
  if (!reservation || new Date(reservation.expiresAt).getTime() > now.getTime()) return [];
  return [
    newEvent(
      'CreditRefunded',
      { userId, jobId, amount: reservation.amount, reason: 'timeout' },
      { correlationId: jobId, eventId: settlementId(jobId) },
    ),
  ];
}

/** Credits a Telegram Stars payment once per telegram_payment_charge_id. */
export function purchaseCredits(
  state: CreditsState,
  cause: EventEnvelope<'PaymentReceived'>,
  packages: readonly CreditPackage[],
): AnyNewEvent[] {
  const { userId, chargeId, stars, payload } = cause.data;
  if (state.purchases.has(chargeId)) return [];
  const pack = packageForPayment(packages, payload, stars);
  return [
    newEvent(
      'CreditsPurchased',
      { userId, chargeId, packageId: pack.id, stars, credits: pack.credits },
      { causedBy: cause, eventId: deterministicEventId('purchase', chargeId) },
    ),
  ];
}

/**
 * An admin's refund of a payment: refused with the reason when the payment is unknown, already refunded,
 * or its credits are already spent; otherwise the credits are debited (the gateway then refunds the Stars).
 */
export function refundPayment(
  state: CreditsState,
  cause: EventEnvelope<'PaymentRefundRequested'>,
): AnyNewEvent[] {
  const { userId, chargeId, adminId } = cause.data;
  const purchase = state.purchases.get(chargeId);
  const available = Math.max(0, availableCredits(state));
  const refuse = (reason: 'credits_spent' | 'unknown_payment' | 'already_refunded') =>
    newEvent(
      'PaymentRefundRefused',
      { userId, chargeId, adminId, reason, available, needed: purchase?.credits ?? 0 },
      { causedBy: cause },
    );
  if (!purchase) return [refuse('unknown_payment')];
  if (purchase.refunded) return [refuse('already_refunded')];
  if (available < purchase.credits) return [refuse('credits_spent')];
  return [
    newEvent(
      'PaymentRefunded',
      { userId, chargeId, stars: purchase.stars, credits: purchase.credits, adminId },
      // Keyed on the request, not the charge: a second request racing this one conflicts on the stream
      // version, reads the refund, and is refused as already refunded instead of vanishing as a duplicate.
      { causedBy: cause, eventId: deterministicEventId('payment-refund', cause.eventId) },
    ),
  ];
}

/** An admin's grant, with who gave it and why. */
export function grantCredits(
  state: CreditsState,
  cause: EventEnvelope<'CreditsGrantRequested'>,
): AnyNewEvent[] {
  void state;
  const { userId, adminId, amount, reason } = cause.data;
  return [
    newEvent(
      'CreditsGranted',
      { userId, adminId, amount, reason },
      { causedBy: cause, eventId: deterministicEventId('grant', cause.eventId) },
    ),
  ];
}

/** The referrer's bonus for an invited user's first delivered video, once per invited user. */
export function grantReferralBonus(
  referrerState: CreditsState,
  referrerId: number,
  invitedUserId: number,
  amount: number,
  cause: EventEnvelope<'VideoDelivered'>,
): AnyNewEvent[] {
  if (amount <= 0 || referrerState.referralBonusesFor.has(invitedUserId)) return [];
  return [
    newEvent(
      'ReferralBonusGranted',
      { userId: referrerId, referredUserId: invitedUserId, amount },
      { causedBy: cause, eventId: deterministicEventId('referral', invitedUserId) },
    ),
  ];
}
