// Views for analysts (docs/analytics.md has an example query for each). Days are UTC days of event time.
// They read rm tables only, so the analyst role needs nothing but SELECT on schema rm.

const utcDay = (column: string) => `(${column} AT TIME ZONE 'UTC')::date`;

export const analyticsViewsSql = `
  -- New sellers (first seen that day) and active sellers (did something that day).
  CREATE VIEW rm.daily_users AS
  SELECT day, coalesce(n.new_users, 0) AS new_users, coalesce(a.active_users, 0) AS active_users,
         coalesce(a.actions, 0) AS actions
  FROM (SELECT ${utcDay('first_seen')} AS day, count(*) AS new_users FROM rm.users GROUP BY 1) n
  FULL JOIN (SELECT day, count(*) AS active_users, sum(actions) AS actions FROM rm.user_activity GROUP BY day) a
    USING (day);

  -- Jobs by the day they were requested, and how far they got.
  CREATE VIEW rm.job_funnel_daily AS
  SELECT ${utcDay('requested_at')} AS day,
         count(*) AS requested,
         count(reserved_at) AS reserved,
         count(ready_at) AS generated,
         count(delivered_at) AS delivered,
         count(*) FILTER (WHERE status = 'rejected') AS rejected,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         count(*) FILTER (WHERE status IN ('requested', 'reserved', 'generating', 'ready')) AS in_progress
  FROM rm.jobs GROUP BY 1;

  -- Delivered ÷ finished (delivered or failed) jobs; rejected jobs (no credit) are not counted.
  CREATE VIEW rm.success_rate_daily AS
  SELECT ${utcDay('requested_at')} AS day, model,
         count(*) FILTER (WHERE status = 'delivered') AS delivered,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         (count(*) FILTER (WHERE status = 'delivered'))::float8
           / nullif(count(*) FILTER (WHERE status IN ('delivered', 'failed')), 0) AS success_rate
  FROM rm.jobs GROUP BY 1, 2;

  -- Failed attempts (retried or not) and failures that ended a job, by stage, class and code.
  CREATE VIEW rm.error_distribution_daily AS
  SELECT ${utcDay('occurred_at')} AS day, stage, error_class, code,
         count(*) FILTER (WHERE NOT final) AS failed_attempts,
         count(*) FILTER (WHERE final) AS failed_jobs,
         count(DISTINCT job_id) AS jobs_affected
  FROM rm.job_errors GROUP BY 1, 2, 3, 4;

  -- Generation (first submission → video ready) and delivery (ready → delivered) times per model and day.
  CREATE VIEW rm.job_timings_daily AS
  SELECT ${utcDay('requested_at')} AS day, model,
         count(generation_seconds) AS generated,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY generation_seconds) AS generation_p50_seconds,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY generation_seconds) AS generation_p95_seconds,
         count(delivery_seconds) AS delivered,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY delivery_seconds) AS delivery_p50_seconds,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY delivery_seconds) AS delivery_p95_seconds,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY total_seconds) FILTER (WHERE status = 'delivered')
           AS total_p50_seconds,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY total_seconds) FILTER (WHERE status = 'delivered')
           AS total_p95_seconds
  FROM rm.jobs GROUP BY 1, 2;

  -- The same over the last 30 days, per model (percentiles do not add up across days).
  CREATE VIEW rm.job_timings_30d AS
  SELECT model,
         count(generation_seconds) AS generated,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY generation_seconds) AS generation_p50_seconds,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY generation_seconds) AS generation_p95_seconds,
         count(delivery_seconds) AS delivered,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY delivery_seconds) AS delivery_p50_seconds,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY delivery_seconds) AS delivery_p95_seconds
  FROM rm.jobs WHERE requested_at >= now() - interval '30 days' GROUP BY model;

  -- Stars and credits sold, payment refunds, and credits spent, returned and given away.
  CREATE VIEW rm.revenue_daily AS
  SELECT day,
         coalesce(p.payments, 0) AS payments,
         coalesce(p.buyers, 0) AS buyers,
         coalesce(p.stars, 0) AS stars,
         coalesce(p.credits_sold, 0) AS credits_sold,
         coalesce(r.payment_refunds, 0) AS payment_refunds,
         coalesce(r.stars_refunded, 0) AS stars_refunded,
         coalesce(p.stars, 0) - coalesce(r.stars_refunded, 0) AS net_stars,
         coalesce(c.credits_spent, 0) AS credits_spent,
         coalesce(c.credits_returned, 0) AS credits_returned,
         coalesce(c.credits_granted, 0) AS credits_granted
  FROM (SELECT ${utcDay('coalesce(credited_at, received_at)')} AS day, count(*) AS payments,
               count(DISTINCT user_id) AS buyers, sum(stars) AS stars, sum(coalesce(credits, 0)) AS credits_sold
        FROM rm.payments GROUP BY 1) p
  FULL JOIN (SELECT ${utcDay('refunded_at')} AS day, count(*) AS payment_refunds, sum(stars) AS stars_refunded
             FROM rm.payments WHERE refunded_at IS NOT NULL GROUP BY 1) r USING (day)
  FULL JOIN (SELECT ${utcDay('occurred_at')} AS day,
                    coalesce(sum(-reserved_change) FILTER (WHERE kind = 'capture'), 0) AS credits_spent,
                    coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0) AS credits_returned,
                    coalesce(sum(amount) FILTER (WHERE kind IN ('free_grant', 'admin_grant', 'referral_bonus')), 0)
                      AS credits_granted
             FROM rm.credit_ledger GROUP BY 1) c USING (day);

  -- Who invited whom, and what the invited sellers did.
  CREATE VIEW rm.referrals AS
  SELECT r.user_id AS referrer_id, r.username AS referrer_username,
         count(u.user_id) AS invited,
         count(u.user_id) FILTER (WHERE u.jobs_total > 0) AS invited_who_ordered,
         count(u.user_id) FILTER (WHERE u.jobs_delivered > 0) AS invited_with_video,
         count(u.user_id) FILTER (WHERE u.purchases > 0) AS invited_who_paid,
         coalesce((SELECT sum(l.amount) FROM rm.credit_ledger l
                   WHERE l.user_id = r.user_id AND l.kind = 'referral_bonus'), 0) AS bonus_credits
  FROM rm.users r JOIN rm.users u ON u.referrer_id = r.user_id
  GROUP BY r.user_id, r.username;

  CREATE VIEW rm.referrals_daily AS
  SELECT day, coalesce(i.invited, 0) AS invited, coalesce(b.bonuses, 0) AS bonuses,
         coalesce(b.bonus_credits, 0) AS bonus_credits
  FROM (SELECT ${utcDay('first_seen')} AS day, count(*) AS invited FROM rm.users
        WHERE referrer_id IS NOT NULL GROUP BY 1) i
  FULL JOIN (SELECT ${utcDay('occurred_at')} AS day, count(*) AS bonuses, sum(amount) AS bonus_credits
             FROM rm.credit_ledger WHERE kind = 'referral_bonus' GROUP BY 1) b USING (day);

  -- Weekly cohorts by the week a seller was first seen; week_offset 0 is that week.
  CREATE VIEW rm.retention_weekly AS
  WITH cohorts AS (
    SELECT user_id, date_trunc('week', first_seen AT TIME ZONE 'UTC')::date AS cohort_week FROM rm.users
  ), sizes AS (
    SELECT cohort_week, count(*) AS cohort_size FROM cohorts GROUP BY 1
  ), active AS (
    SELECT DISTINCT c.cohort_week, c.user_id, (date_trunc('week', a.day)::date - c.cohort_week) / 7 AS week_offset
    FROM cohorts c JOIN rm.user_activity a USING (user_id)
  )
  SELECT a.cohort_week, s.cohort_size, a.week_offset, count(*) AS active_users,
         count(*)::float8 / s.cohort_size AS retention
  FROM active a JOIN sizes s USING (cohort_week)
  WHERE a.week_offset >= 0
  GROUP BY a.cohort_week, s.cohort_size, a.week_offset;
`;
