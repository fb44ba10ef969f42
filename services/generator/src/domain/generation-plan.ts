import type { EventEnvelope, JobSummary } from '@neurocards/contracts';
import { generationFinished } from '@neurocards/contracts';

// What the generator does next for one job, decided from the job stream alone (pure). The stream says
// what happened; this says what follows, so any replica can pick a job up where another left it.

export type NextStep =
  | { kind: 'done' }
  | { kind: 'prepare_prompt' }
  | { kind: 'submit'; attempt: number; model: string }
  | { kind: 'poll'; submission: EventEnvelope<'GenerationSubmitted'>; expired: boolean }
  | { kind: 'wait'; until: Date }
  | { kind: 'give_up'; failure: EventEnvelope<'GenerationAttemptFailed'> };

export interface PlanContext {
  now: Date;
  /** Registered models in the order to try them. */
  models: readonly string[];
  /** Models that answered "paused" (or are otherwise unavailable) lately, for every job. */
  pausedModels: ReadonlySet<string>;
  pollTimeoutMs: number;
}

/** TEMPORARY failures on one model after which this job moves on to the next model. */
export const TEMPORARY_FAILURES_BEFORE_FALLBACK = 2;

export function planNextStep(job: JobSummary, context: PlanContext): NextStep {
  if (!job.request || generationFinished(job)) return { kind: 'done' };
  if (!job.prompt) return { kind: 'prepare_prompt' };
  const last = [...job.submissions, ...job.attemptFailures]
    .sort((a, b) => a.streamVersion - b.streamVersion)
    .at(-1);
  if (!last) return { kind: 'submit', attempt: 1, model: chooseModel(job, context) };
  if (last.type === 'GenerationSubmitted') {
    const expired = context.now.getTime() - new Date(last.occurredAt).getTime() > context.pollTimeoutMs;
    return { kind: 'poll', submission: last, expired };
  }
  if (last.data.retryAt === null) return { kind: 'give_up', failure: last };
  const retryAt = new Date(last.data.retryAt);
  if (retryAt > context.now) return { kind: 'wait', until: retryAt };
  return { kind: 'submit', attempt: last.data.attempt + 1, model: chooseModel(job, context) };
}

/**
 * The model for the next attempt: the one the seller's order named, unless it is paused or has failed this
 * job with TEMPORARY errors too often; then the next in order. When every model is out, the first is tried.
 */
export function chooseModel(job: JobSummary, context: Pick<PlanContext, 'models' | 'pausedModels'>): string {
  const requested = job.request?.data.model;
  const order =
    requested && context.models.includes(requested)
      ? [requested, ...context.models.filter((model) => model !== requested)]
      : [...context.models];
  const temporaryFailures = (model: string) =>
    job.attemptFailures.filter((f) => f.data.model === model && f.data.errorClass === 'TEMPORARY').length;
  const usable = order.filter(
    (model) =>
      !context.pausedModels.has(model) && temporaryFailures(model) < TEMPORARY_FAILURES_BEFORE_FALLBACK,
  );
  return usable[0] ?? order[0] ?? requested ?? 'unknown-model';
}

/** How long to wait before the n-th poll of a task: KIE's advice, 2–3 s growing to a ceiling. */
export function pollDelayMs(polls: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, Math.round(initialMs * 1.5 ** polls));
}
