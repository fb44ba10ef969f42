import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeHttpServer, type ListenOptions } from '../shared/fakeHttpServer.js';
import { FaultScript } from '../shared/faultScript.js';
import { TelegramChats } from './telegramChats.js';
import type { TelegramFault } from './telegramErrors.js';
import { type RegisterFileInput, TelegramFiles } from './telegramFiles.js';
import { TelegramHttpApi } from './telegramHttpApi.js';
import { mediaMethods } from './telegramMediaMethods.js';
import { messageMethods } from './telegramMessageMethods.js';
import { paymentMethods, TelegramPayments } from './telegramPayments.js';
import type { TelegramState } from './telegramState.js';
import { TelegramTelemetry } from './telegramTelemetry.js';
import type {
  RecordedCall,
  SentMessage,
  TelegramAnswers,
  TelegramBotUser,
  TelegramTestUser,
  TgMessage,
  TgUpdate,
} from './telegramTypes.js';
import { botUserOf } from './telegramUpdateBuilders.js';
import { updateMethods } from './telegramUpdateMethods.js';
import { TelegramUpdateQueue } from './telegramUpdateQueue.js';
import {
  type PreCheckoutOptions,
  type SuccessfulPaymentOptions,
  TelegramUserActions,
  type UserDocumentOptions,
  type UserPhotoOptions,
} from './telegramUserActions.js';

/** Construction options of FakeTelegram; every field has a test-friendly default. */
export interface FakeTelegramOptions extends ListenOptions {
  /** The only accepted bot token (default `7000000001:TEST-fake-token-for-tests…`); its numeric prefix is the bot id. */
  token?: string;
  /** Overrides of the getMe answer. */
  botInfo?: Partial<Omit<TelegramBotUser, 'is_bot'>>;
  /** Delay before every API answer (default 0: no timers at all). */
  latencyMs?: number;
  /** Larger multipart/JSON bodies get 413 Request Entity Too Large (default 50 MB, the cloud limit). */
  maxUploadBytes?: number;
  /** getFile refuses larger files with "file is too big" (default 20 MB). */
  maxDownloadBytes?: number;
  /** Bytes kept of each upload in `UploadedFile.head` (default 4096). */
  uploadHeadBytes?: number;
  /** Stream every upload in full to this directory (`UploadedFile.savedPath`); default: keep only hash/head. */
  uploadDir?: string;
  /** Record every API call for `calls()` (default true; benchmarks may turn it off). */
  recordCalls?: boolean;
  /** Fetch URLs given as media like Telegram does, failing with 400 when unreachable (default false). */
  fetchUrlMedia?: boolean;
  /** update_id of the first injected update (default 100000001). */
  firstUpdateId?: number;
  /** Deadline to answer a pre_checkout_query (default 10 000 ms). */
  preCheckoutTimeoutMs?: number;
  /** Pause before re-sending an update the webhook refused (default 100 ms). */
  webhookRetryDelayMs?: number;
  /** Give up on a webhook POST after this long and retry (default 10 000 ms). */
  webhookTimeoutMs?: number;
  /** Push a refunded_payment message after refundStarPayment (default true, as Telegram does). */
  pushRefundUpdates?: boolean;
  /** Clock in ms for dates and deadlines (default Date.now). */
  now?: () => number;
}

const defaultToken = '7000000001:TEST-fake-token-for-tests-only-0123456789';

/**
 * A fake Telegram Bot API server speaking the real wire format (`/bot<token>/<method>`, JSON, urlencoded or
 * multipart bodies, `{ok,result}` / `{ok:false,error_code,description}` answers), with update injection,
 * recorded messages and fault injection for tests. Point grammY at it with `{client:{apiRoot: fake.url}}`.
 */
export class FakeTelegram extends FakeHttpServer {
  /** The only token the fake accepts. */
  readonly token: string;
  /** The getMe answer; its id is the token's numeric prefix. */
  readonly bot: TelegramBotUser;
  /** Recorded calls, answers, webhook deliveries and dropped updates. */
  readonly recorded: TelegramTelemetry;
  private readonly state: TelegramState;
  private readonly faults = new FaultScript<string, TelegramFault>();
  private readonly actions: TelegramUserActions;
  private readonly api: TelegramHttpApi;

