import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { EventEnvelope } from '@neurocards/contracts';
import { handleOnce, type JetStreamContext } from '@neurocards/runtime/bus';
import { SERVICE_CONTEXT, type ServiceContext } from '@neurocards/runtime/shell';
import { Api, GrammyError } from 'grammy';
import type { GatewayConfig } from '../config.js';

/**
 * Gives the Stars back once billing has debited the credits of a refunded payment. A charge Telegram says
 * is refunded already counts as done; any other failure is retried and, in the end, parked with its reason
 * for an operator.
 */
@Controller()
export class PaymentsController {
  private readonly api: Api;

  constructor(@Inject(SERVICE_CONTEXT) private readonly service: ServiceContext<GatewayConfig>) {
    this.api = new Api(service.config.TELEGRAM_BOT_TOKEN, { apiRoot: service.config.TELEGRAM_API_ROOT });
  }

  @EventPattern<string>('PaymentRefunded')
  async onPaymentRefunded(@Payload() event: EventEnvelope<'PaymentRefunded'>, @Ctx() ctx: JetStreamContext) {
    const { pool, logger } = this.service;
    const { userId, chargeId, stars } = event.data;
    await handleOnce(
      pool,
      { schema: 'gateway', consumer: ctx.consumer, eventId: event.eventId },
      async () => {
        try {
          await this.api.raw.refundStarPayment({ user_id: userId, telegram_payment_charge_id: chargeId });
          logger.info({ userId, chargeId, stars }, 'Stars refunded');
        } catch (error) {
          if (error instanceof GrammyError && /CHARGE_ALREADY_REFUNDED/.test(error.description)) return;
          throw error;
        }
      },
    );
  }
}
