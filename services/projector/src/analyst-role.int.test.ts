import { EventStore, eventStoreMigrations, migrate } from '@neurocards/runtime/event-store';
import { createLogger } from '@neurocards/runtime/shell';
import { createTestDatabase, type TestDatabase } from '@neurocards/runtime/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catchUp, firstWeeks, ScenarioWriter } from '../test/scenario.js';
import { ANALYST_ROLE, setAnalystPassword } from './analyst-role.js';
import { readModelMigrations } from './migrations.js';

const logger = createLogger({ service: 'projector-test', level: 'silent' });
const password = 'analyst-test-password';

let db: TestDatabase;
let analyst: pg.Client;

/** The SQLSTATE a statement fails with as the analyst, or 'ok'. */
async function outcome(sql: string, readWrite = false): Promise<string> {
  await analyst.query(readWrite ? 'BEGIN READ WRITE' : 'BEGIN');
  try {
    await analyst.query(sql);
    return 'ok';
  } catch (error) {
    return (error as pg.DatabaseError).code ?? String(error);
  } finally {
    await analyst.query('ROLLBACK');
  }
}

beforeAll(async () => {
  db = await createTestDatabase('projector_analyst');
  await migrate(db.pool, [eventStoreMigrations, readModelMigrations]);
  const store = new EventStore(db.pool);
  await firstWeeks(new ScenarioWriter(store));
  await catchUp({ pool: db.pool, store, logger });
  await setAnalystPassword(db.pool, password, logger);
  const url = new URL(db.url);
  url.username = ANALYST_ROLE;
  url.password = password;
  analyst = new pg.Client({ connectionString: url.toString() });
  await analyst.connect();
});

afterAll(async () => {
  await analyst?.end();
  await db?.drop();
});

describe('the analyst role', () => {
  it('reads every read model and view in rm', async () => {
    const users = await analyst.query('SELECT count(*)::int AS n FROM rm.users');
    expect(users.rows[0].n).toBe(4);
    for (const view of [
      'daily_users',
      'job_funnel_daily',
      'success_rate_daily',
      'error_distribution_daily',
      'job_timings_daily',
      'job_timings_30d',
      'revenue_daily',
      'referrals',
      'referrals_daily',
      'retention_weekly',
    ]) {
      expect(await outcome(`SELECT * FROM rm.${view}`)).toBe('ok');
    }
    const funnel = await analyst.query('SELECT sum(requested)::int AS n FROM rm.job_funnel_daily');
    expect(funnel.rows[0].n).toBe(4);
  });

  it('cannot read the event store, the checkpoints or anything outside rm', async () => {
    expect(await outcome('SELECT * FROM es.events')).toBe('42501'); // insufficient_privilege
    expect(await outcome('SELECT * FROM es.checkpoints')).toBe('42501');
    expect(await outcome('SELECT * FROM public.nc_migrations')).toBe('42501');
    expect(await outcome("SELECT pg_read_file('postgresql.conf')")).toBe('42501');
  });

  it('cannot write anything, even in a transaction it makes read-write', async () => {
    expect(await outcome('UPDATE rm.users SET balance = 100')).toBe('25006'); // read_only_sql_transaction
    for (const sql of [
      'UPDATE rm.users SET balance = 100',
      'DELETE FROM rm.jobs',
      'TRUNCATE rm.credit_ledger',
      "INSERT INTO rm.skipped_events VALUES ('x', gen_random_uuid(), 't', 'r')",
      'CREATE TABLE rm.notes (id int)',
      'CREATE VIEW rm.mine AS SELECT 1',
      'CREATE TABLE public.notes (id int)',
      'CREATE TEMP TABLE notes (id int)',
      'CREATE SCHEMA scratch',
      "INSERT INTO es.events (stream_id, stream_version, event_id, type, schema_version, data, correlation_id, occurred_at) VALUES ('s', 1, gen_random_uuid(), 't', 1, '{}', 'c', now())",
    ]) {
      expect({ sql, code: await outcome(sql, true) }).toEqual({ sql, code: '42501' });
    }
    const { rows } = await db.pool.query('SELECT sum(balance)::int AS total FROM rm.users');
    expect(rows[0].total).toBeLessThan(100);
  });
});
