import { randomUUID } from 'node:crypto';
import { type AnyNewEvent, newEvent } from '@neurocards/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { StatementBatches } from './batches.js';
import { ExpectedVersionConflictError } from './errors.js';
import { EventStore } from './event-store.js';
import { migrate } from './migrations.js';
import { eventStoreMigrations } from './schema.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('statement_batches', 4);
  await migrate(db.pool, [
    eventStoreMigrations,
    {
      component: 'probe',
      migrations: [
        {
          version: 1,
          name: 'notes',
          sql: 'CREATE SCHEMA probe; CREATE TABLE probe.notes (note text PRIMARY KEY)',
        },
      ],
    },
  ]);
});
afterAll(() => db.drop());

const { escapeLiteral: q } = pg;
const insertNote = (note: string) => `INSERT INTO probe.notes VALUES (${q(note)}) RETURNING note`;
const txid = 'SELECT txid_current()::text AS txid';
const notes = async () =>
  (await db.pool.query<{ note: string }>('SELECT note FROM probe.notes')).rows.map((row) => row.note);

describe('StatementBatches', () => {
  it('sends the calls made while one is on its way together, each with its own results', async () => {
    const batches = new StatementBatches(db.pool);
    const tag = randomUUID();
    const calls = ['a', 'b', 'c', 'd'].map((name) => batches.run([insertNote(`${tag} ${name}`), txid]));
    const results = await Promise.all(calls);

    expect(results.map(([inserted]) => inserted?.rows)).toEqual(
      ['a', 'b', 'c', 'd'].map((name) => [{ note: `${tag} ${name}` }]),
    );
    const txids = results.map(([, id]) => id?.rows[0].txid);
    // The first went alone, at once; the three made while it was on its way shared one transaction.
    expect(new Set(txids.slice(1)).size).toBe(1);
    expect(txids[0]).not.toBe(txids[1]);
  });

  it('runs the calls of a failed batch again alone: only the failing call fails, and all of it is undone', async () => {
    const batches = new StatementBatches(db.pool);
    const tag = randomUUID();
    await db.pool.query(insertNote(`${tag} taken`));
    const outcomes = await Promise.allSettled([
      batches.run([insertNote(`${tag} first`)]),
      batches.run([insertNote(`${tag} fine`)]),
      batches.run([insertNote(`${tag} undone`), insertNote(`${tag} taken`)]),
      batches.run([insertNote(`${tag} also fine`)]),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes[2]).toMatchObject({ reason: expect.objectContaining({ code: '23505' }) });
    const stored = await notes();
    expect(stored).toEqual(
      expect.arrayContaining([`${tag} first`, `${tag} fine`, `${tag} also fine`, `${tag} taken`]),
    );
    expect(stored).not.toContain(`${tag} undone`);
  });

  it('carries the appends of an event store, where a conflict fails only its own append', async () => {
    const store = new EventStore(db.pool, new StatementBatches(db.pool));
    const granted = (userId: number): AnyNewEvent =>
      newEvent('CreditsGranted', { userId, adminId: 1, amount: 1, reason: 'test' }, { correlationId: 'c' });
    const streams = [1, 2, 3, 4].map(() => `credits-${randomUUID()}`);
    for (const stream of streams) await store.append(stream, [granted(1)], { expectedVersion: 'no_stream' });

    const outcomes = await Promise.allSettled(
      streams.map((stream, i) =>
        store.appendWith(stream, [granted(2)], {
          // The third is behind: its stream is at version 1, not 0.
          expectedVersion: i === 2 ? 0 : 1,
          alongside: [insertNote(`${stream} moved`)],
        }),
      ),
    );

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes[2]).toMatchObject({ reason: expect.any(ExpectedVersionConflictError) });
    const versions = await Promise.all(streams.map((stream) => store.streamVersion(stream)));
    expect(versions).toEqual([2, 2, 1, 2]);
    expect(await notes()).not.toContain(`${streams[2]} moved`);
  });
});
