import { type AnyNewEvent, type DomainEvent, parseStoredEvent } from '@neurocards/contracts';
import pg, { type Pool, type PoolClient } from 'pg';
import type { StatementBatches } from './batches.js';
import {
  type ExpectedVersion,
  ExpectedVersionConflictError,
  isExpectedVersionConflict,
  PartialDuplicateAppendError,
} from './errors.js';
import { isUniqueViolation, simpleQueries } from './postgres.js';
import { VERSION_MISMATCH } from './schema.js';

/** A place in the global order: readers checkpoint this pair, never the position alone. */
export interface TailPosition {
  transactionId: bigint;
  globalPosition: bigint;
}

export const START_OF_ALL: TailPosition = { transactionId: 0n, globalPosition: 0n };

/** A stored event as the relay needs it: the envelope already serialised, plus its place in the order. */
export interface StoredEventRecord {
  eventId: string;
  type: string;
  streamId: string;
  position: TailPosition;
  recordedAt: Date;
  /** The envelope (DESIGN §3) as JSON text. */
  json: string;
}

export type AppendResult =
  | { status: 'appended'; streamVersion: number; globalPositions: bigint[] }
  | { status: 'already_stored'; streamVersion: number };

export interface AppendOptions {
  expectedVersion: ExpectedVersion;
  /** Append inside the caller's transaction (e.g. with an inbox record); the caller commits. */
  client?: PoolClient;
}

type Queryable = Pick<PoolClient, 'query'>;

// One statement per append: the unique (stream_id, stream_version) key detects concurrent writers, and the
// EXISTS guard makes "exact version N" fail when the stream has not reached N yet. $2 is the expected
// version, or -1 for "any" (then the next version is read in the same statement).
const BASE_VERSION = `(SELECT CASE WHEN $2::int >= 0 THEN $2::int
    ELSE (SELECT coalesce(max(stream_version), 0) FROM es.events WHERE stream_id = $1) END AS version) base`;
const VERSION_GUARD = `$2::int <= 0 OR EXISTS (SELECT 1 FROM es.events WHERE stream_id = $1 AND stream_version = $2::int)`;
const COLUMNS = `stream_id, stream_version, event_id, type, schema_version, data, correlation_id, causation_id, occurred_at`;

// Most appends carry one event; a statement without unnest is markedly cheaper for them.
const APPEND_ONE_SQL = `
  INSERT INTO es.events (${COLUMNS})
  SELECT $1, base.version + 1, $3::uuid, $4::text, $5::int, $6::jsonb, $7::text, $8::text, $9::timestamptz
  FROM ${BASE_VERSION}
  WHERE ${VERSION_GUARD}
  ON CONFLICT DO NOTHING
  RETURNING global_position::text, stream_version`;

const APPEND_MANY_SQL = `
  INSERT INTO es.events (${COLUMNS})
  SELECT $1, base.version + e.ord, e.event_id, e.type, e.schema_version, e.data,
         e.correlation_id, e.causation_id, e.occurred_at
  FROM ${BASE_VERSION},
       unnest($3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::text[], $8::text[], $9::timestamptz[])
         WITH ORDINALITY AS e(event_id, type, schema_version, data, correlation_id, causation_id, occurred_at, ord)
  WHERE ${VERSION_GUARD}
  RETURNING global_position::text, stream_version`;

const ANY_VERSION = -1;
const ANY_RETRIES = 10;

interface EventRow {
  event_id: string;
  type: string;
  schema_version: number;
  stream_id: string;
  stream_version: number;
  transaction_id: string;
  global_position: string;
  occurred_ms: number;
  recorded_ms: number;
  correlation_id: string;
  causation_id: string | null;
  data: string;
}

/**
 * The columns of es.events that `toEvents` reads, for a statement that reads events joined with other
 * tables. They come back as text and numbers and the envelope is assembled here: building JSON with
 * json_build_object and to_char costs PostgreSQL several times more than this.
 */
