import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { CreditsState } from '@neurocards/contracts';
import { type AnyNewEvent, type DomainEvent, type EventEnvelope, streamIds } from '@neurocards/contracts';
import { InboxBatcher, type JetStreamContext } from '@neurocards/runtime/bus';
import { readStreamSql, type Transaction, toEvents } from '@neurocards/runtime/event-store';
import { SERVICE_CONTEXT, type ServiceContext } from '@neurocards/runtime/shell';
import type { PoolClient } from 'pg';
import type { BillingConfig } from '../config.js';
import {
  captureCredits,
  grantCredits,
  grantFreeCredits,
  grantReferralBonus,
  purchaseCredits,
  refundCredits,
  refundPayment,
  reserveOrder,
} from '../domain/credits-decisions.js';
import { referrerToReward, registeredReferrerId } from '../domain/referrals.js';
import { decideCredits, retryingAppendConflicts } from './credit-commands.js';

/** Turns job, user, payment and admin events into credit movements on users' credit streams. */
@Controller()
export class CreditsController {
  /** Events handled at once share a transaction: one round trip to open it and one to commit, under load. */
  private readonly inbox: InboxBatcher;

  constructor(@Inject(SERVICE_CONTEXT) private readonly service: ServiceContext<BillingConfig>) {
    this.inbox = new InboxBatcher(service.pool, 'billing', {
      onBatch: (size) => service.metrics.batchCalls.observe({ batcher: 'inbox' }, size),
    });
  }

  @EventPattern<string>('UserRegistered')
  onUserRegistered(@Payload() event: EventEnvelope<'UserRegistered'>, @Ctx() ctx: JetStreamContext) {
    return this.decide(event, ctx, (state) =>
      grantFreeCredits(state, event, this.service.config.FREE_CREDITS),
    );
  }

  @EventPattern<string>('GenerationRequested')
  onGenerationRequested(
    @Payload() event: EventEnvelope<'GenerationRequested'>,
    @Ctx() ctx: JetStreamContext,
  ) {
    const { JOB_TIMEOUT, FREE_CREDITS } = this.service.config;
    return this.decide(event, ctx, (state) =>
      reserveOrder(state, event, {
        now: new Date(),
        reservationTtlMs: JOB_TIMEOUT,
        freeCredits: FREE_CREDITS,
      }),
    );
  }

  @EventPattern<string>('VideoDelivered')
  onVideoDelivered(@Payload() event: EventEnvelope<'VideoDelivered'>, @Ctx() ctx: JetStreamContext) {
    return this.decide(
      event,
      ctx,
      (state) => captureCredits(state, event),
      async (client, tx, before, added, [invited]) => {
        const firstVideo = before.capturedJobs === 0 && added.some((e) => e.type === 'CreditCaptured');
        if (firstVideo) await this.rewardReferrer(client, tx, event, invited ?? []);
      },
      // A seller's first video may earn whoever invited them a bonus: their user stream says who did.
      [streamIds.user(event.data.userId)],
    );
  }

  @EventPattern<string>('GenerationFailed')
  onGenerationFailed(@Payload() event: EventEnvelope<'GenerationFailed'>, @Ctx() ctx: JetStreamContext) {
    return this.decide(event, ctx, (state) => refundCredits(state, event));
  }

  @EventPattern<string>('DeliveryFailed')
  onDeliveryFailed(@Payload() event: EventEnvelope<'DeliveryFailed'>, @Ctx() ctx: JetStreamContext) {
    return this.decide(event, ctx, (state) => refundCredits(state, event));
  }

  @EventPattern<string>('PaymentReceived')
  onPaymentReceived(@Payload() event: EventEnvelope<'PaymentReceived'>, @Ctx() ctx: JetStreamContext) {
    return this.decide(event, ctx, (state) =>
      purchaseCredits(state, event, this.service.config.CREDIT_PACKAGES),
    );
  }

  @EventPattern<string>('PaymentRefundRequested')
  onPaymentRefundRequested(
    @Payload() event: EventEnvelope<'PaymentRefundRequested'>,
    @Ctx() ctx: JetStreamContext,
  ) {
    return this.decide(event, ctx, (state) => refundPayment(state, event));
  }

  @EventPattern<string>('CreditsGrantRequested')
  onCreditsGrantRequested(
    @Payload() event: EventEnvelope<'CreditsGrantRequested'>,
    @Ctx() ctx: JetStreamContext,
  ) {
    return this.decide(event, ctx, (state) => grantCredits(state, event));
  }

  /**
   * Decides on the credit stream of the event's user, in one transaction with the inbox record, so a
   * redelivered event changes nothing. `after` runs in the same transaction with what was decided and the
   * streams `alsoRead` names, read in the round trip that opens the transaction with the credit stream.
   */
  private async decide(
    cause: DomainEvent & { data: { userId: number } },
    ctx: JetStreamContext,
    decide: (state: CreditsState) => AnyNewEvent[],
    after?: (
      client: PoolClient,
      tx: Transaction,
      before: CreditsState,
      added: AnyNewEvent[],
      alsoRead: DomainEvent[][],
    ) => Promise<void>,
    alsoRead: readonly string[] = [],
  ): Promise<void> {
    const { store, logger } = this.service;
    const userId = cause.data.userId;
    const reads = [streamIds.credits(userId), ...alsoRead].map(readStreamSql);
    const moved = await retryingAppendConflicts(() =>
      this.inbox.handle({
        consumer: ctx.consumer,
        eventId: cause.eventId,
        key: streamIds.credits(userId),
        prefetch: reads,
        effect: async (client, tx) => {
          const [credits = [], ...others] = tx.prefetched.map(toEvents);
          const { state, events } = await decideCredits(store, client, tx, userId, decide, credits);
          await after?.(client, tx, state, events, others);
          return events;
        },
      }),
    );
    if (!moved.duplicate && moved.result.length > 0)
      logger.info({ userId, events: moved.result.map((e) => e.type) }, 'credits moved');
  }

  private async rewardReferrer(
    client: PoolClient,
    tx: Transaction,
    delivered: EventEnvelope<'VideoDelivered'>,
    invited: readonly DomainEvent[],
  ): Promise<void> {
    const { store, config, logger } = this.service;
    const invitedUserId = delivered.data.userId;
    const inviterId = registeredReferrerId(invited);
    if (inviterId === null) return;
    const referrer = await store.readStream(streamIds.user(inviterId), { client });
    const verdict = referrerToReward(invited, referrer);
    if ('refused' in verdict) {
      logger.info({ invitedUserId, reason: verdict.refused }, 'no referral bonus');
      return;
    }
    await decideCredits(store, client, tx, verdict.referrerId, (state) =>
      grantReferralBonus(state, verdict.referrerId, invitedUserId, config.REFERRAL_BONUS, delivered),
    );
  }
}
