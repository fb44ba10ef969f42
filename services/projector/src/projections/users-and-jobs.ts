import type { DomainEvent } from '@neurocards/contracts';
import type { PoolClient } from 'pg';

const ACTIVE = `('requested', 'reserved', 'generating', 'ready')`;

/**
 * Applies one event to rm.users and rm.jobs. Every statement is a delta or a guarded state change, and the
 * runner stores the checkpoint in the same transaction, so each event is applied exactly once.
 */
export async function projectUsersAndJobs(db: PoolClient, event: DomainEvent): Promise<unknown> {
  const at = event.occurredAt;
  switch (event.type) {
    case 'UserRegistered': {
      const d = event.data;
      await db.query(
        `INSERT INTO rm.users (user_id, chat_id, username, first_name, language, referrer_id, first_seen, last_seen)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (user_id) DO UPDATE SET chat_id = $2, username = $3, first_name = $4, language = $5,
           referrer_id = coalesce(rm.users.referrer_id, $6), first_seen = least(rm.users.first_seen, $7)`,
        [d.userId, d.chatId, d.username, d.firstName, d.language, d.referrerId, at],
      );
      return;
    }
    case 'LanguageChanged':
      return void (await db.query('UPDATE rm.users SET language = $2 WHERE user_id = $1', [
        event.data.userId,
        event.data.language,
      ]));
    case 'UserBanned':
    case 'UserUnbanned':
      return void (await db.query('UPDATE rm.users SET banned = $2 WHERE user_id = $1', [
        event.data.userId,
        event.type === 'UserBanned',
      ]));

    case 'FreeCreditsGranted':
    case 'CreditsGranted':
    case 'ReferralBonusGranted':
      return credit(db, event.data.userId, at, { balance: event.data.amount });
    case 'CreditsPurchased':
      return credit(db, event.data.userId, at, {
        balance: event.data.credits,
        purchases: 1,
        stars_paid: event.data.stars,
      });
    case 'PaymentRefunded':
      return credit(db, event.data.userId, at, {
        balance: -event.data.credits,
        stars_paid: -event.data.stars,
      });
    case 'CreditReserved':
      await credit(db, event.data.userId, at, { balance: -event.data.amount, reserved: event.data.amount });
      return job(
        db,
        event.data.jobId,
        at,
        `status = CASE WHEN status = 'requested' THEN 'reserved' ELSE status END,
        reserved_at = $2`,
      );
    case 'CreditReservationRejected':
      return job(db, event.data.jobId, at, `status = 'rejected', failed_at = $2`, [], `status IN ${ACTIVE}`);
    case 'CreditCaptured':
      return credit(db, event.data.userId, at, { reserved: -event.data.amount });
    case 'CreditRefunded':
      await credit(db, event.data.userId, at, { balance: event.data.amount, reserved: -event.data.amount });
      if (event.data.reason !== 'timeout') return;
      // The sweeper released an expired reservation: the job has failed, whatever the generator still does.
      await countFailure(db, event.data.jobId, at, 'TIMEOUT', 'timeout', 'the job ran past its time limit');
      return;

    case 'GenerationRequested': {
      const d = event.data;
      await db.query(
        `INSERT INTO rm.jobs (job_id, order_id, user_id, status, template_id, model, product, cost, requested_at, updated_at)
         VALUES ($1, $2, $3, 'requested', $4, $5, $6, $7, $8, $8) ON CONFLICT (job_id) DO NOTHING`,
        [d.jobId, d.orderId, d.userId, d.templateId, d.model, d.product, d.cost, at],
      );
      return credit(db, d.userId, at, { jobs_total: 1 });
    }
    case 'PromptPrepared':
      return job(db, event.data.jobId, at, `status = 'generating'`, [], `status IN ${ACTIVE}`);
    case 'GenerationSubmitted':
      return job(
        db,
        event.data.jobId,
        at,
        `status = 'generating', submitted_at = coalesce(submitted_at, $2), provider_task_id = $3, model = $4,
         attempts = greatest(attempts, $5)`,
        [event.data.taskId, event.data.model, event.data.attempt],
        `status IN ${ACTIVE}`,
      );
    case 'GenerationAttemptFailed':
      return job(db, event.data.jobId, at, 'error_class = $3, error_code = $4, error_message = $5', [
        event.data.errorClass,
        event.data.code,
        event.data.message,
      ]);
    case 'VideoReady':
      return job(db, event.data.jobId, at, `status = 'ready', ready_at = $2`, [], `status IN ${ACTIVE}`);
    case 'VideoDelivered': {
      const changed = await job(
        db,
        event.data.jobId,
        at,
        `status = 'delivered', delivered_at = $2`,
        [],
        `status <> 'delivered'`,
      );
      if (changed) await credit(db, event.data.userId, at, { jobs_delivered: 1 });
      return;
    }
    case 'GenerationFailed':
      return countFailure(
        db,
        event.data.jobId,
        at,
        event.data.errorClass,
        event.data.code,
        event.data.message,
      );
    case 'DeliveryFailed':
      return countFailure(db, event.data.jobId, at, event.data.errorClass, 'delivery', event.data.reason);
    case 'DeliveryAttemptFailed':
    case 'PaymentReceived':
      return;
  }
}

type UserCounter =
  | 'balance'
  | 'reserved'
  | 'jobs_total'
  | 'jobs_delivered'
  | 'jobs_failed'
  | 'purchases'
  | 'stars_paid';

/** Adds deltas to a user's counters, creating the row if the user was not seen yet. */
async function credit(
  db: PoolClient,
  userId: number,
  at: string,
  deltas: Partial<Record<UserCounter, number>>,
) {
  const columns = Object.keys(deltas) as UserCounter[];
  const values = columns.map((column) => deltas[column] ?? 0);
  await db.query(
    `INSERT INTO rm.users (user_id, first_seen, last_seen, ${columns.join(', ')})
     VALUES ($1, $2, $2, ${columns.map((_, i) => `$${i + 3}`).join(', ')})
     ON CONFLICT (user_id) DO UPDATE SET last_seen = greatest(rm.users.last_seen, $2),
       ${columns.map((column, i) => `${column} = rm.users.${column} + $${i + 3}`).join(', ')}`,
    [userId, at, ...values],
  );
}

/**
 * Updates a job row at event time `at` ($2 in `set`; `params` follow from $3). `guard` keeps a terminal
 * status from moving back. Returns whether a row changed.
 */
async function job(
  db: PoolClient,
  jobId: string,
  at: string,
  set: string,
  params: unknown[] = [],
  guard = 'true',
): Promise<boolean> {
  const result = await db.query(
    `UPDATE rm.jobs SET ${set}, updated_at = greatest(updated_at, $2) WHERE job_id = $1 AND (${guard})`,
    [jobId, at, ...params],
  );
  return (result.rowCount ?? 0) > 0;
}

async function countFailure(
  db: PoolClient,
  jobId: string,
  at: string,
  errorClass: string,
  code: string,
  message: string,
) {
  const changed = await job(
    db,
    jobId,
    at,
    `status = 'failed', failed_at = $2, error_class = $3, error_code = $4, error_message = $5`,
    [errorClass, code, message],
    `status IN ${ACTIVE}`,
  );
  if (!changed) return;
  const { rows } = await db.query<{ user_id: number }>('SELECT user_id FROM rm.jobs WHERE job_id = $1', [
    jobId,
  ]);
  if (rows[0]) await credit(db, rows[0].user_id, at, { jobs_failed: 1 });
}
