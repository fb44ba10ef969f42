import {
  type AnyNewEvent,
  deterministicEventId,
  type Language,
  newEvent,
  streamIds,
} from '@neurocards/contracts';
import { type EventStore, inTransaction, isExpectedVersionConflict } from '@neurocards/runtime/event-store';
import type { Pool, PoolClient } from 'pg';

export interface Seller {
  userId: number;
  chatId: number;
  language: Language;
  banned: boolean;
  banTold: boolean;
}

export interface Newcomer {
  userId: number;
  chatId: number;
  username: string | null;
  firstName: string;
  language: Language;
  referrerId: number | null;
}

interface SellerRow {
  user_id: string;
  chat_id: string;
  language: Language;
  banned: boolean;
  ban_told: boolean;
}

/**
 * Who the sellers are, as the gateway needs it on every update. The gateway writes the user streams, and
 * each event is appended in the same transaction as the matching change of gateway.users.
 */
export class Sellers {
  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
  ) {}

  async find(userId: number, db: Pool | PoolClient = this.pool): Promise<Seller | undefined> {
    const { rows } = await db.query<SellerRow>(
      'SELECT user_id, chat_id, language, banned, ban_told FROM gateway.users WHERE user_id = $1',
      [userId],
    );
    const row = rows[0];
    return row && toSeller(row);
  }

  /** Registers a first-time seller (UserRegistered); false when they were registered before. */
  async register(newcomer: Newcomer): Promise<boolean> {
    try {
      return await inTransaction(this.pool, async (client) => {
        const { rowCount } = await client.query(
          `INSERT INTO gateway.users (user_id, chat_id, language) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
          [newcomer.userId, newcomer.chatId, newcomer.language],
        );
        if (rowCount === 0) return false;
        const referrerId = newcomer.referrerId !== newcomer.userId ? newcomer.referrerId : null;
        await this.store.append(
          streamIds.user(newcomer.userId),
          [
            newEvent(
              'UserRegistered',
              { ...newcomer, firstName: newcomer.firstName.slice(0, 256), referrerId },
              {
                correlationId: streamIds.user(newcomer.userId),
                eventId: deterministicEventId('user-registered', newcomer.userId),
              },
            ),
          ],
          { expectedVersion: 'no_stream', client },
        );
        return true;
      });
    } catch (error) {
      if (isExpectedVersionConflict(error)) return false; // registered by another replica a moment ago
      throw error;
    }
  }

  async setLanguage(userId: number, language: Language): Promise<void> {
    await this.change(
      userId,
      'UPDATE gateway.users SET language = $2 WHERE user_id = $1',
      [language],
      [newEvent('LanguageChanged', { userId, language }, { correlationId: streamIds.user(userId) })],
    );
  }

  async ban(userId: number, adminId: number, reason: string): Promise<boolean> {
    return this.change(
      userId,
      'UPDATE gateway.users SET banned = true, ban_told = false WHERE user_id = $1 AND NOT banned',
      [],
      [newEvent('UserBanned', { userId, adminId, reason }, { correlationId: streamIds.user(userId) })],
    );
  }

  async unban(userId: number, adminId: number): Promise<boolean> {
    return this.change(
      userId,
      'UPDATE gateway.users SET banned = false WHERE user_id = $1 AND banned',
      [],
      [newEvent('UserUnbanned', { userId, adminId }, { correlationId: streamIds.user(userId) })],
    );
  }

  /** Records that a banned seller has been told; true for the one update that should tell them. */
  async markBanTold(userId: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'UPDATE gateway.users SET ban_told = true WHERE user_id = $1 AND banned AND NOT ban_told',
      [userId],
    );
    return rowCount === 1;
  }

  /** Applies a change of gateway.users and appends its events, together; false when nothing changed. */
  private async change(
    userId: number,
    sql: string,
    params: unknown[],
    events: AnyNewEvent[],
  ): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(sql, [userId, ...params]);
      if (rowCount === 0) return false;
      await this.store.append(streamIds.user(userId), events, { expectedVersion: 'any', client });
      return true;
    });
  }
}

function toSeller(row: SellerRow): Seller {
  return {
    userId: Number(row.user_id),
    chatId: Number(row.chat_id),
    language: row.language,
    banned: row.banned,
    banTold: row.ban_told,
  };
}
