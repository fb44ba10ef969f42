import type { TelegramBotUser, TelegramTestUser, TgMessage, TgUpdate } from './telegramTypes.js';

/** What the builders need from the fake: id sequences and the clock. */
export interface UpdateBuilderContext {
  nextUpdateId(): number;
  nextMessageId(chatId: number): number;
  nowSeconds(): number;
}

/** One element of a Message's `photo` array. */
export interface PhotoSize {
  file_id: string;
  file_unique_id: string;
  file_size: number;
  width: number;
  height: number;
}

type Sender = NonNullable<TgMessage['from']>;

/** The bot's getMe object: its id is the token's numeric prefix, the rest test defaults unless overridden. */
export function botUserOf(
  token: string,
  overrides: Partial<Omit<TelegramBotUser, 'is_bot'>> = {},
): TelegramBotUser {
  const botId = Number(token.split(':')[0]);
  return {
    id: Number.isSafeInteger(botId) ? botId : 7000000001,
    is_bot: true,
    first_name: 'Neurocards Test Bot',
    username: 'neurocards_test_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    ...overrides,
  };
}

/** The `from` object of a user. */
export function senderOf(user: TelegramTestUser): Sender {
  const from: Sender & Record<string, unknown> = {
    id: user.id,
    is_bot: false,
    first_name: user.first_name ?? `User${user.id}`,
    language_code: user.language_code ?? 'en',
  };
  if (user.last_name) from.last_name = user.last_name;
  if (user.username) from.username = user.username;
  if (user.is_premium) from.is_premium = true;
  return from;
}

/** The `from` object of the bot, as it appears on the bot's own messages. */
export function senderOfBot(bot: TelegramBotUser): Sender {
  return { id: bot.id, is_bot: true, first_name: bot.first_name, username: bot.username };
}

/** The private chat with a user (chat.id = user.id). */
export function privateChatOf(user: TelegramTestUser): TgMessage['chat'] {
  const chat: TgMessage['chat'] = {
    id: user.id,
    type: 'private',
    first_name: user.first_name ?? `User${user.id}`,
  };
  if (user.username) chat.username = user.username;
  return chat;
}

/** An update carrying a new message from the user with the given content fields. */
export function userMessageUpdate(
  context: UpdateBuilderContext,
  user: TelegramTestUser,
  content: Record<string, unknown>,
): TgUpdate {
  const message: TgMessage = {
    message_id: context.nextMessageId(user.id),
    from: senderOf(user),
    chat: privateChatOf(user),
    date: context.nowSeconds(),
    ...content,
  };
  return { update_id: context.nextUpdateId(), message };
}

/** A text message; a leading `/command` gets its bot_command entity, as grammY's `bot.command` needs. */
export function textUpdate(context: UpdateBuilderContext, user: TelegramTestUser, text: string): TgUpdate {
  const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
  const content: Record<string, unknown> = { text };
  if (command) content.entities = [{ type: 'bot_command', offset: 0, length: command[0].length }];
  return userMessageUpdate(context, user, content);
}

/** The standard Telegram downscales kept for a photo: 90, 320, 800 and 1280 px on the long side. */
export function photoSizeLadder(width: number, height: number): { width: number; height: number }[] {
  const long = Math.max(width, height);
  const sizes: { width: number; height: number }[] = [];
  for (const target of [90, 320, 800, 1280]) {
    if (target >= long) break;
    const scale = target / long;
    sizes.push({ width: Math.round(width * scale), height: Math.round(height * scale) });
  }
  sizes.push({ width, height });
  return sizes;
}

/** A callback_query for a button the user pressed under one of the bot's messages. */
export function callbackQueryUpdate(
  context: UpdateBuilderContext,
  user: TelegramTestUser,
  message: TgMessage,
  data: string,
  queryId: string,
): TgUpdate {
  return {
    update_id: context.nextUpdateId(),
    callback_query: {
      id: queryId,
      from: senderOf(user),
      message,
      chat_instance: String(-(BigInt(user.id) * 7919n + 1_000_003n)),
      data,
    },
  };
}

/** A pre_checkout_query for a Stars invoice. */
export function preCheckoutUpdate(
  context: UpdateBuilderContext,
  user: TelegramTestUser,
  query: { id: string; currency: string; total_amount: number; invoice_payload: string },
): TgUpdate {
  return { update_id: context.nextUpdateId(), pre_checkout_query: { ...query, from: senderOf(user) } };
}

/** Fields of a successful (or refunded) Stars payment. */
export interface PaymentFields {
  currency: string;
  total_amount: number;
  invoice_payload: string;
  telegram_payment_charge_id: string;
  provider_payment_charge_id?: string;
}

/** A service message with `successful_payment`. */
export function successfulPaymentUpdate(
  context: UpdateBuilderContext,
  user: TelegramTestUser,
  payment: PaymentFields,
): TgUpdate {
  return userMessageUpdate(context, user, {
    successful_payment: { provider_payment_charge_id: '', ...payment },
  });
}

/** A service message with `refunded_payment`, sent after refundStarPayment. */
export function refundedPaymentUpdate(
  context: UpdateBuilderContext,
  user: TelegramTestUser,
  payment: PaymentFields,
): TgUpdate {
  const { provider_payment_charge_id: _unused, ...refunded } = payment;
  return userMessageUpdate(context, user, { refunded_payment: refunded });
}
