import { createReadStream } from 'node:fs';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  type DeliveryErrorClass,
  deliveryFinished,
  deterministicEventId,
  type EventEnvelope,
  jobRef,
  newEvent,
  requestOf,
  streamIds,
  summarizeJob,
} from '@neurocards/contracts';
import { handleOnce, type JetStreamContext } from '@neurocards/runtime/bus';
import { SERVICE_CONTEXT, type ServiceContext } from '@neurocards/runtime/shell';
import { Api, GrammyError, InputFile } from 'grammy';
import { downloadVideo, VideoDownloadError } from '../adapters/video-download.js';
import type { DeliveryConfig } from '../config.js';
import {
  buyOrMenuKeyboard,
  deliveryFailedText,
  generationFailedText,
  notEnoughCredits,
  videoCaption,
} from '../domain/messages.js';

type FinalFailure = { errorClass: DeliveryErrorClass; reason: string };

/**
 * Sends finished videos and the news about jobs. Never generates anything: a send that keeps failing ends
 * in DeliveryFailed, and billing refunds the credit.
 */
@Controller()
export class DeliveryController {
  private readonly api: Api;

  constructor(@Inject(SERVICE_CONTEXT) private readonly service: ServiceContext<DeliveryConfig>) {
    this.api = new Api(service.config.TELEGRAM_BOT_TOKEN, { apiRoot: service.config.TELEGRAM_API_ROOT });
  }

  @EventPattern<string>('VideoReady')
  async onVideoReady(@Payload() ready: EventEnvelope<'VideoReady'>, @Ctx() ctx: JetStreamContext) {
    const { config, store } = this.service;
    const streamId = streamIds.job(ready.data.jobId);
    const job = summarizeJob(await store.readStream(streamId));
    if (deliveryFinished(job)) return;
    const request = requestOf(job);
    let failure: FinalFailure | undefined;
    try {
      const video = await downloadVideo(
        ready.data.videoUrl,
        config.VIDEO_MAX_BYTES,
        config.VIDEO_DOWNLOAD_TIMEOUT_MS,
      );
      try {
        const message = await this.api.sendVideo(
          request.data.chatId,
          new InputFile(createReadStream(video.path), 'video.mp4'),
          { supports_streaming: true, caption: videoCaption(request.data.language, request.data.product) },
        );
        await store.append(
          streamId,
          [
            newEvent(
              'VideoDelivered',
              { ...jobRef(request), messageId: message.message_id, bytes: video.bytes, sentAs: 'video' },
              { causedBy: ready, eventId: deterministicEventId('delivery-finished', ready.data.jobId) },
            ),
          ],
          { expectedVersion: job.version },
        );
      } finally {
        await video.remove();
      }
    } catch (error) {
      failure = finalFailure(error, ctx.isLastDelivery);
      if (!failure) throw error; // retried by the transport with backoff
    }
    if (failure) {
      await store.append(
        streamId,
        [
          newEvent(
            'DeliveryFailed',
            { ...jobRef(request), ...failure, attempts: ctx.deliveryCount },
            { causedBy: ready, eventId: deterministicEventId('delivery-finished', ready.data.jobId) },
          ),
        ],
        { expectedVersion: job.version },
      );
    }
  }

  @EventPattern<string>('CreditReservationRejected')
  onReservationRejected(
    @Payload() event: EventEnvelope<'CreditReservationRejected'>,
    @Ctx() ctx: JetStreamContext,
  ) {
    // An order is rejected whole, one event per job: the seller hears about it once.
    return this.notify(
      event,
      ctx,
      event.data.jobId,
      (language) => notEnoughCredits(language, event.data.needed, event.data.available),
      (request) => request.data.orderJobIds[0] === event.data.jobId,
      buyOrMenuKeyboard,
    );
  }

  @EventPattern<string>('CreditRefunded')
  onCreditRefunded(@Payload() event: EventEnvelope<'CreditRefunded'>, @Ctx() ctx: JetStreamContext) {
    return this.notify(event, ctx, event.data.jobId, (language) =>
      event.data.reason === 'delivery_failed' ? deliveryFailedText(language) : generationFailedText(language),
    );
  }

  /** Sends one message about a job, once: the inbox record commits only after Telegram accepted it. */
  private async notify(
    cause: { eventId: string },
    ctx: JetStreamContext,
    jobId: string,
    text: (language: 'ru' | 'en') => string,
    concerns: (request: EventEnvelope<'GenerationRequested'>) => boolean = () => true,
    keyboard?: (language: 'ru' | 'en') => ReturnType<typeof buyOrMenuKeyboard>,
  ): Promise<void> {
    const { pool, store } = this.service;
    await handleOnce(
      pool,
      { schema: 'delivery', consumer: ctx.consumer, eventId: cause.eventId },
      async () => {
        const request = requestOf(summarizeJob(await store.readStream(streamIds.job(jobId))));
        if (!concerns(request)) return;
        try {
          const { chatId, language } = request.data;
          await this.api.sendMessage(chatId, text(language), { reply_markup: keyboard?.(language) });
        } catch (error) {
          // A user who blocked the bot cannot be told anything; that is not worth a retry.
          if (!(error instanceof GrammyError && error.error_code === 403)) throw error;
        }
      },
    );
  }
}

function finalFailure(error: unknown, lastDelivery: boolean): FinalFailure | undefined {
  if (error instanceof GrammyError) {
    if (error.error_code === 403) return { errorClass: 'BLOCKED', reason: error.description };
    if (error.error_code === 413) return { errorClass: 'TOO_LARGE', reason: error.description };
    if (error.error_code === 400) return { errorClass: 'BAD_MEDIA', reason: error.description };
  }
  if (error instanceof VideoDownloadError && error.code !== 'NETWORK') {
    return { errorClass: error.code === 'TOO_LARGE' ? 'TOO_LARGE' : 'DOWNLOAD', reason: error.message };
  }
  if (lastDelivery) return { errorClass: 'UNKNOWN', reason: String(error).slice(0, 2000) };
  return undefined;
}
