import type { MigrationSet } from '@neurocards/runtime/event-store';
import { analystRoleSql } from './analyst-role.js';
import { analyticsViewsSql } from './analytics-views.js';

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
    {
      version: 2,
      name: 'one projection per model: users, jobs, ledger, payments',
      sql: `
        -- users-and-jobs becomes the users and jobs projections, with a watermark per row: both start afresh.
        TRUNCATE rm.users, rm.jobs;
        DELETE FROM es.checkpoints WHERE name = 'projection:users-and-jobs';

        ALTER TABLE rm.users
          ADD COLUMN jobs_rejected integer NOT NULL DEFAULT 0,
          ADD COLUMN credits_purchased integer NOT NULL DEFAULT 0,
          ADD COLUMN credits_spent integer NOT NULL DEFAULT 0,
          ADD COLUMN referrals integer NOT NULL DEFAULT 0,   -- sellers who registered through this one
          ADD COLUMN registered_at timestamptz,
          ADD COLUMN last_order_at timestamptz,
          ADD COLUMN last_purchase_at timestamptz,
          -- the last event applied to the row: older ones are skipped, so a replayed batch changes nothing
          ADD COLUMN applied_xid xid8 NOT NULL DEFAULT '0',
          ADD COLUMN applied_position bigint NOT NULL DEFAULT 0;
        CREATE INDEX users_referrer_idx ON rm.users (referrer_id) WHERE referrer_id IS NOT NULL;
        CREATE INDEX users_first_seen_idx ON rm.users (first_seen);

        -- Seller actions (registration, language change, order, payment) per UTC day.
        CREATE TABLE rm.user_activity (
          user_id bigint NOT NULL,
          day date NOT NULL,
          actions integer NOT NULL,
          PRIMARY KEY (user_id, day)
        );
        CREATE INDEX user_activity_day_idx ON rm.user_activity (day);

        ALTER TABLE rm.jobs
          ADD COLUMN language text,
          ADD COLUMN prompt_source text,
          ADD COLUMN delivery_attempts integer NOT NULL DEFAULT 0,
          ADD COLUMN sent_as text,
          ADD COLUMN video_bytes bigint,
          ADD COLUMN capture_waived text,
          ADD COLUMN refund_reason text,
          ADD COLUMN rejected_at timestamptz,
          ADD COLUMN captured_at timestamptz,
          ADD COLUMN refunded_at timestamptz,
          ADD COLUMN wait_seconds double precision,
          ADD COLUMN generation_seconds double precision,
          ADD COLUMN delivery_seconds double precision,
          ADD COLUMN total_seconds double precision,
          ADD COLUMN applied_xid xid8 NOT NULL DEFAULT '0',
          ADD COLUMN applied_position bigint NOT NULL DEFAULT 0;
        CREATE INDEX jobs_requested_idx ON rm.jobs (requested_at);

        -- Every failed attempt (final = false) and every failure that ended a job (final = true).
        CREATE TABLE rm.job_errors (
          event_id uuid PRIMARY KEY,
          job_id uuid NOT NULL,
          user_id bigint NOT NULL,
          occurred_at timestamptz NOT NULL,
          stage text NOT NULL CHECK (stage IN ('generation', 'delivery')),
          attempt integer,
          model text NOT NULL,
          error_class text NOT NULL,
          code text NOT NULL,
          message text NOT NULL,
          final boolean NOT NULL
        );
        CREATE INDEX job_errors_occurred_idx ON rm.job_errors (occurred_at);
        CREATE INDEX job_errors_job_idx ON rm.job_errors (job_id);

        -- Every credit movement, numbered per seller, with the balances after it.
        CREATE TABLE rm.credit_ledger (
          event_id uuid PRIMARY KEY,
          user_id bigint NOT NULL,
          entry_no integer NOT NULL,
          occurred_at timestamptz NOT NULL,
          kind text NOT NULL CHECK (kind IN ('free_grant', 'admin_grant', 'referral_bonus', 'purchase',
            'payment_refund', 'reserve', 'capture', 'refund')),
          amount integer NOT NULL,           -- change of the balance the seller can spend
          reserved_change integer NOT NULL,  -- change of the credits held by running jobs
          balance_after integer NOT NULL,
          reserved_after integer NOT NULL,
          job_id uuid,
          charge_id text,
          related_user_id bigint,            -- the invited seller of a referral bonus, the admin of a grant
          reason text,
          event_xid xid8 NOT NULL,
          event_position bigint NOT NULL,
          UNIQUE (user_id, entry_no)
        );
        CREATE INDEX credit_ledger_occurred_idx ON rm.credit_ledger (occurred_at);
        CREATE INDEX credit_ledger_job_idx ON rm.credit_ledger (job_id) WHERE job_id IS NOT NULL;

        CREATE TABLE rm.payments (
          charge_id text PRIMARY KEY,
          user_id bigint NOT NULL,
          stars integer NOT NULL,
          payload text,
          package_id text,
          credits integer,
          status text NOT NULL CHECK (status IN ('received', 'credited', 'refunded')),
          received_at timestamptz,
          credited_at timestamptz,
          refund_requested_at timestamptz,
          refunded_at timestamptz,
          refunded_by bigint,
          refund_refused_reason text,
          applied_xid xid8 NOT NULL DEFAULT '0',
          applied_position bigint NOT NULL DEFAULT 0
        );
        CREATE INDEX payments_user_idx ON rm.payments (user_id);
      `,
    },
    { version: 3, name: 'analytics views', sql: analyticsViewsSql },
    { version: 4, name: 'read-only analyst role', sql: analystRoleSql },
  ],
};
