import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { autoRetry } from '@grammyjs/auto-retry';
import { I18n } from '@grammyjs/i18n';
import { languageSchema } from '@neurocards/contracts';
import type { EventStore } from '@neurocards/runtime/event-store';
import type { Logger } from '@neurocards/runtime/shell';
import { Bot, type NextFunction } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { Pool } from 'pg';
import { Conversations } from '../adapters/conversations.js';
import { FloodGuard } from '../adapters/flood-guard.js';
import { ReadModels } from '../adapters/read-models.js';
import { Sellers } from '../adapters/sellers.js';
import type { GatewayConfig } from '../config.js';
import { parseCallback } from '../domain/callbacks.js';
import { languageOf } from '../domain/language.js';
import { Admin } from './admin.js';
import type { BotContext, GatewayDeps } from './context.js';
import { Ordering, send } from './ordering.js';
import { Payments } from './payments.js';
import { balanceScreen, helpScreen, languageScreen, mainMenu, videosScreen } from './screens.js';

export const localesDir = fileURLToPath(new URL('../../locales/', import.meta.url));

const IMAGE_TYPES = /^image\/(jpeg|png|webp)$/;
const MIN_SIDE = 512;

/** The Fluent catalogs of the gateway, with the seller's stored language (or Telegram's) picking one. */
export function createI18n(): I18n<BotContext> {
  const i18n = new I18n<BotContext>({
    defaultLocale: 'ru',
    fluentBundleOptions: { useIsolating: false },
    localeNegotiator: (ctx) => ctx.seller?.language ?? languageOf(ctx.from?.language_code),
  });
  for (const language of languageSchema.options)
    i18n.loadLocaleSync(language, { filePath: join(localesDir, `${language}.ftl`) });
  return i18n;
}

export interface BotOptions {
  config: GatewayConfig;
  pool: Pool;
  store: EventStore;
  logger: Logger;
  /** Skips getMe at start (tests). */
  botInfo?: UserFromGetMe;
  /** Orders the updates of one chat (the runner's sequentialize in long polling). */
  sequential?: (ctx: BotContext, next: NextFunction) => Promise<void>;
}

/**
 * The whole conversation of DESIGN §1 on grammY. Order of the middleware: payments first (a pre-checkout
 * must be answered within 10 s, and a payment is never dropped), then who the seller is, the language,
 * the ban and the flood limit, then the commands, buttons and messages.
 */
