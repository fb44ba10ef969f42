import type { JetStreamClient } from '@nats-io/jetstream';
import type { BusNames } from '@neurocards/contracts';
import pg from 'pg';
import { loadCheckpoint, saveCheckpoint } from '../event-store/checkpoints.js';
import { readAllAfter, type StoredEventRecord } from '../event-store/event-store.js';
import type { Logger } from '../shell/logger.js';
import type { Metrics } from '../shell/metrics.js';
import { forEachConcurrent, Sleeper } from './concurrency.js';

export interface RelayOptions {
  connectionString: string;
  js: JetStreamClient;
  names: BusNames;
  logger: Logger;
  metrics?: Pick<Metrics, 'relayPublished' | 'relayLeader' | 'relayLagSeconds'>;
  /** Events read from the store per round trip. */
  batchSize?: number;
  /** Publishes awaiting their JetStream ack at once; ~256 saturates one Node thread. */
  maxInFlight?: number;
  /** Pause between polls when the last poll found nothing. */
  idlePollMs?: number;
  /** Pause after a short batch: events are flowing, so the next ones are likely on their way. */
  flowingPollMs?: number;
  /** Least time between two checkpoint writes while events flow. */
  checkpointEveryMs?: number;
  /** How often a stand-by asks for the lock. */
  standbyRetryMs?: number;
}

// Two-key advisory lock space of the relay: (RELAY_LOCK_CLASS, hashtext(prefix)).
const RELAY_LOCK_CLASS = 0x6e63;

/**
 * Publishes every stored event to JetStream, in the store's commit-safe order, with `Nats-Msg-Id = eventId`.
 * One instance per bus prefix is active (it holds a PostgreSQL advisory lock on its own connection); the
 * others stand by and take over within `standbyRetryMs` when the leader's session ends. The checkpoint is
 * written after JetStream acknowledged the events it covers, at most every `checkpointEveryMs`, so a crash
 * re-publishes a bounded tail, which the server's duplicate window and the consumers' inboxes absorb.
 */
export class Relay {
  private readonly sleeper = new Sleeper();
  private stopping = false;
  private running?: Promise<void>;
  private client?: pg.Client;
  private leading = false;

  constructor(private readonly options: RelayOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  get checkpointName(): string {
    return `relay:${this.options.names.prefix}`;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Stops after the batch in flight is published and checkpointed; releases the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.sleeper.wake();
    await this.running;
  }

  private async run(): Promise<void> {
    const { logger, standbyRetryMs = 1000 } = this.options;
    while (!this.stopping) {
      try {
        const client = await this.connect();
        const { rows } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
          [RELAY_LOCK_CLASS, this.options.names.prefix],
        );
        if (rows[0]?.locked) {
          this.setLeader(true);
          logger.info({ relay: this.checkpointName }, 'relay is the leader');
          await this.lead(client);
        }
      } catch (error) {
        logger.warn({ err: error, relay: this.checkpointName }, 'relay interrupted; retrying');
      } finally {
        if (this.leading) logger.info({ relay: this.checkpointName }, 'relay stepped down');
        this.setLeader(false);
        await this.disconnect();
      }
      if (!this.stopping) await this.sleeper.sleep(standbyRetryMs);
    }
  }

  private async lead(client: pg.Client): Promise<void> {
    const { batchSize = 1000, idlePollMs = 50, flowingPollMs = 10, checkpointEveryMs = 200 } = this.options;
    let position = await loadCheckpoint(client, this.checkpointName);
    let saved = position;
    let savedAt = Date.now();
    try {
      let prefetched: Promise<StoredEventRecord[]> | undefined;
      while (!this.stopping) {
        const batch = await (prefetched ?? readAllAfter(client, position, batchSize));
        prefetched = undefined;
        const last = batch.at(-1);
        const full = batch.length === batchSize;
        if (last) {
          // A full batch means more is waiting: read it while this one is being published.
          if (full) {
            prefetched = readAllAfter(client, last.position, batchSize);
            prefetched.catch(() => undefined); // awaited next round; never an unhandled rejection
          }
          await this.publish(batch);
          position = last.position;
          this.options.metrics?.relayLagSeconds.set((Date.now() - last.recordedAt.getTime()) / 1000);
          // Checkpoints are throttled: a crash re-publishes at most this much, which dedupe absorbs.
          if (Date.now() - savedAt >= checkpointEveryMs) {
            await saveCheckpoint(client, this.checkpointName, position);
            [saved, savedAt] = [position, Date.now()];
          }
        }
        // A short batch means we are caught up: let events accumulate instead of polling in a tight loop,
        // briefly while they flow (each event waits half the pause on average, at every hop of a job) and
        // longer when the log is quiet.
        if (!full) await this.sleeper.sleep(last ? flowingPollMs : idlePollMs);
      }
    } finally {
      if (saved !== position) await saveCheckpoint(client, this.checkpointName, position).catch(() => {});
    }
  }

  private async publish(batch: StoredEventRecord[]): Promise<void> {
    const { js, names, maxInFlight = 256, metrics } = this.options;
    await forEachConcurrent(batch, maxInFlight, async (record) => {
      await js.publish(names.eventSubject(record.type), record.json, {
        msgID: record.eventId,
        expect: { streamName: names.eventStream },
      });
    });
    metrics?.relayPublished.inc(batch.length);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: `neurocards-relay-${process.pid}`,
    });
    // A broken connection rejects the query in flight; the loop reconnects and competes for the lock again.
    client.on('error', (error) => this.options.logger.warn({ err: error }, 'relay connection lost'));
    await client.connect();
    this.client = client;
    return client;
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private setLeader(leading: boolean): void {
    this.leading = leading;
    this.options.metrics?.relayLeader.set(leading ? 1 : 0);
  }
}
