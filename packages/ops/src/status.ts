import { projectionLags } from '@neurocards/projector/dist/lag.js';
import type { PoolClient } from 'pg';
import { type Bus, countDeadLetters } from './dead-letters.js';

type Queryable = Pick<PoolClient, 'query'>;

// The relay's advisory lock (packages/runtime/src/bus/relay.ts): (0x6e63, hashtext(prefix)).
const RELAY_LOCK_CLASS = 0x6e63;

/** Everything `status` reports: is the log flowing, is the bus keeping up, is anything parked. */
export interface SystemStatus {
  log: { latestPosition: string | null; latestRecordedAt: string | null };
  relayLeader: { application: string; client: string | null; since: string | null } | null;
  /** Every tailing reader (the relay, each projection): how far behind the log it is. */
  checkpoints: Array<{
    name: string;
    position: string;
    updatedAt: string;
    behindEvents: number;
    behindSeconds: number;
  }>;
  /** Durable consumers of the event stream. */
  consumers: Array<{
    name: string;
    pending: number;
    ackPending: number;
    redelivered: number;
    waiting: number;
  }>;
  eventStream: { messages: number; lastSequence: number };
  deadLetters: Record<string, number>;
}

/** Counting stops here: "100000" behind means at least that many. */
const BEHIND_CAP = 100_000;

/** Reads the state of the log, its readers, the bus and the dead letters. */
export async function systemStatus(db: Queryable, bus: Bus): Promise<SystemStatus> {
  const { names, jsm } = bus;
  const latest = await db.query<{ position: string; recorded_at: Date }>(
    `SELECT global_position::text AS position, recorded_at FROM es.events
     ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
  );
  const leader = await db.query<{ application_name: string; client: string | null; since: Date | null }>(
    `SELECT a.application_name, host(a.client_addr) AS client, a.backend_start AS since
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = hashtext($2)::oid
       AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [RELAY_LOCK_CLASS, names.prefix],
  );
  const stored = await db.query<{ name: string; position: string; updated_at: Date }>(
    'SELECT name, global_position::text AS position, updated_at FROM es.checkpoints ORDER BY name',
  );
  const lags = new Map(
    (
      await projectionLags(
        db,
        stored.rows.map((row) => row.name),
        BEHIND_CAP,
      )
    ).map((lag) => [lag.name, lag]),
  );

  const consumers: SystemStatus['consumers'] = [];
  for await (const info of jsm.consumers.list(names.eventStream)) {
    consumers.push({
      name: info.name,
      pending: info.num_pending,
      ackPending: info.num_ack_pending,
      redelivered: info.num_redelivered,
      waiting: info.num_waiting,
    });
  }
  consumers.sort((a, b) => a.name.localeCompare(b.name));
  const stream = await jsm.streams.info(names.eventStream);

  const row = latest.rows[0];
  const lock = leader.rows[0];
  return {
    log: {
      latestPosition: row?.position ?? null,
      latestRecordedAt: row?.recorded_at.toISOString() ?? null,
    },
    relayLeader: lock
      ? { application: lock.application_name, client: lock.client, since: lock.since?.toISOString() ?? null }
      : null,
    checkpoints: stored.rows.map((checkpoint) => ({
      name: checkpoint.name,
      position: checkpoint.position,
      updatedAt: checkpoint.updated_at.toISOString(),
      behindEvents: lags.get(checkpoint.name)?.events ?? 0,
      behindSeconds: lags.get(checkpoint.name)?.seconds ?? 0,
    })),
    consumers,
    eventStream: { messages: stream.state.messages, lastSequence: stream.state.last_seq },
    deadLetters: await countDeadLetters(bus),
  };
}
