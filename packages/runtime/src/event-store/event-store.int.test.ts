import { randomUUID } from 'node:crypto';
import { type AnyNewEvent, newEvent } from '@neurocards/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { ExpectedVersionConflictError, PartialDuplicateAppendError } from './errors.js';
import { appendSql, EventStore, isAppendConflict, START_OF_ALL, type TailPosition } from './event-store.js';
import { migrate } from './migrations.js';
import { createPool, inTransaction } from './postgres.js';
import { eventStoreMigrations } from './schema.js';

let db: TestDatabase;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase('event_store', 20);
  await migrate(db.pool, [eventStoreMigrations]);
  store = new EventStore(db.pool);
});
afterAll(() => db.drop());

function granted(userId: number, amount = 1): AnyNewEvent {
  return newEvent(
    'CreditsGranted',
    { userId, adminId: 1, amount, reason: 'test' },
    { correlationId: `u${userId}` },
  );
}

describe('migrations', () => {
  it('apply once, even when run again and from two connections at once', async () => {
    const second = createPool({ connectionString: db.url });
    try {
      const results = await Promise.all([
        migrate(db.pool, [eventStoreMigrations]),
        migrate(second, [eventStoreMigrations]),
      ]);
      expect(results.map((r) => r['event-store'])).toEqual([[], []]);
      const { rows } = await db.pool.query(
        "SELECT count(*) AS n FROM nc_migrations WHERE component = 'event-store'",
      );
      expect(rows[0].n).toBe(eventStoreMigrations.migrations.length);
    } finally {
      await second.end();
    }
  });

  it('apply to a fresh database from two connections at once without error', async () => {
    const fresh = await createTestDatabase('migrate_race');
    const other = createPool({ connectionString: fresh.url });
    try {
      const results = await Promise.all([
        migrate(fresh.pool, [eventStoreMigrations]),
        migrate(other, [eventStoreMigrations]),
      ]);
      const applied = results.map((r) => r['event-store']?.length);
      expect(applied.sort()).toEqual([0, eventStoreMigrations.migrations.length]);
    } finally {
      await other.end();
      await fresh.drop();
    }
  });
});

