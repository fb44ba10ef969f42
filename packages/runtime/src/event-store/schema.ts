import type { MigrationSet } from './migrations.js';

/** The SQLSTATE `es.expect_version` raises: a stream is not at the version an append expected. */
export const VERSION_MISMATCH = 'NC001';

/**
 * The event store's tables. `transaction_id` is the writer's xid: readers take only rows whose xid is below
 * the oldest running transaction and order by (transaction_id, global_position), so a transaction that
 * commits late can never be skipped by a reader that has moved past its position
 * (see docs/event-store.md).
 */
export const eventStoreMigrations: MigrationSet = {
  component: 'event-store',
  migrations: [
    {
      version: 1,
      name: 'events and checkpoints',
      sql: `
        CREATE SCHEMA IF NOT EXISTS es;

        CREATE TABLE es.events (
          global_position bigint GENERATED ALWAYS AS IDENTITY,
          transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
          stream_id text NOT NULL,
          stream_version integer NOT NULL CHECK (stream_version > 0),
          event_id uuid NOT NULL,
          type text NOT NULL,
          schema_version integer NOT NULL,
          data jsonb NOT NULL,
          correlation_id text NOT NULL,
          causation_id text,
          occurred_at timestamptz NOT NULL,
          recorded_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT events_stream_version_key PRIMARY KEY (stream_id, stream_version),
          CONSTRAINT events_event_id_key UNIQUE (event_id)
        );

        CREATE INDEX events_tail_idx ON es.events (transaction_id, global_position);

        -- Where each tailing reader (the relay, each projection) has got to.
        CREATE TABLE es.checkpoints (
          name text PRIMARY KEY,
          transaction_id xid8 NOT NULL,
          global_position bigint NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
      `,
    },
    {
      version: 2,
      name: 'expect_version, for appends sent as plain SQL',
      // See appendSql: the check that the append's parameterised statement makes with its EXISTS guard.
      sql: `
        CREATE FUNCTION es.expect_version(stream text, expected integer) RETURNS void
        LANGUAGE plpgsql AS $fn$
        DECLARE
          actual integer;
        BEGIN
          SELECT coalesce(max(stream_version), 0) INTO actual FROM es.events WHERE stream_id = stream;
          IF actual <> expected THEN
            RAISE EXCEPTION 'stream % is at version %, expected %', stream, actual, expected
              USING ERRCODE = '${VERSION_MISMATCH}';
          END IF;
        END
        $fn$;
      `,
    },
  ],
};
