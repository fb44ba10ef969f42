import { inTransaction } from '@neurocards/runtime/event-store';
import type { Pool, PoolClient } from 'pg';
import { type Conversation, idle, readConversation } from '../domain/conversation.js';

export interface Turn<T> {
  /** The conversation after this update; omitted when it does not change. */
  state?: Conversation;
  result: T;
}

/**
 * The conversation of each chat, in PostgreSQL. An update is handled in one transaction that locks the
 * chat's row: two updates of one chat, in one process or on two replicas behind a webhook, take turns, and
 * what a turn appends to the event store commits together with the new state. Replies are sent after the
 * commit, never inside it.
 */
export class Conversations {
  constructor(private readonly pool: Pool) {}

  async turn<T>(
    chatId: number,
    userId: number,
    decide: (state: Conversation, client: PoolClient) => Promise<Turn<T>>,
  ): Promise<T> {
    return inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO gateway.conversations (chat_id, user_id, state) VALUES ($1, $2, $3)
         ON CONFLICT (chat_id) DO NOTHING`,
        [chatId, userId, idle],
      );
      const { rows } = await client.query<{ state: unknown }>(
        'SELECT state FROM gateway.conversations WHERE chat_id = $1 FOR UPDATE',
        [chatId],
      );
      const { state, result } = await decide(readConversation(rows[0]?.state), client);
      if (state)
        await client.query(
          'UPDATE gateway.conversations SET state = $2, updated_at = now() WHERE chat_id = $1',
          [chatId, state],
        );
      return result;
    });
  }
}
