import type { Pool } from 'pg';

export type FloodVerdict = 'pass' | 'tell' | 'drop';

/**
 * At most `count` updates from one user per window, all replicas together (gateway.flood). The update
 * that first goes over is told to slow down; the rest of the window is dropped in silence.
 */
export class FloodGuard {
  constructor(
    private readonly pool: Pool,
    private readonly limit: { count: number; windowMs: number },
  ) {}

  async check(userId: number): Promise<FloodVerdict> {
    const { rows } = await this.pool.query<{ updates: number; told: boolean }>(
      `INSERT INTO gateway.flood AS f (user_id, window_start, updates) VALUES ($1, clock_timestamp(), 1)
       ON CONFLICT (user_id) DO UPDATE SET
         updates = CASE WHEN f.window_start < clock_timestamp() - $2::interval THEN 1 ELSE f.updates + 1 END,
         told = CASE WHEN f.window_start < clock_timestamp() - $2::interval THEN false ELSE f.told END,
         window_start = CASE WHEN f.window_start < clock_timestamp() - $2::interval
                             THEN clock_timestamp() ELSE f.window_start END
       RETURNING updates, told`,
      [userId, `${this.limit.windowMs} milliseconds`],
    );
    const row = rows[0];
    if (!row || row.updates <= this.limit.count) return 'pass';
    if (row.told) return 'drop';
    // Of two updates over the limit at once, one tells.
    const { rowCount } = await this.pool.query(
      'UPDATE gateway.flood SET told = true WHERE user_id = $1 AND NOT told',
      [userId],
    );
    return rowCount === 1 ? 'tell' : 'drop';
  }
}
