import type { MigrationSet } from '@neurocards/runtime/event-store';

/** The read models in schema `rm` (DESIGN §7). Analysts and the bot read them; only the projector writes. */
export const readModelMigrations: MigrationSet = {
  component: 'projector',
  migrations: [
    {
      version: 1,
      name: 'users and jobs',
      sql: `
        CREATE SCHEMA IF NOT EXISTS rm;

        CREATE TABLE rm.users (
          user_id bigint PRIMARY KEY,
          chat_id bigint,
          username text,
          first_name text,
          language text,
          referrer_id bigint,
          banned boolean NOT NULL DEFAULT false,
          balance integer NOT NULL DEFAULT 0,     -- credits the user can spend now
          reserved integer NOT NULL DEFAULT 0,    -- credits held by running jobs
          jobs_total integer NOT NULL DEFAULT 0,
          jobs_delivered integer NOT NULL DEFAULT 0,
          jobs_failed integer NOT NULL DEFAULT 0,
          purchases integer NOT NULL DEFAULT 0,
          stars_paid integer NOT NULL DEFAULT 0,
          first_seen timestamptz NOT NULL,
          last_seen timestamptz NOT NULL
        );

        CREATE TABLE rm.jobs (
          job_id uuid PRIMARY KEY,
          order_id uuid NOT NULL,
          user_id bigint NOT NULL,
          status text NOT NULL CHECK (status IN
            ('requested', 'reserved', 'rejected', 'generating', 'ready', 'delivered', 'failed')),
          template_id text NOT NULL,
          model text NOT NULL,
          product text NOT NULL,
          cost integer NOT NULL,
          provider_task_id text,
          attempts integer NOT NULL DEFAULT 0,
          error_class text,
          error_code text,
          error_message text,
          requested_at timestamptz NOT NULL,
          reserved_at timestamptz,
          submitted_at timestamptz,
          ready_at timestamptz,
          delivered_at timestamptz,
          failed_at timestamptz,
          updated_at timestamptz NOT NULL
        );
        CREATE INDEX jobs_user_idx ON rm.jobs (user_id, requested_at DESC);
        CREATE INDEX jobs_status_idx ON rm.jobs (status);

        -- Stored events a projection could not read (e.g. a schema version newer than this build): kept
        -- here with the reason instead of stopping the projection or vanishing.
        CREATE TABLE rm.skipped_events (
          projection text NOT NULL,
          event_id uuid NOT NULL,
          type text NOT NULL,
          reason text NOT NULL,
          skipped_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (projection, event_id)
        );
      `,
    },
  ],
};