export function createBot(options: BotOptions): { bot: Bot<BotContext>; deps: GatewayDeps } {
  const { config, pool, store, logger } = options;
  const bot = new Bot<BotContext>(config.TELEGRAM_BOT_TOKEN, {
    client: { apiRoot: config.TELEGRAM_API_ROOT },
    botInfo: options.botInfo,
  });
  // 429 waits retry_after, 5xx retry; a reply never waits longer than 10 s.
  bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 10 }));

  const deps: GatewayDeps = {
    config,
    pool,
    store,
    logger,
    sellers: new Sellers(pool, store),
    conversations: new Conversations(pool),
    readModels: new ReadModels(pool, store),
    flood: new FloodGuard(pool, config.USER_FLOOD_LIMIT),
    i18n: createI18n(),
  };
  const ordering = new Ordering(deps);
  const payments = new Payments(deps);
  const admin = new Admin(deps);

  if (options.sequential) bot.use(options.sequential);
  bot.use(async (ctx, next) => {
    ctx.isAdmin = ctx.from !== undefined && config.ADMIN_TELEGRAM_IDS.includes(ctx.from.id);
    if (ctx.from && !ctx.from.is_bot) ctx.seller = await identify(deps, ctx);
    await next();
  });
  bot.use(deps.i18n);

  bot.on('pre_checkout_query', (ctx) => payments.preCheckout(ctx));
  bot.on('message:successful_payment', (ctx) => payments.received(ctx));
  bot.on('message:refunded_payment', () => {}); // Telegram's note after a refund we made

  bot.use((ctx, next) => guard(deps, ctx, next));

  // --- Commands ---------------------------------------------------------------------------------------
  bot.command(['start', 'menu'], async (ctx) => {
    const registered = ctx.seller?.registeredNow;
    const name = ctx.from?.first_name ?? '';
    const balance = ctx.t('credits-count', {
      count: registered ? config.FREE_CREDITS : await deps.readModels.available(ctx.from?.id ?? 0),
    });
    const intro = registered
      ? ctx.t('welcome-new', { name, count: config.FREE_CREDITS, balance })
      : ctx.t('welcome-back', { name, balance });
    await send(ctx, mainMenu(ctx.t, intro));
  });
  bot.command('help', (ctx) => send(ctx, helpScreen(ctx.t, config.CREDITS_PER_VIDEO)));
  bot.command('buy', (ctx) => payments.showPackages(ctx));
  bot.command('language', (ctx) => send(ctx, languageScreen(ctx.t)));
  bot.command('paysupport', (ctx) => ctx.reply(ctx.t('paysupport')));
  bot.command('create', (ctx) => ordering.start(ctx));
  bot.command('balance', (ctx) => showBalance(deps, ctx));
  bot.command('videos', (ctx) => showVideos(deps, ctx));

  const adminOnly = (handler: (ctx: BotContext, args: string[]) => unknown) => async (ctx: BotContext) => {
    if (!ctx.isAdmin) return void (await ctx.reply(ctx.t('unknown-command')));
    await handler(
      ctx,
      String(ctx.match ?? '')
        .split(/\s+/)
        .filter(Boolean),
    );
  };
  const adminCommands: Record<string, (ctx: BotContext, args: string[]) => unknown> = {
    admin: (ctx) => admin.help(ctx),
    grant: (ctx, args) => admin.grant(ctx, args),
    user: (ctx, args) => admin.user(ctx, args),
    ban: (ctx, args) => admin.ban(ctx, args),
    unban: (ctx, args) => admin.unban(ctx, args),
    refund: (ctx, args) => admin.refund(ctx, args),
    stats: (ctx) => admin.stats(ctx),
  };
  for (const [command, handler] of Object.entries(adminCommands)) bot.command(command, adminOnly(handler));

  // --- Buttons ----------------------------------------------------------------------------------------
  bot.on('callback_query:data', async (ctx) => {
    const callback = parseCallback(ctx.callbackQuery.data);
    if (!callback) return void (await ctx.answerCallbackQuery({ text: ctx.t('old-button') }));
    switch (callback.kind) {
      case 'style':
        return ordering.style(ctx, callback.draftId, callback.templateId);
      case 'skip':
        return ordering.skipWishes(ctx, callback.draftId);
      case 'count':
        return ordering.count(ctx, callback.draftId, callback.count);
      case 'confirm':
        return ordering.confirm(ctx, callback.draftId);
      case 'cancel':
        return ordering.cancel(ctx, callback.draftId);
      case 'again':
        return ordering.another(ctx, callback.jobId);
      case 'resend':
        return void (await ctx.answerCallbackQuery({ text: await ordering.resend(ctx, callback.jobId) }));
    }
    if (callback.kind === 'menu' && callback.item === 'create') return ordering.start(ctx); // answers itself
    await ctx.answerCallbackQuery();
    switch (callback.kind) {
      case 'menu':
        if (callback.item === 'balance') return showBalance(deps, ctx);
        if (callback.item === 'videos') return showVideos(deps, ctx);
        if (callback.item === 'help') return send(ctx, helpScreen(ctx.t, config.CREDITS_PER_VIDEO));
        if (callback.item === 'language') return send(ctx, languageScreen(ctx.t));
        return send(ctx, mainMenu(ctx.t));
      case 'buy':
        return payments.showPackages(ctx);
      case 'package':
        return payments.sendInvoice(ctx, callback.packageId);
      case 'language': {
        const userId = ctx.from.id;
        await deps.sellers.setLanguage(userId, callback.language);
        ctx.i18n.useLocale(callback.language);
        if (ctx.seller) ctx.seller = { ...ctx.seller, language: callback.language };
        return send(ctx, mainMenu(ctx.t, ctx.t('language-changed')));
      }
    }
  });

  // --- Messages ---------------------------------------------------------------------------------------
  bot.on('message:photo', async (ctx) => {
    const photo = ctx.message.photo.at(-1);
    if (!photo) return;
    if ((photo.file_size ?? 0) > config.PHOTO_MAX_BYTES) return tooLarge(ctx, config);
    if (Math.min(photo.width, photo.height) < MIN_SIDE)
      return void (await ctx.reply(ctx.t('photo-too-small')));
    await ordering.photo(
      ctx,
      { fileId: photo.file_id, fileUniqueId: photo.file_unique_id },
      ctx.message.caption,
    );
  });
  bot.on('message:document', async (ctx) => {
    const document = ctx.message.document;
    if (!IMAGE_TYPES.test(document.mime_type ?? '')) return void (await ctx.reply(ctx.t('not-a-photo')));
    if ((document.file_size ?? 0) > config.PHOTO_MAX_BYTES) return tooLarge(ctx, config);
    await ordering.photo(
      ctx,
      { fileId: document.file_id, fileUniqueId: document.file_unique_id },
      ctx.message.caption,
    );
  });
  bot.on('message:text', async (ctx) => {
    if (ctx.message.text.startsWith('/')) return void (await ctx.reply(ctx.t('unknown-command')));
    await ordering.text(ctx, ctx.message.text);
  });
  bot.on('message', (ctx) => ctx.reply(ctx.t('unsupported-message', { hint: ctx.t('hint-photo') })));

  bot.catch((error) => {
    logger.error({ err: error.error, updateId: error.ctx.update.update_id }, 'update failed');
  });
  return { bot, deps };
}

