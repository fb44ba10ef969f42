import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { busNames } from '@neurocards/contracts';
import { connectNats } from '@neurocards/runtime/bus';
import { createPool } from '@neurocards/runtime/event-store';
import type { Pool } from 'pg';
import type { OpsCommand } from './args.js';
import type { OpsConfig } from './config.js';
import {
  type Bus,
  countDeadLetters,
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
} from './dead-letters.js';
import { eventsAfter, type LoggedEvent, latestEvents, streamEvents } from './event-log.js';
import { deadLetterJson, deadLetterLines, eventLine, replayLines, statusLines } from './format.js';
import { runProjectorRebuild } from './rebuild.js';
import { systemStatus } from './status.js';

/** Where a command writes, and what stops `events:tail --follow`. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  signal?: AbortSignal;
  /** Pause between polls of `--follow`. */
  followPollMs?: number;
}

/** Runs one command against the configured servers; resolves to the process exit code. */
export async function runCommand(command: OpsCommand, config: OpsConfig, io: CommandIo): Promise<number> {
  const json = (value: unknown) => io.out(JSON.stringify(value));
  switch (command.name) {
    case 'dlq:list':
      return withBus(config, async (bus) => {
        const letters = await listDeadLetters(bus, command.options);
        if (command.options.json) for (const letter of letters) json(deadLetterJson(letter));
        else for (const line of deadLetterLines(letters)) io.out(line);
        return 0;
      });
    case 'dlq:replay':
      return withBus(config, async (bus) => {
        const { consumer, 'event-id': eventId } = command.options;
        const replayed = await replayDeadLetters(bus, { consumer, eventId });
        if (command.options.json) replayed.forEach(json);
        else replayLines(replayed).forEach(io.out);
        if (eventId && replayed.length === 0) {
          io.err(`no parked message of event ${eventId}${consumer ? ` for ${consumer}` : ''}`);
          return 1;
        }
        return 0;
      });
    case 'dlq:purge':
      return withBus(config, async (bus) => {
        const { consumer, yes } = command.options;
        if (!yes) {
          const counts = await countDeadLetters(bus, consumer);
          const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
          io.err(`${total} parked message(s) would be deleted for good; run again with --yes to delete them`);
          return 64;
        }
        const purged = await purgeDeadLetters(bus, consumer);
        if (command.options.json) json({ purged });
        else io.out(`${purged} parked message(s) deleted`);
        return 0;
      });
    case 'projections:rebuild':
      return runProjectorRebuild(command.options.projection, config.DATABASE_URL);
    case 'events:tail':
      return withDatabase(config, async (pool) => {
        const print = (events: LoggedEvent[]) => {
          for (const event of events) {
            if (command.options.json) json(event);
            else io.out(eventLine(event));
          }
        };
        let { events, next } = await latestEvents(pool, command.options.limit);
        print(events);
        while (command.options.follow && !io.signal?.aborted) {
          await sleep(io.followPollMs ?? 500, io.signal);
          ({ events, next } = await eventsAfter(pool, next, 1000));
          print(events);
        }
        return 0;
      });
    case 'stream:show':
      return withDatabase(config, async (pool) => {
        const events = await streamEvents(pool, command.options.streamId);
        if (events.length === 0) {
          io.err(`no stream ${command.options.streamId}`);
          return 1;
        }
        for (const event of events) {
          if (command.options.json) json(event);
          else io.out(eventLine(event));
        }
        return 0;
      });
    case 'status':
      return withDatabase(config, (pool) =>
        withBus(config, async (bus) => {
          const status = await systemStatus(pool, bus);
          if (command.options.json) json(status);
          else statusLines(status).forEach(io.out);
          return 0;
        }),
      );
  }
}

async function withBus<T>(config: OpsConfig, work: (bus: Bus) => Promise<T>): Promise<T> {
  const nc = await connectNats(config.NATS_URL, 'neurocards-ops');
  try {
    return await work({
      js: jetstream(nc),
      jsm: await jetstreamManager(nc),
      names: busNames(config.BUS_PREFIX),
    });
  } finally {
    await nc.close();
  }
}

async function withDatabase<T>(config: OpsConfig, work: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: 2,
    applicationName: 'neurocards-ops',
  });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
