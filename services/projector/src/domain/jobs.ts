import type { DomainEvent } from '@neurocards/contracts';
import { later, secondsBetween, type Watermarked } from './position.js';

export const jobStatuses = [
  'requested',
  'reserved',
  'rejected',
  'generating',
  'ready',
  'delivered',
  'failed',
] as const;
export type JobStatus = (typeof jobStatuses)[number];

/** Statuses a job can still leave; `rejected`, `delivered` and `failed` are terminal. */
const ACTIVE: ReadonlySet<JobStatus> = new Set(['requested', 'reserved', 'generating', 'ready']);

/** A row of rm.jobs: one video's whole life, its timeline and durations. */
export interface JobRow extends Watermarked {
  job_id: string;
  order_id: string;
  user_id: number;
  status: JobStatus;
  language: string;
  template_id: string;
  model: string;
  product: string;
  cost: number;
  prompt_source: string | null;
  provider_task_id: string | null;
  attempts: number;
  delivery_attempts: number;
  error_class: string | null;
  error_code: string | null;
  error_message: string | null;
  sent_as: string | null;
  video_bytes: number | null;
  capture_waived: string | null;
  refund_reason: string | null;
  requested_at: string;
  reserved_at: string | null;
  rejected_at: string | null;
  submitted_at: string | null;
  ready_at: string | null;
  delivered_at: string | null;
  failed_at: string | null;
  captured_at: string | null;
  refunded_at: string | null;
  updated_at: string;
  /** Request to the first submission to the video model: prompt, photo upload, queueing. */
  wait_seconds: number | null;
  /** First submission to the video being ready: the model's time, retries included. */
  generation_seconds: number | null;
  /** Video ready to video delivered. */
  delivery_seconds: number | null;
  /** Request to the terminal state (delivered, failed or rejected). */
  total_seconds: number | null;
}