export const EVENT_COLUMNS = `event_id, type, schema_version, stream_id, stream_version,
  transaction_id::text, global_position::text,
  (extract(epoch FROM occurred_at) * 1000)::float8 AS occurred_ms,
  (extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_ms,
  correlation_id, causation_id, data::text AS data`;

/** The envelope of DESIGN §3 as JSON text, with `data` spliced in as stored. */
function envelopeJson(row: EventRow): string {
  const causation = row.causation_id === null ? 'null' : JSON.stringify(row.causation_id);
  return (
    `{"eventId":"${row.event_id}","type":${JSON.stringify(row.type)},"schemaVersion":${row.schema_version},` +
    `"streamId":${JSON.stringify(row.stream_id)},"streamVersion":${row.stream_version},` +
    `"occurredAt":"${new Date(row.occurred_ms).toISOString()}","correlationId":${JSON.stringify(row.correlation_id)},` +
    `"causationId":${causation},"data":${row.data}}`
  );
}

/**
 * Reads the global log after a checkpoint on any connection (the relay holds its own). The ORDER BY names
 * the table's columns: bare names would sort by the text columns of the same name in the select list.
 */
export async function readAllAfter(
  db: Queryable,
  after: TailPosition,
  limit: number,
): Promise<StoredEventRecord[]> {
  const { rows } = await db.query<EventRow>({
    name: 'nc_read_all',
    text: `SELECT ${EVENT_COLUMNS} FROM es.events
       WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         AND (transaction_id, global_position) > ($1::xid8, $2::bigint)
       ORDER BY es.events.transaction_id, es.events.global_position
       LIMIT $3`,
    values: [after.transactionId.toString(), after.globalPosition.toString(), limit],
  });
  return rows.map(toStoredRecord);
}

/** `EventStore.readStream` as plain SQL with its value inlined, for sending with other statements; see `toEvents`. */
export function readStreamSql(streamId: string): string {
  return `SELECT ${EVENT_COLUMNS} FROM es.events
    WHERE stream_id = ${pg.escapeLiteral(streamId)} ORDER BY stream_version`;
}

/**
 * An append at an exact version as plain SQL with its values inlined, for sending in one round trip with
 * other statements: a transaction's COMMIT (`Transaction.beforeCommit`), a write-back (`appendWith`). Where
 * `append` reports a conflict, this fails, and everything sent with it: `es.expect_version` raises when the
 * stream is not at `expectedVersion`, and the (stream, version) key when another writer gets there between
 * that check and the insert. `isAppendConflict` recognises both.
 */
export function appendSql(
  streamId: string,
  events: readonly AnyNewEvent[],
  expectedVersion: number | 'no_stream',
): string {
  return appendStatements(streamId, events, expectedVersion).join('; ');
}

/** `appendSql` as its two statements: the version check, then the INSERT returning the positions. */
export function appendStatements(
  streamId: string,
  events: readonly AnyNewEvent[],
  expectedVersion: number | 'no_stream',
): [string, string] {
  const base = expectedVersion === 'no_stream' ? 0 : expectedVersion;
  if (!Number.isInteger(base) || base < 0) throw new Error(`bad expected version ${expectedVersion}`);
  if (events.length === 0) throw new Error('append needs at least one event');
  const { escapeLiteral: q } = pg;
  const stream = q(streamId);
  const rows = events.map(
    (e, i) =>
      `(${stream}, ${base + i + 1}, ${q(e.eventId)}::uuid, ${q(e.type)}, ${Number(e.schemaVersion)}, ` +
      `${q(JSON.stringify(e.data))}::jsonb, ${q(e.correlationId)}, ` +
      `${e.causationId === null ? 'NULL' : q(e.causationId)}, ${q(e.occurredAt)}::timestamptz)`,
  );
  return [
    `SELECT es.expect_version(${stream}, ${base})`,
    `INSERT INTO es.events (${COLUMNS}) VALUES ${rows.join(', ')} RETURNING global_position::text, stream_version`,
  ];
}

