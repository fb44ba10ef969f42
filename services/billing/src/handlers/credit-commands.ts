import { type AnyNewEvent, type CreditsState, creditsModel, streamIds } from '@neurocards/contracts';
import { type EventStore, handleCommand } from '@neurocards/runtime/event-store';
import type { PoolClient } from 'pg';

/**
 * Decides on a user's credit stream and appends inside the caller's transaction, keeping the sweeper's
 * table of open reservations in step with the events. Returns the state the decision saw and what it added.
 */
export async function decideCredits(
  store: EventStore,
  client: PoolClient,
  userId: number,
  decide: (state: CreditsState) => AnyNewEvent[],
) {
  const outcome = await handleCommand(store, streamIds.credits(userId), creditsModel, decide, { client });
  if (outcome.result?.status === 'appended') await mirrorReservations(client, outcome.events);
  return outcome;
}

async function mirrorReservations(client: PoolClient, events: readonly AnyNewEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type === 'CreditReserved') {
      await client.query({
        name: 'nc_billing_reservation_open',
        text: `INSERT INTO billing.open_reservations (job_id, user_id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (job_id) DO NOTHING`,
        values: [event.data.jobId, event.data.userId, event.data.expiresAt],
      });
    } else if (
      event.type === 'CreditCaptured' ||
      event.type === 'CreditRefunded' ||
      event.type === 'CreditCaptureWaived'
    ) {
      await client.query({
        name: 'nc_billing_reservation_close',
        text: 'DELETE FROM billing.open_reservations WHERE job_id = $1',
        values: [event.data.jobId],
      });
    }
  }
}
