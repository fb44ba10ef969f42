import { inboxMigration } from '@neurocards/runtime/bus';
import type { MigrationSet } from '@neurocards/runtime/event-store';

/**
 * Delivery's working tables. The job streams hold the facts; these hold only what pacing and reminders
 * need, shared by every delivery replica.
 */
export const deliveryMigrations: MigrationSet = {
  component: 'delivery',
  migrations: [
    inboxMigration('delivery'),
    {
      version: 2,
      name: 'send pacing across replicas',
      sql: `
        -- The earliest moment the next message may go: one row for the whole bot, one per chat. Every send
        -- writes here, so it is unlogged and its commits do not wait for the disk: after a crash the pace
        -- starts afresh, which costs at most one early message per chat.
        CREATE UNLOGGED TABLE delivery.send_pace (
          key text PRIMARY KEY,
          next_at timestamptz NOT NULL
        );
        INSERT INTO delivery.send_pace VALUES ('global', '-infinity');

        -- Takes the next send slot for a chat: first the chat's own pace (a caller told to wait asks again),
        -- then a place in the bot-wide queue, which is first come, first served, so waiting callers never
        -- stampede. The chat's next slot counts from the bot-wide slot, so a chat's messages stay spaced
        -- even when the queue delays one of them. Locks: the chat row, then the global row, always in
        -- that order.
        CREATE FUNCTION delivery.take_send_slot(chat text, chat_gap interval, global_gap interval,
                                                OUT wait_ms double precision, OUT granted boolean,
                                                OUT slot_ms double precision)
        LANGUAGE plpgsql AS $fn$
        DECLARE
          now_at timestamptz := clock_timestamp();
          chat_next timestamptz;
          slot timestamptz;
        BEGIN
          PERFORM set_config('synchronous_commit', 'off', true);
          INSERT INTO delivery.send_pace VALUES (chat, '-infinity') ON CONFLICT (key) DO NOTHING;
          SELECT next_at INTO chat_next FROM delivery.send_pace WHERE key = chat FOR UPDATE;
          IF chat_next > now_at THEN
            wait_ms := extract(epoch FROM chat_next - now_at) * 1000;
            granted := false;
            RETURN;
          END IF;
          UPDATE delivery.send_pace SET next_at = greatest(next_at, now_at) + global_gap
            WHERE key = 'global' RETURNING next_at - global_gap INTO slot;
          UPDATE delivery.send_pace SET next_at = slot + chat_gap WHERE key = chat;
          wait_ms := greatest(extract(epoch FROM slot - now_at) * 1000, 0);
          slot_ms := extract(epoch FROM greatest(slot, now_at)) * 1000;
          granted := true;
        END
        $fn$;
      `,
    },
    {
      version: 3,
      name: 'message outbox and order reminders',
      sql: `
        -- Messages to sellers, written in the same transaction as the handling of the event that caused
        -- them and sent by the outbox worker: a slow or rate-limited Telegram never holds a transaction or a
        -- bus message. dedupe_key makes one message per outcome (an order rejected whole, five failed jobs
        -- of one order, a redelivered event).
        CREATE TABLE delivery.outbox (
          id bigserial PRIMARY KEY,
          dedupe_key text NOT NULL UNIQUE,
          chat_id bigint NOT NULL,
          text text NOT NULL,
          reply_markup jsonb,
          due_at timestamptz NOT NULL DEFAULT now(),
          lease_until timestamptz,
          attempts integer NOT NULL DEFAULT 0,
          sent_at timestamptz,
          outcome text,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX outbox_due_idx ON delivery.outbox (due_at) WHERE sent_at IS NULL;

        -- Orders whose seller gets one "still working" message if a job is unfinished at notice_at.
        CREATE TABLE delivery.watched_orders (
          order_id uuid PRIMARY KEY,
          user_id bigint NOT NULL,
          chat_id bigint NOT NULL,
          language text NOT NULL,
          job_ids uuid[] NOT NULL,
          notice_at timestamptz NOT NULL
        );
        CREATE INDEX watched_orders_notice_idx ON delivery.watched_orders (notice_at);
      `,
    },
    {
      version: 4,
      name: 'send pacing survives a crash of the database',
      sql: `
        -- Crash recovery empties unlogged tables, and with them the bot-wide row the migration inserted:
        -- the slot then came out NULL and every send failed until someone put the row back. The bot-wide
        -- slot is now taken with an upsert, which creates the row when it is missing.
        CREATE OR REPLACE FUNCTION delivery.take_send_slot(chat text, chat_gap interval, global_gap interval,
                                                           OUT wait_ms double precision, OUT granted boolean,
                                                           OUT slot_ms double precision)
        LANGUAGE plpgsql AS $fn$
        DECLARE
          now_at timestamptz := clock_timestamp();
          chat_next timestamptz;
          slot timestamptz;
        BEGIN
          PERFORM set_config('synchronous_commit', 'off', true);
          INSERT INTO delivery.send_pace VALUES (chat, '-infinity') ON CONFLICT (key) DO NOTHING;
          SELECT next_at INTO chat_next FROM delivery.send_pace WHERE key = chat FOR UPDATE;
          IF chat_next > now_at THEN
            wait_ms := extract(epoch FROM chat_next - now_at) * 1000;
            granted := false;
            RETURN;
          END IF;
          INSERT INTO delivery.send_pace AS pace VALUES ('global', now_at + global_gap)
            ON CONFLICT (key) DO UPDATE SET next_at = greatest(pace.next_at, now_at) + global_gap
            RETURNING next_at - global_gap INTO slot;
          UPDATE delivery.send_pace SET next_at = slot + chat_gap WHERE key = chat;
          wait_ms := greatest(extract(epoch FROM slot - now_at) * 1000, 0);
          slot_ms := extract(epoch FROM greatest(slot, now_at)) * 1000;
          granted := true;
        END
        $fn$;
      `,
    },
    {
      version: 5,
      name: 'one sender per video',
      sql: `
        -- The handler sending a job's video holds its row until the outcome is appended (see VideoClaims);
        -- owner names the bus message it handles.
        CREATE TABLE delivery.video_claims (
          job_id uuid PRIMARY KEY,
          owner text NOT NULL,
          until timestamptz NOT NULL
        );
      `,
    },
  ],
};
