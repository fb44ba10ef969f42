import type { DomainEvent } from '@neurocards/contracts';
import type { EventPosition } from './position.js';

export const movementKinds = [
  'free_grant',
  'admin_grant',
  'referral_bonus',
  'purchase',
  'payment_refund',
  'reserve',
  'capture',
  'refund',
] as const;
export type MovementKind = (typeof movementKinds)[number];

/** One credit movement: how the available balance and the reserved credits of a seller change. */
export interface Movement {
  userId: number;
  kind: MovementKind;
  /** Change of the balance the seller can spend. */
  amount: number;
  /** Change of the credits held by running jobs. */
  reservedChange: number;
  jobId: string | null;
  chargeId: string | null;
  /** The invited seller (referral bonus) or the admin (grants, payment refunds). */
  relatedUserId: number | null;
  reason: string | null;
}

/** The movement an event records, if it moves credits; pure. */
export function movementOf(event: DomainEvent): Movement | undefined {
  const none = { jobId: null, chargeId: null, relatedUserId: null, reason: null, reservedChange: 0 };
  switch (event.type) {
    case 'FreeCreditsGranted':
      return { ...none, userId: event.data.userId, kind: 'free_grant', amount: event.data.amount };
    case 'CreditsGranted':
      return {
        ...none,
        userId: event.data.userId,
        kind: 'admin_grant',
        amount: event.data.amount,
        relatedUserId: event.data.adminId,
        reason: event.data.reason,
      };
    case 'ReferralBonusGranted':
      return {
        ...none,
        userId: event.data.userId,
        kind: 'referral_bonus',
        amount: event.data.amount,
        relatedUserId: event.data.referredUserId,
      };
    case 'CreditsPurchased':
      return {
        ...none,
        userId: event.data.userId,
        kind: 'purchase',
        amount: event.data.credits,
        chargeId: event.data.chargeId,
        reason: event.data.packageId,
      };
    case 'PaymentRefunded':
      return {
        ...none,
        userId: event.data.userId,
        kind: 'payment_refund',
        amount: -event.data.credits,
        chargeId: event.data.chargeId,
        relatedUserId: event.data.adminId,
      };
    case 'CreditReserved':
      return {
        ...none,
        userId: event.data.userId,
        kind: 'reserve',
        amount: -event.data.amount,
        reservedChange: event.data.amount,
        jobId: event.data.jobId,
      };
    case 'CreditCaptured':
      return {
        ...none,
        userId: event.data.userId,
        kind: 'capture',
        amount: 0,
        reservedChange: -event.data.amount,
        jobId: event.data.jobId,
      };
    case 'CreditRefunded':
      return {
        ...none,
        userId: event.data.userId,
        kind: 'refund',
        amount: event.data.amount,
        reservedChange: -event.data.amount,
        jobId: event.data.jobId,
        reason: event.data.reason,
      };
    default:
      return undefined;
  }
}

/** A row of rm.credit_ledger. */
export interface LedgerRow {
  event_id: string;
  user_id: number;
  /** 1, 2, 3… per seller, in the order the movements happened. */
  entry_no: number;
  occurred_at: string;
  kind: MovementKind;
  amount: number;
  reserved_change: number;
  balance_after: number;
  reserved_after: number;
  job_id: string | null;
  charge_id: string | null;
  related_user_id: number | null;
  reason: string | null;
  event_xid: string;
  event_position: string | number;
}

export const ledgerColumns = [
  'event_id',
  'user_id',
  'entry_no',
  'occurred_at',
  'kind',
  'amount',
  'reserved_change',
  'balance_after',
  'reserved_after',
  'job_id',
  'charge_id',
  'related_user_id',
  'reason',
  'event_xid',
  'event_position',
] as const satisfies ReadonlyArray<keyof LedgerRow>;

/** The ledger entry that follows `last` (the seller's latest entry, if any) for `movement`; pure. */
export function nextEntry(
  last: Pick<LedgerRow, 'entry_no' | 'balance_after' | 'reserved_after'> | undefined,
  movement: Movement,
  event: DomainEvent,
  position: EventPosition,
): LedgerRow {
  return {
    event_id: event.eventId,
    user_id: movement.userId,
    entry_no: (last?.entry_no ?? 0) + 1,
    occurred_at: event.occurredAt,
    kind: movement.kind,
    amount: movement.amount,
    reserved_change: movement.reservedChange,
    balance_after: (last?.balance_after ?? 0) + movement.amount,
    reserved_after: (last?.reserved_after ?? 0) + movement.reservedChange,
    job_id: movement.jobId,
    charge_id: movement.chargeId,
    related_user_id: movement.relatedUserId,
    reason: movement.reason,
    event_xid: position.transactionId.toString(),
    event_position: position.globalPosition.toString(),
  };
}
