import { randomUUID } from 'node:crypto';
import { type AnyNewEvent, type DomainEvent, newEvent, summarizeJob } from '@neurocards/contracts';
import { describe, expect, it } from 'vitest';
import { chooseModel, planNextStep, pollDelayMs } from './generation-plan.js';

const jobId = randomUUID();
const userId = 5;
const models = ['kling-2.6/image-to-video', 'bytedance/seedance-1.5-pro', 'wan/2-6-image-to-video'];
const now = new Date('2026-11-20T12:00:00Z');
const context = { now, models, pausedModels: new Set<string>(), pollTimeoutMs: 600_000 };

const requested = newEvent(
  'GenerationRequested',
  {
    jobId,
    orderId: randomUUID(),
    orderJobIds: [jobId],
    userId,
    chatId: userId,
    language: 'en',
    photo: { fileId: 'f', fileUniqueId: 'u' },
    product: 'Lamp',
    templateId: 'studio',
    wishes: null,
    model: 'kling-2.6/image-to-video',
    cost: 1,
  },
  { correlationId: jobId },
);
const prompt = newEvent(
  'PromptPrepared',
  { jobId, userId, prompt: 'A lamp, slowly orbiting.', source: 'fallback' },
  { correlationId: jobId },
);
const submitted = (attempt: number, model = models[0] as string, at = now) =>
  newEvent(
    'GenerationSubmitted',
    { jobId, userId, attempt, model, taskId: `t${attempt}`, keyId: 'key-1' },
    { correlationId: jobId, occurredAt: at },
  );
const failed = (
  attempt: number,
  errorClass: 'TEMPORARY' | 'USER_VIOLATION',
  retryAt: Date | null,
  model = models[0] as string,
) =>
  newEvent(
    'GenerationAttemptFailed',
    {
      jobId,
      userId,
      attempt,
      model,
      errorClass,
      code: 'x',
      message: 'x',
      retryAt: retryAt?.toISOString() ?? null,
    },
    { correlationId: jobId },
  );

function job(...events: AnyNewEvent[]) {
  return summarizeJob(
    events.map((event, i) => ({ ...event, streamId: `job-${jobId}`, streamVersion: i + 1 }) as DomainEvent),
  );
}

describe('planNextStep', () => {
  it('prepares the prompt first, then submits attempt 1 with the requested model', () => {
    expect(planNextStep(job(requested), context)).toEqual({ kind: 'prepare_prompt' });
    expect(planNextStep(job(requested, prompt), context)).toEqual({
      kind: 'submit',
      attempt: 1,
      model: models[0],
    });
  });

  it('polls the task of the last submission, and marks it expired past the poll timeout', () => {
    const step = planNextStep(job(requested, prompt, submitted(1)), context);
    expect(step).toMatchObject({ kind: 'poll', expired: false, submission: { data: { taskId: 't1' } } });
    const old = submitted(1, models[0], new Date(now.getTime() - 601_000));
    expect(planNextStep(job(requested, prompt, old), context)).toMatchObject({ kind: 'poll', expired: true });
  });

  it('waits for the retry time of a failed attempt, then submits the next attempt', () => {
    const later = new Date(now.getTime() + 5000);
    const history = job(requested, prompt, submitted(1), failed(1, 'TEMPORARY', later));
    expect(planNextStep(history, context)).toEqual({ kind: 'wait', until: later });
    expect(planNextStep(history, { ...context, now: new Date(later.getTime() + 1) })).toEqual({
      kind: 'submit',
      attempt: 2,
      model: models[0],
    });
  });

  it('gives up after a failure with no retry, and does nothing once the job is finished', () => {
    const final = failed(1, 'USER_VIOLATION', null);
    expect(planNextStep(job(requested, prompt, submitted(1), final), context)).toMatchObject({
      kind: 'give_up',
    });
    const ready = newEvent(
      'VideoReady',
      { jobId, userId, videoUrl: 'https://x.test/v.mp4', model: models[0] as string, taskId: 't1' },
      { correlationId: jobId },
    );
    expect(planNextStep(job(requested, prompt, submitted(1), ready), context)).toEqual({ kind: 'done' });
  });
});

describe('chooseModel', () => {
  it('skips paused models and models that failed this job with TEMPORARY errors too often', () => {
    expect(chooseModel(job(requested), { models, pausedModels: new Set([models[0] as string]) })).toBe(
      models[1],
    );
    const twice = job(requested, prompt, failed(1, 'TEMPORARY', now), failed(2, 'TEMPORARY', now));
    expect(chooseModel(twice, { models, pausedModels: new Set() })).toBe(models[1]);
    expect(chooseModel(twice, { models, pausedModels: new Set([models[1] as string]) })).toBe(models[2]);
  });

  it('falls back to the first model when every model is out', () => {
    expect(chooseModel(job(requested), { models, pausedModels: new Set(models) })).toBe(models[0]);
  });
});

describe('pollDelayMs', () => {
  it('starts at the interval and grows to the ceiling', () => {
    expect([0, 1, 2, 3, 10].map((polls) => pollDelayMs(polls, 3000, 30_000))).toEqual([
      3000, 4500, 6750, 10125, 30000,
    ]);
  });
});
