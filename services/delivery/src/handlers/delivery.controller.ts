import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  type AnyNewEvent,
  deliveryFinished,
  deterministicEventId,
  type EventEnvelope,
  type JobSummary,
  jobRef,
  newEvent,
  requestOf,
  streamIds,
  summarizeJob,
} from '@neurocards/contracts';
import type { JetStreamContext } from '@neurocards/runtime/bus';
import { ExpectedVersionConflictError, readStreamSql, toEvents } from '@neurocards/runtime/event-store';
import { SERVICE_CONTEXT, type ServiceContext } from '@neurocards/runtime/shell';
import type { VideoClaim } from '../adapters/video-claims.js';
import type { DeliveryConfig } from '../config.js';
import { balanceOf, type DeliveryKit, deliveryKit } from './delivery-kit.js';
import { enqueueMessage, outboxChanged } from './outbox.js';
import type { FormRefused, VideoOutcome, VideoTexts } from './video-sender.js';

/**
 * Sends finished videos. Never generates anything: a send that keeps failing ends in DeliveryFailed, and
 * billing refunds the credit. VideoDelivered is appended only after Telegram accepted the file; a capture
 * and a refund hang on these two events, so each job gets exactly one of them (deterministic id).
 */
@Controller()
export class DeliveryController {
  private readonly kit: DeliveryKit;

  constructor(@Inject(SERVICE_CONTEXT) private readonly service: ServiceContext<DeliveryConfig>) {
    this.kit = deliveryKit(service);
  }

  @EventPattern<string>('VideoReady')
  async onVideoReady(@Payload() ready: EventEnvelope<'VideoReady'>, @Ctx() ctx: JetStreamContext) {
    const { logger } = this.service;
    const { jobId, userId } = ready.data;
    // Read under the claim, in the round trip that takes it: a copy of this event, or the handler that held
    // the claim before, may have finished the job already. The credit stream gives the caption's balance.
    const taken = await this.kit.claims.take(jobId, `${ctx.consumer}:${ctx.message.seq}`, [
      readStreamSql(streamIds.job(jobId)),
      readStreamSql(streamIds.credits(userId)),
    ]);
    if (!taken) {
      // Another copy of this event is being sent right now. Its message stays unacknowledged until the
      // outcome is appended, and comes back if its handler dies, so this copy has nothing left to do.
      logger.info({ jobId: ready.data.jobId }, 'video already being sent; this copy is dropped');
      return;
    }
    const [jobStream, credits] = taken.reads.map(toEvents);
    try {
      await this.deliver(ready, ctx, summarizeJob(jobStream ?? []), balanceOf(credits ?? []), taken.claim);
    } finally {
      await taken.claim.release();
    }
  }

  private async deliver(
    ready: EventEnvelope<'VideoReady'>,
    ctx: JetStreamContext,
    job: JobSummary,
    balance: number,
    claim: VideoClaim,
  ) {
    const { store } = this.service;
    const streamId = streamIds.job(ready.data.jobId);
    if (deliveryFinished(job)) return;
    const request = requestOf(job);
    let outcome: VideoOutcome;
    try {
      outcome = await this.kit.videos.send(
        request.data.chatId,
        ready.data.videoUrl,
        this.texts(request, balance),
      );
    } catch (error) {
      // Not understood (a 401, a bug): the bus tries again later, and the last try ends the job cleanly.
      if (!ctx.isLastDelivery) throw error;
      outcome = { failed: notUnderstood(error), refused: [] };
    }
    const ref = jobRef(request);
    const finished = { causedBy: ready, eventId: deterministicEventId('delivery-finished', ref.jobId) };
    const before = job.deliveryAttemptFailures.length;
    const events = attemptFailures(outcome.refused, ref, ready, before, false);
    if ('sent' in outcome) {
      events.push(newEvent('VideoDelivered', { ...ref, ...outcome.sent }, finished));
    } else {
      const { errorClass, reason } = outcome.failed;
      const attempts = before + events.length + 1;
      events.push(newEvent('DeliveryFailed', { ...ref, errorClass, reason, attempts }, finished));
    }
    // Telegram has the video (or has refused it for good): record that through a short database outage
    // rather than leave it to the bus, whose redelivery would send the video again. The claim is given
    // back in the same round trip.
    await claim.givenBackBy((releaseSql) =>
      appendPatiently(() =>
        store.appendWith(streamId, events, { expectedVersion: job.version, alongside: [releaseSql] }),
      ),
    );
    if ('failed' in outcome)
      this.service.logger.warn({ jobId: ref.jobId, ...outcome.failed }, 'video could not be delivered');
  }

