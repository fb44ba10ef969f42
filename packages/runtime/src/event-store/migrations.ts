import type { Pool } from 'pg';

export interface Migration {
  /** Strictly increasing within a component; never renumber one that has shipped. */
  version: number;
  name: string;
  sql: string;
}

export interface MigrationSet {
  /** Who owns these migrations, e.g. `event-store`, `billing`. Each component keeps its own versions. */
  component: string;
  migrations: readonly Migration[];
}

// One lock for every component: migrations are rare and short, and serialising them removes all races
// between processes starting at once (including the creation of the bookkeeping table itself).
const MIGRATION_LOCK = 0x6e63_6d67; // 'ncmg'

/**
 * Applies the pending migrations of each set in one transaction under an advisory lock.
 * Safe to run twice and from several processes at once: late comers wait, then find nothing to do.
 * Returns the versions applied by this call.
 */
export async function migrate(pool: Pool, sets: readonly MigrationSet[]): Promise<Record<string, number[]>> {
  const client = await pool.connect();
  const applied: Record<string, number[]> = {};
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS public.nc_migrations (
        component text NOT NULL,
        version integer NOT NULL,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (component, version)
      )`);
    for (const set of sets) {
      assertOrdered(set);
      const { rows } = await client.query<{ version: number }>(
        'SELECT version FROM public.nc_migrations WHERE component = $1',
        [set.component],
      );
      const done = new Set(rows.map((row) => row.version));
      applied[set.component] = [];
      for (const migration of set.migrations) {
        if (done.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query(
          'INSERT INTO public.nc_migrations (component, version, name) VALUES ($1, $2, $3)',
          [set.component, migration.version, migration.name],
        );
        applied[set.component]?.push(migration.version);
      }
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

function assertOrdered(set: MigrationSet): void {
  set.migrations.forEach((migration, index) => {
    const previous = set.migrations[index - 1];
    if (previous && previous.version >= migration.version) {
      throw new Error(`${set.component}: migration ${migration.version} is not after ${previous.version}`);
    }
  });
}
