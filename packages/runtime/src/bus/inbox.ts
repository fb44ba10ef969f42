import pg, { type Pool, type PoolClient, type QueryResult } from 'pg';
import { Batches } from '../event-store/batches.js';
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

/** What an effect runs in: its transaction, and the results of its `prefetch` statements in order. */
export type InboxEffect<T> = (
  client: PoolClient,
  tx: Transaction & { prefetched: QueryResult[] },
) => Promise<T>;

export interface InboxRecord {
  schema: string;
  consumer: string;
  eventId: string;
}

/**
 * Runs `effect` in one transaction together with the inbox record of (consumer, eventId). A second delivery
 * of the same event finds the record and does nothing; two replicas racing on one event serialise on the
 * record's key, and the loser sees a duplicate. `prefetch` (plain SQL statements, see `Transaction`) run
 * right after the record in the same round trip, and their results go to the effect, in order: the reads a
 * handler starts with.
 */
export async function handleOnce<T>(
  pool: Pool,
  inbox: InboxRecord,
  effect: InboxEffect<T>,
  options: { prefetch?: readonly string[] } = {},
): Promise<InboxOutcome<T>> {
  return inTransaction(
    pool,
    async (client, tx) => {
      const [recorded, ...prefetched] = tx.opening;
      if (recorded?.rowCount === 0) return { duplicate: true };
      return { duplicate: false, result: await effect(client, { ...tx, prefetched }) };
    },
    [recordSql(inbox), ...(options.prefetch ?? [])].join('; '),
  );
}

/** One event for `InboxBatcher`: its record, its effect, and `key`, what no two effects may decide at once. */
export interface InboxUnit<T> {
  consumer: string;
  eventId: string;
  /** The stream the effect decides on: units of one key run one after another, never in one batch. */
  key?: string;
  prefetch?: readonly string[];
  effect: InboxEffect<T>;
}

/**
 * `handleOnce` for many events in one transaction, when a service handles many at once: the records and the
 * prefetches of a whole batch go with BEGIN in one round trip, the effects run one after another on its
 * connection, and everything they leave for COMMIT goes in one more. A service under load makes two round
 * trips for a batch instead of two per event; an idle one runs each event alone, as `handleOnce` does
 * (natural batching, see `Batches`).
 *
 * Units of one `key` never share a batch or run at once: two decisions on one stream would read the same
 * version and the second append would fail. When anything in a batch fails (an effect throws, an append met
 * a stream moved by another replica, a deadlock), the batch rolls back and each unit runs again alone with
 * `handleOnce`, so only the failing unit's caller sees its error, exactly as without batching.
 */
export class InboxBatcher {
  private readonly batches: Batches<InboxUnit<unknown>, InboxOutcome<unknown>>;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    options: { maxBatch?: number; maxInFlight?: number; onBatch?: (size: number) => void } = {},
  ) {
    assertIdentifier(schema);
    this.batches = new Batches(
      { together: (units) => this.together(units), alone: (unit) => this.alone(unit) },
      {
        maxBatch: options.maxBatch ?? 64,
        maxInFlight: options.maxInFlight ?? 2,
        keyOf: (unit) => unit.key,
        onBatch: options.onBatch,
      },
    );
  }

  handle<T>(unit: InboxUnit<T>): Promise<InboxOutcome<T>> {
    return this.batches.add(unit as InboxUnit<unknown>) as Promise<InboxOutcome<T>>;
  }

  private alone<T>(unit: InboxUnit<T>): Promise<InboxOutcome<T>> {
    const { consumer, eventId, prefetch, effect } = unit;
    return handleOnce(this.pool, { schema: this.schema, consumer, eventId }, effect, { prefetch });
  }

  private together(units: InboxUnit<unknown>[]): Promise<InboxOutcome<unknown>[]> {
    // Records are inserted in event-id order, so two replicas that both hold the same two redelivered
    // events lock their records in one order and do not deadlock.
    const order = units
      .map((unit, index) => ({ unit, index }))
      .sort((a, b) => (a.unit.eventId < b.unit.eventId ? -1 : a.unit.eventId > b.unit.eventId ? 1 : 0));
    const opening = order.flatMap(({ unit: { consumer, eventId, prefetch = [] } }) => [
      recordSql({ schema: this.schema, consumer, eventId }),
      ...prefetch,
    ]);
    return inTransaction(
      this.pool,
      async (client, tx) => {
        const outcomes: InboxOutcome<unknown>[] = new Array(units.length);
        let at = 0;
        for (const { unit, index } of order) {
          const [recorded, ...prefetched] = tx.opening.slice(at, at + 1 + (unit.prefetch?.length ?? 0));
          at += 1 + prefetched.length;
          outcomes[index] =
            recorded?.rowCount === 0
              ? { duplicate: true }
              : {
                  duplicate: false,
                  result: await unit.effect(client, {
                    opening: [recorded as QueryResult, ...prefetched],
                    beforeCommit: tx.beforeCommit,
                    prefetched,
                  }),
                };
        }
        return outcomes;
      },
      opening.join('; '),
    );
  }
}

/** The inbox record as plain SQL: it travels with BEGIN, so its values are inlined as quoted literals. */
function recordSql({ schema, consumer, eventId }: InboxRecord): string {
  assertIdentifier(schema);
  return `INSERT INTO ${schema}.inbox (consumer, event_id)
    VALUES (${escapeLiteral(consumer)}, ${escapeLiteral(eventId)}::uuid) ON CONFLICT DO NOTHING`;
}

const { escapeLiteral } = pg;

function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe schema name: ${name}`);
}
