import { Module } from '@nestjs/common';
import { runService } from '@neurocards/runtime/shell';
import { loadDeliveryConfig } from './config.js';
import { DeliveryController } from './handlers/delivery.controller.js';
import { deliveryKit } from './handlers/delivery-kit.js';
import { NotificationsController } from './handlers/notifications.controller.js';
import { OutboxSender } from './handlers/outbox.js';
import { SlowOrderWatch } from './handlers/slow-order-watch.js';
import { deliveryMigrations } from './migrations.js';

@Module({ controllers: [DeliveryController, NotificationsController] })
class DeliveryModule {}

const config = loadDeliveryConfig();
await runService({
  name: 'delivery',
  config,
  httpPort: config.HTTP_PORT,
  migrations: [deliveryMigrations],
  modules: [DeliveryModule],
  secrets: [config.TELEGRAM_BOT_TOKEN],
  workers: (service) => [
    new OutboxSender(service, deliveryKit(service)),
    new SlowOrderWatch(service, deliveryKit(service)),
  ],
});
