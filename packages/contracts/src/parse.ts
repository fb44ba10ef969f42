import type { z } from 'zod';
import { eventCatalog, isEventType } from './catalog.js';
import { type DomainEvent, envelopeSchema, type RawEnvelope } from './envelope.js';

export type EventParseErrorCode =
  | 'INVALID_JSON'
  | 'MALFORMED_ENVELOPE'
  | 'UNKNOWN_TYPE'
  | 'UNSUPPORTED_SCHEMA_VERSION'
  | 'INVALID_DATA';

/** Why an input is not a usable event; carries what is known of it so a parked message can be traced. */
export class EventParseError extends Error {
  override readonly name = 'EventParseError';
  constructor(
    readonly code: EventParseErrorCode,
    message: string,
    readonly details: {
      eventId?: string;
      type?: string;
      schemaVersion?: number;
      issues?: z.core.$ZodIssue[];
    } = {},
  ) {
    super(message);
  }
}

export type ParseEventResult = { ok: true; event: DomainEvent } | { ok: false; error: EventParseError };

/** Turns anything (a parsed JSON value, a string or bytes) into a typed event or a typed error; never throws. */
export function parseEvent(input: unknown): ParseEventResult {
  let value = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (error) {
      return fail('INVALID_JSON', `not JSON: ${(error as Error).message}`);
    }
  }

  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) {
    const known = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    return fail('MALFORMED_ENVELOPE', `malformed envelope: ${summarize(envelope.error.issues)}`, {
      eventId: typeof known.eventId === 'string' ? known.eventId : undefined,
      type: typeof known.type === 'string' ? known.type : undefined,
      issues: envelope.error.issues,
    });
  }

  return typedEvent(envelope.data);
}

/**
 * An event read back from the event store. Its envelope columns are typed by PostgreSQL and were checked
 * when it was appended, so only what can change under a reader is checked: a known type, a schema version
 * this reader understands, and the data against its schema (as on the bus).
 * @throws EventParseError
 */
export function parseStoredEvent(stored: RawEnvelope): DomainEvent {
  const result = typedEvent(stored);
  if (!result.ok) throw result.error;
  return result.event;
}

function typedEvent(envelope: RawEnvelope): ParseEventResult {
  const { type, schemaVersion, eventId } = envelope;
  if (!isEventType(type)) {
    return fail('UNKNOWN_TYPE', `unknown event type ${JSON.stringify(type)}`, { eventId, type });
  }
  const spec = eventCatalog[type];
  if (schemaVersion > spec.schemaVersion) {
    return fail(
      'UNSUPPORTED_SCHEMA_VERSION',
      `${type} v${schemaVersion} is newer than this reader understands (v${spec.schemaVersion})`,
      { eventId, type, schemaVersion },
    );
  }

  const data = spec.data.safeParse(envelope.data);
  if (!data.success) {
    return fail('INVALID_DATA', `invalid ${type} data: ${summarize(data.error.issues)}`, {
      eventId,
      type,
      schemaVersion,
      issues: data.error.issues,
    });
  }
  return { ok: true, event: { ...envelope, type, data: data.data } as DomainEvent };
}

/** Like parseEvent, but throws the EventParseError; for places where a bad event is a bug. */
export function parseEventOrThrow(input: unknown): DomainEvent {
  const result = parseEvent(input);
  if (!result.ok) throw result.error;
  return result.event;
}

function fail(
  code: EventParseErrorCode,
  message: string,
  details?: EventParseError['details'],
): ParseEventResult {
  return { ok: false, error: new EventParseError(code, message, details) };
}

function summarize(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
