import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { CreditsState } from '@neurocards/contracts';
import { type AnyNewEvent, type DomainEvent, type EventEnvelope, streamIds } from '@neurocards/contracts';
import { handleOnce, type JetStreamContext } from '@neurocards/runtime/bus';
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
import { decideCredits } from './credit-commands.js';

/** Turns job, user, payment and admin events into credit movements on users' credit streams. */
@Controller()
export class CreditsController {
  constructor(@Inject(SERVICE_CONTEXT) private readonly service: ServiceContext<BillingConfig>) {}

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
      async (client, tx, before, added) => {
        const firstVideo = before.capturedJobs === 0 && added.some((e) => e.type === 'CreditCaptured');
        if (firstVideo) await this.rewardReferrer(client, tx, event);
      },
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
   * redelivered event changes nothing. `after` runs in the same transaction with what was decided.
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
    ) => Promise<void>,
  ): Promise<void> {
    const { pool, store, logger } = this.service;
    const userId = cause.data.userId;
    // The credit stream is read in the round trip that opens the transaction and records the inbox entry.
    await handleOnce(
      pool,
      { schema: 'billing', consumer: ctx.consumer, eventId: cause.eventId },
      async (client, tx) => {
        const history = tx.prefetched && toEvents(tx.prefetched);
        const { state, events } = await decideCredits(store, client, tx, userId, decide, history);
        if (events.length > 0) logger.info({ userId, events: events.map((e) => e.type) }, 'credits moved');
        await after?.(client, tx, state, events);
      },
      { prefetch: readStreamSql(streamIds.credits(userId)) },
    );
  }

  private async rewardReferrer(
    client: PoolClient,
    tx: Transaction,
    delivered: EventEnvelope<'VideoDelivered'>,
  ): Promise<void> {
    const { store, config, logger } = this.service;
    const invitedUserId = delivered.data.userId;
    const invited = await store.readStream(streamIds.user(invitedUserId), { client });
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
