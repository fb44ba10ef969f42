import pg from 'pg';
import type { Balance, BalanceReader } from './chatStream.js';

/** A balance reader over the projector's read model (`rm.users`), with its own small pool. */
export function readModelBalances(databaseUrl: string): { balanceOf: BalanceReader; close(): Promise<void> } {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => {}); // a dropped idle connection is replaced on the next query
  return {
    balanceOf: async (sellerId) => {
      const { rows } = await pool.query<Balance>(
        'SELECT balance::int AS balance, reserved::int AS reserved FROM rm.users WHERE user_id = $1',
        [sellerId],
      );
      return rows[0];
    },
    close: () => pool.end(),
  };
}
