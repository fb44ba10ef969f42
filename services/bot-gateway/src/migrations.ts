import { inboxMigration } from '@neurocards/runtime/bus';
import type { MigrationSet } from '@neurocards/runtime/event-store';

/**
 * The gateway's working tables. The user and job streams hold the facts; these hold what answering an
 * update needs at once: who the seller is (written in the same transaction as their events), where each
 * conversation stands, and the flood counters.
 */
export const gatewayMigrations: MigrationSet = {
  component: 'bot-gateway',
  migrations: [
    inboxMigration('gateway'),
    {
      version: 2,
      name: 'sellers, conversations, flood counters',
      sql: `
        CREATE TABLE gateway.users (
          user_id bigint PRIMARY KEY,
          chat_id bigint NOT NULL,
          language text NOT NULL,
          banned boolean NOT NULL DEFAULT false,
          -- A banned seller is told once; after that the bot stays silent.
          ban_told boolean NOT NULL DEFAULT false,
          registered_at timestamptz NOT NULL DEFAULT now()
        );

        -- Where each chat's conversation stands (a step and a draft order), so that a restart or another
        -- replica carries on where the last update left it.
        CREATE TABLE gateway.conversations (
          chat_id bigint PRIMARY KEY,
          user_id bigint NOT NULL,
          state jsonb NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );

        -- Updates per user in the current window. Unlogged: after a crash the counting starts afresh.
        CREATE UNLOGGED TABLE gateway.flood (
          user_id bigint PRIMARY KEY,
          window_start timestamptz NOT NULL,
          updates integer NOT NULL,
          told boolean NOT NULL DEFAULT false
        );
      `,
    },
  ],
};
