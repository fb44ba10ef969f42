import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../event-store/migrations.js';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { handleOnce, inboxMigration } from './inbox.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('inbox', 4);
  await migrate(db.pool, [
    {
      component: 'probe',
      migrations: [
        inboxMigration('probe'),
        { version: 2, name: 'effects', sql: 'CREATE TABLE probe.effects (note text NOT NULL)' },
      ],
    },
  ]);
});

afterAll(async () => {
  await db?.drop();
});

const effects = async () =>
  (await db.pool.query<{ note: string }>('SELECT note FROM probe.effects ORDER BY note')).rows.map(
    (row) => row.note,
  );

describe('handleOnce', () => {
  it('runs the effect once per consumer and event, and tells the second caller it is a duplicate', async () => {
    const eventId = randomUUID();
    const run = (consumer: string, note: string) =>
      handleOnce(db.pool, { schema: 'probe', consumer, eventId }, async (client) => {
        await client.query('INSERT INTO probe.effects (note) VALUES ($1)', [note]);
        return note;
      });

    expect(await run('a--CreditsGranted', 'first')).toEqual({ duplicate: false, result: 'first' });
    expect(await run('a--CreditsGranted', 'again')).toEqual({ duplicate: true });
    // Another consumer of the same event has its own record.
    expect(await run('b--CreditsGranted', 'other consumer')).toEqual({
      duplicate: false,
      result: 'other consumer',
    });
    expect(await effects()).toEqual(expect.arrayContaining(['first', 'other consumer']));
    expect(await effects()).not.toContain('again');
  });

  it('keeps no record when the effect fails, so the redelivery runs it', async () => {
    const eventId = randomUUID();
    const inbox = { schema: 'probe', consumer: 'c--CreditsGranted', eventId };
    await expect(
      handleOnce(db.pool, inbox, async (client) => {
        await client.query(`INSERT INTO probe.effects (note) VALUES ('rolled back')`);
        throw new Error('effect failed');
      }),
    ).rejects.toThrow('effect failed');
    const retried = await handleOnce(db.pool, inbox, async (client) => {
      await client.query(`INSERT INTO probe.effects (note) VALUES ('retried')`);
      return 'retried';
    });

    expect(retried).toEqual({ duplicate: false, result: 'retried' });
    expect(await effects()).toContain('retried');
    expect(await effects()).not.toContain('rolled back');
  });

  it('hands the effect what `prefetch` read in the opening round trip, and runs `beforeCommit` statements only with a commit', async () => {
    await db.pool.query(`INSERT INTO probe.effects (note) VALUES ('prefetched row')`);
    const inbox = { schema: 'probe', consumer: 'd--CreditsGranted', eventId: randomUUID() };
    const prefetch = [`SELECT note FROM probe.effects WHERE note = 'prefetched row'`, 'SELECT 42 AS answer'];

    const failed = handleOnce(
      db.pool,
      inbox,
      async (_client, tx) => {
        tx.beforeCommit(`INSERT INTO probe.effects (note) VALUES ('left for a commit that never came')`);
        throw new Error('effect failed');
      },
      { prefetch },
    );
    await expect(failed).rejects.toThrow('effect failed');
    // A statement left for the commit that fails takes the effect and the inbox record down with it.
    const badClosing = handleOnce(db.pool, inbox, async (client, tx) => {
      await client.query(`INSERT INTO probe.effects (note) VALUES ('undone by its closing statement')`);
      tx.beforeCommit('INSERT INTO probe.no_such_table VALUES (1)');
    });
    await expect(badClosing).rejects.toThrow(/no_such_table/);
    const done = await handleOnce(
      db.pool,
      inbox,
      async (_client, tx) => {
        tx.beforeCommit(`INSERT INTO probe.effects (note) VALUES ('with the commit')`);
        return tx.prefetched.map((result) => result.rows);
      },
      { prefetch },
    );

    expect(done).toEqual({ duplicate: false, result: [[{ note: 'prefetched row' }], [{ answer: 42 }]] });
    const notes = await effects();
    expect(notes).toContain('with the commit');
    expect(notes).not.toContain('left for a commit that never came');
    expect(notes).not.toContain('undone by its closing statement');
  });

  it('stores a consumer name with quotes as written, and refuses an event id that is not a uuid', async () => {
    const consumer = `o'brien--"quoted"; DROP TABLE probe.effects; --`;
    const eventId = randomUUID();
    await handleOnce(db.pool, { schema: 'probe', consumer, eventId }, async () => undefined);
    const { rows } = await db.pool.query('SELECT consumer FROM probe.inbox WHERE event_id = $1', [eventId]);

    expect(rows).toEqual([{ consumer }]);
    await expect(
      handleOnce(db.pool, { schema: 'probe', consumer, eventId: `x'); DELETE FROM probe.inbox; --` }, () =>
        Promise.resolve(),
      ),
    ).rejects.toThrow(/uuid/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM probe.inbox')).rows[0].n).toBeGreaterThan(0);
  });
});
