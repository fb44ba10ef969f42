import type { Logger } from '@neurocards/runtime/shell';
import pg from 'pg';

/** The read-only role analysts (and Metabase) connect with; it sees schema rm and nothing else. */
export const ANALYST_ROLE = 'analyst';

// Roles belong to the whole cluster, so several databases (tests) may create it at once: a duplicate is fine.
// The role gets no password here: the projector gives it one from ANALYST_PASSWORD (setAnalystPassword).
export const analystRoleSql = `
  DO $$ BEGIN
    CREATE ROLE ${ANALYST_ROLE} NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END $$;
  GRANT USAGE ON SCHEMA rm TO ${ANALYST_ROLE};
  GRANT SELECT ON ALL TABLES IN SCHEMA rm TO ${ANALYST_ROLE};
  ALTER DEFAULT PRIVILEGES IN SCHEMA rm GRANT SELECT ON TABLES TO ${ANALYST_ROLE};
  -- Sessions of the role are read-only by default and time out, so a heavy query cannot hold the database.
  ALTER ROLE ${ANALYST_ROLE} SET default_transaction_read_only = on;
  ALTER ROLE ${ANALYST_ROLE} SET statement_timeout = '120s';
  -- Nothing to write anywhere: not even temporary tables (granted to PUBLIC by default). The services
  -- connect as the database owner, who keeps the right.
  DO $$ BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  END $$;
`;

/** Lets the analyst role log in with `password` (from ANALYST_PASSWORD); never logs it. */
export async function setAnalystPassword(pool: pg.Pool, password: string, logger: Logger): Promise<void> {
  try {
    await pool.query(`ALTER ROLE ${ANALYST_ROLE} WITH LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
  } catch (error) {
    // Without CREATEROLE the projector still works; only the analysts' login is missing.
    logger.error({ err: (error as Error).message }, 'could not set the analyst role password');
  }
}
