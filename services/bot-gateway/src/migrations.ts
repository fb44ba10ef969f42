import { inboxMigration } from '@neurocards/runtime/bus';
import type { MigrationSet } from '@neurocards/runtime/event-store';

export const gatewayMigrations: MigrationSet = {
  component: 'bot-gateway',
  migrations: [inboxMigration('gateway')],
};
