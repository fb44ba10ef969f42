import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type EventEnvelope, requestOf, streamIds, summarizeJob } from '@neurocards/contracts';
import { SERVICE_CONTEXT, type ServiceContext } from '@neurocards/runtime/shell';
import type { DeliveryConfig } from '../config.js';
import type { OutgoingText } from '../domain/messages.js';
import { type DeliveryKit, deliveryKit } from './delivery-kit.js';
import { enqueueMessage, outboxChanged } from './outbox.js';

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
