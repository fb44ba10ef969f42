import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../event-store/migrations.js';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { handleOnce, InboxBatcher, type InboxEffect, inboxMigration } from './inbox.js';

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

describe('InboxBatcher', () => {
  /** A batcher with one batch at a time whose first unit holds its batch open until `open()`. */
  function heldBatcher() {
    const batcher = new InboxBatcher(db.pool, 'probe', { maxInFlight: 1 });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const holder = batcher.handle({
      consumer: 'held--CreditsGranted',
      eventId: randomUUID(),
      effect: () => gate,
    });
    return { batcher, holder, open };
  }

  const noting =
    (note: string): InboxEffect<string> =>
    async (client, tx) => {
      const { rows } = await client.query<{ txid: string }>('SELECT txid_current()::text AS txid');
      tx.beforeCommit(`INSERT INTO probe.effects (note) VALUES ('${note}')`);
      return `${note} in ${rows[0]?.txid} with ${tx.prefetched.map((r) => JSON.stringify(r.rows)).join()}`;
    };

  it('handles events that come while a batch runs in one transaction, each with its own reads, once', async () => {
    const { batcher, holder, open } = heldBatcher();
    const consumer = 'batch--CreditsGranted';
    const repeated = randomUUID();
    const outcomes = Promise.all([
      batcher.handle({ consumer, eventId: randomUUID(), prefetch: ['SELECT 1 AS n'], effect: noting('b1') }),
      batcher.handle({ consumer, eventId: repeated, prefetch: ['SELECT 2 AS n'], effect: noting('b2') }),
      batcher.handle({ consumer, eventId: randomUUID(), effect: noting('b3') }),
    ]);
    open();
    await holder;
    const [one, two, three] = await outcomes;

    const txids = [one, two, three].map((o) => (o.duplicate ? '' : /in (\d+)/.exec(o.result)?.[1]));
    expect(new Set(txids).size).toBe(1);
    expect(one).toMatchObject({
      duplicate: false,
      result: expect.stringMatching(/^b1 in \d+ with \[\{"n":1\}\]$/),
    });
    expect(two).toMatchObject({ duplicate: false, result: expect.stringMatching(/with \[\{"n":2\}\]$/) });
    expect(await effects()).toEqual(expect.arrayContaining(['b1', 'b2', 'b3']));
    // The record was stored with the batch: the event again is a duplicate.
    expect(await batcher.handle({ consumer, eventId: repeated, effect: noting('b2 again') })).toEqual({
      duplicate: true,
    });
    expect(await effects()).not.toContain('b2 again');
  });

  it('runs the units of a failed batch again alone, so only the failing one fails and leaves no trace', async () => {
    const { batcher, holder, open } = heldBatcher();
    const consumer = 'spoilt--CreditsGranted';
    const thrower = randomUUID();
    const outcomes = Promise.allSettled([
      batcher.handle({ consumer, eventId: randomUUID(), effect: noting('c1') }),
      batcher.handle({
        consumer,
        eventId: thrower,
        effect: async (client) => {
          await client.query(`INSERT INTO probe.effects (note) VALUES ('c2 undone')`);
          throw new Error('c2 failed');
        },
      }),
      batcher.handle({
        consumer,
        eventId: randomUUID(),
        effect: async (_client, tx) => tx.beforeCommit('INSERT INTO probe.no_such_table VALUES (1)'),
      }),
      batcher.handle({ consumer, eventId: randomUUID(), effect: noting('c4') }),
    ]);
    open();
    await holder;
    const [c1, c2, c3, c4] = await outcomes;

    expect(c1).toMatchObject({ status: 'fulfilled', value: { duplicate: false } });
    expect(c2).toMatchObject({ status: 'rejected', reason: new Error('c2 failed') });
    expect(c3).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ code: '42P01' }) });
    expect(c4).toMatchObject({ status: 'fulfilled', value: { duplicate: false } });
    const notes = await effects();
    expect(notes).toEqual(expect.arrayContaining(['c1', 'c4']));
    expect(notes).not.toContain('c2 undone');
    const { rows } = await db.pool.query('SELECT 1 FROM probe.inbox WHERE event_id = $1', [thrower]);
    expect(rows).toHaveLength(0);
  });

  it('never puts two units of one key in one transaction', async () => {
    const { batcher, holder, open } = heldBatcher();
    const consumer = 'keyed--CreditsGranted';
    const unit = (note: string, key: string) =>
      batcher.handle({ consumer, eventId: randomUUID(), key, effect: noting(note) });
    const outcomes = Promise.all([unit('k1', 'credits-1'), unit('k2', 'credits-1'), unit('k3', 'credits-2')]);
    open();
    await holder;
    const txids = (await outcomes).map((o) => (o.duplicate ? '' : /in (\d+)/.exec(o.result)?.[1]));

    expect(txids[0]).toBe(txids[2]);
    expect(txids[1]).not.toBe(txids[0]);
  });
});
