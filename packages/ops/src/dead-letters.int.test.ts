import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { AckPolicy } from '@nats-io/jetstream';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type EventEnvelope, newEvent } from '@neurocards/contracts';
import { JetStreamTransport, parkMessage, RethrowRpcErrors } from '@neurocards/runtime/bus';
import { createLogger } from '@neurocards/runtime/shell';
import { asStored, createTestBus, type TestBus, testNatsUrl, waitFor } from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsCommand } from './args.js';
import { parseCommand } from './args.js';
import { runCommand } from './commands.js';
import { countDeadLetters, listDeadLetters } from './dead-letters.js';

const silent = createLogger({ service: 'test', level: 'silent' });

let bus: TestBus;
let app: INestMicroservice;
let failing = true;
const received: string[] = [];

// A consumer that fails until told otherwise: its failures are parked after one delivery.
@Controller()
class CaptureController {
  @EventPattern<string>('CreditCaptured')
  async onCaptured(@Payload() event: EventEnvelope<'CreditCaptured'>) {
    if (failing) throw new Error(`capture of job ${event.data.jobId} exploded`);
    received.push(event.eventId);
  }
}

@Module({ controllers: [CaptureController] })
class CaptureModule {}

beforeAll(async () => {
  bus = await createTestBus('ops');
  const transport = new JetStreamTransport({
    nc: bus.nc,
    names: bus.names,
    service: 'probe',
    logger: silent,
    maxDeliver: 1,
  });
  app = await NestFactory.createMicroservice(CaptureModule, { strategy: transport, logger: false });
  app.useGlobalFilters(new RethrowRpcErrors());
  await app.listen();
});

afterAll(async () => {
  await app?.close();
  await bus?.destroy();
});

/** Runs a command line as `pnpm ops` would, against this test's bus, and collects what it prints. */
async function ops(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const command = parseCommand(argv) as OpsCommand;
  const code = await runCommand(
    command,
    {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/unused',
      NATS_URL: testNatsUrl,
      BUS_PREFIX: bus.prefix,
    },
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  );
  return { code, out, err };
}

/** Publishes an event the way the relay does: its id is the message id. */
let captures = 0;
async function publishCapture() {
  const event = asStored(
    newEvent('CreditCaptured', { userId: 7, jobId: randomUUID(), amount: 1 }, { correlationId: 'ops-test' }),
    'credits-7',
    ++captures,
  );
  await bus.js.publish(bus.names.eventSubject(event.type), JSON.stringify(event), { msgID: event.eventId });
  return event;
}

async function parked(consumer?: string): Promise<number> {
  return Object.values(await countDeadLetters(bus, consumer)).reduce((sum, n) => sum + n, 0);
}

