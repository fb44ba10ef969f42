import { badRequest, telegramDescriptions } from './telegramErrors.js';
import type { TelegramParams } from './telegramParams.js';
import { type MethodHandler, recordSent } from './telegramState.js';
import type { PreCheckoutAnswer, SentInvoice } from './telegramTypes.js';
import type { PaymentFields } from './telegramUpdateBuilders.js';

/** A Stars payment the fake knows of (pushed with `successfulPayment`). */
export interface StarCharge extends PaymentFields {
  user_id: number;
  refunded: boolean;
}

/**
 * Stars payment state: pre-checkout queries with their 10 s answer deadline, answers, and charges that
 * refundStarPayment may refund once.
 */
export class TelegramPayments {
  readonly preCheckoutAnswers: PreCheckoutAnswer[] = [];
  readonly refunds: { user_id: number; telegram_payment_charge_id: string; at: number }[] = [];
  private readonly queries = new Map<string, { pushedAt: number; answered: boolean }>();
  private readonly charges = new Map<string, StarCharge>();

  constructor(
    private readonly options: {
      now: () => number;
      preCheckoutTimeoutMs: number;
      onRefund: (charge: StarCharge) => void;
    },
  ) {}

  /** Remembers a pushed pre_checkout_query so a late or repeated answer fails as on Telegram. */
  trackPreCheckout(id: string): void {
    this.queries.set(id, { pushedAt: this.options.now(), answered: false });
  }

  /** Remembers a pushed successful payment so it can be refunded. */
  trackCharge(charge: StarCharge): void {
    this.charges.set(charge.telegram_payment_charge_id, charge);
  }

  /** A known charge by its telegram_payment_charge_id. */
  charge(id: string): StarCharge | undefined {
    return this.charges.get(id);
  }

  /** answerPreCheckoutQuery. */
  answerPreCheckout(params: TelegramParams): true {
    const id = params.string('pre_checkout_query_id') ?? '';
    const ok = params.boolean('ok');
    if (ok === undefined) throw badRequest('Bad Request: parameter "ok" is required');
    const errorMessage = params.string('error_message');
    if (!ok && !errorMessage) throw badRequest('Bad Request: ERROR_MESSAGE_EMPTY');
    const query = this.queries.get(id);
    const now = this.options.now();
    if (query && (query.answered || now - query.pushedAt > this.options.preCheckoutTimeoutMs)) {
      throw badRequest(telegramDescriptions.queryTooOld);
    }
    if (query) query.answered = true;
    const answer: PreCheckoutAnswer = { pre_checkout_query_id: id, ok, at: now };
    if (errorMessage !== undefined) answer.error_message = errorMessage;
    this.preCheckoutAnswers.push(answer);
    return true;
  }

  /** refundStarPayment: each known charge once, by the user who paid. */
  refund(params: TelegramParams): true {
    const userId = params.integer('user_id');
    const chargeId = params.string('telegram_payment_charge_id') ?? '';
    const charge = this.charges.get(chargeId);
    if (!charge || charge.user_id !== userId) throw badRequest(telegramDescriptions.chargeIdInvalid);
    if (charge.refunded) throw badRequest(telegramDescriptions.chargeAlreadyRefunded);
    charge.refunded = true;
    this.refunds.push({
      user_id: charge.user_id,
      telegram_payment_charge_id: chargeId,
      at: this.options.now(),
    });
    this.options.onRefund(charge);
    return true;
  }
}

/** Checks sendInvoice against the Stars rules (external-apis.md §2.4) and returns the invoice. */
export function validateStarsInvoice(params: TelegramParams): SentInvoice {
  const title = params.string('title') ?? '';
  const description = params.string('description') ?? '';
  const payload = params.string('payload') ?? '';
  const currency = params.string('currency') ?? '';
  const titleLength = [...title].length;
  const descriptionLength = [...description].length;
  if (titleLength < 1 || titleLength > 32) throw badRequest(telegramDescriptions.invoiceTitleInvalid);
  if (descriptionLength < 1 || descriptionLength > 255) {
    throw badRequest(telegramDescriptions.invoiceDescriptionInvalid);
  }
  const payloadBytes = Buffer.byteLength(payload);
  if (payloadBytes < 1 || payloadBytes > 128) throw badRequest(telegramDescriptions.invoicePayloadInvalid);
  if (currency !== 'XTR') throw badRequest(telegramDescriptions.currencyInvalid);
  if (params.string('provider_token')) throw badRequest(telegramDescriptions.starsInvoiceInvalid);
  if (params.has('max_tip_amount') || params.has('suggested_tip_amounts')) {
    throw badRequest(telegramDescriptions.starsInvoiceInvalid);
  }
  const prices = params.json<{ label?: unknown; amount?: unknown }[]>('prices', 'prices');
  if (!Array.isArray(prices) || prices.length !== 1)
    throw badRequest(telegramDescriptions.starsInvoiceInvalid);
  const [price] = prices as [{ label?: unknown; amount?: unknown }];
  if (typeof price.amount !== 'number' || !Number.isInteger(price.amount) || price.amount < 1) {
    throw badRequest(telegramDescriptions.starsInvoiceInvalid);
  }
  const label = typeof price.label === 'string' ? price.label : '';
  return {
    title,
    description,
    payload,
    currency,
    prices: [{ label, amount: price.amount }],
    total_amount: price.amount,
  };
}

/** sendInvoice, answerPreCheckoutQuery and refundStarPayment. */
export const paymentMethods: Record<string, MethodHandler> = {
  sendInvoice: (state, { params }) => {
    const chatId = params.chatId();
    const invoice = validateStarsInvoice(params);
    const message = recordSent(state, {
      chatId,
      kind: 'invoice',
      params,
      content: {
        invoice: {
          title: invoice.title,
          description: invoice.description,
          start_parameter: params.string('start_parameter') ?? '',
          currency: invoice.currency,
          total_amount: invoice.total_amount,
        },
      },
      invoice,
    });
    return message;
  },
  answerPreCheckoutQuery: (state, { params }) => state.payments.answerPreCheckout(params),
  refundStarPayment: (state, { params }) => state.payments.refund(params),
};
