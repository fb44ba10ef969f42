import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type FakeKie,
  type FakeTelegram,
  fixturePaths,
  kieContentPolicyMessages,
  type RecordedCall,
  type SentMessage,
} from '@neurocards/fake-providers';
import { hasButton, type MessageView } from './chatView.js';
import { PageError } from './http.js';
import { type ImageType, sniffImageType } from './requests.js';
import { recordSellerMessage, type Seller } from './sellers.js';

/** What the seller's actions need: the fakes, and where uploaded photos are kept for the page to show. */
export interface SellerActionsDeps {
  telegram: FakeTelegram;
  kie: FakeKie;
  photoDir: string;
  /** How long to wait for the bot's answer to a pre-checkout query (Telegram gives it 10 s). */
  preCheckoutTimeoutMs?: number;
}

const extensions: Record<ImageType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** Turns what a seller does on the page into what a Telegram user does, through the fake Bot API. */
export class SellerActions {
  constructor(private readonly deps: SellerActionsDeps) {}

  /** A text message (a leading slash makes it a command). */
  text(seller: Seller, text: string): MessageView {
    const update = this.deps.telegram.sendText(seller.user, text);
    return recordSellerMessage(seller, update, { kind: 'text', text });
  }

  /** A photo the seller picked: checked by its bytes, kept on disk, and sent as a Telegram photo. */
  async photo(seller: Seller, bytes: Buffer, declaredType: string | undefined): Promise<MessageView> {
    const type = sniffImageType(bytes);
    if (!type) throw new PageError(415, 'not_an_image', 'Only JPEG, PNG and WebP pictures can be sent');
    if (declaredType && declaredType !== type)
      throw new PageError(415, 'type_mismatch', `The file is ${type}, not ${declaredType}`);
    const name = `${randomUUID()}.${extensions[type]}`;
    await writeFile(join(this.deps.photoDir, name), bytes);
    const update = this.deps.telegram.sendPhoto(seller.user, { path: join(this.deps.photoDir, name) });
    return recordSellerMessage(seller, update, { kind: 'photo', mediaUrl: `/photos/${name}` });
  }

  /** The sample product photo shipped with the fakes. */
  samplePhoto(seller: Seller): MessageView {
    const update = this.deps.telegram.sendPhoto(seller.user, { path: fixturePaths.productPhoto });
    return recordSellerMessage(seller, update, { kind: 'photo', mediaUrl: '/assets/sample-product.jpg' });
  }

  /**
   * A press on an inline button; only a button the bot really sent to this seller can be pressed. Resolves
   * with the notice the bot showed in answer (Telegram's little toast), if any.
   */
  async press(seller: Seller, messageId: number, data: string): Promise<string | undefined> {
    const message = this.botMessage(seller, messageId);
    if (!hasButton(message, data))
      throw new PageError(400, 'no_such_button', 'That message has no such button');
    const queryId = this.deps.telegram.clickButton(seller.user, message, data).callback_query?.id;
    const answered = (call: RecordedCall) => call.ok && call.params.callback_query_id === queryId;
    await this.deps.telegram.waitForCall('answerCallbackQuery', answered, 3000).catch(() => undefined);
    const answer = this.deps.telegram.answers.callbackQueries.find((a) => a.callback_query_id === queryId);
    return answer?.text;
  }

  /**
   * Pays an invoice in fake Stars as Telegram does: a pre_checkout_query the bot must approve, then the
   * successful_payment message. Resolves with the bot's refusal text when it said no.
   */
  async pay(
    seller: Seller,
    messageId: number,
  ): Promise<{ ok: true; payment: MessageView } | { ok: false; reason: string }> {
    const message = this.botMessage(seller, messageId);
    const invoice = message.invoice;
    if (message.kind !== 'invoice' || !invoice) throw new PageError(400, 'not_an_invoice', 'Not an invoice');
    if (seller.paid.has(messageId)) throw new PageError(409, 'already_paid', 'This invoice is paid');
    seller.paid.add(messageId);
    const { telegram } = this.deps;
    const terms = {
      payload: invoice.payload,
      total_amount: invoice.total_amount,
      currency: invoice.currency,
    };
    const queryId = telegram.preCheckout(seller.user, terms).pre_checkout_query?.id;
    await telegram
      .waitForCall(
        'answerPreCheckoutQuery',
        (call) => call.ok && call.params.pre_checkout_query_id === queryId,
        this.deps.preCheckoutTimeoutMs ?? 10_000,
      )
      .catch(() => undefined);
    const answer = telegram.answers.preCheckoutQueries.find((a) => a.pre_checkout_query_id === queryId);
    if (!answer?.ok) {
      seller.paid.delete(messageId);
      return { ok: false, reason: answer?.error_message ?? 'The bot did not confirm the payment in time' };
    }
    const update = telegram.successfulPayment(seller.user, terms);
    const payment = recordSellerMessage(seller, update, {
      kind: 'payment',
      text: `${invoice.total_amount} ⭐`,
    });
    return { ok: true, payment };
  }

  /** Makes the next video task fail at KIE.AI as the content filter refuses a photo (for everyone). */
  simulateContentPolicyRefusal(): void {
    this.deps.kie.failNextTasks({ failCode: '400', failMsg: kieContentPolicyMessages.contentPolicy });
  }

  /** A message the bot sent to this seller and has not deleted. */
  botMessage(seller: Seller, messageId: number): SentMessage {
    const message = this.deps.telegram.messagesTo(seller.user.id).find((m) => m.message_id === messageId);
    if (!message || message.deleted) throw new PageError(404, 'no_such_message', 'No such message');
    return message;
  }
}
