import {
  inTransaction,
  readAllAfter,
  START_OF_ALL,
  type StoredEventRecord,
  saveCheckpoint,
  type TailPosition,
} from '@neurocards/runtime/event-store';
import type { Pool } from 'pg';
import { parseBatch, recordSkipped } from './projections/batch.js';
import { checkpointName, PROJECTION_LOCK_CLASS, type Projection } from './projections/projection.js';
import type { Queryable } from './projections/rows.js';

export interface RebuildResult {
  projections: string[];
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Time the live tables were locked for the swap. */
  swapSeconds: number;
}

export interface RebuildOptions {
  batchSize?: number;
  /** Told after each batch how many events have been read so far. */
  onProgress?(events: number): void;
}

/**
 * Rebuilds projections from the first event while the projector may keep running. Uses up to one connection
 * per projection and one more for reading. The events are read once and folded into scratch tables (schema `rm_rebuild_<names>`, unlogged); then, in one transaction holding
 * each projection's lock, the last events are folded in, the live tables are replaced by the scratch ones and
 * the checkpoints moved. Readers of rm see the old rows until that commit, then the new ones.
 */
export async function rebuildProjections(
  pool: Pool,
  projections: readonly Projection[],
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const batchSize = options.batchSize ?? 5000;
  const scratch = `rm_rebuild_${projections.map((p) => p.name).join('_')}`.slice(0, 63);
  const started = performance.now();
  await createScratch(pool, scratch, projections);
  try {
    let position: TailPosition = START_OF_ALL;
    let events = 0;
    const foldInto = async (db: Queryable, projection: Projection, batch: ReturnType<typeof parseBatch>) => {
      await recordSkipped(db, scratch, projection.name, batch.skipped);
      await projection.apply(db, scratch, batch.events);
    };
    const advance = (records: StoredEventRecord[]) => {
      position = records.at(-1)?.position ?? position;
      events += records.length;
      options.onProgress?.(events);
    };

    // Catching up: the next batch is read while this one is folded, and the projections fold it side by side,
    // each in a short transaction of its own (a long one would hold back every reader of the event store).
    let next = readAllAfter(pool, position, batchSize);
    for (;;) {
      const records = await next;
      const last = records.at(-1);
      if (!last) break;
      next =
        records.length === batchSize ? readAllAfter(pool, last.position, batchSize) : Promise.resolve([]);
      const batch = parseBatch(records);
      await Promise.all(
        projections.map((projection) => inTransaction(pool, (db) => foldInto(db, projection, batch))),
      );
      advance(records);
    }

    const swapStarted = performance.now();
    await inTransaction(pool, async (db) => {
      for (const projection of projections) {
        await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
          PROJECTION_LOCK_CLASS,
          checkpointName(projection),
        ]);
      }
      // What was stored meanwhile, folded in under the locks, so the checkpoints cover the swapped rows.
      for (;;) {
        const records = await readAllAfter(db, position, batchSize);
        if (records.length === 0) break;
        const batch = parseBatch(records);
        for (const projection of projections) await foldInto(db, projection, batch);
        advance(records);
      }
      const names = projections.map((p) => p.name);
      for (const table of projections.flatMap((p) => p.tables)) {
        await db.query(`TRUNCATE rm.${table}`);
        await db.query(`INSERT INTO rm.${table} SELECT * FROM ${scratch}.${table}`);
      }
      await db.query('DELETE FROM rm.skipped_events WHERE projection = ANY($1)', [names]);
      await db.query(`INSERT INTO rm.skipped_events SELECT * FROM ${scratch}.skipped_events`);
      for (const projection of projections) await saveCheckpoint(db, checkpointName(projection), position);
    });
    const seconds = (performance.now() - started) / 1000;
    return {
      projections: projections.map((p) => p.name),
      events,
      seconds,
      eventsPerSecond: events / seconds,
      swapSeconds: (performance.now() - swapStarted) / 1000,
    };
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${scratch} CASCADE`);
  }
}

async function createScratch(pool: Pool, scratch: string, projections: readonly Projection[]) {
  const tables = [...projections.flatMap((p) => p.tables), 'skipped_events'];
  await pool.query(
    `DROP SCHEMA IF EXISTS ${scratch} CASCADE;
     CREATE SCHEMA ${scratch};
     ${tables.map((t) => `CREATE UNLOGGED TABLE ${scratch}.${t} (LIKE rm.${t} INCLUDING ALL);`).join('\n')}`,
  );
}
