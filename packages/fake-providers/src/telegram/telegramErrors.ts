/** An `{ok:false}` answer of the Bot API; the HTTP status equals `error_code`, as on the real server. */
export class TelegramApiError extends Error {
  constructor(
    readonly error_code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
    this.name = 'TelegramApiError';
  }

  /** The JSON body the Bot API sends for this error. */
  toBody(): Record<string, unknown> {
    const body: Record<string, unknown> = {
      ok: false,
      error_code: this.error_code,
      description: this.description,
    };
    if (this.parameters) body.parameters = this.parameters;
    return body;
  }
}

/**
 * Error descriptions used by the fake. The ones marked "verbatim" were seen from the real API (see
 * external-apis.md §2.2 and §2.4); the others follow the same `Bad Request: …` style.
 */
export const telegramDescriptions = {
  unauthorized: 'Unauthorized', // verbatim
  methodNotFound: 'Not Found: method not found',
  notFound: 'Not Found', // verbatim (file download with a wrong path)
  blockedByUser: 'Forbidden: bot was blocked by the user', // verbatim
  wrongFileIdentifier: 'Bad Request: wrong file identifier/HTTP URL specified', // verbatim
  wrongWebPageContent: 'Bad Request: wrong type of the web page content', // verbatim
  failedToGetUrlContent: 'Bad Request: failed to get HTTP URL content', // verbatim
  fileTooBig: 'Bad Request: file is too big', // verbatim
  requestEntityTooLarge: 'Request Entity Too Large', // verbatim
  tooManyRequests: (retryAfter: number) => `Too Many Requests: retry after ${retryAfter}`, // verbatim
  internalServerError: 'Internal Server Error',
  webhookActive:
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
  terminatedByOtherGetUpdates:
    'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
  chatIdEmpty: 'Bad Request: chat_id is empty',
  chatNotFound: 'Bad Request: chat not found',
  messageTextEmpty: 'Bad Request: message text is empty',
  messageTooLong: 'Bad Request: message is too long',
  captionTooLong: 'Bad Request: message caption is too long',
  messageToEditNotFound: 'Bad Request: message to edit not found',
  messageToDeleteNotFound: 'Bad Request: message to delete not found',
  messageNotModified:
    'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
  buttonDataInvalid: 'Bad Request: BUTTON_DATA_INVALID',
  queryTooOld: 'Bad Request: query is too old and response timeout expired or query ID is invalid',
  starsInvoiceInvalid: 'Bad Request: STARS_INVOICE_INVALID', // verbatim
  currencyInvalid: 'Bad Request: CURRENCY_INVALID',
  invoicePayloadInvalid: 'Bad Request: INVOICE_PAYLOAD_INVALID',
  invoiceTitleInvalid: 'Bad Request: INVOICE_TITLE_INVALID',
  invoiceDescriptionInvalid: 'Bad Request: INVOICE_DESCRIPTION_INVALID',
  chargeAlreadyRefunded: 'Bad Request: CHARGE_ALREADY_REFUNDED', // verbatim (MTProto name)
  chargeIdInvalid: 'Bad Request: CHARGE_ID_INVALID',
  secretTokenInvalid: 'Bad Request: secret token contains unallowed characters',
  badWebhookUrl: 'Bad Request: bad webhook: invalid webhook URL specified',
  chatActionInvalid: 'Bad Request: wrong parameter action in request',
  commandInvalid: 'Bad Request: BOT_COMMAND_INVALID',
  commandDescriptionInvalid: 'Bad Request: BOT_COMMAND_DESCRIPTION_INVALID',
} as const;

/** A programmed API error: the answer the next matching call gets instead of its real result. */
export interface TelegramApiFault {
  error_code: number;
  description: string;
  /** Sets `parameters.retry_after` (seconds), as a 429 carries. */
  retry_after?: number;
  /** How many matching calls fail (default 1; Infinity = until `clearFaults`). */
  times?: number;
  /** Extra delay before the error answer. */
  delayMs?: number;
}

/** A programmed network fault: the connection is destroyed without an HTTP answer. */
export interface TelegramNetworkFault {
  network: 'destroy';
  times?: number;
}

/** Any fault `FakeTelegram.failNext` accepts. */
export type TelegramFault = TelegramApiFault | TelegramNetworkFault;

/** Ready-made faults with the real API's descriptions. */
export const telegramFaults = {
  /** 429 with `parameters.retry_after`. */
  tooManyRequests: (retryAfter = 3, times = 1): TelegramApiFault => ({
    error_code: 429,
    description: telegramDescriptions.tooManyRequests(retryAfter),
    retry_after: retryAfter,
    times,
  }),
  /** 403: the user blocked the bot. */
  blockedByUser: (times = 1): TelegramApiFault => ({
    error_code: 403,
    description: telegramDescriptions.blockedByUser,
    times,
  }),
  /** 400: a file_id or URL Telegram cannot use. */
  wrongFileIdentifier: (times = 1): TelegramApiFault => ({
    error_code: 400,
    description: telegramDescriptions.wrongFileIdentifier,
    times,
  }),
  /** 413: the multipart upload is over the server's limit. */
  requestEntityTooLarge: (times = 1): TelegramApiFault => ({
    error_code: 413,
    description: telegramDescriptions.requestEntityTooLarge,
    times,
  }),
  /** 500 from the Bot API server. */
  internalServerError: (times = 1): TelegramApiFault => ({
    error_code: 500,
    description: telegramDescriptions.internalServerError,
    times,
  }),
  /** The TCP connection is cut; clients see a network error (grammY: HttpError). */
  connectionReset: (times = 1): TelegramNetworkFault => ({ network: 'destroy', times }),
};

/** Shorthand for `new TelegramApiError(400, description)`. */
export function badRequest(description: string): TelegramApiError {
  return new TelegramApiError(400, description);
}
