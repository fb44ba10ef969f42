import {
  type AnyNewEvent,
  type DomainEvent,
  deterministicEventId,
  type EventEnvelope,
  type JobSummary,
  jobRef,
  newEvent,
  requestOf,
  streamIds,
  summarizeJob,
} from '@neurocards/contracts';
import type { AppendResult } from '@neurocards/runtime/event-store';
import type { ServiceContext } from '@neurocards/runtime/shell';
import type { CreationRateLimiter } from '../adapters/creation-rate.js';
import type { ApiKey, KeyPool } from '../adapters/key-pool.js';
import type { KieClient } from '../adapters/kie-client.js';
import type { ModelHealth } from '../adapters/model-health.js';
import { toVerticalCanvas } from '../adapters/photo-canvas.js';
import type { PhotoUploads } from '../adapters/photo-uploads.js';
import { PromptCache } from '../adapters/prompt-cache.js';
import type { PromptWriter } from '../adapters/prompt-writer.js';
import { providerFailureFrom } from '../adapters/provider-errors.js';
import { type ProviderState, readProviderState } from '../adapters/provider-state.js';
import { downloadTelegramPhoto, PhotoError } from '../adapters/telegram-files.js';
import type { GeneratorConfig } from '../config.js';
import {
  type Classification,
  classifyFailure,
  type ProviderFailure,
  retryDecision,
} from '../domain/failures.js';
import { chooseModel, type NextStep, planNextStep, pollDelayMs } from '../domain/generation-plan.js';
import { findVideoModel, modelOrder } from '../domain/models.js';

/**
 * Events a step leaves for the scheduler to append with its write-back of the job, in one round trip and
 * one transaction: the job's row moves on only with them.
 */
export interface StepEvents {
  streamId: string;
  events: AnyNewEvent[];
  expectedVersion: number;
}

/**
 * What the scheduler does with a job after a step. `stream` is the job stream as this step left it, when
 * it knows it exactly (it appended at the version it read): a step chained straight after needs no read.
 * `append` is what the step has not appended yet; no step is chained after one that leaves events.
 */
export type StepOutcome =
  | { done: true; append?: StepEvents }
  | {
      done: false;
      runInMs: number;
      polls?: number;
      imageUrl?: string;
      stream?: readonly DomainEvent[];
      append?: StepEvents;
    };

export interface JobRow {
  job_id: string;
  polls: number;
  callback_token: string;
  image_url: string | null;
  /** When this replica claimed the row (PostgreSQL's clock, as text to keep its microseconds). */
  claimed_at: string;
}

export interface StepDependencies {
  service: ServiceContext<GeneratorConfig>;
  kie: KieClient;
  keys: KeyPool;
  rate: CreationRateLimiter;
  health: ModelHealth;
  prompts: PromptWriter;
  promptCache: PromptCache;
  photoUploads: PhotoUploads;
  /** Counts failed attempts by class and code: what alerts are built on (BILLING means ops must act). */
  attemptFailures?: { inc(labels: { errorClass: string; code: string }): void };
}

/** How long a model that answered "paused" or "not supported" is skipped by every job. */
const MODEL_PAUSE_MS = 10 * 60_000;

/**
 * Runs the next step of one job, decided from its stream: prepare the prompt, submit an attempt, poll the
 * task, or end the job. Every fact goes to the job stream with the version read, so a replica that raced
 * this one (its lease expired) fails to append instead of writing twice.
 */
export async function runJobStep(
  deps: StepDependencies,
  row: JobRow,
  known: { stream?: readonly DomainEvent[]; providers?: ProviderState } = {},
): Promise<StepOutcome> {
  const { store, config, pool } = deps.service;
  const stream = known.stream ?? (await store.readStream(streamIds.job(row.job_id)));
  const job = summarizeJob(stream);
  const context = {
    now: new Date(),
    models: modelOrder(config.KIE_MODEL, config.KIE_MODEL_FALLBACKS),
    pausedModels: new Set<string>(),
    pollTimeoutMs: config.KIE_POLL_TIMEOUT,
  };
  let plan: NextStep = planNextStep(job, context);
  // Paused models and cooling keys matter only to a submission, so they are asked for only then.
  let providers: ProviderState | undefined;
  if (plan.kind === 'submit') {
    providers = known.providers ?? (await readProviderState(pool));
    plan = { ...plan, model: chooseModel(job, { ...context, pausedModels: providers.pausedModels }) };
  }
  switch (plan.kind) {
    case 'done':
      return { done: true };
    case 'wait':
      return { done: false, runInMs: Math.max(0, plan.until.getTime() - Date.now()) };
    case 'prepare_prompt':
      return { done: false, runInMs: 0, stream: await preparePrompt(deps, job, stream) };
    case 'give_up':
      await append(deps, job, [generationFailed(job, plan.failure)]);
      return { done: true };
    case 'submit':
      return submit(deps, job, row, plan.attempt, plan.model, providers?.coolingKeys ?? new Set());
    case 'poll':
      return poll(deps, job, row, plan.submission, plan.expired);
  }
}

