import {
  type AnyNewEvent,
  type CreditsState,
  creditsModel,
  type DomainEvent,
  streamIds,
} from '@neurocards/contracts';
import { type EventStore, handleCommand, type Transaction } from '@neurocards/runtime/event-store';
import pg, { type PoolClient } from 'pg';

/**
 * Decides on a user's credit stream and appends inside the caller's transaction, keeping the sweeper's
 * table of open reservations in step with the events (with the COMMIT). `history` is the credit stream
 * when the caller has read it already (see `readStreamSql`). Returns the state the decision saw and what
 * it added.
 */
export async function decideCredits(
  store: EventStore,
  client: PoolClient,
  tx: Pick<Transaction, 'beforeCommit'>,
  userId: number,
  decide: (state: CreditsState) => AnyNewEvent[],
  history?: readonly DomainEvent[],
) {
  const outcome = await handleCommand(store, streamIds.credits(userId), creditsModel, decide, {
    client,
    history,
  });
  if (outcome.result?.status === 'appended') {
    for (const sql of reservationChanges(outcome.events)) tx.beforeCommit(sql);
  }
  return outcome;
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
