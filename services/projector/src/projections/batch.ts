import { parseEvent } from '@neurocards/contracts';
import type { StoredEventRecord } from '@neurocards/runtime/event-store';
import type { EventPosition, ProjectedEvent } from '../domain/position.js';
import type { Queryable } from './rows.js';

export interface SkippedEvent {
  eventId: string;
  type: string;
  reason: string;
  position: EventPosition;
}

/** Parses stored events with the contracts; what does not parse is set aside with the reason, never thrown. */
export function parseBatch(records: readonly StoredEventRecord[]): {
  events: ProjectedEvent[];
  skipped: SkippedEvent[];
} {
  const events: ProjectedEvent[] = [];
  const skipped: SkippedEvent[] = [];
  for (const record of records) {
    const parsed = parseEvent(record.json);
    if (parsed.ok) events.push({ event: parsed.event, position: record.position });
    else
      skipped.push({
        eventId: record.eventId,
        type: record.type,
        reason: parsed.error.message,
        position: record.position,
      });
  }
  return { events, skipped };
}

/** Records in `<schema>.skipped_events` the events projection `name` could not read. */
export async function recordSkipped(
  db: Queryable,
  schema: string,
  name: string,
  skipped: readonly SkippedEvent[],
): Promise<void> {
  if (skipped.length === 0) return;
  await db.query(
    `INSERT INTO ${schema}.skipped_events (projection, event_id, type, reason)
     SELECT $1, event_id, type, reason FROM unnest($2::uuid[], $3::text[], $4::text[]) AS s(event_id, type, reason)
     ON CONFLICT DO NOTHING`,
    [name, skipped.map((s) => s.eventId), skipped.map((s) => s.type), skipped.map((s) => s.reason)],
  );
}
