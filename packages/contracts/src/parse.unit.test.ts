import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventCatalog, eventTypes } from './catalog.js';
import { newEvent } from './envelope.js';
import { parseEvent, parseEventOrThrow, parseStoredEvent } from './parse.js';

const jobId = randomUUID();

function storedGenerationRequested(overrides: Record<string, unknown> = {}) {
  const event = newEvent(
    'GenerationRequested',
    {
      jobId,
      orderId: randomUUID(),
      orderJobIds: [jobId],
      userId: 42,
      chatId: 42,
      language: 'ru',
      photo: { fileId: 'AgACAgIAAxkBAAI', fileUniqueId: 'AQADfr' },
      product: 'Ceramic mug, 350 ml, matte black',
      templateId: 'studio',
      wishes: null,
      model: 'kling-2.6/image-to-video',
      cost: 1,
    },
    { correlationId: jobId },
  );
  return { ...event, streamId: `job-${jobId}`, streamVersion: 1, ...overrides };
}

describe('parseEvent', () => {
  it('returns a typed event for a valid envelope, from an object, a string and bytes', () => {
    const raw = storedGenerationRequested();
    for (const input of [raw, JSON.stringify(raw), Buffer.from(JSON.stringify(raw))]) {
      const result = parseEvent(input);
      expect(result.ok).toBe(true);
      if (result.ok && result.event.type === 'GenerationRequested') {
        expect(result.event.data.product).toBe('Ceramic mug, 350 ml, matte black');
        expect(result.event.streamVersion).toBe(1);
      } else {
        throw new Error('expected a GenerationRequested');
      }
    }
  });

  it('rejects bytes that are not JSON', () => {
    const result = parseEvent(Buffer.from('{"eventId":'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('INVALID_JSON');
  });

  it.each([
    ['null', null],
    ['a number', 7],
    ['an array', []],
    ['no event id', { ...storedGenerationRequested(), eventId: undefined }],
    ['a non-uuid event id', storedGenerationRequested({ eventId: 'abc' })],
    ['a zero stream version', storedGenerationRequested({ streamVersion: 0 })],
    ['a bad timestamp', storedGenerationRequested({ occurredAt: 'yesterday' })],
    ['a missing correlation id', storedGenerationRequested({ correlationId: '' })],
  ])('reports a malformed envelope for %s', (_label, input) => {
    const result = parseEvent(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('MALFORMED_ENVELOPE');
      expect(result.error.message).toMatch(/malformed envelope/);
    }
  });

  it('keeps the event id of a malformed envelope for tracing', () => {
    const raw = storedGenerationRequested({ streamVersion: -1 });
    const result = parseEvent(raw);
    expect(!result.ok && result.error.details.eventId).toBe(raw.eventId);
  });

  it('reports an unknown type with its name', () => {
    const result = parseEvent(storedGenerationRequested({ type: 'VideoTeleported' }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('UNKNOWN_TYPE');
      expect(result.error.details.type).toBe('VideoTeleported');
    }
  });

  it('does not treat inherited object keys as event types', () => {
    const result = parseEvent(storedGenerationRequested({ type: 'toString' }));
    expect(!result.ok && result.error.code).toBe('UNKNOWN_TYPE');
  });

  it('refuses a schema version newer than the reader knows, and accepts the current one', () => {
    const current = eventCatalog.GenerationRequested.schemaVersion;
    const future = parseEvent(storedGenerationRequested({ schemaVersion: current + 1 }));
    expect(future.ok).toBe(false);
    if (!future.ok) {
      expect(future.error.code).toBe('UNSUPPORTED_SCHEMA_VERSION');
      expect(future.error.details.schemaVersion).toBe(current + 1);
    }
    expect(parseEvent(storedGenerationRequested({ schemaVersion: current })).ok).toBe(true);
  });

  it('reports data that does not fit the schema of its type, naming the field', () => {
    const raw = storedGenerationRequested();
    const result = parseEvent({ ...raw, data: { ...raw.data, cost: -1, photo: { fileId: '' } } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_DATA');
      expect(result.error.message).toMatch(/cost/);
      expect(result.error.message).toMatch(/photo\.fileId/);
    }
  });

  it('parseEventOrThrow throws the typed error', () => {
    expect(() => parseEventOrThrow('nope')).toThrowError(expect.objectContaining({ code: 'INVALID_JSON' }));
  });
});

describe('parseStoredEvent', () => {
  it('types an event read back from the store as parseEvent does', () => {
    const raw = storedGenerationRequested();
    expect(parseStoredEvent(raw)).toEqual(parseEventOrThrow(raw));
  });

  it.each([
    ['an unknown type', { type: 'CouponRedeemed' }, 'UNKNOWN_TYPE'],
    ['a newer schema version', { schemaVersion: 99 }, 'UNSUPPORTED_SCHEMA_VERSION'],
    ['data that breaks its schema', { data: { jobId } }, 'INVALID_DATA'],
  ])('throws for %s', (_, overrides, code) => {
    expect(() => parseStoredEvent(storedGenerationRequested(overrides))).toThrow(
      expect.objectContaining({ name: 'EventParseError', code }),
    );
  });
});

describe('newEvent', () => {
  it('stamps the current schema version, inherits the correlation id and records the cause', () => {
    const cause = storedGenerationRequested();
    const reserved = newEvent(
      'CreditReserved',
      { userId: 42, jobId, orderId: cause.data.orderId, amount: 1, expiresAt: new Date().toISOString() },
      { causedBy: cause },
    );
    expect(reserved.schemaVersion).toBe(eventCatalog.CreditReserved.schemaVersion);
    expect(reserved.correlationId).toBe(jobId);
    expect(reserved.causationId).toBe(cause.eventId);
  });

  it('refuses data that does not fit the schema', () => {
    expect(() =>
      newEvent('CreditCaptured', { userId: 42, jobId: 'not-a-uuid', amount: 1 }, { correlationId: jobId }),
    ).toThrow();
  });

  it('requires a correlation id', () => {
    expect(() => newEvent('FreeCreditsGranted', { userId: 1, amount: 2 })).toThrow(/correlationId/);
  });
});

describe('catalog', () => {
  it('names every event in the past tense', () => {
    for (const type of eventTypes) expect(type).toMatch(/(ed|Ready)$/);
  });
});

describe('deterministicEventId', () => {
  it('is a valid uuid, stable for the same parts and different for others', async () => {
    const { deterministicEventId } = await import('./envelope.js');
    const a = deterministicEventId('reserve', jobId);
    expect(a).toBe(deterministicEventId('reserve', jobId));
    expect(a).not.toBe(deterministicEventId('refund', jobId));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('timeOrderedUuid', () => {
  it('is a version-7 uuid that sorts by time', async () => {
    const { timeOrderedUuid } = await import('./envelope.js');
    const earlier = timeOrderedUuid(1_700_000_000_000);
    const later = timeOrderedUuid(1_700_000_000_001);
    expect(earlier).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(earlier < later).toBe(true);
    expect(timeOrderedUuid()).not.toBe(timeOrderedUuid());
  });
});
