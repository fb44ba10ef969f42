import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { headers } from '@nats-io/transport-node';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type AnyNewEvent, type EventEnvelope, newEvent } from '@neurocards/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../event-store/event-store.js';
import { migrate } from '../event-store/migrations.js';
import { eventStoreMigrations } from '../event-store/schema.js';
import { createLogger } from '../shell/logger.js';
import { createTestBus, type TestBus } from '../testing/bus.js';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { waitFor } from '../testing/waiting.js';
import { DEAD_LETTER_HEADERS } from './dead-letter.js';
import { handleOnce, inboxMigration } from './inbox.js';
import { JetStreamTransport, RethrowRpcErrors } from './jetstream-transport.js';
import { Relay } from './relay.js';

const relayMain = fileURLToPath(new URL('../../dist/bus/relay-main.js', import.meta.url));
const silent = createLogger({ service: 'test', level: 'silent' });

let db: TestDatabase;
let bus: TestBus;
let store: EventStore;
let app: INestMicroservice;
const attempts = new Map<string, number[]>(); // eventId -> delivery timestamps of the failing handler

// The effects table has no unique key on purpose: only the inbox stands between a redelivery and a
// second row.
@Controller()
class ProbeController {
  @EventPattern<string>('CreditsGranted')
  async onGranted(@Payload() event: EventEnvelope<'CreditsGranted'>) {
    await handleOnce(
      db.pool,
      { schema: 'probe', consumer: 'probe--CreditsGranted', eventId: event.eventId },
      (tx) =>
        tx.query('INSERT INTO probe.effects (event_id, amount) VALUES ($1, $2)', [
          event.eventId,
          event.data.amount,
        ]),
    );
  }