/** Finds the seller behind an update, registering a first-time one (with the referrer of `/start ref_<id>`). */
async function identify(deps: GatewayDeps, ctx: BotContext) {
  const from = ctx.from;
  if (!from) return undefined;
  const known = await deps.sellers.find(from.id);
  if (known) return { ...known, registeredNow: false };
  const chatId = ctx.chat?.id ?? from.id;
  const registeredNow = await deps.sellers.register({
    userId: from.id,
    chatId,
    username: from.username ?? null,
    firstName: from.first_name,
    language: languageOf(from.language_code),
    referrerId: referrerOf(ctx.message?.text),
  });
  const seller = await deps.sellers.find(from.id);
  return seller && { ...seller, registeredNow };
}

/** `/start ref_123` or `/start 123`: the seller who invited this one. */
export function referrerOf(text: string | undefined): number | null {
  const match = /^\/start(?:@\w+)?\s+(?:ref_?)?(\d{1,16})\s*$/.exec(text ?? '');
  const id = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** A banned seller is told once and then ignored; a flood is told once per window and then dropped. */
async function guard(deps: GatewayDeps, ctx: BotContext, next: NextFunction): Promise<void> {
  const seller = ctx.seller;
  if (!seller || ctx.isAdmin) return next();
  if (seller.banned) {
    if (ctx.callbackQuery) await ctx.answerCallbackQuery();
    if (await deps.sellers.markBanTold(seller.userId)) await ctx.reply(ctx.t('banned'));
    return;
  }
  const verdict = await deps.flood.check(seller.userId);
  if (verdict === 'pass') return next();
  if (ctx.callbackQuery)
    await ctx.answerCallbackQuery(verdict === 'tell' ? { text: ctx.t('flood') } : undefined);
  else if (verdict === 'tell') await ctx.reply(ctx.t('flood'));
}

async function tooLarge(ctx: BotContext, config: GatewayConfig) {
  await ctx.reply(ctx.t('photo-too-large', { maxMb: Math.floor(config.PHOTO_MAX_BYTES / 1024 / 1024) }));
}

async function showBalance(deps: GatewayDeps, ctx: BotContext) {
  const userId = ctx.from?.id ?? 0;
  const [balance, history] = await Promise.all([
    deps.readModels.balance(userId),
    deps.readModels.history(userId),
  ]);
  await send(ctx, balanceScreen(ctx.t, balance, history));
}

async function showVideos(deps: GatewayDeps, ctx: BotContext) {
  await send(ctx, videosScreen(ctx.t, await deps.readModels.recentJobs(ctx.from?.id ?? 0)));
}
