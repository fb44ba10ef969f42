import type { DomainEvent } from '@neurocards/contracts';
import { earlier, later, type Watermarked } from './position.js';

/** A row of rm.users: who the seller is, what they hold, what they did. */
export interface UserRow extends Watermarked {
  user_id: number;
  chat_id: number | null;
  username: string | null;
  first_name: string | null;
  language: string | null;
  referrer_id: number | null;
  banned: boolean;
  /** Credits the seller can spend now. */
  balance: number;
  /** Credits held by running jobs. */
  reserved: number;
  jobs_total: number;
  jobs_delivered: number;
  /** Jobs that ended with their credit refunded (generation or delivery failed, or the job timed out). */
  jobs_failed: number;
  jobs_rejected: number;
  purchases: number;
  stars_paid: number;
  credits_purchased: number;
  credits_spent: number;
  /** Sellers who registered through this seller's link. */
  referrals: number;
  registered_at: string | null;
  first_seen: string;
  last_seen: string;
  last_order_at: string | null;
  last_purchase_at: string | null;
}

export const userColumns = [
  'user_id',
  'chat_id',
  'username',
  'first_name',
  'language',
  'referrer_id',
  'banned',
  'balance',
  'reserved',
  'jobs_total',
  'jobs_delivered',
  'jobs_failed',
  'jobs_rejected',
  'purchases',
  'stars_paid',
  'credits_purchased',
  'credits_spent',
  'referrals',
  'registered_at',
  'first_seen',
  'last_seen',
  'last_order_at',
  'last_purchase_at',
  'applied_xid',
  'applied_position',
] as const satisfies ReadonlyArray<keyof UserRow>;

/** The timestamp columns of rm.users. */
export const userTimestamps = [
  'registered_at',
  'first_seen',
  'last_seen',
  'last_order_at',
  'last_purchase_at',
] as const satisfies ReadonlyArray<keyof UserRow>;

/** The users an event concerns: its seller, and for a registration through a link, the referrer too. */
export function usersOf(event: DomainEvent): number[] {
  const data = event.data as { userId?: number };
  if (data.userId === undefined) return [];
  if (
    event.type === 'UserRegistered' &&
    event.data.referrerId !== null &&
    event.data.referrerId !== data.userId
  )
    return [data.userId, event.data.referrerId];
  return [data.userId];
}

/** Something the seller did (as opposed to what the system did for them): counts as activity that day. */
export function isSellerAction(event: DomainEvent): boolean {
  return (
    event.type === 'UserRegistered' ||
    event.type === 'LanguageChanged' ||
    event.type === 'GenerationRequested' ||
    event.type === 'PaymentReceived'
  );
}

function newUser(userId: number, at: string): UserRow {
  return {
    user_id: userId,
    chat_id: null,
    username: null,
    first_name: null,
    language: null,
    referrer_id: null,
    banned: false,
    balance: 0,
    reserved: 0,
    jobs_total: 0,
    jobs_delivered: 0,
    jobs_failed: 0,
    jobs_rejected: 0,
    purchases: 0,
    stars_paid: 0,
    credits_purchased: 0,
    credits_spent: 0,
    referrals: 0,
    registered_at: null,
    first_seen: at,
    last_seen: at,
    last_order_at: null,
    last_purchase_at: null,
    applied_xid: '0',
    applied_position: 0,
  };
}

/**
 * Applies one event to the row of `userId` (one of `usersOf(event)`); pure. Returns the row unchanged when
 * the event says nothing about this seller.
 */
export function evolveUser(current: UserRow | undefined, event: DomainEvent, userId: number): UserRow {
  const at = event.occurredAt;
  const user: UserRow = current ? { ...current } : newUser(userId, at);
  user.first_seen = earlier(user.first_seen, at);
  if (isSellerAction(event)) user.last_seen = later(user.last_seen, at);

  switch (event.type) {
    case 'UserRegistered': {
      const d = event.data;
      if (d.userId !== userId) {
        user.referrals += 1;
        break;
      }
      Object.assign(user, {
        chat_id: d.chatId,
        username: d.username,
        first_name: d.firstName,
        language: d.language,
        referrer_id: user.referrer_id ?? d.referrerId,
        registered_at: user.registered_at ?? at,
      });
      break;
    }
    case 'LanguageChanged':
      user.language = event.data.language;
      break;
    case 'UserBanned':
    case 'UserUnbanned':
      user.banned = event.type === 'UserBanned';
      break;
    case 'FreeCreditsGranted':
    case 'CreditsGranted':
    case 'ReferralBonusGranted':
      user.balance += event.data.amount;
      break;
    case 'CreditsPurchased':
      user.balance += event.data.credits;
      user.purchases += 1;
      user.stars_paid += event.data.stars;
      user.credits_purchased += event.data.credits;
      user.last_purchase_at = later(user.last_purchase_at, at);
      break;
    case 'PaymentRefunded':
      user.balance -= event.data.credits;
      user.stars_paid -= event.data.stars;
      user.credits_purchased -= event.data.credits;
      break;
    case 'CreditReserved':
      user.balance -= event.data.amount;
      user.reserved += event.data.amount;
      break;
    case 'CreditReservationRejected':
      user.jobs_rejected += 1;
      break;
    case 'CreditCaptured':
      user.reserved -= event.data.amount;
      user.credits_spent += event.data.amount;
      break;
    case 'CreditRefunded':
      user.balance += event.data.amount;
      user.reserved -= event.data.amount;
      user.jobs_failed += 1;
      break;
    case 'GenerationRequested':
      user.jobs_total += 1;
      user.last_order_at = later(user.last_order_at, at);
      break;
    case 'VideoDelivered':
      user.jobs_delivered += 1;
      break;
    default:
      break;
  }
  return user;
}

/** The UTC day of a timestamp, as rm.user_activity keys it. */
export function utcDay(at: string): string {
  return new Date(at).toISOString().slice(0, 10);
}
