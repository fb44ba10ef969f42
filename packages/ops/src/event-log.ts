import {
  readAllAfter,
  START_OF_ALL,
  type StoredEventRecord,
  type TailPosition,
} from '@neurocards/runtime/event-store';
import type { PoolClient } from 'pg';

type Queryable = Pick<PoolClient, 'query'>;

/** A stored event for a person to read: the envelope as stored, plus its place in the log. */
export interface LoggedEvent {
  globalPosition: string;
  recordedAt: string;
  envelope: Record<string, unknown>;
}

/**
 * The last `limit` events of the whole log in commit-safe order (as the relay reads it), and the place
 * to follow on from.
 */
export async function latestEvents(
  db: Queryable,
  limit: number,
): Promise<{ events: LoggedEvent[]; next: TailPosition }> {
  // The position just before the last `limit` readable events; then read forward from there.
  const { rows } = await db.query<{ transaction_id: string; global_position: string }>(
    `SELECT transaction_id::text, global_position::text FROM es.events
     WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY transaction_id DESC, global_position DESC OFFSET $1 LIMIT 1`,
    [limit],
  );
  const row = rows[0];
  const start = row
    ? { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) }
    : START_OF_ALL;
  return eventsAfter(db, start, limit);
}

/** Events committed after `after`, at most `limit`, and where to continue. */
export async function eventsAfter(
  db: Queryable,
  after: TailPosition,
  limit: number,
): Promise<{ events: LoggedEvent[]; next: TailPosition }> {
  const records = await readAllAfter(db, after, limit);
  return { events: records.map(toLoggedEvent), next: records.at(-1)?.position ?? after };
}

/** Every event of one stream in version order, as stored (not parsed against the contracts, so a bad one shows too). */
export async function streamEvents(db: Queryable, streamId: string): Promise<LoggedEvent[]> {
  const { rows } = await db.query<{
    global_position: string;
    recorded_at: Date;
    envelope: Record<string, unknown>;
  }>(
    `SELECT global_position::text, recorded_at,
       json_build_object('eventId', event_id, 'type', type, 'schemaVersion', schema_version, 'streamId', stream_id,
         'streamVersion', stream_version, 'occurredAt', occurred_at, 'correlationId', correlation_id,
         'causationId', causation_id, 'data', data) AS envelope
     FROM es.events WHERE stream_id = $1 ORDER BY stream_version`,
    [streamId],
  );
  return rows.map((row) => ({
    globalPosition: row.global_position,
    recordedAt: row.recorded_at.toISOString(),
    envelope: row.envelope,
  }));
}

function toLoggedEvent(record: StoredEventRecord): LoggedEvent {
  return {
    globalPosition: record.position.globalPosition.toString(),
    recordedAt: record.recordedAt.toISOString(),
    envelope: JSON.parse(record.json) as Record<string, unknown>,
  };
}
