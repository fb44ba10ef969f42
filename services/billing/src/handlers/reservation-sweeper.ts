import { inTransaction } from '@neurocards/runtime/event-store';
import { LoopWorker, type ServiceContext } from '@neurocards/runtime/shell';
import type { BillingConfig } from '../config.js';
import { expireReservation } from '../domain/credits-decisions.js';
import { decideCredits, retryingAppendConflicts } from './credit-commands.js';

/**
 * Releases reservations past their expiry. Each one is taken in its own transaction with
 * FOR UPDATE SKIP LOCKED, so two billing replicas share the work; and the decision reads the credit stream,
 * so a reservation captured or refunded meanwhile is left alone. Each credit comes back exactly once.
 */
export class ReservationSweeper extends LoopWorker {
  readonly name = 'reservation-sweeper';

  constructor(private readonly service: ServiceContext<BillingConfig>) {
    super();
  }

  /** Releases every reservation expired at `now`; returns how many credit streams it touched. */
  async sweep(now = new Date()): Promise<number> {
    let released = 0;
    while (!this.stopping && (await this.releaseOne(now))) released++;
    return released;
  }

  private async releaseOne(now: Date): Promise<boolean> {
    const { pool, store, logger } = this.service;
    const swept = await retryingAppendConflicts(() =>
      inTransaction(pool, async (client, tx) => {
        const { rows } = await client.query<{ job_id: string; user_id: number }>(
          `DELETE FROM billing.open_reservations WHERE job_id = (
           SELECT job_id FROM billing.open_reservations WHERE expires_at <= $1
           ORDER BY expires_at FOR UPDATE SKIP LOCKED LIMIT 1)
         RETURNING job_id, user_id`,
          [now],
        );
        const row = rows[0];
        if (!row) return undefined;
        const { events } = await decideCredits(store, client, tx, row.user_id, (state) =>
          expireReservation(state, row.user_id, row.job_id, now),
        );
        return { jobId: row.job_id, userId: row.user_id, refunded: events.length > 0 };
      }),
    );
    // Told once it is committed: a transaction run again after a conflict would otherwise tell it twice.
    if (swept?.refunded)
      logger.warn({ jobId: swept.jobId, userId: swept.userId }, 'reservation expired; credit refunded');
    return swept !== undefined;
  }

  protected async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.sweep();
      } catch (error) {
        this.service.logger.error({ err: error }, 'reservation sweep failed; will try again');
      }
      await this.sleeper.sleep(this.service.config.SWEEP_INTERVAL);
    }
  }
}
