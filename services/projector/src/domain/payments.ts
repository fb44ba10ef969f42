import type { DomainEvent } from '@neurocards/contracts';
import type { Watermarked } from './position.js';

/** A row of rm.payments: one Telegram Stars payment from receipt to credit and, maybe, refund. */
export interface PaymentRow extends Watermarked {
  charge_id: string;
  user_id: number;
  stars: number;
  payload: string | null;
  package_id: string | null;
  credits: number | null;
  status: 'received' | 'credited' | 'refunded';
  received_at: string | null;
  credited_at: string | null;
  refund_requested_at: string | null;
  refunded_at: string | null;
  refunded_by: number | null;
  refund_refused_reason: string | null;
}

export const paymentColumns = [
  'charge_id',
  'user_id',
  'stars',
  'payload',
  'package_id',
  'credits',
  'status',
  'received_at',
  'credited_at',
  'refund_requested_at',
  'refunded_at',
  'refunded_by',
  'refund_refused_reason',
  'applied_xid',
  'applied_position',
] as const satisfies ReadonlyArray<keyof PaymentRow>;

/** The payment (Telegram charge id) an event is about, if any. */
export function chargeOf(event: DomainEvent): string | undefined {
  switch (event.type) {
    case 'PaymentReceived':
    case 'CreditsPurchased':
    case 'PaymentRefundRequested':
    case 'PaymentRefunded':
    case 'PaymentRefundRefused':
      return event.data.chargeId;
    default:
      return undefined;
  }
}

/**
 * Applies one event to a payment's row; pure. The row opens with the receipt or the purchase, whichever the
 * store has first; a refund of a payment never seen is ignored.
 */
export function evolvePayment(current: PaymentRow | undefined, event: DomainEvent): PaymentRow | undefined {
  const at = event.occurredAt;
  let payment: PaymentRow;
  if (current) payment = { ...current };
  else if (event.type === 'PaymentReceived' || event.type === 'CreditsPurchased')
    payment = {
      charge_id: event.data.chargeId,
      user_id: event.data.userId,
      stars: event.data.stars,
      payload: null,
      package_id: null,
      credits: null,
      status: 'received',
      received_at: null,
      credited_at: null,
      refund_requested_at: null,
      refunded_at: null,
      refunded_by: null,
      refund_refused_reason: null,
      applied_xid: '0',
      applied_position: 0,
    };
  else return undefined;
  switch (event.type) {
    case 'PaymentReceived':
      payment.payload = event.data.payload;
      payment.received_at ??= at;
      break;
    case 'CreditsPurchased':
      payment.package_id = event.data.packageId;
      payment.credits = event.data.credits;
      payment.credited_at ??= at;
      if (payment.status === 'received') payment.status = 'credited';
      break;
    case 'PaymentRefundRequested':
      payment.refund_requested_at ??= at;
      break;
    case 'PaymentRefunded':
      payment.refunded_at ??= at;
      payment.refunded_by = event.data.adminId;
      payment.status = 'refunded';
      break;
    case 'PaymentRefundRefused':
      payment.refund_refused_reason = event.data.reason;
      break;
    default:
      return current;
  }
  return payment;
}
