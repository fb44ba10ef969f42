import type { ServerResponse } from 'node:http';
import type { TelegramChats } from './telegramChats.js';
import { badRequest, TelegramApiError, telegramDescriptions } from './telegramErrors.js';
import type { TelegramFiles } from './telegramFiles.js';
import { checkFormatting } from './telegramFormatting.js';
import type { TelegramParams } from './telegramParams.js';
import type { TelegramPayments } from './telegramPayments.js';
import type {
  CallbackAnswer,
  MediaSource,
  SentInvoice,
  SentMessage,
  SentMessageKind,
  TelegramBotUser,
  TelegramTestUser,
  TgMessage,
} from './telegramTypes.js';
import { senderOfBot } from './telegramUpdateBuilders.js';
import type { TelegramUpdateQueue } from './telegramUpdateQueue.js';

/** Everything a Bot API method handler reads or changes. */
export interface TelegramState {
  bot: TelegramBotUser;
  chats: TelegramChats;
  files: TelegramFiles;
  updates: TelegramUpdateQueue;
  payments: TelegramPayments;
  callbackAnswers: CallbackAnswer[];
  /** Callback query ids pushed by the fake, with whether they were answered. */
  callbackQueries: Map<string, boolean>;
  /** Users seen in injected updates, to fill chat objects. */
  users: Map<number, TelegramTestUser>;
  /** setMyCommands per scope/language key. */
  commands: Map<string, unknown[]>;
  /** getFile refuses files larger than this (20 MB on the cloud API). */
  maxDownloadBytes: number;
  now(): number;
}

/** One call as a handler sees it. */
export interface MethodCall {
  params: TelegramParams;
  res: ServerResponse;
}

/** A Bot API method: returns `result` or throws TelegramApiError. */
export type MethodHandler = (state: TelegramState, call: MethodCall) => unknown;

/** Seconds since the epoch by the fake's clock, as Telegram dates are. */
export function nowSeconds(state: TelegramState): number {
  return Math.floor(state.now() / 1000);
}

/** The chat object of a chat id: private for positive ids, supergroup/group otherwise. */
export function chatObject(state: TelegramState, chatId: number): TgMessage['chat'] {
  if (chatId < 0) return { id: chatId, type: chatId < -1_000_000_000_000 ? 'supergroup' : 'group' };
  const user = state.users.get(chatId);
  const chat: TgMessage['chat'] = {
    id: chatId,
    type: 'private',
    first_name: user?.first_name ?? `User${chatId}`,
  };
  if (user?.username) chat.username = user.username;
  return chat;
}

/** Parses and checks reply_markup as the API does (inline callback_data is limited to 64 bytes). */
export function replyMarkupOf(params: TelegramParams): unknown {
  const markup = params.json<Record<string, unknown>>('reply_markup', 'reply keyboard markup');
  if (markup === undefined) return undefined;
  if (typeof markup !== 'object' || markup === null || Array.isArray(markup)) {
    throw badRequest("Bad Request: can't parse reply keyboard markup JSON object");
  }
  const rows = markup.inline_keyboard;
  if (rows !== undefined) {
    if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row))) {
      throw badRequest(
        'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
      );
    }
    for (const button of rows.flat() as Record<string, unknown>[]) {
      const data = button.callback_data;
      if (typeof data === 'string' && (data.length === 0 || Buffer.byteLength(data) > 64)) {
        throw badRequest(telegramDescriptions.buttonDataInvalid);
      }
    }
  }
  return markup;
}

/** Checks text or caption length and formatting; `limit` is 4096 for text, 1024 for captions. */
export function checkText(text: string, parseMode: string | undefined, limit: number, tooLong: string): void {
  if ([...text].length > limit) throw badRequest(tooLong);
  checkFormatting(text, parseMode);
}

/** Fails with 403 when the user of a private chat blocked the bot. */
export function ensureNotBlocked(state: TelegramState, chatId: number): void {
  if (state.chats.isBlocked(chatId)) throw new TelegramApiError(403, telegramDescriptions.blockedByUser);
}

/** Records a message the bot sends and returns the Message object answered to it. */
export function recordSent(
  state: TelegramState,
  spec: {
    chatId: number;
    kind: SentMessageKind;
    params: TelegramParams;
    content: Record<string, unknown>;
    media?: MediaSource;
    invoice?: SentInvoice;
  },
): TgMessage {
  ensureNotBlocked(state, spec.chatId);
  const date = nowSeconds(state);
  const replyMarkup = replyMarkupOf(spec.params);
  const message: TgMessage = {
    message_id: state.chats.nextMessageId(spec.chatId),
    from: senderOfBot(state.bot),
    chat: chatObject(state, spec.chatId),
    date,
    ...spec.content,
  };
  if (replyMarkup !== undefined) message.reply_markup = replyMarkup;
  const sent: SentMessage = {
    message_id: message.message_id,
    chat_id: spec.chatId,
    kind: spec.kind,
    params: spec.params.toRecord(),
    message,
    date,
    editCount: 0,
    deleted: false,
  };
  if (typeof message.text === 'string') sent.text = message.text;
  if (typeof message.caption === 'string') sent.caption = message.caption;
  const parseMode = spec.params.string('parse_mode');
  if (parseMode) sent.parse_mode = parseMode;
  if (replyMarkup !== undefined) sent.reply_markup = replyMarkup;
  if (spec.media) sent.media = spec.media;
  if (spec.invoice) sent.invoice = spec.invoice;
  state.chats.add(sent);
  return message;
}
