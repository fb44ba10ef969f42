import type { ProjectedEvent } from '../domain/position.js';
import type { Queryable } from './rows.js';

/**
 * A read model built from the event store. `apply` folds a whole batch with a few set-based statements into
 * the tables of `schema` (`rm` live; a scratch schema while rebuilding).
 */
export interface Projection {
  /** Checkpoint `projection:<name>` and lock name. */
  name: string;
  /** The tables in `rm` this projection alone writes, in the order they are created. */
  tables: readonly string[];
  apply(db: Queryable, schema: string, batch: readonly ProjectedEvent[]): Promise<void>;
}

/** The checkpoint (and advisory lock) name of a projection. */
export const checkpointName = (projection: Pick<Projection, 'name'>) => `projection:${projection.name}`;

// Two-key advisory lock space of projections: (PROJECTION_LOCK_CLASS, hashtext(checkpoint name)).
export const PROJECTION_LOCK_CLASS = 0x6e70;
