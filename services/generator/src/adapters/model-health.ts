import type { Pool } from 'pg';

/** Pauses models that answered "paused" (or are unavailable) for every replica (read with `readProviderState`). */
export class ModelHealth {
  constructor(private readonly pool: Pool) {}

  async pause(model: string, ms: number, reason: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO generator.model_health (model, paused_until, reason)
       VALUES ($1, now() + $2 * interval '1 millisecond', $3)
       ON CONFLICT (model) DO UPDATE SET paused_until = excluded.paused_until, reason = excluded.reason`,
      [model, ms, reason],
    );
  }
}
