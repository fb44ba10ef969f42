import type { UploadedFile } from '../shared/multipartUpload.js';

/** A Telegram user as tests describe it; missing names get defaults in the update builders. */
export interface TelegramTestUser {
  id: number;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: boolean;
}

/** The bot's own user object, as `getMe` answers it. */
export interface TelegramBotUser {
  id: number;
  is_bot: true;
  first_name: string;
  username: string;
  can_join_groups: boolean;
  can_read_all_group_messages: boolean;
  supports_inline_queries: boolean;
  can_connect_to_business: boolean;
  has_main_web_app: boolean;
}

/** A Bot API Message object (only the fields the fake fills are typed). */
export interface TgMessage {
  message_id: number;
  date: number;
  chat: { id: number; type: string; first_name?: string; username?: string };
  from?: { id: number; is_bot: boolean; first_name: string; username?: string; language_code?: string };
  text?: string;
  caption?: string;
  reply_markup?: unknown;
  edit_date?: number;
  [field: string]: unknown;
}

/** A Bot API Update object. */
export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
  callback_query?: {
    id: string;
    from: TgMessage['from'];
    message?: TgMessage;
    chat_instance: string;
    data?: string;
  };
  pre_checkout_query?: {
    id: string;
    from: TgMessage['from'];
    currency: string;
    total_amount: number;
    invoice_payload: string;
  };
  [field: string]: unknown;
}

/** Kinds of messages the bot can send through the fake. */
export type SentMessageKind = 'text' | 'video' | 'document' | 'photo' | 'invoice';

/** How a media message referenced its file. */
export type MediaSource =
  | { kind: 'upload'; upload: UploadedFile }
  | { kind: 'file_id'; fileId: string }
  | { kind: 'url'; url: string };

/** A message the bot sent, as recorded for assertions; edits update it in place. */
export interface SentMessage {
  message_id: number;
  chat_id: number;
  kind: SentMessageKind;
  text?: string;
  caption?: string;
  parse_mode?: string;
  /** Parsed reply_markup (JSON strings from multipart bodies are parsed). */
  reply_markup?: unknown;
  /** Where the video/document/photo came from; `upload` carries size, name, mime type and hash. */
  media?: MediaSource;
  /** Parsed `supports_streaming` of sendVideo. */
  supports_streaming?: boolean;
  /** For invoices: title, description, payload, currency and prices as sent. */
  invoice?: SentInvoice;
  /** All parameters of the send call (file fields as `attach://…` strings). */
  params: Record<string, unknown>;
  /** The Message object answered to the bot, kept current on edits. */
  message: TgMessage;
  date: number;
  editCount: number;
  deleted: boolean;
}

/** The invoice part of a recorded sendInvoice. */
export interface SentInvoice {
  title: string;
  description: string;
  payload: string;
  currency: string;
  prices: { label: string; amount: number }[];
  total_amount: number;
}

/** One recorded Bot API call. */
export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  files: UploadedFile[];
  at: number;
  ok: boolean;
  error_code?: number;
  description?: string;
}

/** A recorded answerCallbackQuery. */
export interface CallbackAnswer {
  callback_query_id: string;
  text?: string;
  show_alert?: boolean;
  url?: string;
  cache_time?: number;
  at: number;
}

/** A recorded answerPreCheckoutQuery. */
export interface PreCheckoutAnswer {
  pre_checkout_query_id: string;
  ok: boolean;
  error_message?: string;
  at: number;
}

/** Answers recorded by the fake, in arrival order. */
export interface TelegramAnswers {
  callbackQueries: CallbackAnswer[];
  preCheckoutQueries: PreCheckoutAnswer[];
  refunds: { user_id: number; telegram_payment_charge_id: string; at: number }[];
}
