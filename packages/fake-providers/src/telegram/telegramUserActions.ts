import { readFileSync } from 'node:fs';
import { fixturePaths } from '../fixtures.js';
import { imageDimensions } from '../shared/imageDimensions.js';
import type { RegisterFileInput } from './telegramFiles.js';
import type { StarCharge } from './telegramPayments.js';
import { nowSeconds, type TelegramState } from './telegramState.js';
import type { SentMessage, TelegramTestUser, TgMessage, TgUpdate } from './telegramTypes.js';
import {
  callbackQueryUpdate,
  type PhotoSize,
  photoSizeLadder,
  preCheckoutUpdate,
  refundedPaymentUpdate,
  successfulPaymentUpdate,
  textUpdate,
  type UpdateBuilderContext,
  userMessageUpdate,
} from './telegramUpdateBuilders.js';

/** Options of `FakeTelegram.sendPhoto`: the fixture product photo unless `path` is given. */
export interface UserPhotoOptions {
  caption?: string;
  path?: string;
}

/** Options of `FakeTelegram.sendDocument`: the fixture product photo as a file unless given. */
export type UserDocumentOptions = { caption?: string; fileName?: string; mimeType?: string } & (
  | { path?: string }
  | { bytes: Uint8Array }
);

/** Options of `FakeTelegram.preCheckout`. */
export interface PreCheckoutOptions {
  payload: string;
  total_amount: number;
  currency?: string;
}

/** Options of `FakeTelegram.successfulPayment`. */
export interface SuccessfulPaymentOptions extends PreCheckoutOptions {
  telegram_payment_charge_id?: string;
}

/**
 * Builds what users do in Telegram as realistic updates (ids, dates, from/chat objects, registered files)
 * and pushes them to the bot.
 */
export class TelegramUserActions {
  private queryCounter = 0;
  private chargeCounter = 0;
  private readonly photoCache = new Map<string, PhotoSize[]>();
  private readonly context: UpdateBuilderContext;

  constructor(
    private readonly state: TelegramState,
    private readonly push: (update: TgUpdate) => TgUpdate,
  ) {
    this.context = {
      nextUpdateId: () => state.updates.nextUpdateId(),
      nextMessageId: (chatId) => state.chats.nextMessageId(chatId),
      nowSeconds: () => nowSeconds(state),
    };
  }

  /** A text message (a leading /command gets its bot_command entity). */
  text(user: TelegramTestUser, text: string): TgUpdate {
    return this.push(textUpdate(this.context, this.remember(user), text));
  }

  /** A photo message with the usual ladder of sizes; every size is registered for getFile. */
  photo(user: TelegramTestUser, options: UserPhotoOptions = {}): TgUpdate {
    const content: Record<string, unknown> = {
      photo: this.photoSizes(options.path ?? fixturePaths.productPhoto),
    };
    if (options.caption !== undefined) content.caption = options.caption;
    return this.push(userMessageUpdate(this.context, this.remember(user), content));
  }

  /** A document message; the file is registered for getFile. */
  document(user: TelegramTestUser, options: UserDocumentOptions = {}): TgUpdate {
    const input: RegisterFileInput =
      'bytes' in options ? { bytes: options.bytes } : { path: options.path ?? fixturePaths.productPhoto };
    if (options.fileName) input.fileName = options.fileName;
    if (options.mimeType) input.mimeType = options.mimeType;
    const file = this.state.files.register({ ...input, kind: 'documents' });
    const content: Record<string, unknown> = {
      document: {
        file_name: file.fileName,
        mime_type: file.mimeType,
        file_id: file.file_id,
        file_unique_id: file.file_unique_id,
        file_size: file.file_size,
      },
    };
    if (options.caption !== undefined) content.caption = options.caption;
    return this.push(userMessageUpdate(this.context, this.remember(user), content));
  }

