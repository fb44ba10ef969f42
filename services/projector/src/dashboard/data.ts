import type { PoolClient } from 'pg';
import type { ProjectionLag } from '../lag.js';

type Queryable = Pick<PoolClient, 'query'>;

/** Everything the dashboard draws, from the analytics views, over the last `days` days (UTC). */
export async function dashboardData(db: Queryable, days: number, lags: ProjectionLag[]) {
  const since = `current_date - ${Math.trunc(days)}`;
  const rows = async (sql: string) => (await db.query(sql)).rows;
  const [dailyUsers, funnel, success, errors, timings, revenue, referrals, topReferrers, retention] =
    await Promise.all([
      rows(
        `SELECT day::text, new_users, active_users FROM rm.daily_users WHERE day >= ${since} ORDER BY day`,
      ),
      rows(`SELECT coalesce(sum(requested), 0)::int AS requested, coalesce(sum(reserved), 0)::int AS reserved,
                   coalesce(sum(generated), 0)::int AS generated, coalesce(sum(delivered), 0)::int AS delivered
            FROM rm.job_funnel_daily WHERE day >= ${since}`),
      rows(`SELECT day::text, sum(delivered)::int AS delivered, sum(failed)::int AS failed,
                   sum(delivered)::float8 / nullif(sum(delivered) + sum(failed), 0) AS success_rate
            FROM rm.success_rate_daily WHERE day >= ${since} GROUP BY day ORDER BY day`),
      rows(`SELECT error_class, code, sum(failed_attempts)::int AS failed_attempts, sum(failed_jobs)::int AS failed_jobs
            FROM rm.error_distribution_daily WHERE day >= ${since}
            GROUP BY error_class, code ORDER BY sum(failed_attempts) + sum(failed_jobs) DESC LIMIT 12`),
      rows(`SELECT model, generated, generation_p50_seconds, generation_p95_seconds, delivered,
                   delivery_p50_seconds, delivery_p95_seconds
            FROM rm.job_timings_30d ORDER BY model`),
      rows(`SELECT day::text, stars, stars_refunded, credits_sold, credits_spent, credits_returned
            FROM rm.revenue_daily WHERE day >= ${since} ORDER BY day`),
      rows(
        `SELECT day::text, invited, bonus_credits FROM rm.referrals_daily WHERE day >= ${since} ORDER BY day`,
      ),
      rows(`SELECT referrer_id, referrer_username, invited, invited_who_ordered, bonus_credits
            FROM rm.referrals ORDER BY invited DESC, referrer_id LIMIT 10`),
      rows(`SELECT cohort_week::text, cohort_size, week_offset, retention FROM rm.retention_weekly
            WHERE cohort_week >= ${since} - 56 ORDER BY cohort_week, week_offset`),
    ]);
  return {
    generatedAt: new Date().toISOString(),
    days,
    lag: lags,
    dailyUsers,
    funnel: funnel[0],
    success,
    errors,
    timings,
    revenue,
    referrals,
    topReferrers,
    retention,
  };
}