  /**
   * "Send it again" under a failed delivery. The credit already came back, so a resend is free and moves no
   * credit; it works once, and a seller may ask MAX_RESEND_REQUESTS times.
   */
  @EventPattern<string>('DeliveryRetryRequested')
  async onRetryRequested(
    @Payload() requested: EventEnvelope<'DeliveryRetryRequested'>,
    @Ctx() ctx: JetStreamContext,
  ) {
    const { store, config, logger } = this.service;
    const streamId = streamIds.job(requested.data.jobId);
    const job = summarizeJob(await store.readStream(streamId));
    const handled = job.deliveryAttemptFailures.some((f) => f.causationId === requested.eventId);
    if (!job.deliveryFailed || !job.ready || job.redelivered || handled) return;
    const request = requestOf(job);
    const { chatId, language } = request.data;
    const position = job.retryRequests.findIndex((r) => r.eventId === requested.eventId) + 1;
    if (position > config.MAX_RESEND_REQUESTS) {
      logger.info({ jobId: requested.data.jobId, position }, 'resend refused: too many requests');
      return;
    }
    let outcome: VideoOutcome;
    try {
      const balance = await this.kit.balanceOf(request.data.userId);
      outcome = await this.kit.videos.send(chatId, job.ready.data.videoUrl, this.texts(request, balance));
    } catch (error) {
      if (!ctx.isLastDelivery) throw error;
      outcome = { failed: notUnderstood(error), refused: [] };
    }
    const ref = jobRef(request);
    if ('sent' in outcome) {
      await store.append(
        streamId,
        [
          newEvent(
            'VideoRedelivered',
            { ...ref, ...outcome.sent },
            {
              causedBy: requested,
              eventId: deterministicEventId('video-redelivered', ref.jobId),
            },
          ),
        ],
        { expectedVersion: job.version },
      );
      return;
    }
    const tried = [...outcome.refused, outcome.failed];
    const events = attemptFailures(tried, ref, requested, job.deliveryAttemptFailures.length, true);
    await store.append(streamId, events, { expectedVersion: job.version });
    if (outcome.failed.errorClass === 'BLOCKED') return;
    const { messages } = this.kit;
    const message =
      outcome.failed.errorClass === 'DOWNLOAD'
        ? messages.resendUnavailable(language, ref.jobId)
        : messages.resendFailed(language, ref.jobId);
    if (
      await enqueueMessage(this.service.pool, { dedupeKey: `resend:${requested.eventId}`, chatId, message })
    )
      outboxChanged();
  }

  private texts(request: EventEnvelope<'GenerationRequested'>, balance: number): VideoTexts {
    const { jobId, language, product } = request.data;
    const low = balance < this.service.config.LOW_BALANCE_BELOW;
    const { messages } = this.kit;
    return {
      caption: messages.videoCaption(language, jobId, product, balance, low),
      link: (url) => messages.videoLink(language, jobId, product, url, balance),
    };
  }
}

/** One DeliveryAttemptFailed per form that did not go; `lastEndsIt` when no other try followed the last. */
function attemptFailures(
  tried: readonly FormRefused[],
  ref: { jobId: string; userId: number },
  cause: EventEnvelope,
  attemptsBefore: number,
  lastEndsIt: boolean,
): AnyNewEvent[] {
  const now = new Date().toISOString();
  return tried.map((refusal, i) =>
    newEvent(
      'DeliveryAttemptFailed',
      {
        ...ref,
        attempt: attemptsBefore + i + 1,
        errorClass: refusal.errorClass,
        reason: `${refusal.form}: ${refusal.reason}`.slice(0, 2000),
        // The next form went out at once.
        retryAt: lastEndsIt && i === tried.length - 1 ? null : now,
      },
      { causedBy: cause },
    ),
  );
}

/**
 * Retries an append that failed for want of the database, for up to `patienceMs`; a version conflict (the
 * job moved on) is not retried.
 */
async function appendPatiently(append: () => Promise<unknown>, patienceMs = 30_000): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      await append();
      return;
    } catch (error) {
      if (error instanceof ExpectedVersionConflictError || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function notUnderstood(error: unknown): FormRefused {
  return { form: 'video', errorClass: 'UNKNOWN', reason: String(error).slice(0, 2000) };
}
