import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

/** A held claim on one job's video: renewed while held, given back with `release`. */
export interface VideoClaim {
  release(): Promise<void>;
}

/**
 * One handler at a time sends a job's video, across copies of its VideoReady and across replicas. A copy of
 * the event (a re-publish, a redelivery while the first is still sending) would otherwise send the video
 * again: the job stream only shows the delivery once it is over. The claim is a row with a lease, renewed
 * while the send runs; a holder that dies lets it lapse, and its own unacknowledged message comes back
 * after the consumer's ack wait (30 s), longer than the lease, so the job carries on.
 */
export class VideoClaims {
  constructor(
    private readonly pool: Pool,
    private readonly leaseMs = 20_000,
  ) {}

  /** The job's claim, or undefined while another handler holds a live one. */
  async take(jobId: string): Promise<VideoClaim | undefined> {
    const token = randomUUID();
    const lease = `${this.leaseMs} milliseconds`;
    const { rowCount } = await this.pool.query(
      `INSERT INTO delivery.video_claims AS claim (job_id, token, until)
       VALUES ($1, $2, clock_timestamp() + $3::interval)
       ON CONFLICT (job_id) DO UPDATE SET token = excluded.token, until = excluded.until
       WHERE claim.until < clock_timestamp()`,
      [jobId, token, lease],
    );
    if (rowCount === 0) return undefined;
    const renew = setInterval(() => {
      this.pool
        .query(
          `UPDATE delivery.video_claims SET until = clock_timestamp() + $3::interval
           WHERE job_id = $1 AND token = $2`,
          [jobId, token, lease],
        )
        .catch(() => {}); // the database is away: the lease runs on, and the next renewal tries again
    }, this.leaseMs / 4);
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        await this.pool
          .query('DELETE FROM delivery.video_claims WHERE job_id = $1 AND token = $2', [jobId, token])
          .catch(() => {}); // left behind, the row lapses with its lease
      },
    };
  }
}
