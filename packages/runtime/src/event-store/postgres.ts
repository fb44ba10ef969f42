import pg from 'pg';

export type { Pool, PoolClient } from 'pg';

// int8 and numeric come back as strings by default; positions and xids stay strings (or bigint) on purpose,
// but COUNT(*) and friends are small enough to be numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
});

export interface PoolOptions {
  connectionString: string;
  /** Connections in the pool; two cores saturate at about 16. */
  max?: number;
  applicationName?: string;
  /**
   * A session left idle inside a transaction holds back the event store's visibility horizon for every
   * tailing reader; PostgreSQL ends such a session after this long.
   */
  idleInTransactionTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/** A pg pool with the session settings every Neurocards process relies on. */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'neurocards',
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that crashes the process.
  pool.on('error', () => {});
  return pool;
}

/** Runs `work` inside one transaction on one pooled connection, rolling back on any error. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // The server may end a session between two queries (idle-in-transaction timeout, a restart): pg then
  // emits 'error' on the client, which would crash the process without a listener. The next query fails
  // anyway; the broken connection is thrown away on release instead of going back to the pool.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

export function isUniqueViolation(error: unknown): error is pg.DatabaseError {
  return error instanceof pg.DatabaseError && error.code === '23505';
}
