import {
  type CreditPackage,
  invoicePayload,
  newEvent,
  packageForPayment,
  parseInvoicePayload,
  streamIds,
} from '@neurocards/contracts';
import { isExpectedVersionConflict } from '@neurocards/runtime/event-store';
import type { BotContext, GatewayDeps } from './context.js';
import { send } from './ordering.js';
import { buyScreen } from './screens.js';

/**
 * Telegram Stars (DESIGN §1, reference §2.4): packages as invoices in XTR, the pre-checkout answered at once
 * after checking the package, the price and the payer, and a successful payment made durable as
 * PaymentReceived before the bot says anything. Billing credits it.
 */
export class Payments {
  constructor(private readonly deps: GatewayDeps) {}

  async showPackages(ctx: BotContext): Promise<void> {
    await send(ctx, buyScreen(ctx.t, this.deps.config.CREDIT_PACKAGES));
  }

  async sendInvoice(ctx: BotContext, packageId: string): Promise<void> {
    const pack = this.find(packageId);
    const chatId = ctx.chat?.id;
    if (!pack || chatId === undefined || !ctx.from)
      return void (await ctx.reply(ctx.t('precheckout-unknown-package')));
    const credits = { count: pack.credits };
    await ctx.api.sendInvoice(
      chatId,
      ctx.t('invoice-title', credits),
      ctx.t('invoice-description', credits),
      invoicePayload(pack, ctx.from.id),
      'XTR',
      [{ label: ctx.t('invoice-label', credits), amount: pack.stars }],
    );
  }

  /** Must be answered within 10 s: only local checks, no event store. */
  async preCheckout(ctx: BotContext): Promise<void> {
    const query = ctx.preCheckoutQuery;
    if (!query) return;
    const refuse = (key: string) => ctx.answerPreCheckoutQuery(false, { error_message: ctx.t(key) });
    const terms = parseInvoicePayload(query.invoice_payload);
    const pack = terms && this.find(terms.id);
    if (!terms || !pack || (terms.userId !== undefined && terms.userId !== query.from.id))
      return void (await refuse('precheckout-unknown-package'));
    if (
      query.currency !== 'XTR' ||
      pack.stars !== terms.stars ||
      pack.credits !== terms.credits ||
      query.total_amount !== pack.stars
    )
      return void (await refuse('precheckout-price-changed'));
    if (ctx.seller?.banned) return void (await refuse('precheckout-banned'));
    await ctx.answerPreCheckoutQuery(true);
  }

  /** The money has moved: record it first (once per charge), then thank the seller. */
  async received(ctx: BotContext): Promise<void> {
    const payment = ctx.message?.successful_payment;
    const userId = ctx.from?.id;
    if (!payment || userId === undefined) return;
    const chargeId = payment.telegram_payment_charge_id;
    try {
      await this.deps.store.append(
        streamIds.payment(chargeId),
        [
          newEvent(
            'PaymentReceived',
            { userId, chargeId, stars: payment.total_amount, payload: payment.invoice_payload },
            { correlationId: streamIds.payment(chargeId) },
          ),
        ],
        { expectedVersion: 'no_stream' },
      );
    } catch (error) {
      if (isExpectedVersionConflict(error)) return; // the same update again: recorded and thanked already
      throw error;
    }
    this.deps.logger.info({ userId, chargeId, stars: payment.total_amount }, 'payment received');
    const credits = this.creditsOf(payment.invoice_payload, payment.total_amount);
    if (credits === undefined) {
      // Billing parks it with the reason for an operator to credit by hand; the seller hears what happens.
      this.deps.logger.error(
        { userId, chargeId, stars: payment.total_amount, payload: payment.invoice_payload },
        'payment matches no package: it must be credited by hand',
      );
      return void (await ctx.reply(ctx.t('payment-received-unmatched', { chargeId })));
    }
    await ctx.reply(ctx.t('payment-received', { count: credits }));
  }

  /** What billing will credit for this payment (it decides; this is only for the thank-you). */
  private creditsOf(payload: string, stars: number): number | undefined {
    try {
      return packageForPayment(this.deps.config.CREDIT_PACKAGES, payload, stars).credits;
    } catch {
      return undefined;
    }
  }

  private find(packageId: string): CreditPackage | undefined {
    return this.deps.config.CREDIT_PACKAGES.find((pack) => pack.id === packageId);
  }
}
