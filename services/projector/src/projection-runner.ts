import { type DomainEvent, parseEvent } from '@neurocards/contracts';
import {
  type EventStore,
  inTransaction,
  loadCheckpoint,
  saveCheckpoint,
} from '@neurocards/runtime/event-store';
import { type Logger, LoopWorker } from '@neurocards/runtime/shell';
import type { Pool, PoolClient } from 'pg';

export interface Projection {
  /** Checkpoint and lock name; renaming it rebuilds the projection from the start. */
  name: string;
  apply(db: PoolClient, event: DomainEvent): Promise<unknown>;
}

// Two-key advisory lock space of projections: (PROJECTION_LOCK_CLASS, hashtext(name)).
const PROJECTION_LOCK_CLASS = 0x6e70;

/**
 * Tails the event store for one projection. Each batch runs in one transaction that takes the projection's
 * advisory lock (so one projector replica works at a time), applies the events and moves the checkpoint:
 * the rows and the checkpoint can never disagree.
 */
export class ProjectionRunner extends LoopWorker {
  readonly name: string;
  private lastProgressAt = Date.now();

  constructor(
    private readonly projection: Projection,
    private readonly deps: { pool: Pool; store: EventStore; logger: Logger },
    private readonly options: { batchSize?: number; idlePollMs?: number } = {},
  ) {
    super();
    this.name = `projection:${projection.name}`;
  }

  /** Milliseconds since the loop last completed a step; a stuck projection shows up on /readyz. */
  get idleForMs(): number {
    return Date.now() - this.lastProgressAt;
  }

  /** Applies one batch; returns how many events it read (0 when caught up or another replica holds the lock). */
  async step(): Promise<number> {
    const { pool, store } = this.deps;
    return inTransaction(pool, async (db) => {
      const { rows } = await db.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
        [PROJECTION_LOCK_CLASS, this.name],
      );
      if (!rows[0]?.locked) return 0;
      const from = await loadCheckpoint(db, this.name);
      const batch = await store.readAll(from, this.options.batchSize ?? 500, db);
      for (const record of batch) {
        const parsed = parseEvent(record.json);
        if (parsed.ok) {
          await this.projection.apply(db, parsed.event);
        } else {
          await db.query(
            `INSERT INTO rm.skipped_events (projection, event_id, type, reason) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING`,
            [this.projection.name, record.eventId, record.type, parsed.error.message],
          );
          this.deps.logger.error(
            { eventId: record.eventId, reason: parsed.error.message },
            'event skipped by projection',
          );
        }
      }
      const last = batch.at(-1);
      if (last) await saveCheckpoint(db, this.name, last.position);
      return batch.length;
    });
  }

  protected async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        const read = await this.step();
        this.lastProgressAt = Date.now();
        if (read === 0) await this.sleeper.sleep(this.options.idlePollMs ?? 50);
      } catch (error) {
        this.deps.logger.error({ err: error, projection: this.name }, 'projection step failed; retrying');
        await this.sleeper.sleep(1000);
      }
    }
  }
}