describe('append', () => {
  it('creates a stream with no_stream and refuses a second no_stream append', async () => {
    const stream = `credits-${randomUUID()}`;
    const result = await store.append(stream, [granted(1), granted(1, 2)], { expectedVersion: 'no_stream' });
    expect(result).toMatchObject({ status: 'appended', streamVersion: 2 });
    await expect(store.append(stream, [granted(1)], { expectedVersion: 'no_stream' })).rejects.toMatchObject({
      code: 'EXPECTED_VERSION_CONFLICT',
      actual: 2,
    });
  });

  it('appends at an exact version and rejects a stale or a future one with a typed conflict', async () => {
    const stream = `credits-${randomUUID()}`;
    await store.append(stream, [granted(2)], { expectedVersion: 'no_stream' });
    await store.append(stream, [granted(2)], { expectedVersion: 1 });
    const stale = store.append(stream, [granted(2)], { expectedVersion: 1 });
    await expect(stale).rejects.toBeInstanceOf(ExpectedVersionConflictError);
    const future = store.append(stream, [granted(2)], { expectedVersion: 5 });
    await expect(future).rejects.toMatchObject({ expected: 5, actual: 2 });
    expect(await store.streamVersion(stream)).toBe(2);
  });

  it('appends at any version', async () => {
    const stream = `credits-${randomUUID()}`;
    await store.append(stream, [granted(3)], { expectedVersion: 'any' });
    const result = await store.append(stream, [granted(3)], { expectedVersion: 'any' });
    expect(result).toMatchObject({ status: 'appended', streamVersion: 2 });
  });

  it('reports re-appended event ids as already stored and writes nothing', async () => {
    const stream = `credits-${randomUUID()}`;
    const events = [granted(4), granted(4)];
    await store.append(stream, events, { expectedVersion: 'no_stream' });
    for (const expectedVersion of ['no_stream', 0, 2, 'any'] as const) {
      const again = await store.append(stream, events, { expectedVersion });
      expect(again).toEqual({ status: 'already_stored', streamVersion: 2 });
    }
    expect(await store.streamVersion(stream)).toBe(2);
  });

  it('refuses a batch mixing stored and new event ids', async () => {
    const stream = `credits-${randomUUID()}`;
    const first = granted(5);
    await store.append(stream, [first], { expectedVersion: 'no_stream' });
    await expect(
      store.append(stream, [first, granted(5)], { expectedVersion: 'any' }),
    ).rejects.toBeInstanceOf(PartialDuplicateAppendError);
  });

  it('appends inside a caller transaction, and a conflict leaves that transaction usable', async () => {
    const stream = `credits-${randomUUID()}`;
    await store.append(stream, [granted(6)], { expectedVersion: 'no_stream' });
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await expect(store.append(stream, [granted(6)], { expectedVersion: 0, client })).rejects.toBeInstanceOf(
        ExpectedVersionConflictError,
      );
      await store.append(stream, [granted(6)], { expectedVersion: 1, client });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await store.streamVersion(stream)).toBe(2);
  });

  it('a second writer at the same version, inside its transaction, gets a conflict and a usable transaction', async () => {
    const stream = `credits-${randomUUID()}`;
    await store.append(stream, [granted(8)], { expectedVersion: 'no_stream' });
    // One event (no savepoint) and a batch of two (in a savepoint) each lose to a writer that got there first.
    for (const batch of [[granted(8)], [granted(8), granted(8)]]) {
      const version = await store.streamVersion(stream);
      const [first, second] = [await db.pool.connect(), await db.pool.connect()];
      try {
        await first.query('BEGIN');
        await second.query('BEGIN');
        await store.append(stream, [granted(8)], { expectedVersion: version, client: first });
        // Waits on the first writer's row at version + 1 until it commits.
        const losing = store.append(stream, batch, { expectedVersion: version, client: second });
        await first.query('COMMIT');
        await expect(losing).rejects.toBeInstanceOf(ExpectedVersionConflictError);
        await store.append(stream, batch, { expectedVersion: version + 1, client: second });
        await second.query('COMMIT');
      } finally {
        first.release();
        second.release();
      }
      const events = await store.readStream(stream);
      expect(events.map((event) => event.streamVersion)).toEqual(events.map((_, i) => i + 1));
      expect(events.length).toBe(version + 1 + batch.length);
    }
  });

  it('reads a stream back typed and in order', async () => {
    const stream = `credits-${randomUUID()}`;
    await store.append(stream, [granted(7, 1), granted(7, 2), granted(7, 3)], {
      expectedVersion: 'no_stream',
    });
    const events = await store.readStream(stream);
    expect(events.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    expect(events.map((e) => (e.type === 'CreditsGranted' ? e.data.amount : 0))).toEqual([1, 2, 3]);
    expect((await store.readStream(stream, { fromVersion: 3 })).length).toBe(1);
  });

  it('with 16 concurrent writers on one stream: one winner per version, typed conflicts, whole batches', async () => {
    const stream = `credits-${randomUUID()}`;
    const writers = 16;
    const batchesPerWriter = 10;
    let conflicts = 0;
    const won = new Map<number, string>(); // first version of each batch -> writer

    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let batch = 0; batch < batchesPerWriter; ) {
          const version = await store.streamVersion(stream);
          const events = [granted(8, writer + 1), granted(8, writer + 1)];
          try {
            const result = await store.append(stream, events, { expectedVersion: version });
            if (result.status !== 'appended') throw new Error('unexpected duplicate');
            expect(won.has(version + 1)).toBe(false);
            won.set(version + 1, `w${writer}`);
            batch++;
          } catch (error) {
            if (!(error instanceof ExpectedVersionConflictError)) throw error;
            conflicts++;
          }
        }
      }),
    );

    const events = await store.readStream(stream);
    expect(events.map((e) => e.streamVersion)).toEqual(
      Array.from({ length: writers * batchesPerWriter * 2 }, (_, i) => i + 1),
    );
    // Each batch is whole: its two events are adjacent and written by the same writer.
    for (let i = 0; i < events.length; i += 2) {
      const [a, b] = [events[i], events[i + 1]];
      expect(
        a?.type === 'CreditsGranted' && b?.type === 'CreditsGranted' && a.data.amount === b.data.amount,
      ).toBe(true);
    }
    expect(won.size).toBe(writers * batchesPerWriter);
    expect(conflicts).toBeGreaterThan(0);
  });
});