  constructor(options: FakeTelegramOptions = {}) {
    super(options);
    this.token = options.token ?? defaultToken;
    this.bot = botUserOf(this.token, options.botInfo);
    const now = options.now ?? Date.now;
    const updates = new TelegramUpdateQueue({
      firstUpdateId: options.firstUpdateId ?? 100_000_001,
      webhookRetryDelayMs: options.webhookRetryDelayMs ?? 100,
      webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
    });
    const payments = new TelegramPayments({
      now,
      preCheckoutTimeoutMs: options.preCheckoutTimeoutMs ?? 10_000,
      onRefund: (charge) => {
        if (options.pushRefundUpdates ?? true) this.actions.refunded(charge);
      },
    });
    this.state = {
      bot: this.bot,
      chats: new TelegramChats(),
      files: new TelegramFiles(),
      updates,
      payments,
      callbackAnswers: [],
      callbackQueries: new Map(),
      users: new Map(),
      commands: new Map(),
      maxDownloadBytes: options.maxDownloadBytes ?? 20 * 1024 * 1024,
      now,
    };
    this.actions = new TelegramUserActions(this.state, (update) => this.pushUpdate(update));
    this.recorded = new TelegramTelemetry(this.state, options.recordCalls ?? true);
    const media = mediaMethods({
      fetchUrlMedia: options.fetchUrlMedia ?? false,
      maxUrlBytes: 20 * 1024 * 1024,
    });
    const settings = {
      latencyMs: options.latencyMs ?? 0,
      uploadDir: options.uploadDir,
      maxUploadBytes: options.maxUploadBytes ?? 50 * 1024 * 1024,
      uploadHeadBytes: options.uploadHeadBytes ?? 4096,
    };
    this.api = new TelegramHttpApi(this.token, this.state, this.recorded, this.faults, settings, [
      messageMethods,
      media,
      paymentMethods,
      updateMethods,
    ]);
  }

  /** Delay before every API answer (0 = none); may be changed at any time. */
  get latencyMs(): number {
    return this.api.settings.latencyMs;
  }

  set latencyMs(ms: number) {
    this.api.settings.latencyMs = ms;
  }

  /** Directory where uploads are saved in full (undefined = keep only size, hash and head). */
  get uploadDir(): string | undefined {
    return this.api.settings.uploadDir;
  }

  set uploadDir(dir: string | undefined) {
    this.api.settings.uploadDir = dir;
  }

  /** Creates and starts a fake in one call. */
  static async start(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
    const fake = new FakeTelegram(options);
    await fake.start();
    return fake;
  }

  // ---------------------------------------------------------------- update injection

  /** Queues an update for getUpdates or the webhook; `update_id` is assigned when missing. */
  pushUpdate(update: Omit<TgUpdate, 'update_id'> & { update_id?: number }): TgUpdate {
    const full = { ...update, update_id: update.update_id ?? this.state.updates.nextUpdateId() } as TgUpdate;
    this.state.updates.push(full);
    return full;
  }

  /** The user sends a text message. */
  sendText(user: TelegramTestUser, text: string): TgUpdate {
    return this.actions.text(user, text);
  }

  /** The user sends a command such as `/start payload` (with its bot_command entity). */
  sendCommand(user: TelegramTestUser, command: string): TgUpdate {
    return this.actions.text(user, command.startsWith('/') ? command : `/${command}`);
  }

  /** The user sends a photo (the fixture product photo by default), registered for getFile + download. */
  sendPhoto(user: TelegramTestUser, options: UserPhotoOptions = {}): TgUpdate {
    return this.actions.photo(user, options);
  }

  /** The user sends a file as a document, registered for getFile + download. */
  sendDocument(user: TelegramTestUser, options: UserDocumentOptions = {}): TgUpdate {
    return this.actions.document(user, options);
  }

