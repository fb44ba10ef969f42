import { EventEmitter } from 'node:events';
import { forEachConcurrent } from '@neurocards/runtime/bus';
import { LoopWorker, type ServiceContext } from '@neurocards/runtime/shell';
import type { Pool, PoolClient } from 'pg';
import { telegramFailureOf } from '../adapters/telegram-sender.js';
import type { DeliveryConfig } from '../config.js';
import type { InlineKeyboard, OutgoingText } from '../domain/messages.js';
import { judgeSendFailure } from '../domain/send-failures.js';
import type { DeliveryKit } from './delivery-kit.js';

export interface OutboxMessage {
  /** One message per key, ever: `rejected:<orderId>`, `refund:<orderId>:<kind>`, `slow:<orderId>`... */
  dedupeKey: string;
  chatId: number;
  message: OutgoingText;
}

const signal = new EventEmitter();

/**
 * Puts a message in the outbox, in the caller's transaction. Returns false when a message with this key
 * was already there (the outcome was told). Call `outboxChanged()` after the commit for a prompt send.
 */
export async function enqueueMessage(db: Pool | PoolClient, { dedupeKey, chatId, message }: OutboxMessage) {
  const { rowCount } = await db.query(
    `INSERT INTO delivery.outbox (dedupe_key, chat_id, text, reply_markup) VALUES ($1, $2, $3, $4)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [dedupeKey, chatId, message.text, message.keyboard ?? null],
  );
  return rowCount === 1;
}

/** Wakes this process's outbox sender. */
export function outboxChanged(): void {
  signal.emit('changed');
}

interface OutboxRow {
  id: string;
  chat_id: string;
  text: string;
  reply_markup: InlineKeyboard | null;
  attempts: number;
}

/** How long a claimed message is this replica's; a replica that dies hands its messages on after it. */
const LEASE = '2 minutes';
/** Sends of one message before the outbox gives up on it (each waits longer: 5 s, 10 s, 20 s... 10 min). */
const MAX_ATTEMPTS = 12;

/**
 * Sends the outbox: due messages are claimed with a lease (FOR UPDATE SKIP LOCKED, so replicas share the
 * work), sent through the paced Bot API client, and marked. A chat closed to the bot ends its message at
 * once; anything else is tried again later with a growing pause.
 */
export class OutboxSender extends LoopWorker {
  readonly name = 'outbox';
  private readonly wake = () => this.sleeper.wake();

  constructor(
    private readonly service: ServiceContext<DeliveryConfig>,
    private readonly kit: DeliveryKit,
  ) {
    super();
  }

  override start(): void {
    signal.on('changed', this.wake);
    super.start();
  }

  override async stop(): Promise<void> {
    signal.off('changed', this.wake);
    await super.stop();
  }

  /** Sends what is due now; returns how many messages it handled. */
  async drain(): Promise<number> {
    const { pool, config } = this.service;
    const { rows } = await pool.query<OutboxRow>(
      `UPDATE delivery.outbox SET lease_until = clock_timestamp() + $2::interval, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM delivery.outbox
         WHERE sent_at IS NULL AND due_at <= clock_timestamp()
           AND (lease_until IS NULL OR lease_until < clock_timestamp())
         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, chat_id, text, reply_markup, attempts`,
      [config.CONSUMER_CONCURRENCY, LEASE],
    );
    await forEachConcurrent(rows, config.CONSUMER_CONCURRENCY, (row) => this.send(row));
    return rows.length;
  }

  private async send(row: OutboxRow): Promise<void> {
    const { pool, logger } = this.service;
    const chatId = Number(row.chat_id);
    try {
      await this.kit.telegram.api.sendMessage(chatId, row.text, {
        reply_markup: row.reply_markup ?? undefined,
      });
      await this.close(row, 'sent');
    } catch (error) {
      const failure = telegramFailureOf(error);
      if (failure && judgeSendFailure(failure).action === 'final') {
        logger.info(
          { chatId, reason: failure.description },
          'message not sent: the chat is closed to the bot',
        );
        return this.close(row, 'blocked');
      }
      if (row.attempts >= MAX_ATTEMPTS) {
        logger.error({ err: error, chatId, outboxId: row.id }, 'message given up after every attempt');
        return this.close(row, 'gave_up');
      }
      const pauseSeconds = Math.min(600, 5 * 2 ** (row.attempts - 1));
      logger.warn({ err: error, chatId, pauseSeconds }, 'message not sent; will try again');
      await pool.query(
        `UPDATE delivery.outbox SET lease_until = NULL, due_at = clock_timestamp() + $2::interval WHERE id = $1`,
        [row.id, `${pauseSeconds} seconds`],
      );
    }
  }

  private async close(row: OutboxRow, outcome: 'sent' | 'blocked' | 'gave_up'): Promise<void> {
    await this.service.pool.query(
      'UPDATE delivery.outbox SET sent_at = clock_timestamp(), outcome = $2, lease_until = NULL WHERE id = $1',
      [row.id, outcome],
    );
  }

  protected async loop(): Promise<void> {
    while (!this.stopping) {
      let handled = 0;
      try {
        handled = await this.drain();
      } catch (error) {
        this.service.logger.error({ err: error }, 'outbox round failed; will try again');
      }
      if (handled === 0) await this.sleeper.sleep(this.service.config.OUTBOX_POLL_INTERVAL);
    }
  }
}