describe('appends sent with other statements', () => {
  const note = (stream: string) =>
    `INSERT INTO notes (stream, note) VALUES (${pg.escapeLiteral(stream)}, 'written with the events')`;
  const notesOf = async (stream: string) =>
    (await db.pool.query('SELECT note FROM notes WHERE stream = $1', [stream])).rowCount;

  beforeAll(async () => {
    await db.pool.query('CREATE TABLE notes (stream text NOT NULL, note text NOT NULL)');
  });

  it('append and run what goes along in one transaction, as `append` would store the events', async () => {
    const stream = `credits-${randomUUID()}`;
    const quoted = newEvent(
      'CreditsGranted',
      { userId: 9, adminId: 1, amount: 2, reason: "it's a \\ back'slash and \u00e9" },
      { correlationId: "o'brien" },
    );
    const result = await store.appendWith(stream, [granted(9), quoted], {
      expectedVersion: 'no_stream',
      alongside: [note(stream)],
    });
    expect(result).toMatchObject({ status: 'appended', streamVersion: 2 });
    expect(result.status === 'appended' && result.globalPositions).toHaveLength(2);
    const events = await store.readStream(stream);
    expect(events.map((e) => e.streamVersion)).toEqual([1, 2]);
    expect(events[1]).toMatchObject({ eventId: quoted.eventId, correlationId: "o'brien", data: quoted.data });
    expect(await notesOf(stream)).toBe(1);
  });

  it('on a stale or a future version write nothing, and throw the typed conflict', async () => {
    const stream = `credits-${randomUUID()}`;
    await store.append(stream, [granted(10), granted(10)], { expectedVersion: 'no_stream' });
    for (const expectedVersion of [1, 3] as const) {
      await expect(
        store.appendWith(stream, [granted(10)], { expectedVersion, alongside: [note(stream)] }),
      ).rejects.toBeInstanceOf(ExpectedVersionConflictError);
    }
    expect((await store.readStream(stream)).length).toBe(2);
    expect(await notesOf(stream)).toBe(0);
  });

  it('report events stored already (a retry whose reply was lost), and still run what goes along', async () => {
    const stream = `credits-${randomUUID()}`;
    const events = [granted(11)];
    await store.append(stream, events, { expectedVersion: 'no_stream' });
    const again = await store.appendWith(stream, events, {
      expectedVersion: 'no_stream',
      alongside: [note(stream)],
    });
    expect(again.status).toBe('already_stored');
    expect(await notesOf(stream)).toBe(1);
  });

  it('fail with a COMMIT, rolling back the transaction, when another writer took the version first', async () => {
    const stream = `credits-${randomUUID()}`;
    await store.append(stream, [granted(12)], { expectedVersion: 'no_stream' });
    const failure = await inTransaction(db.pool, async (client, tx) => {
      await client.query(note(stream));
      tx.beforeCommit(appendSql(stream, [granted(12, 5)], 1));
      // Another writer commits version 2 while this transaction is open.
      await store.append(stream, [granted(12, 7)], { expectedVersion: 1 });
    }).catch((error: unknown) => error);
    expect(isAppendConflict(failure)).toBe(true);
    const events = await store.readStream(stream);
    expect(events.map((e) => (e.type === 'CreditsGranted' ? e.data.amount : 0))).toEqual([1, 7]);
    expect(await notesOf(stream)).toBe(0);
    // A stream that is not where the transaction thought it was fails the same way.
    const behind = await inTransaction(db.pool, async (_client, tx) => {
      tx.beforeCommit(appendSql(stream, [granted(12, 9)], 5));
    }).catch((error: unknown) => error);
    expect(isAppendConflict(behind)).toBe(true);
    expect(isAppendConflict(new Error('stream x is at version 1'))).toBe(false);
  });
});

