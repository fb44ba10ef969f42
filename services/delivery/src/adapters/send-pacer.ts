import { setTimeout as sleep } from 'node:timers/promises';
import { StatementBatches } from '@neurocards/runtime/event-store';
import pg, { type Pool } from 'pg';

export interface SendPace {
  /** Messages per second to one chat (Telegram: about 1). */
  perChat: number;
  /** Messages per second for the whole bot, every replica together (Telegram: about 30). */
  global: number;
}

/**
 * Keeps every delivery replica together within Telegram's flood limits: at most `perChat` messages a
 * second to a chat and `global` in all. The pace lives in PostgreSQL (`delivery.take_send_slot`), so
 * replicas share it without talking to each other.
 */
export class SendPacer {
  private readonly chatGap: string;
  private readonly globalGap: string;

  /**
   * Slots taken at once share a round trip, but only with each other: every slot locks the global pace
   * row, which a batch shared with other statements would hold while they wait on other rows.
   */
  private readonly statements: StatementBatches;

  constructor(
    private readonly pool: Pool,
    pace: SendPace,
  ) {
    this.statements = new StatementBatches(pool);
    this.chatGap = `${1000 / pace.perChat} milliseconds`;
    this.globalGap = `${1000 / pace.global} milliseconds`;
  }

  /**
   * Waits until a message to `chatId` may go. Returns how long it waited and the slot it was given
   * (epoch ms on the database's clock): the slots are what the pace guarantees, the wake-up follows them
   * as closely as the event loop allows.
   */
  async waitForSlot(chatId: number | string): Promise<{ waitedMs: number; slotMs: number }> {
    const started = performance.now();
    for (;;) {
      // The function reads the clock itself, so a slot in a batch is as fair as one alone.
      const [result] = await this.statements.run([
        `SELECT wait_ms, granted, slot_ms FROM delivery.take_send_slot(${this.slotArguments(chatId)})`,
      ]);
      const {
        wait_ms: waitMs,
        granted,
        slot_ms: slotMs,
      } = (result?.rows[0] as { wait_ms: number; granted: boolean; slot_ms: number } | undefined) ?? {
        wait_ms: 0,
        granted: true,
        slot_ms: 0,
      };
      if (waitMs > 0) await sleep(waitMs);
      if (granted) return { waitedMs: performance.now() - started, slotMs };
    }
  }

  private slotArguments(chatId: number | string): string {
    const { escapeLiteral: q } = pg;
    return `${q(chatKey(chatId))}, ${q(this.chatGap)}::interval, ${q(this.globalGap)}::interval`;
  }

  /** After a 429 for a chat: nothing goes to it before `ms` from now, from any replica. */
  async holdChat(chatId: number | string, ms: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO delivery.send_pace VALUES ($1, clock_timestamp() + $2::interval)
       ON CONFLICT (key) DO UPDATE SET next_at = greatest(send_pace.next_at, excluded.next_at)`,
      [chatKey(chatId), `${ms} milliseconds`],
    );
  }

  /** Forgets chats quiet for a while; returns how many rows went. */
  async prune(quietMs = 600_000): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM delivery.send_pace WHERE key <> 'global' AND next_at < clock_timestamp() - $1::interval`,
      [`${quietMs} milliseconds`],
    );
    return rowCount ?? 0;
  }
}

const chatKey = (chatId: number | string) => `chat:${chatId}`;
