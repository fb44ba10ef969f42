import type { ServerResponse } from 'node:http';
import { TelegramApiError, telegramDescriptions } from './telegramErrors.js';
import type { TgUpdate } from './telegramTypes.js';

/** Update types delivered when `allowed_updates` is empty or never given (as documented). */
const defaultExcludedTypes = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

/** The webhook as set by setWebhook. */
export interface WebhookConfig {
  url: string;
  secretToken?: string;
  maxConnections: number;
}

/** One attempt to POST an update to the webhook. */
export interface WebhookDelivery {
  update_id: number;
  url: string;
  status?: number;
  error?: string;
  at: number;
}

interface Poller {
  finish: (result: TgUpdate[] | TelegramApiError) => void;
  limit: number;
}

/** Type of an update: its one key besides update_id. */
export function updateType(update: TgUpdate): string {
  for (const key of Object.keys(update)) if (key !== 'update_id') return key;
  return 'unknown';
}

/**
 * Pending updates of the bot, delivered by long polling (getUpdates) or pushed to a webhook, one at a time
 * and in order (a failing webhook holds back the rest, as in Telegram).
 */
export class TelegramUpdateQueue {
  private queue: TgUpdate[] = [];
  private head = 0;
  private lastUpdateId: number;
  private allowed: ReadonlySet<string> | undefined;
  private poller: Poller | undefined;
  private webhookConfig: WebhookConfig | undefined;
  private delivering = false;
  private closed = false;
  private readonly inFlight = new AbortController();
  private lastError: { date: number; message: string } | undefined;
  /** Updates dropped because their type was not in allowed_updates. */
  readonly dropped: TgUpdate[] = [];
  /** Every webhook POST attempt. */
  readonly deliveries: WebhookDelivery[] = [];

  constructor(
    private readonly options: {
      firstUpdateId: number;
      webhookRetryDelayMs: number;
      webhookTimeoutMs: number;
    },
  ) {
    this.lastUpdateId = options.firstUpdateId - 1;
  }

  /** The next update_id. */
  nextUpdateId(): number {
    this.lastUpdateId += 1;
    return this.lastUpdateId;
  }

  /** Number of updates not yet confirmed (polling) or delivered (webhook). */
  get pendingCount(): number {
    return this.queue.length - this.head;
  }

  /** The webhook, if one is set. */
  get webhook(): WebhookConfig | undefined {
    return this.webhookConfig;
  }

  /** Queues an update and hands it to a waiting getUpdates or to the webhook. */
  push(update: TgUpdate): void {
    if (!this.isAllowed(update)) {
      this.dropped.push(update);
      return;
    }
    this.queue.push(update);
    if (this.webhookConfig) void this.deliverLoop();
    else if (this.poller) this.poller.finish(this.collect(this.poller.limit));
  }

  /** getUpdates: confirms below `offset`, then answers at once or holds the request up to `timeout` seconds. */
  getUpdates(
    params: { offset?: number; limit?: number; timeout?: number; allowedUpdates?: string[] },
    res: ServerResponse,
  ): Promise<TgUpdate[]> {
    if (this.webhookConfig) throw new TelegramApiError(409, telegramDescriptions.webhookActive);
    if (params.allowedUpdates) this.setAllowed(params.allowedUpdates);
    this.confirm(params.offset);
    const limit = Math.min(Math.max(params.limit ?? 100, 1), 100);
    const batch = this.collect(limit);
    const timeoutSeconds = params.timeout ?? 0;
    if (batch.length > 0 || timeoutSeconds <= 0) return Promise.resolve(batch);
    // A newer getUpdates terminates the pending one, as the real server does.
    this.poller?.finish(new TelegramApiError(409, telegramDescriptions.terminatedByOtherGetUpdates));
    return new Promise<TgUpdate[]>((resolve, reject) => {
      const poller: Poller = {
        limit,
        finish: (result) => {
          clearTimeout(timer);
          if (this.poller === poller) this.poller = undefined;
          if (result instanceof TelegramApiError) reject(result);
          else resolve(result);
        },
      };
      const timer = setTimeout(() => poller.finish([]), timeoutSeconds * 1000);
      res.once('close', () => poller.finish([]));
      this.poller = poller;
    });
  }

