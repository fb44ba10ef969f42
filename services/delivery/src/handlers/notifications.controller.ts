import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type EventEnvelope, type Language, requestOf, streamIds, summarizeJob } from '@neurocards/contracts';
import { writeInBatches } from '@neurocards/runtime/event-store';
import { SERVICE_CONTEXT, type ServiceContext } from '@neurocards/runtime/shell';
import type { DeliveryConfig } from '../config.js';
import type { OutgoingText } from '../domain/messages.js';
import { type DeliveryKit, deliveryKit } from './delivery-kit.js';
import { enqueueMessage, outboxChanged } from './outbox.js';

interface WatchedOrder {
  orderId: string;
  userId: number;
  chatId: number;
  language: Language;
  jobIds: string[];
  noticeAt: Date;
}

/**
 * The news about jobs: not enough credits, a refund and why, and (through SlowOrderWatch) "still working".
 * Each is put in the outbox under a key that names its outcome, so a redelivered event, or five jobs of one
 * order failing the same way, make one message.
 */
@Controller()
export class NotificationsController {
  private readonly kit: DeliveryKit;

  constructor(@Inject(SERVICE_CONTEXT) private readonly service: ServiceContext<DeliveryConfig>) {
    this.kit = deliveryKit(service);
  }

  /** Every order is watched from its start, for one "still working" message if it runs long. */
  @EventPattern<string>('GenerationRequested')
  async onGenerationRequested(@Payload() requested: EventEnvelope<'GenerationRequested'>) {
    const { orderId, orderJobIds, userId, chatId, language } = requested.data;
    const noticeAt = new Date(Date.parse(requested.occurredAt) + this.service.config.SLOW_JOB_NOTICE_AFTER);
    await this.watch({ orderId, userId, chatId, language, jobIds: orderJobIds, noticeAt });
  }

  /** Orders watched at once go in one statement; an order's jobs all name it, and it is watched once. */
  private readonly watch = writeInBatches<WatchedOrder>(async (orders) => {
    await this.service.pool.query({
      name: 'nc_delivery_watch_orders',
      text: `INSERT INTO delivery.watched_orders (order_id, user_id, chat_id, language, job_ids, notice_at)
       SELECT order_id, user_id, chat_id, language, job_ids, notice_at
       FROM jsonb_to_recordset($1::jsonb) AS o(order_id uuid, user_id bigint, chat_id bigint, language text,
                                               job_ids uuid[], notice_at timestamptz)
       ON CONFLICT (order_id) DO NOTHING`,
      values: [
        JSON.stringify(
          orders.map((o) => ({
            order_id: o.orderId,
            user_id: o.userId,
            chat_id: o.chatId,
            language: o.language,
            job_ids: o.jobIds,
            notice_at: o.noticeAt.toISOString(),
          })),
        ),
      ],
    });
  });

  @EventPattern<string>('CreditReservationRejected')
  async onReservationRejected(@Payload() rejected: EventEnvelope<'CreditReservationRejected'>) {
    const { jobId, orderId, needed, available } = rejected.data;
    const request = await this.requestOf(jobId);
    const { chatId, language } = request.data;
    // An order is rejected whole, one event per job: the seller hears about it once.
    await this.tell(
      `rejected:${orderId}`,
      chatId,
      this.kit.messages.notEnoughCredits(language, needed, available),
    );
  }

  @EventPattern<string>('CreditRefunded')
  async onCreditRefunded(@Payload() refunded: EventEnvelope<'CreditRefunded'>) {
    const { jobId, reason } = refunded.data;
    const job = summarizeJob(await this.service.store.readStream(streamIds.job(jobId)));
    const { chatId, language, orderId } = requestOf(job).data;
    const { messages } = this.kit;
    if (reason === 'delivery_failed') {
      // Each made video has its own "send it again" button; a blocked chat cannot be told anything.
      if (job.deliveryFailed?.data.errorClass === 'BLOCKED') return;
      return this.tell(`refund:${jobId}:delivery`, chatId, messages.refundDeliveryFailed(language, jobId));
    }
    const failed = job.generationFailed?.data;
    if (reason === 'generation_failed' && failed?.errorClass === 'USER_VIOLATION') {
      const message = messages.refundUserViolation(language, jobId, failed.code);
      return this.tell(`refund:${orderId}:violation:${failed.code}`, chatId, message);
    }
    const text = {
      generation_failed: 'refund-temporary',
      timeout: 'refund-timeout',
      cancelled: 'refund-cancelled',
    } as const;
    await this.tell(`refund:${orderId}:${reason}`, chatId, messages.refund(language, jobId, text[reason]));
  }

  private async requestOf(jobId: string) {
    return requestOf(summarizeJob(await this.service.store.readStream(streamIds.job(jobId))));
  }

  private async tell(dedupeKey: string, chatId: number, message: OutgoingText): Promise<void> {
    if (await enqueueMessage(this.service.pool, { dedupeKey, chatId, message })) outboxChanged();
  }
}
