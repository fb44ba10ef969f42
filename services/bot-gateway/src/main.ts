import { Module } from '@nestjs/common';
import { runService } from '@neurocards/runtime/shell';
import type { Bot } from 'grammy';
import { loadGatewayConfig } from './config.js';
import { PaymentsController } from './handlers/payments.controller.js';
import { createSkeletonBot } from './handlers/skeleton-bot.js';
import { gatewayMigrations } from './migrations.js';

@Module({ controllers: [PaymentsController] })
class GatewayModule {}

const config = loadGatewayConfig();
let bot: Bot | undefined;
let polling: Promise<void> | undefined;
await runService({
  name: 'bot-gateway',
  config,
  httpPort: config.HTTP_PORT,
  secrets: [config.TELEGRAM_BOT_TOKEN],
  migrations: [gatewayMigrations],
  modules: [GatewayModule],
  workers: (service) => [
    {
      name: 'telegram-long-polling',
      async start() {
        bot = createSkeletonBot(service);
        await bot.init();
        polling = bot.start({ allowed_updates: ['message', 'callback_query', 'pre_checkout_query'] });
        polling.catch((error: unknown) => service.logger.fatal({ err: error }, 'long polling stopped'));
      },
      async stop() {
        await bot?.stop();
        await polling?.catch(() => {});
      },
    },
  ],
  readiness: () => ({ telegram: () => bot?.isRunning() ?? false }),
});
