import { availableCredits, foldCredits, streamIds } from '@neurocards/contracts';
import type { EventStore } from '@neurocards/runtime/event-store';
import type { Pool, PoolClient } from 'pg';

export interface LedgerEntry {
  occurredAt: Date;
  kind: string;
  amount: number;
}

export interface RecentJob {
  requestedAt: Date;
  product: string;
  status: string;
}

export interface UserSummary {
  username: string | null;
  firstName: string | null;
  language: string | null;
  balance: number;
  reserved: number;
  jobsTotal: number;
  jobsDelivered: number;
  jobsFailed: number;
  purchases: number;
  starsPaid: number;
  firstSeen: Date;
  banned: boolean;
}

export interface DayStats {
  newUsers: number;
  activeUsers: number;
  requested: number;
  delivered: number;
  failed: number;
  payments: number;
  stars: number;
}

/** Unfinished job statuses of rm.jobs. */
const ACTIVE = ['requested', 'reserved', 'generating', 'ready'];

/**
 * What the bot shows about balances, history and jobs: the projector's read models (schema rm), and the
 * credit stream itself where a decision needs the exact balance this moment.
 */
export class ReadModels {
  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
  ) {}

  /**
   * The credits a seller can spend now, from the credit stream (never behind). Inside a conversation's
   * turn, pass its client: a turn that waited for a second pooled connection could starve the pool.
   */
  async available(userId: number, db?: PoolClient): Promise<number> {
    const events = await this.store.readStream(streamIds.credits(userId), { client: db });
    return availableCredits(foldCredits(events));
  }

  async balance(userId: number): Promise<{ balance: number; reserved: number }> {
    const { rows } = await this.pool.query<{ balance: number; reserved: number }>(
      'SELECT balance, reserved FROM rm.users WHERE user_id = $1',
      [userId],
    );
    return rows[0] ?? { balance: await this.available(userId), reserved: 0 };
  }

  async history(userId: number, limit = 10): Promise<LedgerEntry[]> {
    const { rows } = await this.pool.query<{ occurred_at: Date; kind: string; amount: number }>(
      `SELECT occurred_at, kind, amount FROM rm.credit_ledger
       WHERE user_id = $1 AND amount <> 0 ORDER BY entry_no DESC LIMIT $2`,
      [userId, limit],
    );
    return rows.map((row) => ({ occurredAt: row.occurred_at, kind: row.kind, amount: row.amount }));
  }

  async recentJobs(userId: number, limit = 10): Promise<RecentJob[]> {
    const { rows } = await this.pool.query<{ requested_at: Date; product: string; status: string }>(
      `SELECT requested_at, product, status FROM rm.jobs WHERE user_id = $1
       ORDER BY requested_at DESC LIMIT $2`,
      [userId, limit],
    );
    return rows.map((row) => ({ requestedAt: row.requested_at, product: row.product, status: row.status }));
  }

  /** Jobs of this seller not finished yet. */
  async activeJobs(userId: number, db: Pool | PoolClient = this.pool): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM rm.jobs WHERE user_id = $1 AND status = ANY($2)',
      [userId, ACTIVE],
    );
    return rows[0]?.n ?? 0;
  }

  async user(userId: number): Promise<UserSummary | undefined> {
    const { rows } = await this.pool.query(
      `SELECT username, first_name, language, balance, reserved, jobs_total, jobs_delivered, jobs_failed,
              purchases, stars_paid, first_seen, banned
       FROM rm.users WHERE user_id = $1`,
      [userId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      username: row.username,
      firstName: row.first_name,
      language: row.language,
      balance: row.balance,
      reserved: row.reserved,
      jobsTotal: row.jobs_total,
      jobsDelivered: row.jobs_delivered,
      jobsFailed: row.jobs_failed,
      purchases: row.purchases,
      starsPaid: row.stars_paid,
      firstSeen: row.first_seen,
      banned: row.banned,
    };
  }

  /** One UTC day (`YYYY-MM-DD`) from the analysts' views. */
  async day(day: string): Promise<DayStats> {
    const { rows } = await this.pool.query(
      `SELECT
         (SELECT coalesce(sum(new_users), 0)::int FROM rm.daily_users WHERE day = $1) AS new_users,
         (SELECT coalesce(sum(active_users), 0)::int FROM rm.daily_users WHERE day = $1) AS active_users,
         (SELECT coalesce(sum(requested), 0)::int FROM rm.job_funnel_daily WHERE day = $1) AS requested,
         (SELECT coalesce(sum(delivered), 0)::int FROM rm.job_funnel_daily WHERE day = $1) AS delivered,
         (SELECT coalesce(sum(failed), 0)::int FROM rm.job_funnel_daily WHERE day = $1) AS failed,
         (SELECT coalesce(sum(payments), 0)::int FROM rm.revenue_daily WHERE day = $1) AS payments,
         (SELECT coalesce(sum(stars), 0)::int FROM rm.revenue_daily WHERE day = $1) AS stars`,
      [day],
    );
    const row = rows[0];
    return {
      newUsers: row.new_users,
      activeUsers: row.active_users,
      requested: row.requested,
      delivered: row.delivered,
      failed: row.failed,
      payments: row.payments,
      stars: row.stars,
    };
  }
}
