import type { DomainEvent } from '@neurocards/contracts';

/** Where an event sits in the global read order: (writer's transaction id, global position). */
export interface EventPosition {
  transactionId: bigint;
  globalPosition: bigint;
}

/** An event as projections receive it: parsed and typed, with its place in the read order. */
export interface ProjectedEvent {
  event: DomainEvent;
  position: EventPosition;
}

/** Whether `a` comes after `b` in the global read order. */
export function isAfter(a: EventPosition, b: EventPosition): boolean {
  if (a.transactionId !== b.transactionId) return a.transactionId > b.transactionId;
  return a.globalPosition > b.globalPosition;
}

/**
 * The last event applied to a read-model row. Projections skip events at or before it, so applying a batch
 * twice (a rewound checkpoint, a batch retried after a partial failure) changes nothing.
 */
export interface Watermarked {
  applied_xid: string;
  applied_position: number | string;
}

/** Whether `position` comes after the row's watermark (true for a row not seen yet). */
export function isNewFor(row: Watermarked | undefined, position: EventPosition): boolean {
  if (!row) return true;
  const xid = BigInt(row.applied_xid);
  if (position.transactionId !== xid) return position.transactionId > xid;
  return position.globalPosition > BigInt(row.applied_position);
}

/** The watermark columns of a row after applying the event at `position`. */
export function watermark(position: EventPosition): Watermarked {
  return {
    applied_xid: position.transactionId.toString(),
    applied_position: position.globalPosition.toString(),
  };
}

/**
 * Orders two ISO timestamps. Both in the UTC form `toISOString` writes (as event times are) compare as
 * strings, which saves parsing on every event; anything else is parsed.
 */
function compareTimes(a: string, b: string): number {
  if (a.length === 24 && b.length === 24 && a.endsWith('Z') && b.endsWith('Z'))
    return a < b ? -1 : a > b ? 1 : 0;
  return Date.parse(a) - Date.parse(b);
}

/** The later of two ISO timestamps (the first may be missing). */
export function later(a: string | null | undefined, b: string): string {
  return a && compareTimes(a, b) >= 0 ? a : b;
}

/** The earlier of two ISO timestamps (the first may be missing). */
export function earlier(a: string | null | undefined, b: string): string {
  return a && compareTimes(a, b) <= 0 ? a : b;
}

/** Seconds from `from` to `to`, or null when either is unknown. */
export function secondsBetween(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  return (Date.parse(to) - Date.parse(from)) / 1000;
}