describe('tailing all events', () => {
  async function drain(from: TailPosition): Promise<{ ids: string[]; position: TailPosition }> {
    const ids: string[] = [];
    let position = from;
    for (;;) {
      const batch = await store.readAll(position, 100);
      if (batch.length === 0) return { ids, position };
      ids.push(...batch.map((r) => r.eventId));
      position = batch.at(-1)?.position ?? position;
    }
  }

  async function openWriter(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('BEGIN');
    return client;
  }

  it('reads positions in numeric order where their number of digits changes (9 → 10, 99 → 100, …)', async () => {
    const start = (await drain(START_OF_ALL)).position;
    const { rows } = await db.pool.query(
      'SELECT coalesce(max(global_position), 0)::int AS max FROM es.events',
    );
    const next = 10 ** String(rows[0].max + 1).length;
    // One transaction whose positions cross the next power of ten, read in small batches.
    const events = Array.from({ length: next - rows[0].max + 5 }, () => granted(7));
    await store.append(`credits-${randomUUID()}`, events, { expectedVersion: 'no_stream' });
    const ids: string[] = [];
    let position = start;
    for (
      let batch = await store.readAll(position, 7);
      batch.length > 0;
      batch = await store.readAll(position, 7)
    ) {
      ids.push(...batch.map((r) => r.eventId));
      position = batch.at(-1)?.position ?? position;
    }
    expect(ids).toEqual(events.map((e) => e.eventId));
  });

  it('never skips a transaction that started first and committed last, and never reads an event twice', async () => {
    const start = (await drain(START_OF_ALL)).position;
    const early = await openWriter();
    const late = await openWriter();
    try {
      // The early transaction takes its xid and a lower position, then stalls.
      const earlyEvent = granted(9);
      await store.append(`credits-${randomUUID()}`, [earlyEvent], {
        expectedVersion: 'no_stream',
        client: early as unknown as pg.PoolClient,
      });
      // A later transaction writes and commits while the early one is still open.
      const lateEvent = granted(9);
      await store.append(`credits-${randomUUID()}`, [lateEvent], {
        expectedVersion: 'no_stream',
        client: late as unknown as pg.PoolClient,
      });
      await late.query('COMMIT');
      // An autocommitted append after both, too.
      const afterEvent = granted(9);
      await store.append(`credits-${randomUUID()}`, [afterEvent], { expectedVersion: 'no_stream' });

      const whileOpen = await drain(start);
      expect(whileOpen.ids).toEqual([]); // a position-only reader would have returned lateEvent and moved past early

      await early.query('COMMIT');
      const afterCommit = await drain(whileOpen.position);
      expect(afterCommit.ids).toEqual([earlyEvent.eventId, lateEvent.eventId, afterEvent.eventId]);
      expect((await drain(afterCommit.position)).ids).toEqual([]);
    } finally {
      await early.end();
      await late.end();
    }
  });

  it('a later-started transaction that took a lower position commits first: order by xid keeps both', async () => {
    const start = (await drain(START_OF_ALL)).position;
    const first = await openWriter();
    const second = await openWriter();
    try {
      // `first` takes its xid before `second`, but inserts after it, so its global position is higher.
      await first.query('SELECT pg_current_xact_id()');
      await second.query('SELECT pg_current_xact_id()');
      const secondEvent = granted(10);
      await store.append(`credits-${randomUUID()}`, [secondEvent], {
        expectedVersion: 'no_stream',
        client: second as unknown as pg.PoolClient,
      });
      const firstEvent = granted(10);
      await store.append(`credits-${randomUUID()}`, [firstEvent], {
        expectedVersion: 'no_stream',
        client: first as unknown as pg.PoolClient,
      });
      await second.query('COMMIT');
      expect((await drain(start)).ids).toEqual([]);
      await first.query('COMMIT');
      const { ids } = await drain(start);
      expect(ids).toEqual([firstEvent.eventId, secondEvent.eventId]);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await first.end();
      await second.end();
    }
  });

  it('an idle-in-transaction session does not stall readers forever: the timeout ends it', async () => {
    const start = (await drain(START_OF_ALL)).position;
    const stuck = new pg.Client({ connectionString: db.url, idle_in_transaction_session_timeout: 1000 });
    stuck.on('error', () => {}); // the server ends this session; that is the point
    await stuck.connect();
    await stuck.query('BEGIN');
    const lost = granted(11);
    await store.append(`credits-${randomUUID()}`, [lost], {
      expectedVersion: 'no_stream',
      client: stuck as unknown as pg.PoolClient,
    });
    const committed = granted(11);
    await store.append(`credits-${randomUUID()}`, [committed], { expectedVersion: 'no_stream' });

    expect((await drain(start)).ids).toEqual([]); // stalled behind the open transaction
    const began = Date.now();
    let seen: string[] = [];
    while (Date.now() - began < 15_000) {
      seen = (await drain(start)).ids;
      if (seen.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen).toEqual([committed.eventId]); // the stuck transaction was rolled back, the reader moved on
    await stuck.end().catch(() => {});
  });

  it('inTransaction survives the server ending its session, and the pool goes on with a fresh connection', async () => {
    const pool = createPool({ connectionString: db.url, max: 1, idleInTransactionTimeoutMs: 300 });
    try {
      // Idle inside the transaction past the timeout: the server ends the session, pg emits 'error' on the
      // client (which would crash the process unheard), and the next query fails.
      const outcome = inTransaction(pool, async (client) => {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return client.query('SELECT 1');
      });
      await expect(outcome).rejects.toThrow();
      const { rows } = await pool.query('SELECT 42 AS answer');
      expect(rows).toEqual([{ answer: 42 }]);
    } finally {
      await pool.end();
    }
  });
});
