import {
  evolveUser,
  isSellerAction,
  type UserRow,
  userColumns,
  usersOf,
  userTimestamps,
  utcDay,
} from '../domain/users.js';
import type { Projection } from './projection.js';
import { foldIntoTable, type KeyedFold, type KeyedTable } from './rows.js';

const usersTable: KeyedTable<UserRow> = {
  table: 'users',
  key: 'user_id',
  keyType: 'bigint',
  columns: userColumns,
  timestamps: userTimestamps,
};

/** rm.users (balances, counters, profile) and rm.user_activity (seller actions per UTC day). */
export const usersProjection: Projection = {
  name: 'users',
  tables: ['users', 'user_activity'],
  async apply(db, schema, batch) {
    const activity = new Map<string, { user_id: number; day: string; actions: number }>();
    const fold: KeyedFold<UserRow> = {
      keysOf: (event) => usersOf(event).map(String),
      evolve: (row, event, key) => evolveUser(row, event, Number(key)),
      changed(key, _before, _after, event) {
        if (!isSellerAction(event) || String((event.data as { userId: number }).userId) !== key) return;
        const day = utcDay(event.occurredAt);
        const entry = activity.get(`${key}/${day}`) ?? { user_id: Number(key), day, actions: 0 };
        entry.actions += 1;
        activity.set(`${key}/${day}`, entry);
      },
    };
    await foldIntoTable(db, schema, batch, usersTable, fold);
    if (activity.size > 0) {
      await db.query(
        `INSERT INTO ${schema}.user_activity (user_id, day, actions)
         SELECT user_id, day, actions FROM json_populate_recordset(null::${schema}.user_activity, $1::json)
         ON CONFLICT (user_id, day) DO UPDATE SET actions = ${schema}.user_activity.actions + excluded.actions`,
        [JSON.stringify([...activity.values()])],
      );
    }
  },
};
