import { randomUUID } from 'node:crypto';
import { eventStoreMigrations, migrate, StatementBatches } from '@neurocards/runtime/event-store';
import { createTestDatabase, type TestDatabase } from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryMigrations } from '../migrations.js';
import { VideoClaims } from './video-claims.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('delivery_claims');
  await migrate(db.pool, [eventStoreMigrations, deliveryMigrations]);
});
afterAll(async () => {
  await db?.drop();
});

describe('VideoClaims', () => {
  it('lets one message send a job, and the next once the first gave it back', async () => {
    const claims = new VideoClaims(db.pool, new StatementBatches(db.pool));
    const jobId = randomUUID();
    const first = await claims.take(jobId, 'delivery--VideoReady:10');
    expect(first).toBeDefined();
    expect(await claims.take(jobId, 'delivery--VideoReady:11')).toBeUndefined();
    await first?.claim.release();
    const second = await claims.take(jobId, 'delivery--VideoReady:11');
    expect(second).toBeDefined();
    await second?.claim.release();
  });

  it('is given back by the statements it is handed to, only when they succeed', async () => {
    const claims = new VideoClaims(db.pool, new StatementBatches(db.pool));
    const jobId = randomUUID();
    const taken = await claims.take(jobId, `delivery--VideoReady:30'`);
    if (!taken) throw new Error('no claim');
    // The outcome's statements fail: the claim stays held, and is still released the usual way.
    const failing = taken.claim.givenBackBy((sql) => db.pool.query(`SELECT 1/0; ${sql}`));
    await expect(failing).rejects.toThrow(/division by zero/);
    expect(await claims.take(jobId, 'delivery--VideoReady:31')).toBeUndefined();

    await taken.claim.givenBackBy((sql) => db.pool.query(`SELECT 1; ${sql}`));
    const next = await claims.take(jobId, 'delivery--VideoReady:31');
    expect(next).toBeDefined();
    await taken.claim.release(); // given back already: does not touch the next holder's claim
    expect(await claims.take(jobId, 'delivery--VideoReady:32')).toBeUndefined();
    await next?.claim.release();
  });

  it('gives a redelivered message back the claim its failed try could not release', async () => {
    const claims = new VideoClaims(db.pool, new StatementBatches(db.pool));
    const jobId = randomUUID();
    // The first try took the claim, failed, and could not give it back (the database was down).
    expect(await claims.take(jobId, 'delivery--VideoReady:20')).toBeDefined();
    // The same message, redelivered, goes on; a copy of the event does not.
    const again = await claims.take(jobId, 'delivery--VideoReady:20');
    expect(again).toBeDefined();
    expect(await claims.take(jobId, 'delivery--VideoReady:21')).toBeUndefined();
    await again?.claim.release();
  });

  it('runs the reads given with the claim in its round trip, and quotes what the owner name holds', async () => {
    const claims = new VideoClaims(db.pool, new StatementBatches(db.pool));
    const jobId = randomUUID();
    const owner = `delivery--VideoReady:40'; DELETE FROM delivery.video_claims; --`;
    const taken = await claims.take(jobId, owner, [
      `SELECT owner FROM delivery.video_claims WHERE job_id = '${jobId}'`,
      'SELECT 2 AS two',
    ]);

    expect(taken?.reads.map((read) => read.rows)).toEqual([[{ owner }], [{ two: 2 }]]);
    expect(await claims.take(jobId, 'delivery--VideoReady:41', ['SELECT 1'])).toBeUndefined();
    await taken?.claim.release();
    expect(
      (await db.pool.query('SELECT count(*)::int AS n FROM delivery.video_claims WHERE job_id = $1', [jobId]))
        .rows[0].n,
    ).toBe(0);
  });

  it('lets a claim lapse when its holder stops renewing it', async () => {
    const jobId = randomUUID();
    const dead = new VideoClaims(db.pool, new StatementBatches(db.pool), 300);
    const held = await dead.take(jobId, 'delivery--VideoReady:30');
    await held?.claim.release(); // stops the renewal…
    await db.pool.query(
      `INSERT INTO delivery.video_claims VALUES ($1, 'delivery--VideoReady:30', clock_timestamp() + interval '300 milliseconds')`,
      [jobId],
    ); // …and the row stays behind, as a killed process leaves it
    const claims = new VideoClaims(db.pool, new StatementBatches(db.pool));
    expect(await claims.take(jobId, 'delivery--VideoReady:31')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const taken = await claims.take(jobId, 'delivery--VideoReady:31');
    expect(taken).toBeDefined();
    await taken?.claim.release();
  });
});
