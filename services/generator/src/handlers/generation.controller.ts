import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  type AnyNewEvent,
  deterministicEventId,
  type EventEnvelope,
  generationFinished,
  type JobSummary,
  newEvent,
  streamIds,
  summarizeJob,
} from '@neurocards/contracts';
import type { JetStreamContext } from '@neurocards/runtime/bus';
import { SERVICE_CONTEXT, type ServiceContext } from '@neurocards/runtime/shell';
import { KieApiError, KieClient } from '../adapters/kie-client.js';
import { downloadTelegramPhoto, PhotoError } from '../adapters/telegram-files.js';
import type { GeneratorConfig } from '../config.js';
import { classifyFailure } from '../domain/failures.js';
import { findVideoModel } from '../domain/models.js';
import { templatePrompt } from '../domain/prompt.js';

/**
 * Turns a reserved job into a video: prompt, photo upload, task creation, polling. Every step is recorded on
 * the job stream first, so a redelivered event resumes where the last attempt stopped (an existing task is
 * polled again, never created twice once GenerationSubmitted is stored).
 */
@Controller()
export class GenerationController {
  private readonly kie: KieClient;

  constructor(@Inject(SERVICE_CONTEXT) private readonly service: ServiceContext<GeneratorConfig>) {
    const { config } = service;
    this.kie = new KieClient({
      baseUrl: config.KIE_BASE_URL,
      uploadBaseUrl: config.KIE_UPLOAD_BASE_URL,
      apiKey: config.KIE_API_KEYS[0] as string,
      timeoutMs: config.KIE_HTTP_TIMEOUT_MS,
    });
  }

  @EventPattern<string>('CreditReserved')
  async onCreditReserved(@Payload() reserved: EventEnvelope<'CreditReserved'>, @Ctx() ctx: JetStreamContext) {
    const streamId = streamIds.job(reserved.data.jobId);
    let job = await this.readJob(streamId);
    if (!job.request) throw new Error(`job ${reserved.data.jobId} has no GenerationRequested`);
    if (generationFinished(job)) return;
    try {
      if (!job.prompt) job = await this.append(streamId, job, [this.preparePrompt(job.request)]);
      const submission = job.submissions.at(-1) ?? (await this.submit(streamId, job)).submissions.at(-1);
      if (!submission) throw new Error('submission was not recorded');
      job = await this.readJob(streamId);
      await this.pollUntilDone(streamId, job, submission);
    } catch (error) {
      const final = this.asFinalFailure(error, ctx.isLastDelivery);
      if (!final) throw error; // the transport redelivers with backoff
      const latest = await this.readJob(streamId);
      if (generationFinished(latest) || !latest.request) return;
      await this.append(streamId, latest, [
        newEvent(
          'GenerationFailed',
          { ...jobRef(latest.request), ...final, attempts: latest.submissions.length },
          {
            causedBy: latest.request,
            eventId: deterministicEventId('generation-finished', reserved.data.jobId),
          },
        ),
      ]);
    }
  }

  private preparePrompt(request: EventEnvelope<'GenerationRequested'>): AnyNewEvent {
    const { product, templateId, wishes } = request.data;
    return newEvent(
      'PromptPrepared',
      { ...jobRef(request), prompt: templatePrompt({ product, templateId, wishes }), source: 'fallback' },
      { causedBy: request },
    );
  }

  private async submit(streamId: string, job: JobSummary): Promise<JobSummary> {
    const { config } = this.service;
    const request = job.request as EventEnvelope<'GenerationRequested'>;
    const model = findVideoModel(request.data.model) ?? findVideoModel(config.KIE_MODEL);
    if (!model) throw new Error(`no video model ${request.data.model} or ${config.KIE_MODEL}`);
    const photo = await downloadTelegramPhoto(
      config.TELEGRAM_API_ROOT,
      config.TELEGRAM_BOT_TOKEN,
      request.data.photo.fileId,
      config.PHOTO_MAX_BYTES,
    );
    const imageUrl = await this.kie.uploadFile(
      photo.bytes,
      `${request.data.jobId}.${photo.extension}`,
      photo.mimeType,
    );
    const taskId = await this.kie.createTask({
      model: model.id,
      input: model.buildInput(job.prompt?.data.prompt ?? '', imageUrl),
    });
    const attempt = job.submissions.length + 1;
    return this.append(streamId, job, [
      newEvent(
        'GenerationSubmitted',
        { ...jobRef(request), attempt, model: model.id, taskId, keyId: 'key-1' },
        { causedBy: request },
      ),
    ]);
  }

  private async pollUntilDone(
    streamId: string,
    job: JobSummary,
    submission: EventEnvelope<'GenerationSubmitted'>,
  ): Promise<void> {
    const { config } = this.service;
    const request = job.request as EventEnvelope<'GenerationRequested'>;
    const deadline = new Date(submission.occurredAt).getTime() + config.KIE_POLL_TIMEOUT_MS;
    const finishedId = deterministicEventId('generation-finished', request.data.jobId);
    while (Date.now() < deadline) {
      const task = await this.kie.getTask(submission.data.taskId);
      if (task.state === 'success') {
        await this.append(streamId, job, [
          newEvent(
            'VideoReady',
            {
              ...jobRef(request),
              videoUrl: task.videoUrl,
              model: submission.data.model,
              taskId: submission.data.taskId,
            },
            { causedBy: request, eventId: finishedId },
          ),
        ]);
        return;
      }
      if (task.state === 'fail') {
        await this.append(streamId, job, [
          newEvent(
            'GenerationFailed',
            {
              ...jobRef(request),
              errorClass: classifyFailure(task.failCode, task.failMsg),
              code: task.failCode || 'fail',
              message: task.failMsg.slice(0, 2000),
              attempts: job.submissions.length,
            },
            { causedBy: request, eventId: finishedId },
          ),
        ]);
        return;
      }
      await sleep(config.KIE_POLL_INTERVAL_MS);
    }
    throw new GenerationTimeout(submission.data.taskId);
  }

  /** Errors that end the job now; undefined means "retry later" (unless this was the last delivery). */
  private asFinalFailure(error: unknown, lastDelivery: boolean) {
    if (error instanceof PhotoError)
      return { errorClass: 'USER_VIOLATION' as const, code: error.code, message: error.message };
    if (error instanceof KieApiError) {
      const errorClass = classifyFailure(error.code, error.message);
      if (errorClass === 'USER_VIOLATION' || errorClass === 'BILLING' || lastDelivery) {
        return { errorClass, code: String(error.code), message: error.message.slice(0, 2000) };
      }
      return undefined;
    }
    if (error instanceof GenerationTimeout)
      return { errorClass: 'TEMPORARY' as const, code: 'poll_timeout', message: error.message };
    if (lastDelivery)
      return { errorClass: 'UNKNOWN' as const, code: 'error', message: String(error).slice(0, 2000) };
    return undefined;
  }

  private async readJob(streamId: string): Promise<JobSummary> {
    return summarizeJob(await this.service.store.readStream(streamId));
  }

  /** Appends after the job's current version; returns the job as it is afterwards. */
  private async append(streamId: string, job: JobSummary, events: AnyNewEvent[]): Promise<JobSummary> {
    await this.service.store.append(streamId, events, { expectedVersion: job.version });
    return this.readJob(streamId);
  }
}

class GenerationTimeout extends Error {
  override readonly name = 'GenerationTimeout';
  constructor(taskId: string) {
    super(`task ${taskId} did not finish in time`);
  }
}

function jobRef(request: EventEnvelope<'GenerationRequested'>) {
  return { jobId: request.data.jobId, userId: request.data.userId };
}