describe('dead letters', () => {
  it('lists a message the transport parked, replays it within the duplicate window, and its consumer gets it', async () => {
    failing = true;
    const event = await publishCapture();
    await waitFor('the failed message to be parked', async () => (await parked()) === 1);

    const [letter] = await listDeadLetters(bus, { limit: 10 });
    expect(letter).toMatchObject({
      consumer: 'probe--CreditCaptured',
      eventType: 'CreditCaptured',
      eventId: event.eventId,
      reasonCode: 'HANDLER_FAILED',
      deliveries: 1,
      originalSubject: bus.names.eventSubject('CreditCaptured'),
    });
    expect(letter?.reason).toContain(`capture of job ${event.data.jobId} exploded`);
    expect(Date.now() - Date.parse(letter?.parkedAt ?? '')).toBeLessThan(60_000);

    const listed = await ops('dlq:list', '--json');
    expect(listed.code).toBe(0);
    expect(listed.out).toHaveLength(1);
    expect(JSON.parse(listed.out[0] as string)).toMatchObject({
      eventId: event.eventId,
      body: { type: 'CreditCaptured', data: { jobId: event.data.jobId } },
    });
    const table = await ops('dlq:list');
    expect(table.out[0]).toMatch(/^seq\s+parked at\s+consumer/);
    expect(table.out[1]).toContain('probe--CreditCaptured');

    // Why the replay needs a message id of its own: the event's id is still in the duplicate window.
    const naive = await bus.js.publish(bus.names.eventSubject('CreditCaptured'), JSON.stringify(event), {
      msgID: event.eventId,
    });
    expect(naive.duplicate).toBe(true);

    failing = false;
    const replay = await ops('dlq:replay', '--event-id', event.eventId);
    expect(replay.code).toBe(0);
    expect(replay.out.at(-1)).toBe('1 event(s) published, 1 dead letter(s) removed');
    await waitFor('the consumer to receive the replayed event', () => received.includes(event.eventId));
    expect(await parked()).toBe(0);
  });

  it('replays only what was asked for, and says so when the event is not parked', async () => {
    failing = true;
    const first = await publishCapture();
    const second = await publishCapture();
    await waitFor('both to be parked', async () => (await parked()) === 2);

    failing = false;
    const replay = await ops(
      'dlq:replay',
      '--event-id',
      second.eventId,
      '--consumer',
      'probe--CreditCaptured',
    );
    expect(replay.code).toBe(0);
    await waitFor('the second event', () => received.includes(second.eventId));
    const left = await listDeadLetters(bus, { limit: 10 });
    expect(left.map((letter) => letter.eventId)).toEqual([first.eventId]);
    expect(received).not.toContain(first.eventId);

    const missing = await ops('dlq:replay', '--event-id', randomUUID());
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toMatch(/no parked message of event/);

    const all = await ops('dlq:replay', '--all', '--json');
    expect(all.code).toBe(0);
    expect(JSON.parse(all.out[0] as string)).toMatchObject({
      eventId: first.eventId,
      consumers: ['probe--CreditCaptured'],
      duplicate: false,
    });
    await waitFor('the first event', () => received.includes(first.eventId));
    expect(await parked()).toBe(0);
  });

  it('purges one consumer’s dead letters only with --yes, and keeps the others', async () => {
    // Park an event for a consumer of our own with parkMessage, as the transport would.
    await bus.jsm.consumers.add(bus.names.eventStream, {
      durable_name: 'spare--UserRegistered',
      filter_subject: bus.names.eventSubject('UserRegistered'),
      ack_policy: AckPolicy.Explicit,
    });
    const registered = asStored(
      newEvent(
        'UserRegistered',
        { userId: 9, chatId: 9, username: null, firstName: 'Ann', language: 'en', referrerId: null },
        { correlationId: 'user-9' },
      ),
      'user-9',
      1,
    );
    await bus.js.publish(bus.names.eventSubject(registered.type), JSON.stringify(registered), {
      msgID: registered.eventId,
    });
    const spare = await bus.js.consumers.get(bus.names.eventStream, 'spare--UserRegistered');
    const msg = await spare.next({ expires: 5000 });
    if (!msg) throw new Error('no message for the spare consumer');
    await parkMessage(bus.js, bus.names, msg, {
      consumer: 'spare--UserRegistered',
      reasonCode: 'UNSUPPORTED_SCHEMA_VERSION',
      reason: 'schema version 2 is newer than this build',
      eventId: registered.eventId,
    });
    msg.term();
    failing = true;
    await publishCapture();
    await waitFor('two consumers with dead letters', async () => (await parked()) === 2);
    expect(await countDeadLetters(bus)).toEqual({ 'probe--CreditCaptured': 1, 'spare--UserRegistered': 1 });
    expect((await listDeadLetters(bus, { consumer: 'spare--UserRegistered', limit: 5 }))[0]).toMatchObject({
      eventType: 'UserRegistered',
      reasonCode: 'UNSUPPORTED_SCHEMA_VERSION',
    });

    const refused = await ops('dlq:purge', '--consumer', 'spare--UserRegistered');
    expect(refused.code).toBe(64);
    expect(refused.err[0]).toMatch(/^1 parked message\(s\) would be deleted/);
    expect(await parked()).toBe(2);

    const purged = await ops('dlq:purge', '--consumer', 'spare--UserRegistered', '--yes');
    expect(purged).toMatchObject({ code: 0, out: ['1 parked message(s) deleted'] });
    expect(await countDeadLetters(bus)).toEqual({ 'probe--CreditCaptured': 1 });

    expect(await ops('dlq:purge', '--yes')).toMatchObject({ code: 0, out: ['1 parked message(s) deleted'] });
    expect(await ops('dlq:list')).toMatchObject({ code: 0, out: ['no parked messages'] });
  });
});
