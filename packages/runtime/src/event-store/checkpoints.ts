import pg, { type PoolClient } from 'pg';
import { START_OF_ALL, type TailPosition } from './event-store.js';

type Queryable = Pick<PoolClient, 'query'>;

/** Reads a tailing reader's checkpoint; the start of the log when it has none. */
export async function loadCheckpoint(db: Queryable, name: string): Promise<TailPosition> {
  const { rows } = await db.query<{ transaction_id: string; global_position: string }>({
    name: 'nc_checkpoint_load',
    text: 'SELECT transaction_id::text, global_position::text FROM es.checkpoints WHERE name = $1',
    values: [name],
  });
  const row = rows[0];
  if (!row) return START_OF_ALL;
  return { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) };
}

/** Stores a checkpoint; call it in the same transaction as the effects it covers where there are any. */
export async function saveCheckpoint(db: Queryable, name: string, position: TailPosition): Promise<void> {
  await db.query(saveCheckpointSql(name, position));
}

/** `saveCheckpoint` as plain SQL, for `Transaction.beforeCommit`: the checkpoint moves in the COMMIT's round trip. */
export function saveCheckpointSql(name: string, position: TailPosition): string {
  return `INSERT INTO es.checkpoints (name, transaction_id, global_position, updated_at)
    VALUES (${pg.escapeLiteral(name)}, '${position.transactionId}'::xid8, ${position.globalPosition}, now())
    ON CONFLICT (name) DO UPDATE
      SET transaction_id = excluded.transaction_id, global_position = excluded.global_position, updated_at = now()`;
}
