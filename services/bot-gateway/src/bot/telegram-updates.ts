import { type RunnerHandle, run, sequentialize } from '@grammyjs/runner';
import type { HttpRoute, ServiceContext, Worker } from '@neurocards/runtime/shell';
import { type Bot, webhookCallback } from 'grammy';
import type { GatewayConfig } from '../config.js';
import type { BotContext } from './context.js';
import { createBot } from './create-bot.js';

const ALLOWED_UPDATES = ['message', 'callback_query', 'pre_checkout_query'] as const;
export const WEBHOOK_PATH = '/telegram/webhook';

/**
 * Receives Telegram's updates: long polling with @grammyjs/runner by default (updates of one chat in
 * order, different chats at once), or a webhook at /telegram/webhook when TELEGRAM_WEBHOOK_URL is set, with
 * Telegram's secret token checked on every call. Replicas behind one webhook share the conversation state
 * in PostgreSQL.
 */
export class TelegramUpdates implements Worker {
  readonly name = 'telegram-updates';
  readonly bot: Bot<BotContext>;
  private runner?: RunnerHandle;
  private webhookReady = false;

  constructor(private readonly service: ServiceContext<GatewayConfig>) {
    const { config, pool, store, logger } = service;
    this.bot = createBot({ config, pool, store, logger, sequential: sequentialize(chatKey) }).bot;
  }

  get webhookMode(): boolean {
    return Boolean(this.service.config.TELEGRAM_WEBHOOK_URL);
  }

  async start(): Promise<void> {
    const { config, logger } = this.service;
    await this.bot.init();
    if (this.webhookMode) {
      await this.bot.api.setWebhook(config.TELEGRAM_WEBHOOK_URL ?? '', {
        secret_token: config.TELEGRAM_WEBHOOK_SECRET,
        allowed_updates: [...ALLOWED_UPDATES],
      });
      this.webhookReady = true;
      logger.info('telegram webhook set');
      return;
    }
    await this.bot.api.deleteWebhook();
    this.runner = run(this.bot, { runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] } } });
    logger.info('telegram long polling started');
  }

  async stop(): Promise<void> {
    if (this.runner?.isRunning()) await this.runner.stop();
  }

  ready(): boolean {
    return this.webhookMode ? this.webhookReady : (this.runner?.isRunning() ?? false);
  }

  /** POST /telegram/webhook; calls without the secret token get 401. */
  webhookRoute(): HttpRoute {
    const handle = webhookCallback(this.bot, 'http', {
      secretToken: this.service.config.TELEGRAM_WEBHOOK_SECRET,
      timeoutMilliseconds: 9_000,
      onTimeout: 'return',
    });
    return { method: 'POST', path: WEBHOOK_PATH, handle: (req, res) => handle(req, res) };
  }
}

/** Updates of one chat are handled in order; of a chatless update (a pre-checkout), in the sender's order. */
function chatKey(ctx: BotContext): string | undefined {
  return String(ctx.chat?.id ?? ctx.from?.id ?? '');
}
