import { type JetStreamManager, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import type { BusNames } from '@neurocards/contracts';

const NANOS_PER_MS = 1_000_000;

export interface StreamLimits {
  /** How long domain events stay on the bus; PostgreSQL keeps them forever. */
  eventMaxAgeMs?: number;
  /** How long parked messages wait for an operator. */
  deadLetterMaxAgeMs?: number;
  /** Window in which a re-published event id is dropped by the server. */
  duplicateWindowMs?: number;
}

/** Creates the event and dead-letter streams, or brings their configuration up to date. Idempotent. */
export async function ensureStreams(jsm: JetStreamManager, names: BusNames, limits: StreamLimits = {}) {
  await upsertStream(jsm, {
    name: names.eventStream,
    subjects: [names.allEventsSubject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: (limits.eventMaxAgeMs ?? 7 * 24 * 3600_000) * NANOS_PER_MS,
    duplicate_window: (limits.duplicateWindowMs ?? 120_000) * NANOS_PER_MS,
    num_replicas: 1,
  });
  await upsertStream(jsm, {
    name: names.deadLetterStream,
    subjects: [names.allDeadLettersSubject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: (limits.deadLetterMaxAgeMs ?? 30 * 24 * 3600_000) * NANOS_PER_MS,
    num_replicas: 1,
  });
}

async function upsertStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }) {
  try {
    await jsm.streams.info(config.name);
  } catch {
    try {
      await jsm.streams.add(config);
      return;
    } catch (error) {
      // Another process created it between our two calls: fall through to the update.
      if (!String(error).includes('already in use')) throw error;
    }
  }
  await jsm.streams.update(config.name, config);
}

/** Deletes a bus's streams (and so their consumers); for tests and benchmarks cleaning up after themselves. */
export async function deleteStreams(jsm: JetStreamManager, names: BusNames): Promise<void> {
  for (const stream of [names.eventStream, names.deadLetterStream]) {
    await jsm.streams.delete(stream).catch(() => false);
  }
}
