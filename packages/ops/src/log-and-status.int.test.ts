import { AckPolicy } from '@nats-io/jetstream';
import { newEvent, streamIds } from '@neurocards/contracts';
import { Relay } from '@neurocards/runtime/bus';
import { EventStore, eventStoreMigrations, migrate } from '@neurocards/runtime/event-store';
import { createLogger } from '@neurocards/runtime/shell';
import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpsCommand, parseCommand } from './args.js';
import { type CommandIo, runCommand } from './commands.js';
import { systemStatus } from './status.js';

let db: TestDatabase;
let bus: TestBus;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase('ops_log');
  await migrate(db.pool, [eventStoreMigrations]);
  store = new EventStore(db.pool);
  bus = await createTestBus('opslog');
});

afterAll(async () => {
  await bus?.destroy();
  await db?.drop();
});

function register(userId: number, firstName = 'Seller') {
  return store.append(
    streamIds.user(userId),
    [
      newEvent(
        'UserRegistered',
        { userId, chatId: userId, username: null, firstName, language: 'en', referrerId: null },
        { correlationId: streamIds.user(userId) },
      ),
    ],
    { expectedVersion: 'no_stream' },
  );
}

async function ops(argv: string[], io: Partial<CommandIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(
    parseCommand(argv) as OpsCommand,
    { DATABASE_URL: db.url, NATS_URL: testNatsUrl, BUS_PREFIX: bus.prefix },
    { out: (line) => out.push(line), err: (line) => err.push(line), ...io },
  );
  return { code, out, err };
}

describe('the event log, status and rebuilds', () => {
  it('shows one stream in version order, and says when there is none', async () => {
    await register(1, 'Ann');
    await store.append(
      streamIds.user(1),
      [newEvent('LanguageChanged', { userId: 1, language: 'ru' }, { correlationId: streamIds.user(1) })],
      { expectedVersion: 1 },
    );
    const shown = await ops(['stream:show', 'user-1']);
    expect(shown.code).toBe(0);
    expect(shown.out).toHaveLength(2);
    expect(shown.out[0]).toMatch(/ user-1@1 UserRegistered .*"firstName":"Ann"/);
    expect(shown.out[1]).toMatch(/ user-1@2 LanguageChanged .*"language":"ru"/);

    const json = await ops(['stream:show', 'user-1', '--json']);
    expect(JSON.parse(json.out[1] as string)).toMatchObject({
      envelope: {
        type: 'LanguageChanged',
        streamVersion: 2,
        correlationId: 'user-1',
        data: { language: 'ru' },
      },
    });

    expect(await ops(['stream:show', 'user-404'])).toMatchObject({ code: 1, err: ['no stream user-404'] });
  });

  it('tails the last events of the log and follows new ones until stopped', async () => {
    for (const userId of [2, 3, 4]) await register(userId);
    const tail = await ops(['events:tail', '--limit', '2']);
    expect(tail.code).toBe(0);
    expect(tail.out).toHaveLength(2);
    expect(tail.out[0]).toContain('user-3@1 UserRegistered');
    expect(tail.out[1]).toContain('user-4@1 UserRegistered');

    const stop = new AbortController();
    const lines: string[] = [];
    const following = runCommand(
      parseCommand(['events:tail', '--limit', '1', '--follow']) as OpsCommand,
      { DATABASE_URL: db.url, NATS_URL: testNatsUrl, BUS_PREFIX: bus.prefix },
      { out: (line) => lines.push(line), err: () => {}, signal: stop.signal, followPollMs: 20 },
    );
    await waitFor('the last stored event', () => lines.length === 1);
    await register(5);
    await waitFor('the new event', () => lines.some((line) => line.includes('user-5@1')));
    stop.abort();
    expect(await following).toBe(0);
    expect(lines).toHaveLength(2);
  });

  it('reports the relay checkpoint against the log, the relay leader, consumers and dead letters', async () => {
    const before = await systemStatus(db.pool, bus);
    expect(before.relayLeader).toBeNull();
    expect(before.checkpoints).toEqual([]);
    expect(before.log.latestPosition).not.toBeNull();

    await bus.jsm.consumers.add(bus.names.eventStream, {
      durable_name: 'probe--UserRegistered',
      filter_subject: bus.names.eventSubject('UserRegistered'),
      ack_policy: AckPolicy.Explicit,
    });
    const relay = new Relay({
      connectionString: db.url,
      js: bus.js,
      names: bus.names,
      logger: createLogger({ service: 'test', level: 'silent' }),
      checkpointEveryMs: 0,
    });
    relay.start();
    try {
      const status = await waitFor('the relay to catch up', async () => {
        const current = await systemStatus(db.pool, bus);
        const checkpoint = current.checkpoints.find((c) => c.name === `relay:${bus.prefix}`);
        return checkpoint?.position === current.log.latestPosition ? current : undefined;
      });
      expect(status.relayLeader?.application).toMatch(/^neurocards-relay-\d+$/);
      expect(status.checkpoints).toEqual([
        expect.objectContaining({ name: `relay:${bus.prefix}`, behindEvents: 0, behindSeconds: 0 }),
      ]);
      // Five registrations are on the bus and nobody has read them.
      expect(status.consumers).toEqual([
        { name: 'probe--UserRegistered', pending: 5, ackPending: 0, redelivered: 0, waiting: 0 },
      ]);
      expect(status.eventStream.messages).toBe(6);
      expect(status.deadLetters).toEqual({});

      const printed = await ops(['status']);
      expect(printed.code).toBe(0);
      expect(printed.out.join('\n')).toMatch(/relay leader: neurocards-relay-\d+/);
      expect(printed.out.join('\n')).toMatch(/probe--UserRegistered\s+5\s+0/);
      expect(printed.out.at(-1)).toBe('dead letters: none');
    } finally {
      await relay.stop();
    }
    const after = await systemStatus(db.pool, bus);
    expect(after.relayLeader).toBeNull();
  });

  it('rebuilds a projection with the projector’s own command', async () => {
    const result = await ops(['projections:rebuild', 'users']);
    expect(result.code).toBe(0);
    const { rows } = await db.pool.query<{ user_id: string }>(
      'SELECT user_id FROM rm.users ORDER BY user_id',
    );
    expect(rows.map((row) => Number(row.user_id))).toEqual([1, 2, 3, 4, 5]);

    expect((await ops(['projections:rebuild', 'nonsense'])).code).toBe(64);
  });
});
