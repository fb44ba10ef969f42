import type { DomainEvent, EventEnvelope } from '@neurocards/contracts';

/** Why a referral earns nothing. */
export type ReferralRefusal = 'no_referrer' | 'self_referral' | 'unknown_referrer' | 'referral_cycle';

/**
 * Who, if anyone, earns a bonus for this user's first delivered video: only the direct referrer (one level,
 * no bonus up a chain), never the user themselves, and never a referrer whom this user had invited first.
 */
export function referrerToReward(
  invitedUser: readonly DomainEvent[],
  referrer: readonly DomainEvent[],
): { referrerId: number } | { refused: ReferralRefusal } {
  const invited = registration(invitedUser);
  const referrerId = invited?.data.referrerId;
  if (!invited || referrerId === null || referrerId === undefined) return { refused: 'no_referrer' };
  if (referrerId === invited.data.userId) return { refused: 'self_referral' };
  const inviter = registration(referrer);
  if (!inviter) return { refused: 'unknown_referrer' };
  if (inviter.data.referrerId === invited.data.userId) return { refused: 'referral_cycle' };
  return { referrerId };
}

/** The referrer a user registered with, if any. */
export function registeredReferrerId(userEvents: readonly DomainEvent[]): number | null {
  return registration(userEvents)?.data.referrerId ?? null;
}

function registration(events: readonly DomainEvent[]): EventEnvelope<'UserRegistered'> | undefined {
  return events.find((event): event is EventEnvelope<'UserRegistered'> => event.type === 'UserRegistered');
}
