import { Module } from '@nestjs/common';
import { runService } from '@neurocards/runtime/shell';
import { loadBillingConfig } from './config.js';
import { CreditsController } from './handlers/credits.controller.js';
import { ReservationSweeper } from './handlers/reservation-sweeper.js';
import { billingMigrations } from './migrations.js';

@Module({ controllers: [CreditsController] })
class BillingModule {}

const config = loadBillingConfig();
await runService({
  name: 'billing',
  config,
  httpPort: config.HTTP_PORT,
  migrations: [billingMigrations],
  modules: [BillingModule],
  workers: (service) => [new ReservationSweeper(service)],
});
