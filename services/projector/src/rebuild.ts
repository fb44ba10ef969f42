import {
  inTransaction,
  readAllAfter,
  START_OF_ALL,
  saveCheckpoint,
  type TailPosition,
} from '@neurocards/runtime/event-store';
import type { Pool, PoolClient } from 'pg';
import { parseBatch, recordSkipped } from './projections/batch.js';
import { checkpointName, PROJECTION_LOCK_CLASS, type Projection } from './projections/projection.js';

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
 * Rebuilds projections from the first event while the projector may keep running. The events are read once
 * and folded into scratch tables (schema `rm_rebuild_<names>`, unlogged); then, in one transaction holding
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
    const foldBatch = async (db: PoolClient) => {
      const records = await readAllAfter(db, position, batchSize);
      const last = records.at(-1);
      if (!last) return 0;
      const { events: parsed, skipped } = parseBatch(records);
      for (const projection of projections) {
        await recordSkipped(db, scratch, projection.name, skipped);
        await projection.apply(db, scratch, parsed);
      }
      position = last.position;
      events += records.length;
      options.onProgress?.(events);
      return records.length;
    };
    // Short transactions while catching up: a long one would hold back every reader of the event store.
    while ((await inTransaction(pool, foldBatch)) === batchSize) {}

    const swapStarted = performance.now();
    await inTransaction(pool, async (db) => {
      for (const projection of projections) {
        await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
          PROJECTION_LOCK_CLASS,
          checkpointName(projection),
        ]);
      }
      while ((await foldBatch(db)) > 0) {}
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