  /** The user presses the inline button with `callbackData` under a bot message (throws if absent). */
  clickButton(
    user: TelegramTestUser,
    message: SentMessage | TgMessage | number,
    callbackData: string,
  ): TgUpdate {
    return this.actions.click(user, message, callbackData);
  }

  /** Telegram asks the bot to confirm a Stars payment (answer within 10 s). */
  preCheckout(user: TelegramTestUser, options: PreCheckoutOptions): TgUpdate {
    return this.actions.preCheckout(user, options);
  }

  /** The payment went through: a message with `successful_payment` (refundable once). */
  successfulPayment(user: TelegramTestUser, options: SuccessfulPaymentOptions): TgUpdate {
    return this.actions.successfulPayment(user, options);
  }

  /** Registers content so getFile and `GET /file/bot<token>/<file_path>` serve it. */
  registerFile(input: RegisterFileInput): {
    file_id: string;
    file_unique_id: string;
    file_size: number;
    file_path: string;
  } {
    const { file_id, file_unique_id, file_size, file_path } = this.state.files.register(input);
    return { file_id, file_unique_id, file_size, file_path };
  }

  /** Makes every send to this private chat fail with 403 "bot was blocked by the user" (or undoes it). */
  blockUser(userId: number, blocked = true): void {
    this.state.chats.setBlocked(userId, blocked);
  }

  // ---------------------------------------------------------------- fault injection

  /** The next `fault.times` (default 1) calls of `method` ('*' = any) fail with this error or network fault. */
  failNext(method: string, fault: TelegramFault): void {
    const wanted = method.toLowerCase();
    this.faults.add(fault, (called) => wanted === '*' || called.toLowerCase() === wanted, fault.times ?? 1);
  }

  /** Programmed faults not used yet that a call of `method` would meet, or of every method (Infinity for permanent ones). */
  pendingFaults(method?: string): number {
    return method === undefined ? this.faults.pending : this.faults.pendingFor(method);
  }

  /** Forgets every programmed fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  // ---------------------------------------------------------------- assertions (delegated)

  /** Messages the bot sent to a chat, oldest first (deleted ones flagged `deleted`). */
  messagesTo(chatId: number): readonly SentMessage[] {
    return this.state.chats.messagesTo(chatId);
  }

  /** Resolves with the first message to `chatId` (sent before or later, or edited) matching `predicate`. */
  waitForMessage(
    chatId: number,
    predicate: (message: SentMessage) => boolean = () => true,
    timeoutMs = 2000,
  ): Promise<SentMessage> {
    return this.state.chats.waitForMessage(chatId, predicate, timeoutMs);
  }

  /** Calls `listener` after every message the bot sends, edits or deletes (any chat); returns the unsubscribe. */
  onMessage(listener: (message: SentMessage) => void): () => void {
    return this.state.chats.onMessage(listener);
  }

  /** Recorded API calls, all or of one method (method names as the API spells them). */
  calls(method?: string): readonly RecordedCall[] {
    return this.recorded.calls(method);
  }

  /** Resolves with the first recorded call (past or future) of `method` matching `predicate`. */
  waitForCall(
    method: string,
    predicate: (call: RecordedCall) => boolean = () => true,
    timeoutMs = 2000,
  ): Promise<RecordedCall> {
    return this.recorded.waitForCall(method, predicate, timeoutMs);
  }

  /** Answers the bot gave to callback queries and pre-checkout queries, and refunds it made. */
  get answers(): TelegramAnswers {
    return this.recorded.answers();
  }

  /** The webhook set by the bot, if any. */
  get webhook(): TelegramUpdateQueue['webhook'] {
    return this.state.updates.webhook;
  }

  /** Updates queued and not yet confirmed or delivered. */
  get pendingUpdateCount(): number {
    return this.state.updates.pendingCount;
  }

  // ---------------------------------------------------------------- HTTP

  protected override async onClose(): Promise<void> {
    this.state.updates.close();
    this.state.chats.rejectWaiters('FakeTelegram closed');
    this.recorded.close();
  }

  protected override failureBody(message: string): object {
    return { ok: false, error_code: 500, description: `Internal Server Error: ${message}` };
  }

  protected handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.api.handle(req, res);
  }
}
