import { EventStore, eventStoreMigrations, migrate } from '@neurocards/runtime/event-store';
import { createLogger, createMetrics } from '@neurocards/runtime/shell';
import { createTestDatabase, type TestDatabase } from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catchUp, firstWeeks, ScenarioWriter } from '../test/scenario.js';
import { LagMonitor } from './lag.js';
import { readModelMigrations } from './migrations.js';
import { checkpointName } from './projections/projection.js';
import { projections } from './projections/registry.js';

const logger = createLogger({ service: 'projector-test', level: 'silent' });

let db: TestDatabase;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase('projector_lag');
  await migrate(db.pool, [eventStoreMigrations, readModelMigrations]);
  store = new EventStore(db.pool);
});

afterAll(async () => {
  await db?.drop();
});

describe('projection lag', () => {
  it('is measured per projection, exported as metrics, and fails readiness until the projections catch up', async () => {
    const metrics = createMetrics('projector-test');
    const monitor = new LagMonitor(
      { db: db.pool, metrics, logger },
      { names: projections.map(checkpointName), maxLagMs: 200 },
    );
    expect(monitor.ready()).toBe(false); // no sample yet

    await firstWeeks(new ScenarioWriter(store));
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM es.events');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const behind = await monitor.sample();
    expect(behind.map((lag) => lag.events)).toEqual(projections.map(() => rows[0].n));
    for (const lag of behind) expect(lag.seconds).toBeGreaterThan(0.3);
    expect(monitor.ready()).toBe(false);
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      `nc_projection_lag_events{projection="projection:ledger",service="projector-test"} ${rows[0].n}`,
    );

    await catchUp({ pool: db.pool, store, logger });
    const caughtUp = await monitor.sample();
    expect(caughtUp.every((lag) => lag.events === 0 && lag.seconds === 0)).toBe(true);
    expect(monitor.ready()).toBe(true);
    expect(await metrics.registry.metrics()).toContain(
      'nc_projection_lag_seconds{projection="projection:users",service="projector-test"} 0',
    );
  });
});