/** The timestamp columns of rm.jobs. */
export const jobTimestamps = [
  'requested_at',
  'reserved_at',
  'rejected_at',
  'submitted_at',
  'ready_at',
  'delivered_at',
  'failed_at',
  'captured_at',
  'refunded_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof JobRow>;

export const jobColumns = [
  'job_id',
  'order_id',
  'user_id',
  'status',
  'language',
  'template_id',
  'model',
  'product',
  'cost',
  'prompt_source',
  'provider_task_id',
  'attempts',
  'delivery_attempts',
  'error_class',
  'error_code',
  'error_message',
  'sent_as',
  'video_bytes',
  'capture_waived',
  'refund_reason',
  ...jobTimestamps,
  'wait_seconds',
  'generation_seconds',
  'delivery_seconds',
  'total_seconds',
  'applied_xid',
  'applied_position',
] as const satisfies ReadonlyArray<keyof JobRow>;

/** The job an event is about, if any. */
export function jobOf(event: DomainEvent): string | undefined {
  const data = event.data as { jobId?: string };
  return data.jobId;
}

/**
 * Applies one event to a job's row; pure. A job is created by its GenerationRequested; anything about a job
 * not seen yet is ignored (the request always comes first in the store's order). Terminal statuses never
 * move back, except that a late video delivered for free after a timeout shows the job as delivered.
 */
export function evolveJob(current: JobRow | undefined, event: DomainEvent): JobRow | undefined {
  const at = event.occurredAt;
  if (event.type === 'GenerationRequested') {
    if (current) return current;
    const d = event.data;
    return {
      job_id: d.jobId,
      order_id: d.orderId,
      user_id: d.userId,
      status: 'requested',
      language: d.language,
      template_id: d.templateId,
      model: d.model,
      product: d.product,
      cost: d.cost,
      prompt_source: null,
      provider_task_id: null,
      attempts: 0,
      delivery_attempts: 0,
      error_class: null,
      error_code: null,
      error_message: null,
      sent_as: null,
      video_bytes: null,
      capture_waived: null,
      refund_reason: null,
      requested_at: at,
      reserved_at: null,
      rejected_at: null,
      submitted_at: null,
      ready_at: null,
      delivered_at: null,
      failed_at: null,
      captured_at: null,
      refunded_at: null,
      updated_at: at,
      wait_seconds: null,
      generation_seconds: null,
      delivery_seconds: null,
      total_seconds: null,
      applied_xid: '0',
      applied_position: 0,
    };
  }
  if (!current) return undefined;
  const job: JobRow = { ...current, updated_at: later(current.updated_at, at) };
  const active = ACTIVE.has(job.status);
  const fail = (errorClass: string, code: string, message: string) => {
    if (!active) return;
    Object.assign(job, {
      status: 'failed',
      failed_at: at,
      error_class: errorClass,
      error_code: code,
      error_message: message,
    });
  };

  switch (event.type) {
    case 'CreditReserved':
      job.reserved_at ??= at;
      if (job.status === 'requested') job.status = 'reserved';
      break;
    case 'CreditReservationRejected':
      if (active) Object.assign(job, { status: 'rejected', rejected_at: at });
      break;
    case 'PromptPrepared':
      job.prompt_source = event.data.source;
      if (active && job.status !== 'ready') job.status = 'generating';
      break;
    case 'GenerationSubmitted':
      job.submitted_at ??= at;
      job.provider_task_id = event.data.taskId;
      job.model = event.data.model;
      job.attempts = Math.max(job.attempts, event.data.attempt);
      if (active && job.status !== 'ready') job.status = 'generating';
      break;
    case 'GenerationAttemptFailed':
      job.attempts = Math.max(job.attempts, event.data.attempt);
      job.error_class = event.data.errorClass;
      job.error_code = event.data.code;
      job.error_message = event.data.message;
      break;
    case 'VideoReady':
      job.ready_at ??= at;
      job.model = event.data.model;
      job.provider_task_id = event.data.taskId;
      if (active) job.status = 'ready';
      break;
    case 'GenerationFailed':
      fail(event.data.errorClass, event.data.code, event.data.message);
      break;
    case 'DeliveryAttemptFailed':
      job.delivery_attempts = Math.max(job.delivery_attempts, event.data.attempt);
      break;
    case 'VideoDelivered':
      job.delivered_at ??= at;
      job.sent_as = event.data.sentAs;
      job.video_bytes = event.data.bytes;
      if (job.status !== 'rejected') job.status = 'delivered';
      break;
    case 'DeliveryFailed':
      job.delivery_attempts = Math.max(job.delivery_attempts, event.data.attempts);
      fail(event.data.errorClass, 'delivery', event.data.reason);
      break;
    case 'CreditCaptured':
      job.captured_at ??= at;
      break;
    case 'CreditCaptureWaived':
      job.capture_waived = event.data.reason;
      break;
    case 'CreditRefunded':
      job.refunded_at ??= at;
      job.refund_reason = event.data.reason;
      // The sweeper released an expired reservation: the job has failed, whatever the generator still does.
      if (event.data.reason === 'timeout') fail('TIMEOUT', 'timeout', 'the job ran past its time limit');
      break;
    default:
      return current;
  }
  return job;
}

/** The row with its durations worked out from its timeline; done once per row written, not per event. */
export function withDurations(job: JobRow): JobRow {
  const end =
    job.status === 'delivered'
      ? job.delivered_at
      : job.status === 'failed'
        ? job.failed_at
        : job.status === 'rejected'
          ? job.rejected_at
          : null;
  job.wait_seconds = secondsBetween(job.requested_at, job.submitted_at);
  job.generation_seconds = secondsBetween(job.submitted_at, job.ready_at);
  job.delivery_seconds = secondsBetween(job.ready_at, job.delivered_at);
  job.total_seconds = secondsBetween(job.requested_at, end);
  return job;
}

/** A row of rm.job_errors: one failed attempt, or the failure that ended a job (`final`). */
export interface JobErrorRow {
  event_id: string;
  job_id: string;
  user_id: number;
  occurred_at: string;
  stage: 'generation' | 'delivery';
  attempt: number | null;
  model: string;
  error_class: string;
  code: string;
  message: string;
  final: boolean;
}

export const jobErrorColumns = [
  'event_id',
  'job_id',
  'user_id',
  'occurred_at',
  'stage',
  'attempt',
  'model',
  'error_class',
  'code',
  'message',
  'final',
] as const satisfies ReadonlyArray<keyof JobErrorRow>;

/** The error row an event adds, given the job as it was before the event; pure. */
export function jobErrorOf(before: JobRow, event: DomainEvent): JobErrorRow | undefined {
  const base = {
    event_id: event.eventId,
    job_id: before.job_id,
    user_id: before.user_id,
    occurred_at: event.occurredAt,
    model: before.model,
  };
  switch (event.type) {
    case 'GenerationAttemptFailed': {
      const d = event.data;
      return {
        ...base,
        stage: 'generation',
        attempt: d.attempt,
        model: d.model,
        error_class: d.errorClass,
        code: d.code,
        message: d.message,
        final: false,
      };
    }
    case 'DeliveryAttemptFailed': {
      const d = event.data;
      return {
        ...base,
        stage: 'delivery',
        attempt: d.attempt,
        error_class: d.errorClass,
        code: 'delivery',
        message: d.reason,
        final: false,
      };
    }
    case 'GenerationFailed':
      if (!ACTIVE.has(before.status)) return undefined;
      return {
        ...base,
        stage: 'generation',
        attempt: null,
        error_class: event.data.errorClass,
        code: event.data.code,
        message: event.data.message,
        final: true,
      };
    case 'DeliveryFailed':
      if (!ACTIVE.has(before.status)) return undefined;
      return {
        ...base,
        stage: 'delivery',
        attempt: null,
        error_class: event.data.errorClass,
        code: 'delivery',
        message: event.data.reason,
        final: true,
      };
    case 'CreditRefunded':
      if (event.data.reason !== 'timeout' || !ACTIVE.has(before.status)) return undefined;
      return {
        ...base,
        stage: before.status === 'ready' ? 'delivery' : 'generation',
        attempt: null,
        error_class: 'TIMEOUT',
        code: 'timeout',
        message: 'the job ran past its time limit',
        final: true,
      };
    default:
      return undefined;
  }
}
