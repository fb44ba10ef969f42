import {
  inTransaction,
  readAllAfter,
  START_OF_ALL,
  saveCheckpointSql,
  type TailPosition,
} from '@neurocards/runtime/event-store';
import { type Logger, LoopWorker } from '@neurocards/runtime/shell';
import pg, { type Pool } from 'pg';
import { isAfter } from './domain/position.js';
import { parseBatch, recordSkipped } from './projections/batch.js';
import { checkpointName, PROJECTION_LOCK_CLASS, type Projection } from './projections/projection.js';

/**
 * Tails the event store for a group of projections (in the projector, all of them): each batch is read and
 * parsed once, and every projection folds in the events after its own checkpoint. A batch runs in one
 * transaction that holds the advisory lock of each projection it applies (so one projector replica works on
 * a projection at a time, and a rebuild can hold one off while it swaps tables), applies the events and
 * moves those checkpoints: the rows and the checkpoints never disagree. A projection whose lock is taken
 * elsewhere is left out of the batch; the others go on.
 */
export class ProjectionRunner extends LoopWorker {
  readonly name: string;
  /** The checkpoint (and lock) names of the projections, in order. */
  readonly checkpointNames: readonly string[];
  private lastProgressAt = Date.now();

  constructor(
    private readonly projections: readonly Projection[],
    private readonly deps: {
      pool: Pool;
      logger: Logger;
      /** Told how many events each projection read in a batch. */
      onApplied?: (projection: string, events: number) => void;
    },
    private readonly options: { batchSize?: number; idlePollMs?: number } = {},
  ) {
    super();
    if (projections.length === 0) throw new Error('a projection runner needs at least one projection');
    this.checkpointNames = projections.map(checkpointName);
    this.name = `projections ${projections.map((p) => p.name).join(', ')}`;
  }

  /** Milliseconds since the loop last completed a step; a stuck projection shows up on /readyz. */
  get idleForMs(): number {
    return Date.now() - this.lastProgressAt;
  }

  /**
   * Applies one batch to `only` (all the runner's projections by default); returns how many events it read
   * (0 when caught up, or when another process holds every projection's lock).
   */
  async step(only: readonly Projection[] = this.projections): Promise<number> {
    const batchSize = this.options.batchSize ?? 500;
    const applied: [string, number][] = [];
    const read = await inTransaction(
      this.deps.pool,
      async (db, tx) => {
        const [locks, saved] = tx.opening;
        const held = locks?.rows[0] as Record<string, boolean> | undefined;
        const checkpoints = new Map(
          (saved?.rows ?? []).map((row): [string, TailPosition] => [
            row.name,
            { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) },
          ]),
        );
        const mine = only
          .map((projection, i) => ({
            projection,
            name: checkpointName(projection),
            from: checkpoints.get(checkpointName(projection)) ?? START_OF_ALL,
            held: held?.[`held_${i}`] === true,
          }))
          .filter((entry) => entry.held);
        if (mine.length === 0) return 0;

        // From the checkpoint furthest behind: a projection ahead of it skips what it has applied.
        const start = mine.map((entry) => entry.from).reduce((a, b) => (isAfter(a, b) ? b : a));
        const records = await readAllAfter(db, start, batchSize);
        const last = records.at(-1);
        if (!last) return 0;
        const batch = parseBatch(records);
        for (const { projection, name, from } of mine) {
          if (!isAfter(last.position, from)) continue;
          const events = batch.events.filter((event) => isAfter(event.position, from));
          const skipped = batch.skipped.filter((event) => isAfter(event.position, from));
          for (const { eventId, type, reason } of skipped) {
            const fields = { projection: projection.name, eventId, type, reason };
            this.deps.logger.error(fields, 'event skipped by projection');
          }
          await recordSkipped(db, 'rm', projection.name, skipped);
          await projection.apply(db, 'rm', events);
          tx.beforeCommit(saveCheckpointSql(name, last.position));
          applied.push([projection.name, events.length + skipped.length]);
        }
        return records.length;
      },
      openingSql(only),
    );
    for (const [projection, events] of applied) this.deps.onApplied?.(projection, events);
    return read;
  }

  /**
   * After a failed batch: each projection alone, so one that keeps failing (a bug, a bad row) holds back only
   * itself. Returns the events read, or undefined when a projection failed again.
   */
  private async stepEachAlone(): Promise<number | undefined> {
    let read = 0;
    let failed = false;
    for (const projection of this.projections) {
      try {
        read = Math.max(read, await this.step([projection]));
      } catch (error) {
        failed = true;
        this.deps.logger.error(
          { err: error, projection: projection.name },
          'projection step failed; retrying',
        );
      }
    }
    return failed ? undefined : read;
  }

  protected async loop(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    while (!this.stopping) {
      let read: number | undefined;
      try {
        read = await this.step();
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'projection batch failed; applying each projection alone');
        read = await this.stepEachAlone();
      }
      // A failure waits a second (and a projection stuck on one shows on /readyz); a short batch means
      // caught up: let the next events gather for one pause rather than read them a handful at a time.
      if (read === undefined) {
        await this.sleeper.sleep(1000);
        continue;
      }
      this.lastProgressAt = Date.now();
      if (read < batchSize) await this.sleeper.sleep(this.options.idlePollMs ?? 50);
    }
  }
}

/**
 * What is sent with BEGIN in one round trip: try each projection's lock, then read the checkpoints in a
 * statement of its own, whose snapshot is taken once the locks are held (a checkpoint read before could
 * miss the batch another replica committed meanwhile).
 */
function openingSql(projections: readonly Projection[]): string {
  const names = projections.map((projection) => pg.escapeLiteral(checkpointName(projection)));
  const locks = names.map(
    (name, i) => `pg_try_advisory_xact_lock(${PROJECTION_LOCK_CLASS}, hashtext(${name})) AS held_${i}`,
  );
  return `SELECT ${locks.join(', ')};
    SELECT name, transaction_id::text, global_position::text FROM es.checkpoints WHERE name IN (${names.join(', ')})`;
}
