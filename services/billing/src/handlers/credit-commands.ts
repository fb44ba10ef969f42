import {
  type AnyNewEvent,
  type CreditsState,
  creditsModel,
  type DomainEvent,
  streamIds,
} from '@neurocards/contracts';
import {
  appendSql,
  type EventStore,
  isAppendConflict,
  type Transaction,
} from '@neurocards/runtime/event-store';
import pg, { type PoolClient } from 'pg';

/**
 * Decides on a user's credit stream inside the caller's transaction. The new events are appended with the
 * COMMIT, at the version the decision read, together with the sweeper's table of open reservations; when
 * the stream moved meanwhile the COMMIT fails, and the whole transaction is run again
 * (`retryingAppendConflicts`). `history` is the credit stream when the caller has read it already in this
 * transaction (see `readStreamSql`). Returns the state the decision saw and what it added.
 */
export async function decideCredits(
  store: EventStore,
  client: PoolClient,
  tx: Pick<Transaction, 'beforeCommit'>,
  userId: number,
  decide: (state: CreditsState) => AnyNewEvent[],
  history?: readonly DomainEvent[],
): Promise<{ state: CreditsState; events: AnyNewEvent[] }> {
  const streamId = streamIds.credits(userId);
  const read = history ?? (await store.readStream(streamId, { client }));
  const state = read.reduce(creditsModel.evolve, creditsModel.initial());
  const events = decide(state);
  if (events.length > 0) {
    tx.beforeCommit(appendSql(streamId, events, read.at(-1)?.streamVersion ?? 'no_stream'));
    for (const sql of reservationChanges(events)) tx.beforeCommit(sql);
  }
  return { state, events };
}

/** How often a transaction whose append met a moved stream is run again before its error is thrown. */
const CONFLICT_ATTEMPTS = 5;

/**
 * Runs a transaction that decides with `decideCredits`, again from fresh reads when its COMMIT found a
 * credit stream moved by another writer (two jobs of one order reserving at once, say).
 */
export async function retryingAppendConflicts<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (!isAppendConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
    }
  }
}

/** The open-reservation rows that `events` open or close, as plain SQL (values from validated events). */
function reservationChanges(events: readonly AnyNewEvent[]): string[] {
  const { escapeLiteral } = pg;
  return events.flatMap((event) => {
    if (event.type === 'CreditReserved') {
      const { jobId, userId, expiresAt } = event.data;
      return [
        `INSERT INTO billing.open_reservations (job_id, user_id, expires_at)
         VALUES (${escapeLiteral(jobId)}::uuid, ${Number(userId)}, ${escapeLiteral(expiresAt)}::timestamptz)
         ON CONFLICT (job_id) DO NOTHING`,
      ];
    }
    if (
      event.type === 'CreditCaptured' ||
      event.type === 'CreditRefunded' ||
      event.type === 'CreditCaptureWaived'
    ) {
      return [
        `DELETE FROM billing.open_reservations WHERE job_id = ${escapeLiteral(event.data.jobId)}::uuid`,
      ];
    }
    return [];
  });
}