/** Writes the prompt and returns the stream with it, or nothing when the append found it stored already. */
async function preparePrompt(
  deps: StepDependencies,
  job: JobSummary,
  stream: readonly DomainEvent[],
): Promise<readonly DomainEvent[] | undefined> {
  const request = requestOf(job);
  const { product, templateId, wishes, language } = request.data;
  const key = PromptCache.key({ product, templateId, wishes, language });
  let prompt = await deps.promptCache.get(key);
  if (!prompt) {
    prompt = await deps.prompts.write({ product, templateId, wishes, language });
    await deps.promptCache.put(key, prompt);
  }
  const prepared = newEvent(
    'PromptPrepared',
    { ...jobRef(request), prompt: prompt.prompt, source: prompt.source },
    { causedBy: request },
  );
  const result = await append(deps, job, [prepared]);
  if (result.status !== 'appended') return undefined;
  return [
    ...stream,
    { ...prepared, streamId: streamIds.job(request.data.jobId), streamVersion: result.streamVersion },
  ];
}

async function submit(
  deps: StepDependencies,
  job: JobSummary,
  row: JobRow,
  attempt: number,
  modelId: string,
  coolingKeys: ReadonlySet<string>,
): Promise<StepOutcome> {
  const { config } = deps.service;
  const request = requestOf(job);
  const model = findVideoModel(modelId);
  if (!model) throw new Error(`no video model ${modelId}`);

  const keys = deps.keys.usable(hashIndex(request.data.jobId), coolingKeys);
  if (keys.length === 0) {
    // Every key is cooling down: a rate limit passes, a billing problem needs ops.
    const failure: ProviderFailure = {
      kind: 'api',
      httpStatus: 429,
      code: 429,
      message: 'every KIE key is cooling down',
    };
    return attemptFailed(deps, job, attempt, modelId, classifyFailure(failure));
  }

  let imageUrl = row.image_url;
  let failure: Classification | undefined;
  for (const key of keys) {
    try {
      imageUrl ??= await uploadPhoto(deps, request, key);
      // The slot is taken right before the call, so the account's window counts what KIE counts.
      const slot = await deps.rate.acquire();
      if (!slot.granted) return { done: false, runInMs: slot.retryInMs, imageUrl };
      const taskId = await deps.kie.createTask(key.secret, {
        model: model.id,
        input: model.buildInput(job.prompt?.data.prompt ?? '', imageUrl),
        callBackUrl: config.KIE_CALLBACK_URL
          ? `${config.KIE_CALLBACK_URL}/kie/callback/${request.data.jobId}/${row.callback_token}`
          : undefined,
      });
      const submitted = newEvent(
        'GenerationSubmitted',
        { ...jobRef(request), attempt, model: model.id, taskId, keyId: key.id },
        { causedBy: request },
      );
      return {
        done: false,
        runInMs: config.KIE_POLL_INTERVAL,
        polls: 0,
        imageUrl,
        append: withWriteBack(job, [submitted]),
      };
    } catch (error) {
      if (error instanceof PhotoError) {
        failure = {
          errorClass: 'USER_VIOLATION',
          code: `photo_${error.code.toLowerCase()}`,
          message: error.message,
          rule: 'photo',
          modelUnavailable: false,
        };
        break;
      }
      failure = classifyFailure(providerFailureFrom(error));
      if (!failure.keyCooldownMs) break;
      await deps.keys.coolDown(key, failure.keyCooldownMs, failure.errorClass);
      deps.service.logger.warn(
        { keyId: key.id, errorClass: failure.errorClass, code: failure.code },
        'KIE key cooling down',
      );
    }
  }
  const outcome = await attemptFailed(deps, job, attempt, modelId, failure as Classification);
  return outcome.done ? outcome : { ...outcome, imageUrl: imageUrl ?? undefined };
}

async function poll(
  deps: StepDependencies,
  job: JobSummary,
  row: JobRow,
  submission: EventEnvelope<'GenerationSubmitted'>,
  expired: boolean,
): Promise<StepOutcome> {
  const { config } = deps.service;
  const { attempt, model, taskId, keyId } = submission.data;
  if (expired) {
    const failure = classifyFailure({
      kind: 'poll_timeout',
      message: `task ${taskId} did not finish in time`,
    });
    return attemptFailed(deps, job, attempt, model, failure);
  }
  const key = deps.keys.keys.find((candidate) => candidate.id === keyId) ?? deps.keys.keys[0];
  if (!key) throw new Error('no KIE key configured');
  const next = {
    done: false as const,
    runInMs: pollDelayMs(row.polls + 1, config.KIE_POLL_INTERVAL, config.KIE_POLL_MAX_INTERVAL),
    polls: row.polls + 1,
  };
  let task: Awaited<ReturnType<KieClient['getTask']>>;
  try {
    task = await deps.kie.getTask(key.secret, taskId);
  } catch (error) {
    const failure = classifyFailure(providerFailureFrom(error));
    // A poll that fails for a passing reason is simply tried again; the poll timeout bounds it.
    if (failure.errorClass === 'TEMPORARY' || failure.errorClass === 'RATE_LIMIT') return next;
    return attemptFailed(deps, job, attempt, model, failure);
  }
  const request = requestOf(job);
  if (task.state === 'success') {
    const ready = newEvent(
      'VideoReady',
      { ...jobRef(request), videoUrl: task.videoUrl, model, taskId },
      { causedBy: request, eventId: deterministicEventId('generation-finished', request.data.jobId) },
    );
    return { done: true, append: withWriteBack(job, [ready]) };
  }
  if (task.state === 'fail') {
    return attemptFailed(
      deps,
      job,
      attempt,
      model,
      classifyFailure({ kind: 'task', failCode: task.failCode, failMsg: task.failMsg }),
    );
  }
  return next;
}

