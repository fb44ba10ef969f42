import { randomBytes } from 'node:crypto';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type BusNames, busNames } from '@neurocards/contracts';
import { connectNats, type NatsConnection } from '../bus/connection.js';
import { deleteStreams, ensureStreams } from '../bus/streams.js';

export const testNatsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export interface TestBus {
  prefix: string;
  names: BusNames;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Deletes this bus's streams and closes the connection. */
  destroy(): Promise<void>;
}

/** JetStream streams under a random prefix of their own, so test runs never share a subject. */
export async function createTestBus(label = 't'): Promise<TestBus> {
  const prefix = `${label.replace(/[^a-z0-9]/g, '')}${randomBytes(4).toString('hex')}`;
  const names = busNames(prefix);
  const nc = await connectNats(testNatsUrl, `test-${prefix}`);
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, names, { eventMaxAgeMs: 3600_000, deadLetterMaxAgeMs: 3600_000 });
  return {
    prefix,
    names,
    nc,
    js: jetstream(nc),
    jsm,
    async destroy() {
      await deleteStreams(jsm, names);
      await nc.close();
    },
  };
}