/** The failure of an `appendSql` statement: the stream moved, or the events are stored already. */
export function isAppendConflict(error: unknown): error is pg.DatabaseError {
  if (!(error instanceof pg.DatabaseError)) return false;
  return error.code === VERSION_MISMATCH || (isUniqueViolation(error) && error.table === 'events');
}

/** The rows of a `readStreamSql` statement (or any with `EVENT_COLUMNS`) as parsed, typed events. */
export function toEvents(result: { rows: readonly unknown[] }): DomainEvent[] {
  return (result.rows as EventRow[]).map((row) =>
    parseStoredEvent({
      eventId: row.event_id,
      type: row.type,
      schemaVersion: row.schema_version,
      streamId: row.stream_id,
      streamVersion: row.stream_version,
      occurredAt: new Date(row.occurred_ms).toISOString(),
      correlationId: row.correlation_id,
      causationId: row.causation_id,
      data: JSON.parse(row.data),
    }),
  );
}

function toStoredRecord(row: EventRow): StoredEventRecord {
  return {
    eventId: row.event_id,
    type: row.type,
    streamId: row.stream_id,
    position: { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) },
    recordedAt: new Date(row.recorded_ms),
    json: envelopeJson(row),
  };
}

/** The PostgreSQL event store: append with an expected version, read a stream, tail everything in commit order. */
export class EventStore {
  /**
   * `statements`, when given, carries `appendWith`'s round trips, so that appends made at the same time by
   * concurrent callers share them (see `StatementBatches`).
   */
  constructor(
    private readonly pool: Pool,
    private readonly statements?: StatementBatches,
  ) {}

