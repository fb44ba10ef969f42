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

/**
 * What `work` can do with its transaction besides querying: read what the opening statements returned, and
 * leave statements to run with COMMIT. Both travel as plain SQL in the same message as BEGIN or COMMIT,
 * saving a round trip each: they take no parameters, so every value in them must be quoted with
 * `pg.escapeLiteral` or be known safe (a number, a validated uuid).
 */
export interface Transaction {
  /** The results of the `opening` statements, in order (BEGIN's own left out). */
  readonly opening: readonly pg.QueryResult[];
  /** Runs `sql` right before COMMIT, in the same round trip, once `work` has succeeded; its failure rolls back. */
  beforeCommit(sql: string): void;
}

/**
 * Runs `work` inside one transaction on one pooled connection, rolling back on any error. `opening` (one or
 * more statements, see `Transaction`) is sent together with BEGIN; each of its statements sees what the
 * earlier ones did, with a fresh snapshot (READ COMMITTED).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient, tx: Transaction) => Promise<T>,
  opening?: string,
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
  const closing: string[] = [];
  try {
    let opened: pg.QueryResult[] = [];
    if (opening === undefined) await client.query('BEGIN');
    // One simple query holding several statements is one message and one reply; BEGIN opens the transaction.
    else opened = (await simpleQueries(client, `BEGIN; ${opening}`)).slice(1);
    const result = await work(client, {
      opening: opened,
      beforeCommit: (sql) => closing.push(sql),
    });
    await client.query([...closing, 'COMMIT'].join('; '));
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * Runs statements as one simple query: one message and one reply. Outside a transaction they commit or
 * fail together (PostgreSQL runs a multi-statement query as one implicit transaction). pg returns an array
 * of results for several statements and one result for one; this always returns the array.
 */
export async function simpleQueries(
  db: Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>,
  sql: string,
): Promise<pg.QueryResult[]> {
  const results = (await db.query(sql)) as pg.QueryResult | pg.QueryResult[];
  return Array.isArray(results) ? results : [results];
}

export function isUniqueViolation(error: unknown): error is pg.DatabaseError {
  return error instanceof pg.DatabaseError && error.code === '23505';
}
