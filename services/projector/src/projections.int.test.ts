import { newEvent, streamIds } from '@neurocards/contracts';
import { EventStore, eventStoreMigrations, migrate } from '@neurocards/runtime/event-store';
import { createLogger } from '@neurocards/runtime/shell';
import { createTestDatabase, type TestDatabase, waitFor } from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  catchUp as catchUpAll,
  firstWeeks,
  laterWeeks,
  ScenarioWriter,
  sellers,
  snapshotReadModels,
  storeUnknownEvent,
} from '../test/scenario.js';
import { projectionLags } from './lag.js';
import { readModelMigrations } from './migrations.js';
import { ProjectionRunner } from './projection-runner.js';
import { checkpointName, PROJECTION_LOCK_CLASS, type Projection } from './projections/projection.js';
import { projections } from './projections/registry.js';
import { rebuildProjections } from './rebuild.js';

const logger = createLogger({ service: 'projector-test', level: 'silent' });

let db: TestDatabase;
let store: EventStore;
let scenario: { jobs: string[]; chargeId: string };

/** How many stored events a checkpoint covers. */
async function eventsUpTo(checkpoint: string): Promise<number> {
  const { rows } = await db.pool.query(
    `SELECT count(*)::int AS n FROM es.events e JOIN es.checkpoints c ON c.name = $1
     WHERE (e.transaction_id, e.global_position) <= (c.transaction_id, c.global_position)`,
    [checkpoint],
  );
  return rows[0].n;
}

const catchUp = (batchSize?: number) => catchUpAll({ pool: db.pool, store, logger }, batchSize);

beforeAll(async () => {
  db = await createTestDatabase('projector_rm');
  await migrate(db.pool, [eventStoreMigrations, readModelMigrations]);
  store = new EventStore(db.pool);
  const writer = new ScenarioWriter(store);
  // Built incrementally: part of the history, the projections, the rest, the projections again.
  const first = await firstWeeks(writer);
  await catchUp();
  await storeUnknownEvent(db.pool);
  const later = await laterWeeks(writer);
  await catchUp();
  scenario = { jobs: [...first.jobs, ...later.jobs], chargeId: later.chargeId };
});

afterAll(async () => {
  await db?.drop();
});

