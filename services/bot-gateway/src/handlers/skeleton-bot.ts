import { randomUUID } from 'node:crypto';
import { deterministicEventId, newEvent, PRODUCT_DESCRIPTION_MAX, streamIds } from '@neurocards/contracts';
import { isExpectedVersionConflict } from '@neurocards/runtime/event-store';
import type { ServiceContext } from '@neurocards/runtime/shell';
import { Bot, type Context } from 'grammy';
import type { GatewayConfig } from '../config.js';
import { languageOf } from '../domain/language.js';

const texts = {
  welcome: {
    ru: (free: number) =>
      `Привет! Я делаю короткие рекламные видео из фото товара. У вас ${free} бесплатных видео.\nПришлите фото товара с подписью — что это за товар.`,
    en: (free: number) =>
      `Hi! I turn a product photo into short commercial videos. You have ${free} free videos.\nSend a product photo with a caption saying what it is.`,
  },
  needCaption: {
    ru: 'Добавьте к фото подпись: что это за товар.',
    en: 'Add a caption to the photo: what the product is.',
  },
  started: {
    ru: 'Запустили! Видео будет готово примерно через 5–10 минут.',
    en: 'Started! Your video will be ready in about 5-10 minutes.',
  },
};

/**
 * The first slice of the conversation: /start registers the seller, a captioned photo orders one video in
 * the default style. The full conversation (menus, styles, counts, payments) grows from here.
 */
export function createSkeletonBot(service: ServiceContext<GatewayConfig>): Bot {
  const { config, store, logger } = service;
  const bot = new Bot(config.TELEGRAM_BOT_TOKEN, { client: { apiRoot: config.TELEGRAM_API_ROOT } });

  async function register(ctx: Context, referrerId: number | null): Promise<void> {
    const from = ctx.from;
    if (!from || !ctx.chat) return;
    try {
      await store.append(
        streamIds.user(from.id),
        [
          newEvent(
            'UserRegistered',
            {
              userId: from.id,
              chatId: ctx.chat.id,
              username: from.username ?? null,
              firstName: from.first_name.slice(0, 256),
              language: languageOf(from.language_code),
              referrerId: referrerId && referrerId !== from.id ? referrerId : null,
            },
            {
              correlationId: streamIds.user(from.id),
              eventId: deterministicEventId('user-registered', from.id),
            },
          ),
        ],
        { expectedVersion: 'no_stream' },
      );
    } catch (error) {
      if (!isExpectedVersionConflict(error)) throw error; // registered before: nothing to do
    }
  }

  bot.command('start', async (ctx) => {
    const referrer = Number.parseInt(ctx.match.replace(/^ref_?/, ''), 10);
    await register(ctx, Number.isSafeInteger(referrer) && referrer > 0 ? referrer : null);
    await ctx.reply(texts.welcome[languageOf(ctx.from?.language_code)](config.FREE_CREDITS));
  });

  bot.on('message:photo', async (ctx) => {
    const language = languageOf(ctx.from.language_code);
    const product = ctx.message.caption?.trim();
    if (!product) return void (await ctx.reply(texts.needCaption[language]));
    await register(ctx, null);
    const photo = ctx.message.photo.at(-1); // the largest size
    if (!photo) return;
    const jobId = randomUUID();
    await store.append(
      streamIds.job(jobId),
      [
        newEvent(
          'GenerationRequested',
          {
            jobId,
            orderId: randomUUID(),
            orderJobIds: [jobId],
            userId: ctx.from.id,
            chatId: ctx.chat.id,
            language,
            photo: { fileId: photo.file_id, fileUniqueId: photo.file_unique_id },
            product: product.slice(0, PRODUCT_DESCRIPTION_MAX),
            templateId: 'studio',
            wishes: null,
            model: config.KIE_MODEL,
            cost: config.CREDITS_PER_VIDEO,
          },
          { correlationId: jobId },
        ),
      ],
      { expectedVersion: 'no_stream' },
    );
    logger.info({ jobId, userId: ctx.from.id }, 'generation requested');
    await ctx.reply(texts.started[language]);
  });

  bot.catch((error) =>
    logger.error({ err: error.error, updateId: error.ctx.update.update_id }, 'update failed'),
  );
  return bot;
}
