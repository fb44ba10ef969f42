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

/** The later of two ISO timestamps (either may be missing). */
export function later(a: string | null | undefined, b: string): string {
  return a && Date.parse(a) >= Date.parse(b) ? a : b;
}

/** The earlier of two ISO timestamps (either may be missing). */
export function earlier(a: string | null | undefined, b: string): string {
  return a && Date.parse(a) <= Date.parse(b) ? a : b;
}

/** Seconds from `from` to `to`, or null when either is unknown. */
export function secondsBetween(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  return (Date.parse(to) - Date.parse(from)) / 1000;
}
