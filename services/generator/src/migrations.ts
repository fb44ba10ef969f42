import { inboxMigration } from '@neurocards/runtime/bus';
import type { MigrationSet } from '@neurocards/runtime/event-store';

/**
 * The generator's working tables. The job stream holds the facts; these hold what only scheduling needs:
 * when each job's next step is due and which replica holds it, shared cooldowns, and the account's rate.
 */
export const generatorMigrations: MigrationSet = {
  component: 'generator',
  migrations: [
    inboxMigration('generator'),
    {
      version: 2,
      name: 'scheduling, keys, models, rate, caches',
      sql: `
        CREATE TABLE generator.jobs (
          job_id uuid PRIMARY KEY,
          user_id bigint NOT NULL,
          done boolean NOT NULL DEFAULT false,
          next_run_at timestamptz NOT NULL DEFAULT now(),
          polls integer NOT NULL DEFAULT 0,
          callback_token text NOT NULL,
          image_url text,
          lease_owner text,
          lease_until timestamptz,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX jobs_due_idx ON generator.jobs (next_run_at) WHERE NOT done;

        CREATE TABLE generator.key_cooldowns (
          key_id text PRIMARY KEY,
          until timestamptz NOT NULL,
          reason text NOT NULL
        );

        CREATE TABLE generator.model_health (
          model text PRIMARY KEY,
          paused_until timestamptz,
          reason text
        );

        -- One row per task creation in the account's current window (all replicas).
        CREATE TABLE generator.task_creations (
          id bigserial PRIMARY KEY,
          at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        CREATE INDEX task_creations_at_idx ON generator.task_creations (at);

        CREATE TABLE generator.prompt_cache (
          input_hash text PRIMARY KEY,
          prompt text NOT NULL,
          source text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
      `,
    },
    {
      version: 3,
      name: 'photo uploads shared by the jobs of one photo',
      sql: `
        CREATE TABLE generator.photo_uploads (
          photo_key text PRIMARY KEY,
          image_url text NOT NULL,
          uploaded_at timestamptz NOT NULL DEFAULT now()
        );
      `,
    },
  ],
};