  /** setWebhook: starts pushing pending and future updates to `config.url`. */
  setWebhook(config: WebhookConfig, allowedUpdates: string[] | undefined, dropPending: boolean): void {
    if (allowedUpdates) this.setAllowed(allowedUpdates);
    if (dropPending) this.dropPending();
    this.webhookConfig = config;
    this.lastError = undefined;
    this.poller?.finish(new TelegramApiError(409, telegramDescriptions.webhookActive));
    void this.deliverLoop();
  }

  /** deleteWebhook: back to getUpdates; pending updates stay unless dropped. */
  deleteWebhook(dropPending: boolean): void {
    this.webhookConfig = undefined;
    if (dropPending) this.dropPending();
  }

  /** getWebhookInfo result. */
  webhookInfo(): Record<string, unknown> {
    const info: Record<string, unknown> = {
      url: this.webhookConfig?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: this.pendingCount,
    };
    if (this.webhookConfig) {
      info.max_connections = this.webhookConfig.maxConnections;
      if (this.allowed) info.allowed_updates = [...this.allowed];
      if (this.lastError) {
        info.last_error_date = this.lastError.date;
        info.last_error_message = this.lastError.message;
      }
    }
    return info;
  }

  /** Ends a pending long poll and stops webhook delivery. */
  close(): void {
    this.closed = true;
    this.poller?.finish([]);
    this.inFlight.abort();
  }

  private setAllowed(types: string[]): void {
    this.allowed = types.length > 0 ? new Set(types) : undefined;
    const kept: TgUpdate[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const update = this.queue[i] as TgUpdate;
      if (this.isAllowed(update)) kept.push(update);
      else this.dropped.push(update);
    }
    this.queue = kept;
    this.head = 0;
  }

  private isAllowed(update: TgUpdate): boolean {
    const type = updateType(update);
    return this.allowed ? this.allowed.has(type) : !defaultExcludedTypes.has(type);
  }

  private confirm(offset: number | undefined): void {
    if (offset === undefined || offset === 0) return;
    if (offset < 0) {
      this.head = Math.max(this.head, this.queue.length + offset);
    } else {
      while (this.head < this.queue.length && (this.queue[this.head] as TgUpdate).update_id < offset)
        this.head++;
    }
    this.compact();
  }

  private collect(limit: number): TgUpdate[] {
    return this.queue.slice(this.head, this.head + limit);
  }

  private dropPending(): void {
    this.head = this.queue.length;
    this.compact();
  }

  /** Keeps confirmed updates from piling up without shifting the array on every confirm. */
  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private async deliverLoop(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (!this.closed && this.webhookConfig && this.head < this.queue.length) {
        const update = this.queue[this.head] as TgUpdate;
        if (await this.post(this.webhookConfig, update)) {
          this.head++;
          this.compact();
        } else if (!this.closed) {
          await new Promise((resolve) => setTimeout(resolve, this.options.webhookRetryDelayMs));
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  private async post(config: WebhookConfig, update: TgUpdate): Promise<boolean> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (config.secretToken) headers['x-telegram-bot-api-secret-token'] = config.secretToken;
    const delivery: WebhookDelivery = { update_id: update.update_id, url: config.url, at: Date.now() };
    this.deliveries.push(delivery);
    try {
      const response = await fetch(config.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(update),
        signal: AbortSignal.any([this.inFlight.signal, AbortSignal.timeout(this.options.webhookTimeoutMs)]),
      });
      await response.arrayBuffer();
      delivery.status = response.status;
      if (response.ok) return true;
      this.fail(`Wrong response from the webhook: ${response.status} ${response.statusText}`);
    } catch (error) {
      delivery.error = error instanceof Error ? error.message : String(error);
      this.fail(`Connection failed: ${delivery.error}`);
    }
    return false;
  }

  private fail(message: string): void {
    this.lastError = { date: Math.floor(Date.now() / 1000), message };
  }
}
