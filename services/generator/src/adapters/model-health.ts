import type { Pool } from 'pg';

/** Models that answered "paused" (or are unavailable) lately, shared by every replica. */
export class ModelHealth {
  constructor(private readonly pool: Pool) {}

  async pausedModels(): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ model: string }>({
      name: 'nc_generator_paused_models',
      text: 'SELECT model FROM generator.model_health WHERE paused_until > now()',
    });
    return new Set(rows.map((row) => row.model));
  }

  async pause(model: string, ms: number, reason: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO generator.model_health (model, paused_until, reason)
       VALUES ($1, now() + $2 * interval '1 millisecond', $3)
       ON CONFLICT (model) DO UPDATE SET paused_until = excluded.paused_until, reason = excluded.reason`,
      [model, ms, reason],
    );
  }
}