describe('read models', () => {
  it('keep the balances and counters the bot and billing agree on', async () => {
    const { rows } = await db.pool.query(
      `SELECT user_id, balance, reserved, jobs_total, jobs_delivered, jobs_failed, jobs_rejected, purchases,
              stars_paid, referrals, referrer_id, language, banned
       FROM rm.users ORDER BY user_id`,
    );
    expect(rows).toEqual([
      // 2 free, 3 jobs (1 delivered, 2 refunded), 1 referral bonus.
      {
        user_id: sellers.anna,
        balance: 2,
        reserved: 0,
        jobs_total: 3,
        jobs_delivered: 1,
        jobs_failed: 2,
        jobs_rejected: 0,
        purchases: 0,
        stars_paid: 0,
        referrals: 2,
        referrer_id: null,
        language: 'en',
        banned: false,
      },
      // 2 free, one delivered, one timed out (refunded, then delivered free), 5 bought and refunded.
      {
        user_id: sellers.boris,
        balance: 1,
        reserved: 0,
        jobs_total: 2,
        jobs_delivered: 2,
        jobs_failed: 1,
        jobs_rejected: 0,
        purchases: 1,
        stars_paid: 0,
        referrals: 0,
        referrer_id: sellers.anna,
        language: 'en',
        banned: false,
      },
      {
        user_id: sellers.clara,
        balance: 0,
        reserved: 0,
        jobs_total: 1,
        jobs_delivered: 0,
        jobs_failed: 0,
        jobs_rejected: 1,
        purchases: 0,
        stars_paid: 0,
        referrals: 0,
        referrer_id: sellers.anna,
        language: 'ru',
        banned: false,
      },
      {
        user_id: sellers.dmitri,
        balance: 0,
        reserved: 0,
        jobs_total: 0,
        jobs_delivered: 0,
        jobs_failed: 0,
        jobs_rejected: 0,
        purchases: 0,
        stars_paid: 0,
        referrals: 0,
        referrer_id: null,
        language: 'en',
        banned: true,
      },
    ]);
  });

  it('ends every job in one status with its timeline', async () => {
    const [job1, job2, job3, rejected, job4, job5] = scenario.jobs;
    const { rows } = await db.pool.query(
      `SELECT job_id, status, error_class, error_code, attempts, delivery_attempts, refund_reason, capture_waived,
              generation_seconds, delivered_at IS NOT NULL AS delivered
       FROM rm.jobs`,
    );
    const byId = new Map(rows.map((row) => [row.job_id, row]));
    expect(byId.get(job1)).toMatchObject({ status: 'delivered', generation_seconds: 180, error_class: null });
    expect(byId.get(job2)).toMatchObject({
      status: 'failed',
      error_class: 'USER_VIOLATION',
      error_code: '400',
      attempts: 1,
      refund_reason: 'generation_failed',
    });
    expect(byId.get(job3)).toMatchObject({ status: 'delivered', generation_seconds: 300 });
    expect(byId.get(rejected)).toMatchObject({ status: 'rejected' });
    expect(byId.get(job4)).toMatchObject({
      status: 'delivered',
      error_class: 'TIMEOUT',
      refund_reason: 'timeout',
      capture_waived: 'reservation_expired',
    });
    expect(byId.get(job5)).toMatchObject({
      status: 'failed',
      error_class: 'BLOCKED',
      error_code: 'delivery',
      delivery_attempts: 2,
    });

    const errors = await db.pool.query(
      'SELECT stage, error_class, code, final FROM rm.job_errors ORDER BY occurred_at',
    );
    expect(errors.rows).toEqual([
      { stage: 'generation', error_class: 'TEMPORARY', code: '500', final: false },
      { stage: 'generation', error_class: 'USER_VIOLATION', code: '400', final: true },
      { stage: 'generation', error_class: 'TIMEOUT', code: 'timeout', final: true },
      { stage: 'delivery', error_class: 'TEMPORARY', code: 'delivery', final: false },
      { stage: 'delivery', error_class: 'BLOCKED', code: 'delivery', final: true },
    ]);
  });

  it('record every credit movement with the balance after it', async () => {
    const { rows } = await db.pool.query(
      `SELECT entry_no, kind, amount, balance_after, reserved_after FROM rm.credit_ledger
       WHERE user_id = $1 ORDER BY entry_no`,
      [sellers.anna],
    );
    expect(rows.map((r) => [r.entry_no, r.kind, r.amount, r.balance_after, r.reserved_after])).toEqual([
      [1, 'free_grant', 2, 2, 0],
      [2, 'reserve', -1, 1, 1],
      [3, 'capture', 0, 1, 0],
      [4, 'reserve', -1, 0, 1],
      [5, 'refund', 1, 1, 0],
      [6, 'referral_bonus', 1, 2, 0],
      [7, 'reserve', -1, 1, 1],
      [8, 'refund', 1, 2, 0],
    ]);
    // The ledger and rm.users agree on every balance.
    const disagreements = await db.pool.query(
      `SELECT u.user_id FROM rm.users u
       LEFT JOIN LATERAL (SELECT balance_after, reserved_after FROM rm.credit_ledger l
                          WHERE l.user_id = u.user_id ORDER BY entry_no DESC LIMIT 1) l ON true
       WHERE (coalesce(l.balance_after, 0), coalesce(l.reserved_after, 0)) <> (u.balance, u.reserved)`,
    );
    expect(disagreements.rows).toEqual([]);
  });

  it('follow a payment from receipt to refund', async () => {
    const { rows } = await db.pool.query('SELECT * FROM rm.payments');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      charge_id: scenario.chargeId,
      user_id: sellers.boris,
      stars: 250,
      credits: 5,
      package_id: 'p5',
      payload: 'p5',
      status: 'refunded',
      refunded_by: 900,
    });
    expect(rows[0].refund_requested_at).toBeInstanceOf(Date);
  });

  it('set aside an event no reader understands, once per projection, and go on', async () => {
    const { rows } = await db.pool.query(
      'SELECT projection, type FROM rm.skipped_events ORDER BY projection',
    );
    expect(rows).toEqual(
      projections
        .map((p) => ({ projection: p.name, type: 'CouponRedeemed' }))
        .sort((a, b) => a.projection.localeCompare(b.projection)),
    );
  });

  it('are rebuilt from zero into the very same rows', async () => {
    const incremental = await snapshotReadModels(db.pool);
    expect(incremental.users).toHaveLength(4);
    expect(incremental.credit_ledger).toHaveLength(15);

    // A transaction elsewhere in the cluster can hide the newest events from every reader for a moment; the
    // rebuild then stops there and the runners go on from its checkpoint, as they do here.
    const all = await rebuildProjections(db.pool, projections, { batchSize: 5 });
    expect(all.events).toBe(await eventsUpTo('projection:ledger'));
    await catchUp();
    expect(await snapshotReadModels(db.pool)).toEqual(incremental);

    const users = await rebuildProjections(
      db.pool,
      projections.filter((p) => p.name === 'users'),
    );
    expect(users.projections).toEqual(['users']);
    await catchUp();
    expect(await snapshotReadModels(db.pool)).toEqual(incremental);
    const scratch = await db.pool.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rm_rebuild%'");
    expect(scratch.rows).toEqual([]);
  });

  it('change nothing when batches are applied again', async () => {
    const before = await snapshotReadModels(db.pool);
    // As if every checkpoint had been lost: each event comes to each projection a second time.
    await db.pool.query("DELETE FROM es.checkpoints WHERE name LIKE 'projection:%'");
    await catchUp(11);
    expect(await snapshotReadModels(db.pool)).toEqual(before);
  });

  it('leave out a projection whose lock another session holds, and never move a checkpoint back', async () => {
    const checkpoints = async (): Promise<Record<string, bigint>> =>
      Object.fromEntries(
        (
          await db.pool.query(
            "SELECT name, global_position::text AS at FROM es.checkpoints WHERE name LIKE 'projection:%'",
          )
        ).rows.map((row) => [row.name, BigInt(row.at)]),
      );
    await catchUp();
    const users = checkpointName({ name: 'users' });
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PROJECTION_LOCK_CLASS, users]);
      const late = [7_700_001, 7_700_002, 7_700_003];
      for (const userId of late) {
        const registered = newEvent(
          'UserRegistered',
          { userId, chatId: userId, username: null, firstName: 'Late', language: 'en', referrerId: null },
          { correlationId: streamIds.user(userId) },
        );
        await store.append(streamIds.user(userId), [registered], { expectedVersion: 'no_stream' });
      }
      const lateUsers = async () =>
        (await db.pool.query('SELECT user_id FROM rm.users WHERE user_id = ANY($1)', [late])).rows.length;
      const runner = new ProjectionRunner(projections, { pool: db.pool, logger }, { batchSize: 500 });
      await waitFor('the other projections to read the new event', async () => {
        await runner.step();
        const at = await checkpoints();
        return Object.entries(at).every(([name, position]) => name === users || position > (at[users] ?? 0n));
      });
      const others = await checkpoints();
      expect(await lateUsers()).toBe(0);
      await holder.query('COMMIT');

      // The users projection now reads from its older checkpoint, one event at a time.
      const oneByOne = new ProjectionRunner(projections, { pool: db.pool, logger }, { batchSize: 1 });
      while ((await oneByOne.step()) > 0) {
        const at = await checkpoints();
        for (const [name, position] of Object.entries(others))
          expect(at[name]).toBeGreaterThanOrEqual(position);
      }
      const head = others[checkpointName({ name: 'jobs' })];
      expect(Object.values(await checkpoints())).toEqual(projections.map(() => head));
      expect(await lateUsers()).toBe(late.length);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      holder.release();
    }
  });

  it('keep going around a projection that fails on every batch', async () => {
    const broken: Projection = {
      name: 'broken',
      tables: [],
      apply: () => Promise.reject(new Error('a row this projection cannot write')),
    };
    const users = projections.find((p) => p.name === 'users') as Projection;
    const runner = new ProjectionRunner([broken, users], { pool: db.pool, logger }, { idlePollMs: 5 });
    const userId = 7_700_010;
    await store.append(
      streamIds.user(userId),
      [
        newEvent(
          'UserRegistered',
          { userId, chatId: userId, username: null, firstName: 'Later', language: 'en', referrerId: null },
          { correlationId: streamIds.user(userId) },
        ),
      ],
      { expectedVersion: 'no_stream' },
    );
    await expect(runner.step()).rejects.toThrow('a row this projection cannot write');
    runner.start();
    try {
      await waitFor('the users projection to get past the broken one', async () => {
        const { rows } = await db.pool.query('SELECT 1 FROM rm.users WHERE user_id = $1', [userId]);
        return rows.length === 1;
      });
    } finally {
      await runner.stop();
    }
    const { rows } = await db.pool.query("SELECT 1 FROM es.checkpoints WHERE name = 'projection:broken'");
    expect(rows).toEqual([]);
  });

  it('are rebuilt while two projector replicas keep up with new events', async () => {
    const runners = [1, 2].map(
      () => new ProjectionRunner(projections, { pool: db.pool, logger }, { batchSize: 3, idlePollMs: 5 }),
    );
    for (const runner of runners) runner.start();
    try {
      const [rebuilt] = await Promise.all([
        rebuildProjections(db.pool, projections, { batchSize: 4 }),
        laterWeeks(new ScenarioWriter(store)),
      ]);
      expect(rebuilt.events).toBeGreaterThan(0);
      await waitFor('every projection to catch up', async () =>
        (await projectionLags(db.pool, projections.map(checkpointName))).every((lag) => lag.events === 0),
      );
    } finally {
      await Promise.all(runners.map((runner) => runner.stop()));
    }
    const live = await snapshotReadModels(db.pool);
    expect(live.payments).toHaveLength(2);

    await rebuildProjections(db.pool, projections);
    await catchUp();
    expect(await snapshotReadModels(db.pool)).toEqual(live);
  });
});
