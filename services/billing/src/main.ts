import { Module } from '@nestjs/common';
import { inboxMigration } from '@neurocards/runtime/bus';
import { runService } from '@neurocards/runtime/shell';
import { loadBillingConfig } from './config.js';
import { CreditsController } from './handlers/credits.controller.js';

@Module({ controllers: [CreditsController] })
class BillingModule {}

const config = loadBillingConfig();
await runService({
  name: 'billing',
  config,
  httpPort: config.HTTP_PORT,
  migrations: [{ component: 'billing', migrations: [inboxMigration('billing')] }],
  modules: [BillingModule],
});
