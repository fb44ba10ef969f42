import { badRequest, telegramDescriptions } from './telegramErrors.js';
import type { TelegramParams } from './telegramParams.js';
import {
  checkText,
  ensureNotBlocked,
  type MethodHandler,
  nowSeconds,
  recordSent,
  replyMarkupOf,
  type TelegramState,
} from './telegramState.js';
import type { CallbackAnswer, SentMessage } from './telegramTypes.js';

const chatActions = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

function messageToEdit(state: TelegramState, params: TelegramParams): SentMessage {
  if (params.has('inline_message_id'))
    throw badRequest('Bad Request: inline messages are not supported by the fake');
  const message = state.chats.find(params.chatId(), params.integer('message_id') ?? 0);
  if (!message || message.deleted) throw badRequest(telegramDescriptions.messageToEditNotFound);
  return message;
}

function sameMarkup(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Applies an edit: like the real API, an edit without reply_markup removes the inline keyboard. */
function applyEdit(
  state: TelegramState,
  params: TelegramParams,
  sent: SentMessage,
  field: 'text' | 'caption' | undefined,
  value?: string,
) {
  const markup = replyMarkupOf(params);
  const oldValue = field ? sent[field] : undefined;
  if ((field === undefined || oldValue === value) && sameMarkup(sent.reply_markup, markup)) {
    throw badRequest(telegramDescriptions.messageNotModified);
  }
  if (field && value !== undefined) {
    sent[field] = value;
    sent.message[field] = value;
  }
  if (markup === undefined) {
    delete sent.reply_markup;
    delete sent.message.reply_markup;
  } else {
    sent.reply_markup = markup;
    sent.message.reply_markup = markup;
  }
  sent.editCount += 1;
  sent.message.edit_date = nowSeconds(state);
  state.chats.changed(sent);
  return sent.message;
}

/** sendMessage, edits, deleteMessage, answerCallbackQuery, sendChatAction, getMe and bot commands. */
export const messageMethods: Record<string, MethodHandler> = {
  getMe: (state) => state.bot,

  sendMessage: (state, { params }) => {
    const chatId = params.chatId();
    const text = params.string('text') ?? '';
    if (text.trim() === '') throw badRequest(telegramDescriptions.messageTextEmpty);
    checkText(text, params.string('parse_mode'), 4096, telegramDescriptions.messageTooLong);
    return recordSent(state, { chatId, kind: 'text', params, content: { text } });
  },

  editMessageText: (state, { params }) => {
    const sent = messageToEdit(state, params);
    if (sent.kind !== 'text') throw badRequest('Bad Request: there is no text in the message to edit');
    const text = params.string('text') ?? '';
    if (text.trim() === '') throw badRequest(telegramDescriptions.messageTextEmpty);
    checkText(text, params.string('parse_mode'), 4096, telegramDescriptions.messageTooLong);
    return applyEdit(state, params, sent, 'text', text);
  },

  editMessageCaption: (state, { params }) => {
    const sent = messageToEdit(state, params);
    const caption = params.string('caption') ?? '';
    checkText(caption, params.string('parse_mode'), 1024, telegramDescriptions.captionTooLong);
    return applyEdit(state, params, sent, 'caption', caption);
  },

  editMessageReplyMarkup: (state, { params }) => {
    const sent = messageToEdit(state, params);
    return applyEdit(state, params, sent, undefined);
  },

  deleteMessage: (state, { params }) => {
    const sent = state.chats.find(params.chatId(), params.integer('message_id') ?? 0);
    if (!sent || sent.deleted) throw badRequest(telegramDescriptions.messageToDeleteNotFound);
    sent.deleted = true;
    state.chats.changed(sent);
    return true;
  },

  answerCallbackQuery: (state, { params }) => {
    const id = params.string('callback_query_id') ?? '';
    if (state.callbackQueries.get(id) === true) throw badRequest(telegramDescriptions.queryTooOld);
    if (state.callbackQueries.has(id)) state.callbackQueries.set(id, true);
    const answer: CallbackAnswer = { callback_query_id: id, at: state.now() };
    const text = params.string('text');
    if (text !== undefined) answer.text = text;
    const showAlert = params.boolean('show_alert');
    if (showAlert !== undefined) answer.show_alert = showAlert;
    const url = params.string('url');
    if (url !== undefined) answer.url = url;
    const cacheTime = params.integer('cache_time');
    if (cacheTime !== undefined) answer.cache_time = cacheTime;
    state.callbackAnswers.push(answer);
    return true;
  },

  sendChatAction: (state, { params }) => {
    const chatId = params.chatId();
    if (!chatActions.has(params.string('action') ?? ''))
      throw badRequest(telegramDescriptions.chatActionInvalid);
    ensureNotBlocked(state, chatId);
    return true;
  },

  setMyCommands: (state, { params }) => {
    const commands =
      params.json<{ command?: unknown; description?: unknown }[]>('commands', 'commands') ?? [];
    if (!Array.isArray(commands)) throw badRequest("Bad Request: can't parse commands JSON object");
    for (const { command, description } of commands) {
      if (typeof command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(command)) {
        throw badRequest(telegramDescriptions.commandInvalid);
      }
      if (typeof description !== 'string' || description.length < 1 || description.length > 256) {
        throw badRequest(telegramDescriptions.commandDescriptionInvalid);
      }
    }
    state.commands.set(commandsKey(params), commands);
    return true;
  },

  getMyCommands: (state, { params }) => state.commands.get(commandsKey(params)) ?? [],

  deleteMyCommands: (state, { params }) => {
    state.commands.delete(commandsKey(params));
    return true;
  },
};

function commandsKey(params: TelegramParams): string {
  const scope = params.json<{ type?: string }>('scope', 'scope')?.type ?? 'default';
  return `${scope}:${params.string('language_code') ?? ''}`;
}
