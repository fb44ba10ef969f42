import { inboxMigration } from '@neurocards/runtime/bus';
import type { MigrationSet } from '@neurocards/runtime/event-store';

export const billingMigrations: MigrationSet = {
  component: 'billing',
  migrations: [
    inboxMigration('billing'),
    {
      version: 2,
      name: 'open reservations',
      // What the sweeper looks at: written in the same transaction as the credit events it mirrors.
      sql: `
        CREATE TABLE billing.open_reservations (
          job_id uuid PRIMARY KEY,
          user_id bigint NOT NULL,
          expires_at timestamptz NOT NULL
        );
        CREATE INDEX open_reservations_expiry_idx ON billing.open_reservations (expires_at);
      `,
    },
  ],
};
