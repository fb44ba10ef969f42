import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { type AnyNewEvent, type DomainEvent, type EventEnvelope, streamIds } from '@neurocards/contracts';
import { handleOnce, type JetStreamContext } from '@neurocards/runtime/bus';
import { handleCommand } from '@neurocards/runtime/event-store';
import { SERVICE_CONTEXT, type ServiceContext } from '@neurocards/runtime/shell';
import type { BillingConfig } from '../config.js';
import {
  type CreditsState,
  captureCredits,
  creditsModel,
  grantFreeCredits,
  refundCredits,
  reserveCredits,
} from '../domain/credits.js';

/** Turns job and user events into credit movements on the user's credit stream. */
@Controller()
export class CreditsController {
  constructor(@Inject(SERVICE_CONTEXT) private readonly service: ServiceContext<BillingConfig>) {}

  @EventPattern<string>('UserRegistered')
  onUserRegistered(@Payload() event: EventEnvelope<'UserRegistered'>, @Ctx() ctx: JetStreamContext) {
    return this.decide(event, ctx, event.data.userId, (state) =>
      grantFreeCredits(state, event, this.service.config.FREE_CREDITS),
    );
  }

  @EventPattern<string>('GenerationRequested')
  onGenerationRequested(
    @Payload() event: EventEnvelope<'GenerationRequested'>,
    @Ctx() ctx: JetStreamContext,
  ) {
    return this.decide(event, ctx, event.data.userId, (state) =>
      reserveCredits(state, event, {
        now: new Date(),
        reservationTtlMs: this.service.config.JOB_TIMEOUT_MS,
        freeCredits: this.service.config.FREE_CREDITS,
      }),
    );
  }

  @EventPattern<string>('VideoDelivered')
  onVideoDelivered(@Payload() event: EventEnvelope<'VideoDelivered'>, @Ctx() ctx: JetStreamContext) {
    return this.decide(event, ctx, event.data.userId, (state) => captureCredits(state, event));
  }

  @EventPattern<string>('GenerationFailed')
  onGenerationFailed(@Payload() event: EventEnvelope<'GenerationFailed'>, @Ctx() ctx: JetStreamContext) {
    return this.decide(event, ctx, event.data.userId, (state) => refundCredits(state, event));
  }

  @EventPattern<string>('DeliveryFailed')
  onDeliveryFailed(@Payload() event: EventEnvelope<'DeliveryFailed'>, @Ctx() ctx: JetStreamContext) {
    return this.decide(event, ctx, event.data.userId, (state) => refundCredits(state, event));
  }

  /** Decides on the user's credit stream and appends, in one transaction with the inbox record. */
  private async decide(
    cause: DomainEvent,
    ctx: JetStreamContext,
    userId: number,
    decide: (state: CreditsState) => AnyNewEvent[],
  ): Promise<void> {
    const { pool, store, logger } = this.service;
    const outcome = await handleOnce(
      pool,
      { schema: 'billing', consumer: ctx.consumer, eventId: cause.eventId },
      (client) => handleCommand(store, streamIds.credits(userId), creditsModel, decide, { client }),
    );
    if (!outcome.duplicate && outcome.result.events.length > 0) {
      logger.info({ userId, events: outcome.result.events.map((e) => e.type) }, 'credits moved');
    }
  }
}
