import { Module } from '@nestjs/common';
import { inboxMigration } from '@neurocards/runtime/bus';
import { runService } from '@neurocards/runtime/shell';
import { loadDeliveryConfig } from './config.js';
import { DeliveryController } from './handlers/delivery.controller.js';

@Module({ controllers: [DeliveryController] })
class DeliveryModule {}

const config = loadDeliveryConfig();
await runService({
  name: 'delivery',
  config,
  httpPort: config.HTTP_PORT,
  migrations: [{ component: 'delivery', migrations: [inboxMigration('delivery')] }],
  modules: [DeliveryModule],
  secrets: [config.TELEGRAM_BOT_TOKEN],
});
