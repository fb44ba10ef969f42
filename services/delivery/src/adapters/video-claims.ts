import type { StatementBatches } from '@neurocards/runtime/event-store';
import pg, { type Pool, type QueryResult } from 'pg';

/** A held claim on one job's video: renewed while held, given back with `release` or `givenBackBy`. */
export interface VideoClaim {
  release(): Promise<void>;
  /**
   * Hands the claim's release as plain SQL to `send`, which runs it with other statements (the job's
   * outcome); once `send` has succeeded the claim is given back and `release` does nothing.
   */
  givenBackBy(send: (releaseSql: string) => Promise<unknown>): Promise<void>;
}

/**
 * One handler at a time sends a job's video, across copies of its VideoReady and across replicas. A copy of
 * the event (a re-publish, a replay) arriving while the first is being sent would otherwise send the video
 * again: the job stream only shows the delivery once it is over. The claim is a row with a lease, renewed
 * while the send runs, and owned by one bus message (its stream sequence): a redelivery of that same
 * message takes its claim back at once, even one its failed first try could not give back (the database
 * was down), while a copy (another message) finds it held. A holder that dies lets the lease lapse, and its
 * unacknowledged message comes back after the consumer's ack wait (30 s), longer than the lease.
 */
export class VideoClaims {
  constructor(
    private readonly pool: Pool,
    private readonly statements: StatementBatches,
    private readonly leaseMs = 20_000,
  ) {}

  /**
   * The job's claim for the message `owner`, or undefined while another message holds a live one. `reads`
   * (plain SQL, values quoted) run right after the claim in the same round trip, so they see what was
   * committed before it was taken; their results come back with the claim.
   */
  async take(
    jobId: string,
    owner: string,
    reads: readonly string[] = [],
  ): Promise<{ claim: VideoClaim; reads: QueryResult[] } | undefined> {
    const lease = `${this.leaseMs} milliseconds`;
    const { escapeLiteral } = pg;
    // One round trip (shared with other jobs' statements): the claim and the reads commit together.
    const [taken, ...read] = await this.statements.run([
      `INSERT INTO delivery.video_claims AS claim (job_id, owner, until)
       VALUES (${escapeLiteral(jobId)}::uuid, ${escapeLiteral(owner)}, clock_timestamp() + ${escapeLiteral(lease)}::interval)
       ON CONFLICT (job_id) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE claim.until < clock_timestamp() OR claim.owner = excluded.owner`,
      ...reads,
    ]);
    if (taken?.rowCount !== 1) return undefined;
    const renew = setInterval(() => {
      this.pool
        .query({
          name: 'nc_delivery_claim_renew',
          text: `UPDATE delivery.video_claims SET until = clock_timestamp() + $3::interval
           WHERE job_id = $1 AND owner = $2`,
          values: [jobId, owner, lease],
        })
        .catch(() => {}); // the database is away: the lease runs on, and the next renewal tries again
    }, this.leaseMs / 4);
    renew.unref();
    let given = false;
    const claim: VideoClaim = {
      givenBackBy: async (send) => {
        await send(
          `DELETE FROM delivery.video_claims WHERE job_id = ${escapeLiteral(jobId)}::uuid AND owner = ${escapeLiteral(owner)}`,
        );
        given = true;
        clearInterval(renew);
      },
      release: async () => {
        clearInterval(renew);
        if (given) return;
        await this.pool
          .query({
            name: 'nc_delivery_claim_release',
            text: 'DELETE FROM delivery.video_claims WHERE job_id = $1 AND owner = $2',
            values: [jobId, owner],
          })
          .catch(() => {}); // left behind, the row lapses with its lease, and this message can retake it
      },
    };
    return { claim, reads: read };
  }
}
