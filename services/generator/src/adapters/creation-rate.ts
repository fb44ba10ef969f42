import { inTransaction } from '@neurocards/runtime/event-store';
import type { Pool } from 'pg';

// One lock for the account's creation log: the count and the insert must not interleave between replicas.
const CREATION_LOCK = 0x6e636b72; // 'nckr'

const WINDOW_MARGIN_MS = 500;

export type CreationSlot = { granted: true } | { granted: false; retryInMs: number };

/**
 * KIE allows an account `count` task creations per `windowMs` (20 per 10 s) and rejects the rest with 429.
 * Every replica asks here before createTask, so the limit holds for all of them together.
 */
export class CreationRateLimiter {
  constructor(
    private readonly pool: Pool,
    private readonly limit: { count: number; windowMs: number },
  ) {}

  async acquire(): Promise<CreationSlot> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [CREATION_LOCK]);
      // A little longer than KIE's own window: our clock and theirs, and the request's flight, differ.
      const window = `${this.limit.windowMs + WINDOW_MARGIN_MS} milliseconds`;
      await client.query(
        `DELETE FROM generator.task_creations WHERE at <= clock_timestamp() - $1::interval`,
        [window],
      );
      const { rows } = await client.query<{ n: number; oldest_ms: number | null }>(
        `SELECT count(*)::int AS n,
                extract(epoch FROM (min(at) + $1::interval - clock_timestamp())) * 1000 AS oldest_ms
         FROM generator.task_creations`,
        [window],
      );
      const used = rows[0]?.n ?? 0;
      if (used >= this.limit.count) {
        return {
          granted: false,
          retryInMs: Math.max(50, Math.ceil(rows[0]?.oldest_ms ?? this.limit.windowMs)),
        } as const;
      }
      await client.query('INSERT INTO generator.task_creations DEFAULT VALUES');
      return { granted: true } as const;
    });
  }
}
