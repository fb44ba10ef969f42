import type { DomainEvent } from '@neurocards/contracts';
import { describe, expect, it } from 'vitest';
import { registered } from '../../test/events.js';
import { referrerToReward, registeredReferrerId } from './referrals.js';

const user = (userId: number, referrerId: number | null = null): DomainEvent[] => [
  registered(userId, referrerId),
];

describe('referrals', () => {
  it('reward the direct referrer of a registered invitee', () => {
    expect(referrerToReward(user(2, 1), user(1))).toEqual({ referrerId: 1 });
    expect(registeredReferrerId(user(2, 1))).toBe(1);
  });

  it('reward only one level: the referrer of a referrer gets nothing for this user', () => {
    expect(referrerToReward(user(3, 2), user(2, 1))).toEqual({ referrerId: 2 });
  });

  it('refuse self-referral, unknown referrers, cycles and users with no referrer', () => {
    expect(referrerToReward(user(4, 4), user(4, 4))).toEqual({ refused: 'self_referral' });
    expect(referrerToReward(user(5, 99), [])).toEqual({ refused: 'unknown_referrer' });
    expect(referrerToReward(user(6, 7), user(7, 6))).toEqual({ refused: 'referral_cycle' });
    expect(referrerToReward(user(8), [])).toEqual({ refused: 'no_referrer' });
  });
});
