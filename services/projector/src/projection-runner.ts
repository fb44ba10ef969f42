import {
  type EventStore,
  inTransaction,
  loadCheckpoint,
  saveCheckpoint,
} from '@neurocards/runtime/event-store';
import { type Logger, LoopWorker } from '@neurocards/runtime/shell';
import type { Pool } from 'pg';
import { parseBatch, recordSkipped } from './projections/batch.js';
import { checkpointName, PROJECTION_LOCK_CLASS, type Projection } from './projections/projection.js';

/**
 * Tails the event store for one projection. Each batch runs in one transaction that takes the projection's
 * advisory lock (so one projector replica works at a time, and a rebuild can hold it off while it swaps
 * tables), applies the events and moves the checkpoint: the rows and the checkpoint never disagree.
 */
export class ProjectionRunner extends LoopWorker {
  readonly name: string;
  private lastProgressAt = Date.now();

  constructor(
    private readonly projection: Projection,
    private readonly deps: {
      pool: Pool;
      store: EventStore;
      logger: Logger;
      onApplied?: (events: number) => void;
    },
    private readonly options: { batchSize?: number; idlePollMs?: number } = {},
  ) {
    super();
    this.name = checkpointName(projection);
  }

  /** Milliseconds since the loop last completed a step; a stuck projection shows up on /readyz. */
  get idleForMs(): number {
    return Date.now() - this.lastProgressAt;
  }

  /** Applies one batch; returns how many events it read (0 when caught up or another process holds the lock). */
  async step(): Promise<number> {
    const { pool, store } = this.deps;
    const read = await inTransaction(pool, async (db) => {
      const { rows } = await db.query<{ locked: boolean }>({
        name: 'nc_projection_lock',
        text: 'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
        values: [PROJECTION_LOCK_CLASS, this.name],
      });
      if (!rows[0]?.locked) return 0;
      const from = await loadCheckpoint(db, this.name);
      const records = await store.readAll(from, this.options.batchSize ?? 500, db);
      const last = records.at(-1);
      if (!last) return 0;
      const { events, skipped } = parseBatch(records);
      for (const event of skipped) {
        this.deps.logger.error({ projection: this.name, ...event }, 'event skipped by projection');
      }
      await recordSkipped(db, 'rm', this.projection.name, skipped);
      await this.projection.apply(db, 'rm', events);
      await saveCheckpoint(db, this.name, last.position);
      return records.length;
    });
    if (read > 0) this.deps.onApplied?.(read);
    return read;
  }

  protected async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        const read = await this.step();
        this.lastProgressAt = Date.now();
        // A short batch means caught up: let the next events gather for one pause rather than read them a
        // handful at a time, which under a steady flow costs four transactions (one per projection) each.
        if (read < (this.options.batchSize ?? 500)) await this.sleeper.sleep(this.options.idlePollMs ?? 50);
      } catch (error) {
        this.deps.logger.error({ err: error, projection: this.name }, 'projection step failed; retrying');
        await this.sleeper.sleep(1000);
      }
    }
  }
}
