import {
  foldCredits,
  generationFinished,
  type Language,
  parseEvent,
  streamIds,
  summarizeJob,
} from '@neurocards/contracts';
import {
  inTransaction,
  loadCheckpoint,
  readAllAfter,
  saveCheckpointSql,
} from '@neurocards/runtime/event-store';
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

/** The watch's place in the event log (es.checkpoints), and the lock one replica at a time takes it under. */
const CHECKPOINT = 'delivery:order-watch';
/** Events read from the log per transaction. */
const LOG_BATCH = 1000;

/**
 * Tells a seller once "still working, the queue is busy" when a job of their order is unfinished
 * SLOW_JOB_NOTICE_AFTER after the order. Orders come onto the watch list from the event log, read in commit
 * order like the relay reads it, a batch per transaction with its checkpoint: one statement per scan
 * instead of a bus delivery and an insert per job. The event store decides what is unfinished: no video
 * and no failure yet, and its credit neither refunded nor rejected. Also prunes delivery's working tables.
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
    let more = true;
    while (more) more = await this.watchNewOrders(now);
    let reminded = 0;
    for (;;) {
      const outcome = await this.takeOne(now);
      if (outcome === 'none') break;
      if (outcome === 'reminded') reminded++;
    }
    if (reminded > 0) outboxChanged();
    return reminded;
  }

  /**
   * Puts the orders requested since the checkpoint on the watch list, one batch of the log; true when there
   * is more to read. One replica at a time: the others find the lock held and leave it. An order whose
   * notice would come more than SLOW_JOB_NOTICE_AFTER late (the watch was down, or reads an old log for
   * the first time) is left out: the reservation's timeout has settled it, or will.
   */
  private watchNewOrders(now: Date): Promise<boolean> {
    const { pool, config } = this.service;
    return inTransaction(pool, async (client, tx) => {
      const { rows } = await client.query<{ held: boolean }>(
        'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS held',
        [CHECKPOINT],
      );
      if (!rows[0]?.held) return false;
      const batch = await readAllAfter(client, await loadCheckpoint(client, CHECKPOINT), LOG_BATCH);
      const last = batch.at(-1);
      if (!last) return false;
      const orders = [];
      for (const record of batch) {
        if (record.type !== 'GenerationRequested') continue;
        const parsed = parseEvent(record.json);
        if (!parsed.ok || parsed.event.type !== 'GenerationRequested') continue; // checked when appended
        const { orderId, orderJobIds, userId, chatId, language } = parsed.event.data;
        const noticeAt = Date.parse(parsed.event.occurredAt) + config.SLOW_JOB_NOTICE_AFTER;
        if (noticeAt + config.SLOW_JOB_NOTICE_AFTER < now.getTime()) continue;
        orders.push({ orderId, orderJobIds, userId, chatId, language, noticeAt: new Date(noticeAt) });
      }
      if (orders.length > 0) {
        // One order is requested as several jobs, one event each: the first one puts it on the list.
        await client.query(
          `INSERT INTO delivery.watched_orders (order_id, user_id, chat_id, language, job_ids, notice_at)
           SELECT o.order_id, o.user_id, o.chat_id, o.language,
                  ARRAY(SELECT jsonb_array_elements_text(o.job_ids)::uuid), o.notice_at
           FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::jsonb[], $6::timestamptz[])
             AS o(order_id, user_id, chat_id, language, job_ids, notice_at)
           ON CONFLICT (order_id) DO NOTHING`,
          [
            orders.map((o) => o.orderId),
            orders.map((o) => o.userId),
            orders.map((o) => o.chatId),
            orders.map((o) => o.language),
            orders.map((o) => JSON.stringify(o.orderJobIds)),
            orders.map((o) => o.noticeAt),
          ],
        );
      }
      tx.beforeCommit(saveCheckpointSql(CHECKPOINT, last.position));
      return batch.length === LOG_BATCH;
    });
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