  /**
   * Appends events to one stream atomically. Re-appending events whose ids are all stored already is a
   * no-op reported as `already_stored`, so a retried command is harmless.
   * @throws ExpectedVersionConflictError when the stream is not at the expected version.
   */
  async append(
    streamId: string,
    events: readonly AnyNewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    if (options.expectedVersion !== 'any') return this.appendOnce(streamId, events, options);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.appendOnce(streamId, events, options);
      } catch (error) {
        if (!isExpectedVersionConflict(error) || attempt >= ANY_RETRIES) throw error;
      }
    }
  }

  /**
   * Appends at an exact version and runs `alongside` (plain SQL, values quoted, one statement per string) in
   * the same round trip and transaction: a write-back that must happen only with the events. When that fails on a conflict, the
   * append is made again on its own to tell a retry whose events are stored already (`already_stored`,
   * then `alongside` runs) from a real conflict (thrown, and `alongside` does not run).
   */
  async appendWith(
    streamId: string,
    events: readonly AnyNewEvent[],
    options: { expectedVersion: number | 'no_stream'; alongside?: readonly string[] },
  ): Promise<AppendResult> {
    const alongside = options.alongside ?? [];
    try {
      const statements = [...appendStatements(streamId, events, options.expectedVersion), ...alongside];
      // The results: expect_version's, the INSERT's, then those of `alongside`.
      const inserted = (await this.roundTrip(statements))[1]?.rows as { global_position: string }[];
      const base = options.expectedVersion === 'no_stream' ? 0 : options.expectedVersion;
      return {
        status: 'appended',
        streamVersion: base + events.length,
        globalPositions: inserted.map((row) => BigInt(row.global_position)),
      };
    } catch (error) {
      if (!isAppendConflict(error)) throw error;
      const result = await this.append(streamId, events, { expectedVersion: options.expectedVersion });
      if (alongside.length > 0) await this.roundTrip(alongside);
      return result;
    }
  }

  private roundTrip(statements: readonly string[]): Promise<pg.QueryResult[]> {
    return this.statements?.run(statements) ?? simpleQueries(this.pool, statements.join('; '));
  }

  /** Reads one stream in version order, parsed and typed. */
  async readStream(streamId: string, options: { fromVersion?: number; client?: Queryable } = {}) {
    const { rows } = await (options.client ?? this.pool).query<EventRow>({
      name: 'nc_read_stream',
      text: `SELECT ${EVENT_COLUMNS} FROM es.events
       WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`,
      values: [streamId, options.fromVersion ?? 1],
    });
    return toEvents({ rows });
  }

  /** The current version of a stream; 0 when it does not exist. */
  async streamVersion(streamId: string, client: Queryable = this.pool): Promise<number> {
    const { rows } = await client.query<{ version: number }>(
      'SELECT coalesce(max(stream_version), 0) AS version FROM es.events WHERE stream_id = $1',
      [streamId],
    );
    return rows[0]?.version ?? 0;
  }

  /**
   * Events committed after `after`, in commit-safe order. Only transactions older than every running one
   * are visible, so nothing can later appear behind the returned positions.
   */
  readAll(after: TailPosition, limit: number, client: Queryable = this.pool): Promise<StoredEventRecord[]> {
    return readAllAfter(client, after, limit);
  }

  private async appendOnce(
    streamId: string,
    events: readonly AnyNewEvent[],
    { expectedVersion, client }: AppendOptions,
  ): Promise<AppendResult> {
    const base =
      expectedVersion === 'any' ? ANY_VERSION : expectedVersion === 'no_stream' ? 0 : expectedVersion;
    if (!Number.isInteger(base) || base < ANY_VERSION)
      throw new Error(`bad expected version ${expectedVersion}`);
    const one = events.length === 1;
    const column = <T>(pick: (event: AnyNewEvent) => T) =>
      one ? pick(events[0] as AnyNewEvent) : events.map(pick);
    const params = [
      streamId,
      base,
      column((e) => e.eventId),
      column((e) => e.type),
      column((e) => e.schemaVersion),
      column((e) => JSON.stringify(e.data)),
      column((e) => e.correlationId),
      column((e) => e.causationId),
      column((e) => e.occurredAt),
    ];

    // Inside a caller's transaction a failed statement would abort it. One event needs no guard: a conflict
    // on its version or its id inserts nothing (ON CONFLICT DO NOTHING) and is explained below. Several
    // events could conflict on some rows only, so their attempt is isolated in a savepoint.
    const db: Queryable = client ?? this.pool;
    const savepoint = client !== undefined && !one;
    if (savepoint) await client.query('SAVEPOINT nc_append');
    try {
      const { rows } = await db.query<{ global_position: string; stream_version: number }>(
        // A named statement is planned once per connection instead of on every append.
        one
          ? { name: 'nc_append_one', text: APPEND_ONE_SQL, values: params }
          : { name: 'nc_append_many', text: APPEND_MANY_SQL, values: params },
      );
      if (savepoint) await client.query('RELEASE SAVEPOINT nc_append');
      if (rows.length === 0) {
        // The EXISTS guard failed (the stream is behind the expected version, or this is a retry of a
        // no-stream append whose events are already stored), or a single event met a conflict.
        return await this.explainFailure(streamId, events, expectedVersion, db);
      }
      return {
        status: 'appended',
        streamVersion: Math.max(...rows.map((row) => row.stream_version)),
        globalPositions: rows.map((row) => BigInt(row.global_position)),
      };
    } catch (error) {
      if (savepoint) await client.query('ROLLBACK TO SAVEPOINT nc_append');
      if (!isUniqueViolation(error)) throw error;
      return await this.explainFailure(streamId, events, expectedVersion, db);
    }
  }

  private async explainFailure(
    streamId: string,
    events: readonly AnyNewEvent[],
    expectedVersion: ExpectedVersion,
    db: Queryable,
  ): Promise<AppendResult> {
    const ids = events.map((e) => e.eventId);
    const { rows } = await db.query<{ event_id: string }>(
      'SELECT event_id FROM es.events WHERE event_id = ANY($1::uuid[])',
      [ids],
    );
    const actual = await this.streamVersion(streamId, db);
    if (rows.length === ids.length) return { status: 'already_stored', streamVersion: actual };
    if (rows.length > 0) {
      throw new PartialDuplicateAppendError(
        streamId,
        rows.map((row) => row.event_id),
      );
    }
    throw new ExpectedVersionConflictError(streamId, expectedVersion, actual);
  }
}
