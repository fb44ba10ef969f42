import pg, { type Pool, type PoolClient, type QueryResult } from 'pg';
import type { Migration } from '../event-store/migrations.js';
import { inTransaction, type Transaction } from '../event-store/postgres.js';

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
 * record's key, and the loser sees a duplicate. `prefetch` (plain SQL statements, see `Transaction`) run
 * right after the record in the same round trip, and their results go to the effect, in order: the reads a
 * handler starts with.
 */
export async function handleOnce<T>(
  pool: Pool,
  inbox: { schema: string; consumer: string; eventId: string },
  effect: (client: PoolClient, tx: Transaction & { prefetched: QueryResult[] }) => Promise<T>,
  options: { prefetch?: readonly string[] } = {},
): Promise<InboxOutcome<T>> {
  assertIdentifier(inbox.schema);
  // The record goes with BEGIN in one round trip, so its values are inlined as quoted literals.
  const record = `INSERT INTO ${inbox.schema}.inbox (consumer, event_id)
    VALUES (${escapeLiteral(inbox.consumer)}, ${escapeLiteral(inbox.eventId)}::uuid) ON CONFLICT DO NOTHING`;
  return inTransaction(
    pool,
    async (client, tx) => {
      const [recorded, ...prefetched] = tx.opening;
      if (recorded?.rowCount === 0) return { duplicate: true };
      return { duplicate: false, result: await effect(client, { ...tx, prefetched }) };
    },
    [record, ...(options.prefetch ?? [])].join('; '),
  );
}

const { escapeLiteral } = pg;

function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe schema name: ${name}`);
}
