import { Module } from '@nestjs/common';
import { runService } from '@neurocards/runtime/shell';
import { TelegramUpdates } from './bot/telegram-updates.js';
import { loadGatewayConfig } from './config.js';
import { PaymentsController } from './handlers/payments.controller.js';
import { gatewayMigrations } from './migrations.js';

@Module({ controllers: [PaymentsController] })
class GatewayModule {}

const config = loadGatewayConfig();
let updates: TelegramUpdates | undefined;
await runService({
  name: 'bot-gateway',
  config,
  httpPort: config.HTTP_PORT,
  secrets: [config.TELEGRAM_BOT_TOKEN, config.TELEGRAM_WEBHOOK_SECRET],
  migrations: [gatewayMigrations],
  modules: [GatewayModule],
  workers: (service) => {
    updates = new TelegramUpdates(service);
    return [updates];
  },
  routes: () => (updates?.webhookMode ? [updates.webhookRoute()] : []),
  readiness: () => ({ telegram: () => updates?.ready() ?? false }),
});
