import { createHash, randomFillSync } from 'node:crypto';
import { z } from 'zod';
import { type EventData, type EventType, eventCatalog } from './catalog.js';

/** The envelope every stored and published event carries (DESIGN §3), with `data` still unchecked. */
export const envelopeSchema = z.object({
  eventId: z.uuid(),
  type: z.string().min(1).max(128),
  schemaVersion: z.number().int().positive(),
  streamId: z.string().min(1).max(256),
  streamVersion: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  correlationId: z.string().min(1).max(256),
  causationId: z.string().min(1).max(256).nullable(),
  data: z.unknown(),
});

export type RawEnvelope = z.infer<typeof envelopeSchema>;

/** A stored event of type T with its data typed. */
export type EventEnvelope<T extends EventType = EventType> = Omit<RawEnvelope, 'type' | 'data'> & {
  type: T;
  data: EventData<T>;
};

/** Any stored event, discriminated on `type`. */
export type DomainEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

/** An event ready to append: the store assigns `streamId` and `streamVersion`. */
export type NewEvent<T extends EventType = EventType> = Omit<EventEnvelope<T>, 'streamId' | 'streamVersion'>;

export type AnyNewEvent = { [T in EventType]: NewEvent<T> }[EventType];

export interface NewEventOptions {
  /** The job or order this event belongs to; defaults to the causing event's correlation id. */
  correlationId?: string;
  /** The event that caused this one: its id becomes `causationId` and its correlation id is inherited. */
  causedBy?: Pick<RawEnvelope, 'eventId' | 'correlationId'>;
  /** A deterministic id makes a retried command a no-op in the store; random by default. */
  eventId?: string;
  occurredAt?: Date;
}

/**
 * Builds an event of the current schema version; throws a ZodError when `data` does not fit its schema,
 * so an invalid event is never written.
 */
export function newEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  options: NewEventOptions = {},
): NewEvent<T> {
  const spec = eventCatalog[type];
  const correlationId = options.correlationId ?? options.causedBy?.correlationId;
  if (!correlationId) throw new Error(`newEvent(${type}): a correlationId or causedBy is required`);
  return {
    eventId: options.eventId ?? timeOrderedUuid(),
    type,
    schemaVersion: spec.schemaVersion,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    correlationId,
    causationId: options.causedBy?.eventId ?? null,
    data: spec.data.parse(data) as EventData<T>,
  };
}

/**
 * A UUID derived from its parts (SHA-256, formatted as a version-8 UUID). Deriving the id of an event from
 * what caused it makes a retried command append the very same event, which the store then ignores.
 */
export function deterministicEventId(...parts: Array<string | number>): string {
  const hash = createHash('sha256').update(parts.join('\u001f')).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x80;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const uuidBytes = Buffer.alloc(16);

/**
 * A version-7 UUID: 48 bits of Unix milliseconds, then random bits. Event ids made this way arrive in
 * roughly ascending order, so the unique index on them grows at its right edge instead of touching a random
 * page (and writing it whole to the WAL) on every append.
 */
export function timeOrderedUuid(now: number = Date.now()): string {
  randomFillSync(uuidBytes, 6, 10);
  uuidBytes.writeUIntBE(now, 0, 6);
  uuidBytes[6] = ((uuidBytes[6] ?? 0) & 0x0f) | 0x70;
  uuidBytes[8] = ((uuidBytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = uuidBytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
