import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { newEvent } from '@neurocards/contracts';
import { EventStore, eventStoreMigrations, migrate } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { formatRate, printTable, rateOver, rawInsertRate, rawPublishRate } from './measure.js';

const require = createRequire(import.meta.url);
const relayMain = require.resolve('@neurocards/runtime/relay-main');

export interface FoundationResult {
  rawInsertPerSecond: number;
  rawPublishPerSecond: number;
  appendAlonePerSecond: number;
  relayAlonePerSecond: number;
  appendPerSecond: number;
  appendAndRelayPerSecond: number;
  ratioToRawInsert: number;
  relayCatchUpMs: number;
}

/** Something that runs beside the append phases (e.g. the projector), from before the first to after the last. */
export interface FoundationObserver {
  start(db: TestDatabase, bus: TestBus): Promise<void>;
  stop(): Promise<unknown>;
}

/**
 * Events appended and relayed per second with 16 writers on distinct streams, beside the raw single-row
 * INSERT rate (16 connections) and the raw JetStream publish rate (256 in flight) of the same servers.
 */
export async function foundationBenchmark(
  durationMs: number,
  observer?: FoundationObserver,
): Promise<FoundationResult> {
  const writers = 16;
  const db = await createTestDatabase('bench_foundation', writers + 4);
  const bus = await createTestBus('bench');
  let relay: ReturnType<typeof spawn> | undefined;
  const startRelay = () => {
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl,
      BUS_PREFIX: bus.prefix,
      LOG_LEVEL: 'warn',
    };
    relay = spawn(process.execPath, [relayMain], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  };
  const published = async () => (await bus.jsm.streams.info(bus.names.eventStream)).state.messages;
  try {
    await migrate(db.pool, [eventStoreMigrations]);
    const rawInsert = () => rawInsertRate(db, durationMs, writers);
    const insertBefore = await rawInsert();
    const rawPublish = await rawPublishRate(bus, durationMs);

    const store = new EventStore(db.pool);
    const versions = new Array<number>(writers).fill(0);
    const appendPhase = () =>
      rateOver(durationMs, writers, async (writer) => {
        const event = newEvent(
          'CreditsGranted',
          { userId: writer + 1, adminId: 2, amount: 1, reason: 'benchmark grant of one credit' },
          { correlationId: `bench-${writer}` },
        );
        const expected = versions[writer] ?? 0;
        await store.append(`credits-bench${writer}`, [event], { expectedVersion: expected });
        versions[writer] = expected + 1;
        return 1;
      });

    await observer?.start(db, bus);
    // Where the cost lies: appends with no relay running, then the relay alone on that backlog.
    const appendAlone = await appendPhase();
    const relayStarted = performance.now();
    startRelay(); // its own process, as in production
    await waitFor('the relay to drain the backlog', async () => (await published()) >= appendAlone.count, {
      timeoutMs: 120_000,
      intervalMs: 20,
    });
    const relayAlonePerSecond = appendAlone.count / ((performance.now() - relayStarted) / 1000);

    // The figure that counts: appends while the relay publishes them, until the last one is on JetStream.
    const started = performance.now();
    const append = await appendPhase();
    const writingEnded = performance.now();
    const total = appendAlone.count + append.count;
    await waitFor('the relay to publish every appended event', async () => (await published()) >= total, {
      timeoutMs: 120_000,
      intervalMs: 20,
    });
    const relayed = performance.now();
    if ((await published()) !== total)
      throw new Error(`relay published ${await published()} of ${total} events`);

    await observer?.stop();
    const insertAfter = await rawInsert();
    const rawInsertPerSecond = (insertBefore.perSecond + insertAfter.perSecond) / 2;
    const appendAndRelayPerSecond = append.count / ((relayed - started) / 1000);
    const result: FoundationResult = {
      rawInsertPerSecond,
      rawPublishPerSecond: rawPublish.perSecond,
      appendAlonePerSecond: appendAlone.perSecond,
      relayAlonePerSecond,
      appendPerSecond: append.perSecond,
      appendAndRelayPerSecond,
      ratioToRawInsert: appendAndRelayPerSecond / rawInsertPerSecond,
      relayCatchUpMs: relayed - writingEnded,
    };
    printTable(
      `Foundation: event store + relay (${writers} writers, distinct streams, ${durationMs / 1000} s)${observer ? ', projector running' : ''}`,
      [
        [
          'raw INSERT, 16 connections',
          formatRate(rawInsertPerSecond),
          `(before ${formatRate(insertBefore.perSecond)}, after ${formatRate(insertAfter.perSecond)})`,
        ],
        ['raw JetStream publish, 256 in flight', formatRate(rawPublish.perSecond)],
        ['append alone (no relay running)', formatRate(appendAlone.perSecond), `${appendAlone.count} events`],
        ['relay alone, draining that backlog', formatRate(relayAlonePerSecond), '(includes process start)'],
        ['append while the relay runs', formatRate(append.perSecond), `${append.count} events`],
        [
          'append + relay to JetStream',
          formatRate(appendAndRelayPerSecond),
          `relay caught up ${Math.round(result.relayCatchUpMs)} ms after the last append`,
        ],
        ['append + relay ÷ raw INSERT', `${(result.ratioToRawInsert * 100).toFixed(0)}%`, 'target ≥ 40%'],
        [
          'append + relay ÷ raw publish',
          `${((appendAndRelayPerSecond / rawPublish.perSecond) * 100).toFixed(0)}%`,
        ],
      ],
    );
    return result;
  } finally {
    relay?.kill('SIGTERM');
    await bus.destroy();
    await db.drop();
  }
}