  @EventPattern<string>('CreditCaptured')
  async onCaptured(@Payload() event: EventEnvelope<'CreditCaptured'>) {
    attempts.set(event.eventId, [...(attempts.get(event.eventId) ?? []), Date.now()]);
    throw new Error(`capture of job ${event.data.jobId} exploded`);
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

beforeAll(async () => {
  if (!existsSync(relayMain)) throw new Error(`${relayMain} is missing: run \`pnpm build\` first`);
  db = await createTestDatabase('bus', 20);
  await migrate(db.pool, [
    eventStoreMigrations,
    {
      component: 'probe',
      migrations: [
        inboxMigration('probe'),
        {
          version: 2,
          name: 'effects',
          sql: 'CREATE TABLE probe.effects (event_id uuid NOT NULL, amount int NOT NULL)',
        },
      ],
    },
  ]);
  store = new EventStore(db.pool);
  bus = await createTestBus('bus');
  const transport = new JetStreamTransport({
    nc: bus.nc,
    names: bus.names,
    service: 'probe',
    logger: silent,
    concurrency: 32,
    maxDeliver: 3,
    retryDelaysMs: [300, 1200],
  });
  app = await NestFactory.createMicroservice(ProbeModule, { strategy: transport, logger: false });
  app.useGlobalFilters(new RethrowRpcErrors());
  await app.listen();
});

afterAll(async () => {
  await app?.close();
  await bus?.destroy();
  await db?.drop();
});

function grant(amount: number): AnyNewEvent {
  return newEvent(
    'CreditsGranted',
    { userId: 1, adminId: 2, amount, reason: 'probe' },
    { correlationId: 'probe' },
  );
}

async function effects(): Promise<{ rows: number; distinct: number }> {
  const { rows } = await db.pool.query(
    'SELECT count(*) AS rows, count(DISTINCT event_id) AS distinct FROM probe.effects',
  );
  return rows[0];
}

function startRelayProcess(): ChildProcess {
  const child = spawn(process.execPath, [relayMain], {
    env: { ...process.env, DATABASE_URL: db.url, BUS_PREFIX: bus.prefix, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function deadLetterCount(): Promise<number> {
  return (await bus.jsm.streams.info(bus.names.deadLetterStream)).state.messages;
}

/** Waits for a dead letter beyond the first `before` and returns the newest one. */
async function nextDeadLetter(before: number) {
  return waitFor('a dead letter', async () => {
    const info = await bus.jsm.streams.info(bus.names.deadLetterStream);
    if (info.state.messages <= before) return undefined;
    return (
      (await bus.jsm.streams.getMessage(bus.names.deadLetterStream, { seq: info.state.last_seq })) ??
      undefined
    );
  });
}

async function relayLeaderPid(): Promise<number | undefined> {
  const { rows } = await db.pool.query<{ application_name: string }>(
    `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'neurocards-relay-%'
       AND a.datname = current_database()`,
  );
  const name = rows[0]?.application_name;
  return name ? Number(name.slice('neurocards-relay-'.length)) : undefined;
}

describe('relay and JetStream transport', () => {
  it('SIGKILL of the leading relay mid-stream: the stand-by takes over, every event has exactly one effect', async () => {
    await db.pool.query('TRUNCATE probe.effects');
    const total = 10_000;
    const relays = [startRelayProcess(), startRelayProcess()];
    try {
      // 16 writers on their own streams, 100-event batches, while the relays publish.
      const writing = Promise.all(
        Array.from({ length: 16 }, async (_, writer) => {
          const stream = `credits-${randomUUID()}`;
          for (let written = writer * 0; written < total / 16; written += 25) {
            const batch = Array.from({ length: Math.min(25, total / 16 - written) }, () => grant(1));
            await store.append(stream, batch, { expectedVersion: 'any' });
          }
        }),
      );
      const leader = await waitFor('a relay leader', relayLeaderPid);
      await waitFor('the consumer to be part-way', async () => (await effects()).rows >= 1500, {
        timeoutMs: 60_000,
      });
      const victim = relays.find((child) => child.pid === leader);
      expect(victim).toBeDefined();
      victim?.kill('SIGKILL');
      const done = (await effects()).rows;
      expect(done).toBeLessThan(total); // killed in the middle, not after the end

      const successor = await waitFor('the stand-by to lead', async () => {
        const pid = await relayLeaderPid();
        return pid && pid !== leader ? pid : undefined;
      });
      expect(relays.map((child) => child.pid)).toContain(successor);
      relays.push(startRelayProcess()); // the killed one comes back as a stand-by
      await writing;

      await waitFor('all effects', async () => (await effects()).rows >= total, { timeoutMs: 120_000 });
      await new Promise((resolve) => setTimeout(resolve, 500)); // let any straggling duplicate arrive
      expect(await effects()).toEqual({ rows: total, distinct: total });
      const { rows } = await db.pool.query('SELECT count(*) AS n FROM es.events');
      expect(rows[0].n).toBe(total);
    } finally {
      for (const child of relays) child.kill('SIGKILL');
    }
  });

  it('redelivers a failing handler with growing delays, then parks it with the reason', async () => {
    const relay = new Relay({ connectionString: db.url, js: bus.js, names: bus.names, logger: silent });
    relay.start();
    try {
      const before = await deadLetterCount();
      const jobId = randomUUID();
      const event = newEvent('CreditCaptured', { userId: 1, jobId, amount: 1 }, { correlationId: jobId });
      await store.append(`credits-${randomUUID()}`, [event], { expectedVersion: 'no_stream' });

      const parked = await nextDeadLetter(before);
      expect(parked.subject).toBe(bus.names.deadLetterSubject('probe--CreditCaptured'));
      expect(parked.header.get(DEAD_LETTER_HEADERS.reasonCode)).toBe('HANDLER_FAILED');
      expect(parked.header.get(DEAD_LETTER_HEADERS.reason)).toContain(`capture of job ${jobId} exploded`);
      expect(parked.header.get(DEAD_LETTER_HEADERS.deliveries)).toBe('3');
      expect(parked.header.get(DEAD_LETTER_HEADERS.eventId)).toBe(event.eventId);
      expect(parked.json<{ eventId: string }>().eventId).toBe(event.eventId); // the original, untouched

      const times = attempts.get(event.eventId) ?? [];
      expect(times).toHaveLength(3);
      const [first = 0, second = 0, third = 0] = times;
      expect(second - first).toBeGreaterThanOrEqual(250);
      expect(third - second).toBeGreaterThanOrEqual(1100);
      expect(third - second).toBeGreaterThan(second - first);
    } finally {
      await relay.stop();
    }
  });

  it('has one effect for the same message delivered twice', async () => {
    await db.pool.query('TRUNCATE probe.effects');
    const event = { ...grant(7), streamId: `credits-${randomUUID()}`, streamVersion: 1 };
    // Different message ids defeat the server's duplicate window, as a re-publish after it would.
    for (const msgID of ['first', 'second']) {
      await bus.js.publish(bus.names.eventSubject('CreditsGranted'), JSON.stringify(event), { msgID });
    }
    await waitFor('the effect', async () => (await effects()).rows >= 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await effects()).toEqual({ rows: 1, distinct: 1 });
  });

  it('parks a malformed message and goes on with the next one', async () => {
    await db.pool.query('TRUNCATE probe.effects');
    const before = await deadLetterCount();
    const h = headers();
    await bus.js.publish(bus.names.eventSubject('CreditsGranted'), '{"eventId": "not even close"', {
      headers: h,
    });
    const good = { ...grant(3), streamId: `credits-${randomUUID()}`, streamVersion: 1 };
    await bus.js.publish(bus.names.eventSubject('CreditsGranted'), JSON.stringify(good));

    await waitFor('the good event', async () => (await effects()).rows >= 1);
    const parked = await nextDeadLetter(before);
    expect(parked.header.get(DEAD_LETTER_HEADERS.reasonCode)).toBe('MALFORMED');
    expect(parked.header.get(DEAD_LETTER_HEADERS.reason)).toMatch(/not JSON/);
    expect(parked.header.get(DEAD_LETTER_HEADERS.deliveries)).toBe('1');
    expect(parked.string()).toBe('{"eventId": "not even close"');
  });

  it('parks an event published on the subject of another type instead of handling it', async () => {
    await db.pool.query('TRUNCATE probe.effects');
    const before = await deadLetterCount();
    const misrouted = { ...grant(5), streamId: `credits-${randomUUID()}`, streamVersion: 1 };
    await bus.js.publish(bus.names.eventSubject('CreditCaptured'), JSON.stringify(misrouted));

    const parked = await nextDeadLetter(before);
    expect(parked.header.get(DEAD_LETTER_HEADERS.reasonCode)).toBe('MALFORMED');
    expect(parked.header.get(DEAD_LETTER_HEADERS.reason)).toBe(
      'a CreditsGranted event on the CreditCaptured subject',
    );
    expect(parked.subject).toBe(bus.names.deadLetterSubject('probe--CreditCaptured'));
    expect(await effects()).toEqual({ rows: 0, distinct: 0 });
  });
});

describe('graceful close', () => {
  it('finishes the handler in flight and acknowledges it before close resolves', async () => {
    const finished: string[] = [];
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });

    @Controller()
    class SlowController {
      @EventPattern<string>('CreditsPurchased')
      async onPurchased(@Payload() event: EventEnvelope<'CreditsPurchased'>) {
        started();
        await new Promise((resolve) => setTimeout(resolve, 1000));
        finished.push(event.eventId);
      }
    }
    @Module({ controllers: [SlowController] })
    class SlowModule {}

    const transport = new JetStreamTransport({
      nc: bus.nc,
      names: bus.names,
      service: 'slow',
      logger: silent,
    });
    const slow = await NestFactory.createMicroservice(SlowModule, { strategy: transport, logger: false });
    await slow.listen();
    const event = newEvent(
      'CreditsPurchased',
      { userId: 1, chargeId: 'charge-1', packageId: 'p10', stars: 100, credits: 10 },
      { correlationId: 'charge-1' },
    );
    await bus.js.publish(
      bus.names.eventSubject('CreditsPurchased'),
      JSON.stringify({ ...event, streamId: 'credits-1', streamVersion: 1 }),
    );
    await handlerStarted;
    await slow.close();
    expect(finished).toEqual([event.eventId]);

    const info = await waitFor(
      'the acknowledgement to settle',
      async () => {
        const current = await bus.jsm.consumers.info(
          bus.names.eventStream,
          bus.names.durableName('slow', 'CreditsPurchased'),
        );
        return current.num_ack_pending === 0 ? current : undefined;
      },
      { timeoutMs: 5000 },
    );
    expect(info.num_pending).toBe(0);
    expect(info.delivered.consumer_seq).toBe(1); // delivered once, acknowledged, not redelivered
  });
});
