import { type Logger, LoopWorker, type Metrics } from '@neurocards/runtime/shell';
import type { PoolClient } from 'pg';
import { Gauge } from 'prom-client';

type Queryable = Pick<PoolClient, 'query'>;

export interface ProjectionLag {
  /** Checkpoint name, e.g. `projection:users`. */
  name: string;
  /** Age of the oldest stored event the projection has not applied yet; 0 when caught up. */
  seconds: number;
  /** Stored events the projection has not applied yet (counted up to a cap). */
  events: number;
}

/**
 * How far each checkpoint is behind the event store. Every committed event counts, including those a reader
 * cannot take yet because an older transaction is still running: that is lag too.
 */
export async function projectionLags(
  db: Queryable,
  names: readonly string[],
  countCap = 1_000_000,
): Promise<ProjectionLag[]> {
  const { rows } = await db.query<ProjectionLag>(
    `WITH c AS (
       SELECT n.name, coalesce(c.transaction_id, '0'::xid8) AS xid, coalesce(c.global_position, 0) AS pos
       FROM unnest($1::text[]) AS n(name) LEFT JOIN es.checkpoints c USING (name)
     )
     SELECT c.name,
       coalesce(extract(epoch FROM clock_timestamp() - (
         SELECT e.recorded_at FROM es.events e WHERE (e.transaction_id, e.global_position) > (c.xid, c.pos)
         ORDER BY e.transaction_id, e.global_position LIMIT 1)), 0)::float8 AS seconds,
       (SELECT count(*) FROM (SELECT 1 FROM es.events e WHERE (e.transaction_id, e.global_position) > (c.xid, c.pos)
         LIMIT $2) behind)::int AS events
     FROM c`,
    [names, countCap],
  );
  return rows;
}

/**
 * Samples the lag of every projection each second into gauges (`nc_projection_lag_seconds`,
 * `nc_projection_lag_events`) and answers the readiness probe: ready while every projection is within
 * `maxLagMs` of the store and the last sample is recent.
 */
export class LagMonitor extends LoopWorker {
  readonly name = 'projection-lag';
  private latest: { at: number; lags: ProjectionLag[] } | undefined;
  private readonly seconds: Gauge;
  private readonly events: Gauge;

  constructor(
    private readonly deps: { db: Queryable; metrics: Metrics; logger: Logger },
    private readonly options: { names: readonly string[]; maxLagMs: number; intervalMs?: number },
  ) {
    super();
    this.seconds = new Gauge({
      name: 'nc_projection_lag_seconds',
      help: 'Age of the oldest event a projection has not applied yet (0 when caught up)',
      labelNames: ['projection'],
      registers: [deps.metrics.registry],
    });
    this.events = new Gauge({
      name: 'nc_projection_lag_events',
      help: 'Events stored but not yet applied by a projection',
      labelNames: ['projection'],
      registers: [deps.metrics.registry],
    });
  }

  /** The last sample, for /readyz and the dashboard. */
  get lags(): ProjectionLag[] {
    return this.latest?.lags ?? [];
  }

  /** Every projection within the allowed lag, by a sample at most 10 s old. */
  ready(): boolean {
    const latest = this.latest;
    if (!latest || Date.now() - latest.at > 10_000) return false;
    return latest.lags.every((lag) => lag.seconds * 1000 <= this.options.maxLagMs);
  }

  async sample(): Promise<ProjectionLag[]> {
    const lags = await projectionLags(this.deps.db, this.options.names);
    for (const lag of lags) {
      this.seconds.set({ projection: lag.name }, lag.seconds);
      this.events.set({ projection: lag.name }, lag.events);
    }
    this.latest = { at: Date.now(), lags };
    return lags;
  }

  protected async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.sample();
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'projection lag sample failed');
      }
      await this.sleeper.sleep(this.options.intervalMs ?? 1000);
    }
  }
}
