import type { Pool } from 'pg';

/** What every replica has learned about KIE lately: models that answered "paused", keys cooling down. */
export interface ProviderState {
  pausedModels: Set<string>;
  coolingKeys: Set<string>;
}

/** Reads the provider state in one statement, right before a submission chooses its model and key. */
export async function readProviderState(pool: Pool): Promise<ProviderState> {
  const { rows } = await pool.query<{ paused: string[]; cooling: string[] }>({
    name: 'nc_generator_provider_state',
    text: `SELECT
       ARRAY(SELECT model FROM generator.model_health WHERE paused_until > now()) AS paused,
       ARRAY(SELECT key_id FROM generator.key_cooldowns WHERE until > now()) AS cooling`,
  });
  return { pausedModels: new Set(rows[0]?.paused), coolingKeys: new Set(rows[0]?.cooling) };
}
