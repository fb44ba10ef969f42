import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type RunnerHandle, run, sequentialize } from '@grammyjs/runner';
import type { HttpRoute, ServiceContext, Worker } from '@neurocards/runtime/shell';
import { type Bot, webhookCallback } from 'grammy';
import type { Update } from 'grammy/types';
import type { GatewayConfig } from '../config.js';
import type { BotContext } from './context.js';
import { createBot } from './create-bot.js';

const ALLOWED_UPDATES = ['message', 'callback_query', 'pre_checkout_query'] as const;
export const WEBHOOK_PATH = '/telegram/webhook';
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** Far above any update Telegram sends (their text is at most 4096 characters). */
const MAX_UPDATE_BYTES = 1024 * 1024;

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

  /**
   * POST /telegram/webhook: a call without the secret token gets 401, a body that is not a Telegram update
   * 400 (413 when far too large), both before the bot sees anything.
   */
  webhookRoute(): HttpRoute {
    const secret = this.service.config.TELEGRAM_WEBHOOK_SECRET;
    const { logger } = this.service;
    const handle = webhookCallback(
      this.bot,
      (update: Update, header: string | undefined, res: ServerResponse) => ({
        update: Promise.resolve(update),
        header,
        end: () => res.end(),
        respond: (json: string) => res.writeHead(200, { 'content-type': 'application/json' }).end(json),
        unauthorized: () => answer(res, 401, 'secret token is wrong'),
      }),
      { secretToken: secret, timeoutMilliseconds: 9_000, onTimeout: 'return' },
    );
    return {
      method: 'POST',
      path: WEBHOOK_PATH,
      handle: async (req, res) => {
        const header = req.headers[SECRET_HEADER];
        const given = Array.isArray(header) ? header[0] : header;
        if (!sameSecret(given, secret)) return answer(res, 401, 'secret token is wrong');
        const body = await readBody(req, MAX_UPDATE_BYTES);
        if (body === undefined) return answer(res, 413, 'update too large');
        const update = parseUpdate(body);
        if (!update) {
          logger.warn({ bytes: body.length }, 'webhook call with a body that is not a Telegram update');
          return answer(res, 400, 'not a Telegram update');
        }
        await handle(update, given, res);
      },
    };
  }
}

/** Updates of one chat are handled in order; of a chatless update (a pre-checkout), in the sender's order. */
function chatKey(ctx: BotContext): string | undefined {
  return String(ctx.chat?.id ?? ctx.from?.id ?? '');
}

function answer(res: ServerResponse, status: number, error: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error }));
}

function sameSecret(given: string | undefined, secret: string | undefined): boolean {
  if (secret === undefined) return true;
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The body, or undefined past `limit` bytes. The rest of a body too large is read and dropped, so the caller
 * (who has the secret) gets the answer instead of a reset connection.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

/** A JSON object with a non-negative integer update_id, or undefined. */
export function parseUpdate(body: Buffer): Update | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const id = (value as { update_id?: unknown }).update_id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? (value as Update) : undefined;
}
