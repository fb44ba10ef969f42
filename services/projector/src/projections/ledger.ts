import { type LedgerRow, ledgerColumns, movementOf, nextEntry } from '../domain/ledger.js';
import { isNewFor } from '../domain/position.js';
import type { Projection } from './projection.js';
import { writeRows } from './rows.js';

type LastEntry = Pick<
  LedgerRow,
  'entry_no' | 'balance_after' | 'reserved_after' | 'event_xid' | 'event_position'
>;

/** rm.credit_ledger: every credit movement of every seller, with the balance after it. */
export const ledgerProjection: Projection = {
  name: 'ledger',
  tables: ['credit_ledger'],
  async apply(db, schema, batch) {
    const moves = batch.flatMap((projected) => {
      const movement = movementOf(projected.event);
      return movement ? [{ ...projected, movement }] : [];
    });
    if (moves.length === 0) return;
    const users = [...new Set(moves.map(({ movement }) => movement.userId))];
    const { rows } = await db.query<LastEntry & { user_id: number }>(
      `SELECT u.user_id, l.entry_no, l.balance_after, l.reserved_after, l.event_xid::text, l.event_position
       FROM unnest($1::bigint[]) AS u(user_id)
       CROSS JOIN LATERAL (SELECT * FROM ${schema}.credit_ledger c WHERE c.user_id = u.user_id
                           ORDER BY c.entry_no DESC LIMIT 1) l`,
      [users],
    );
    const last = new Map<number, LastEntry>(rows.map((row) => [row.user_id, row]));
    const entries: LedgerRow[] = [];
    for (const { event, position, movement } of moves) {
      const previous = last.get(movement.userId);
      const seen = previous && { applied_xid: previous.event_xid, applied_position: previous.event_position };
      if (!isNewFor(seen, position)) continue;
      const entry = nextEntry(previous, movement, event, position);
      entries.push(entry);
      last.set(movement.userId, entry);
    }
    await writeRows(db, `${schema}.credit_ledger`, ['event_id'], ledgerColumns, entries, 'ignore');
  },
};