/**
 * Records a failed attempt with when the next may start, or, when the policy says no more, ends the job
 * with GenerationFailed in the same append (billing refunds on it).
 */
async function attemptFailed(
  deps: StepDependencies,
  job: JobSummary,
  attempt: number,
  model: string,
  failure: Classification,
): Promise<StepOutcome> {
  const request = requestOf(job);
  if (failure.modelUnavailable) await deps.health.pause(model, MODEL_PAUSE_MS, failure.message.slice(0, 200));
  // This failure counts too: the first TEMPORARY one is number 1.
  const sameClass = 1 + job.attemptFailures.filter((f) => f.data.errorClass === failure.errorClass).length;
  const decision = retryDecision(failure.errorClass, sameClass);
  // A paused model is not the seller's problem: move on to the next model straight away.
  const delayMs = failure.modelUnavailable ? 0 : decision.retry ? decision.delayMs : undefined;
  const retryAt = delayMs === undefined ? null : new Date(Date.now() + delayMs).toISOString();
  const failed = newEvent(
    'GenerationAttemptFailed',
    {
      ...jobRef(request),
      attempt,
      model,
      errorClass: failure.errorClass,
      code: failure.code,
      message: failure.message,
      retryAt,
    },
    { causedBy: request },
  );
  deps.attemptFailures?.inc({ errorClass: failure.errorClass, code: failure.code });
  // A billing problem (no provider credits, a bad key) will not fix itself: ops must hear of it.
  const level = failure.errorClass === 'BILLING' ? 'error' : 'warn';
  deps.service.logger[level](
    { attempt, model, errorClass: failure.errorClass, code: failure.code, retryAt },
    'generation attempt failed',
  );
  if (retryAt !== null) {
    await append(deps, job, [failed]);
    return { done: false, runInMs: delayMs ?? 0 };
  }
  await append(deps, job, [failed, generationFailed(job, failed)]);
  return { done: true };
}

function generationFailed(
  job: JobSummary,
  last: Pick<EventEnvelope<'GenerationAttemptFailed'>, 'data'>,
): AnyNewEvent {
  const request = requestOf(job);
  const { errorClass, code, message } = last.data;
  return newEvent(
    'GenerationFailed',
    {
      ...jobRef(request),
      errorClass,
      code,
      message,
      attempts: Math.max(last.data.attempt, job.submissions.length),
    },
    { causedBy: request, eventId: deterministicEventId('generation-finished', request.data.jobId) },
  );
}

/** The seller's photo on a 9:16 canvas, fetched by us (the file URL holds the bot token) and put on KIE. */
async function uploadPhoto(
  deps: StepDependencies,
  request: EventEnvelope<'GenerationRequested'>,
  key: ApiKey,
): Promise<string> {
  const { config } = deps.service;
  return deps.photoUploads.urlFor(request.data.photo.fileUniqueId, async () => {
    const photo = await downloadTelegramPhoto(
      config.TELEGRAM_API_ROOT,
      config.TELEGRAM_BOT_TOKEN,
      request.data.photo.fileId,
      config.PHOTO_MAX_BYTES,
    );
    const canvas = await toVerticalCanvas(photo.bytes);
    return deps.kie.uploadFile(key.secret, canvas.bytes, `${request.data.jobId}.jpg`, canvas.mimeType);
  });
}

/** `events` for the scheduler to append at the version the step read (see `StepEvents`). */
function withWriteBack(job: JobSummary, events: AnyNewEvent[]): StepEvents {
  return { streamId: streamIds.job(requestOf(job).data.jobId), events, expectedVersion: job.version };
}

/** Appends at the version the step read, in a round trip shared with other jobs' (`appendWith`). */
async function append(deps: StepDependencies, job: JobSummary, events: AnyNewEvent[]): Promise<AppendResult> {
  const request = requestOf(job);
  return deps.service.store.appendWith(streamIds.job(request.data.jobId), events, {
    expectedVersion: job.version,
  });
}

/** Spreads jobs over the key pool. */
function hashIndex(jobId: string): number {
  return Number.parseInt(jobId.replace(/-/g, '').slice(-6), 16);
}
