import { inboxMigration } from '@neurocards/runtime/bus';
import type { MigrationSet } from '@neurocards/runtime/event-store';

/** The advisory lock of the account's creation log ('nckr'): the count and the insert never interleave. */
const CREATION_LOCK = 0x6e636b72;

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
    {
      version: 4,
      name: 'task creation slots in one statement',
      sql: `
        -- One round trip for a slot: the lock, the window's count, and the slot, all replicas together.
        -- The lock is held until the commit, which does not wait for the disk: a slot lost in a crash lets
        -- one creation too many through, and KIE's 429 covers that.
        CREATE FUNCTION generator.take_creation_slot(max_count integer, window_ms double precision,
                                                     OUT granted boolean, OUT retry_ms double precision)
        LANGUAGE plpgsql AS $fn$
        DECLARE
          span interval := window_ms * interval '1 millisecond';
          used integer;
          oldest timestamptz;
        BEGIN
          PERFORM set_config('synchronous_commit', 'off', true);
          PERFORM pg_advisory_xact_lock(${CREATION_LOCK});
          DELETE FROM generator.task_creations WHERE at <= clock_timestamp() - span;
          SELECT count(*)::integer, min(at) INTO used, oldest FROM generator.task_creations;
          IF used >= max_count THEN
            granted := false;
            retry_ms := extract(epoch FROM oldest + span - clock_timestamp()) * 1000;
            RETURN;
          END IF;
          INSERT INTO generator.task_creations DEFAULT VALUES;
          granted := true;
        END
        $fn$;
      `,
    },
  ],
};
