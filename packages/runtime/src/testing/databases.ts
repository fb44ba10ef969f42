import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool } from '../event-store/postgres.js';

/** Where tests create their own databases; the local trust-auth server by default. */
export const adminDatabaseUrl =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  /** Closes the pool and drops the database, ending any session still connected to it. */
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file, so runs on one machine never see each other's rows. */
export async function createTestDatabase(label = 'test', poolMax = 10): Promise<TestDatabase> {
  const name = `nc_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrl(name);
  const pool = createPool({ connectionString: url, max: poolMax, applicationName: `test-${label}` });
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end().catch(() => {});
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** The URL of another database on the admin server. */
export function databaseUrl(name: string): string {
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
