import type { DomainEvent, EventEnvelope } from './envelope.js';

/** What a job stream says so far: the request and the latest fact of each step. */
export interface JobSummary {
  /** Version of the job stream, for the next append's expected version. */
  version: number;
  request?: EventEnvelope<'GenerationRequested'>;
  prompt?: EventEnvelope<'PromptPrepared'>;
  submissions: EventEnvelope<'GenerationSubmitted'>[];
  attemptFailures: EventEnvelope<'GenerationAttemptFailed'>[];
  ready?: EventEnvelope<'VideoReady'>;
  generationFailed?: EventEnvelope<'GenerationFailed'>;
  deliveryAttemptFailures: EventEnvelope<'DeliveryAttemptFailed'>[];
  delivered?: EventEnvelope<'VideoDelivered'>;
  deliveryFailed?: EventEnvelope<'DeliveryFailed'>;
  /** "Send it again" presses after a failed delivery, and the resend that worked, if one did. */
  retryRequests: EventEnvelope<'DeliveryRetryRequested'>[];
  redelivered?: EventEnvelope<'VideoRedelivered'>;
}

/** Folds the events of one job stream (`job-<jobId>`); pure. */
export function summarizeJob(events: readonly DomainEvent[]): JobSummary {
  const job: JobSummary = {
    version: 0,
    submissions: [],
    attemptFailures: [],
    deliveryAttemptFailures: [],
    retryRequests: [],
  };
  for (const event of events) {
    job.version = event.streamVersion;
    switch (event.type) {
      case 'GenerationRequested':
        job.request = event;
        break;
      case 'PromptPrepared':
        job.prompt = event;
        break;
      case 'GenerationSubmitted':
        job.submissions.push(event);
        break;
      case 'GenerationAttemptFailed':
        job.attemptFailures.push(event);
        break;
      case 'VideoReady':
        job.ready = event;
        break;
      case 'GenerationFailed':
        job.generationFailed = event;
        break;
      case 'DeliveryAttemptFailed':
        job.deliveryAttemptFailures.push(event);
        break;
      case 'VideoDelivered':
        job.delivered = event;
        break;
      case 'DeliveryFailed':
        job.deliveryFailed = event;
        break;
      case 'DeliveryRetryRequested':
        job.retryRequests.push(event);
        break;
      case 'VideoRedelivered':
        job.redelivered = event;
        break;
    }
  }
  return job;
}

/** Generation has ended, one way or the other. */
export const generationFinished = (job: JobSummary) => Boolean(job.ready || job.generationFailed);
/** Delivery has ended, one way or the other. */
export const deliveryFinished = (job: JobSummary) => Boolean(job.delivered || job.deliveryFailed);

/** The request that opened the job; a job stream without one is a bug, not a state. */
export function requestOf(job: JobSummary): EventEnvelope<'GenerationRequested'> {
  if (!job.request) throw new Error('job stream has no GenerationRequested');
  return job.request;
}

/** The job and user ids every later event of a job carries. */
export function jobRef(request: EventEnvelope<'GenerationRequested'>): { jobId: string; userId: number } {
  return { jobId: request.data.jobId, userId: request.data.userId };
}
