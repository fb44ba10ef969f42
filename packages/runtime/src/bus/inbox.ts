import type { Pool, PoolClient } from 'pg';
import type { Migration } from '../event-store/migrations.js';
import { inTransaction } from '../event-store/postgres.js';

/** The inbox table of one service: event ids its consumers have handled, written with their effects. */
export function inboxMigration(schema: string, version = 1): Migration {
  assertIdentifier(schema);
  return {
    version,
    name: `${schema} inbox`,
    sql: `
      CREATE SCHEMA IF NOT EXISTS ${schema};
      CREATE TABLE ${schema}.inbox (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        handled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      );`,
  };
}

export type InboxOutcome<T> = { duplicate: true } | { duplicate: false; result: T };

/**
 * Runs `effect` in one transaction together with the inbox record of (consumer, eventId). A second delivery
 * of the same event finds the record and does nothing; two replicas racing on one event serialise on the
 * record's key, and the loser sees a duplicate.
 */
export async function handleOnce<T>(
  pool: Pool,
  inbox: { schema: string; consumer: string; eventId: string },
  effect: (client: PoolClient) => Promise<T>,
): Promise<InboxOutcome<T>> {
  assertIdentifier(inbox.schema);
  return inTransaction(pool, async (client) => {
    const { rowCount } = await client.query({
      name: `nc_inbox_${inbox.schema}`,
      text: `INSERT INTO ${inbox.schema}.inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      values: [inbox.consumer, inbox.eventId],
    });
    if (rowCount === 0) return { duplicate: true };
    return { duplicate: false, result: await effect(client) };
  });
}

function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe schema name: ${name}`);
}