  /** A press on an inline button of a bot message; throws if the message has no such button. */
  click(user: TelegramTestUser, target: SentMessage | TgMessage | number, data: string): TgUpdate {
    const messageId = typeof target === 'number' ? target : target.message_id;
    const chatId =
      typeof target === 'number' ? user.id : isSentMessage(target) ? target.chat_id : target.chat.id;
    const sent = this.state.chats.find(chatId, messageId);
    if (!sent || sent.deleted)
      throw new Error(`clickButton: the bot has no message ${messageId} in chat ${chatId}`);
    if (!buttonData(sent.reply_markup).includes(data)) {
      throw new Error(
        `clickButton: message ${messageId} has no button with callback_data ${JSON.stringify(data)} (has ${JSON.stringify(buttonData(sent.reply_markup))})`,
      );
    }
    const queryId = String(4_000_000_000_000_000n + BigInt(++this.queryCounter));
    this.state.callbackQueries.set(queryId, false);
    return this.push(callbackQueryUpdate(this.context, this.remember(user), sent.message, data, queryId));
  }

  /** A pre_checkout_query; the bot must answer it within the deadline (10 s by default). */
  preCheckout(user: TelegramTestUser, options: PreCheckoutOptions): TgUpdate {
    const id = String(5_000_000_000_000_000n + BigInt(++this.queryCounter));
    this.state.payments.trackPreCheckout(id);
    return this.push(
      preCheckoutUpdate(this.context, this.remember(user), {
        id,
        currency: options.currency ?? 'XTR',
        total_amount: options.total_amount,
        invoice_payload: options.payload,
      }),
    );
  }

  /** A successful_payment message; the charge can then be refunded once with refundStarPayment. */
  successfulPayment(user: TelegramTestUser, options: SuccessfulPaymentOptions): TgUpdate {
    const n = ++this.chargeCounter;
    const charge: StarCharge = {
      user_id: user.id,
      currency: options.currency ?? 'XTR',
      total_amount: options.total_amount,
      invoice_payload: options.payload,
      telegram_payment_charge_id:
        options.telegram_payment_charge_id ?? `stxFAKE${String(n).padStart(6, '0')}${user.id.toString(36)}`,
      provider_payment_charge_id: `${user.id}_${n}`,
      refunded: false,
    };
    this.state.payments.trackCharge(charge);
    const { user_id: _user, refunded: _refunded, ...payment } = charge;
    return this.push(successfulPaymentUpdate(this.context, this.remember(user), payment));
  }

  /** The refunded_payment message Telegram sends after a refund. */
  refunded(charge: StarCharge): TgUpdate {
    const user = this.state.users.get(charge.user_id) ?? { id: charge.user_id };
    const { user_id: _user, refunded: _refunded, ...payment } = charge;
    return this.push(refundedPaymentUpdate(this.context, user, payment));
  }

  private remember(user: TelegramTestUser): TelegramTestUser {
    this.state.users.set(user.id, user);
    return user;
  }

  private photoSizes(path: string): PhotoSize[] {
    const cached = this.photoCache.get(path);
    if (cached) return cached;
    const bytes = readFileSync(path);
    const dims = imageDimensions(bytes) ?? { width: 1280, height: 960 };
    const sizes = photoSizeLadder(dims.width, dims.height).map((size, index) => {
      const file = this.state.files.register({
        bytes,
        kind: 'photos',
        mimeType: 'image/jpeg',
        fileName: 'photo.jpg',
        fileUniqueId: `AQAD${this.photoCache.size}${index}${size.width}x${size.height}`,
      });
      return {
        file_id: file.file_id,
        file_unique_id: file.file_unique_id,
        file_size: file.file_size,
        width: size.width,
        height: size.height,
      };
    });
    this.photoCache.set(path, sizes);
    return sizes;
  }
}

function isSentMessage(target: SentMessage | TgMessage): target is SentMessage {
  return 'chat_id' in target && 'kind' in target;
}

/** Every callback_data of an inline keyboard. */
export function buttonData(markup: unknown): string[] {
  const rows = (markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (!Array.isArray(rows)) return [];
  return rows
    .flat()
    .map((button) => (button as { callback_data?: unknown }).callback_data)
    .filter((data): data is string => typeof data === 'string');
}
