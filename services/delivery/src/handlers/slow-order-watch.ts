import {
  foldCredits,
  generationFinished,
  type Language,
  streamIds,
  summarizeJob,
} from '@neurocards/contracts';
import { inTransaction } from '@neurocards/runtime/event-store';
import { LoopWorker, type ServiceContext } from '@neurocards/runtime/shell';
import type { DeliveryConfig } from '../config.js';
import type { DeliveryKit } from './delivery-kit.js';
import { enqueueMessage, outboxChanged } from './outbox.js';

interface WatchedOrder {
  order_id: string;
  user_id: string;
  chat_id: string;
  language: Language;
  job_ids: string[];
}

/**
 * Tells a seller once "still working, the queue is busy" when a job of their order is unfinished
 * SLOW_JOB_NOTICE_AFTER after the order. The event store decides what is unfinished: no video and no
 * failure yet, and its credit neither refunded nor rejected. Also prunes delivery's working tables.
 */
export class SlowOrderWatch extends LoopWorker {
  readonly name = 'slow-order-watch';

  constructor(
    private readonly service: ServiceContext<DeliveryConfig>,
    private readonly kit: DeliveryKit,
  ) {
    super();
  }

  /** Looks at every order due by `now`; returns how many reminders went to the outbox. */
  async scan(now = new Date()): Promise<number> {
    let reminded = 0;
    for (;;) {
      const outcome = await this.takeOne(now);
      if (outcome === 'none') break;
      if (outcome === 'reminded') reminded++;
    }
    if (reminded > 0) outboxChanged();
    return reminded;
  }

  private takeOne(now: Date): Promise<'none' | 'finished' | 'reminded'> {
    const { pool, store } = this.service;
    return inTransaction(pool, async (client) => {
      const { rows } = await client.query<WatchedOrder>(
        `DELETE FROM delivery.watched_orders WHERE order_id = (
           SELECT order_id FROM delivery.watched_orders WHERE notice_at <= $1
           ORDER BY notice_at FOR UPDATE SKIP LOCKED LIMIT 1)
         RETURNING order_id, user_id, chat_id, language, job_ids`,
        [now],
      );
      const order = rows[0];
      if (!order) return 'none';
      const credits = foldCredits(await store.readStream(streamIds.credits(Number(order.user_id))));
      let unfinished = false;
      for (const jobId of order.job_ids) {
        if (credits.settledJobs.has(jobId)) continue;
        if (!generationFinished(summarizeJob(await store.readStream(streamIds.job(jobId)))))
          unfinished = true;
      }
      if (!unfinished) return 'finished';
      const message = this.kit.messages.stillWorking(order.language);
      await enqueueMessage(client, {
        dedupeKey: `slow:${order.order_id}`,
        chatId: Number(order.chat_id),
        message,
      });
      return 'reminded';
    });
  }

  protected async loop(): Promise<void> {
    const { config, pool, logger } = this.service;
    while (!this.stopping) {
      try {
        await this.scan();
        await this.kit.pacer.prune();
        await pool.query(`DELETE FROM delivery.outbox WHERE sent_at < clock_timestamp() - interval '8 days'`);
      } catch (error) {
        logger.error({ err: error }, 'slow-order scan failed; will try again');
      }
      await this.sleeper.sleep(config.SLOW_JOB_SCAN_INTERVAL);
    }
  }
}
