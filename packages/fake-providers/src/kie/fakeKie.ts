import type { IncomingMessage, ServerResponse } from 'node:http';
import { fixturePaths } from '../fixtures.js';
import { FakeHttpServer, type ListenOptions } from '../shared/fakeHttpServer.js';
import { FaultScript } from '../shared/faultScript.js';
import { seededRandom } from '../shared/seededRandom.js';
import { KieCallbackSender } from './kieCallbacks.js';
import { KieHttpApi, withMessageField } from './kieHttpApi.js';
import { type KieState, resultUrlOf } from './kieJobsApi.js';
import { type KieModelSpec, kieModelSpecs, kiePausedModels } from './kieModels.js';
import { type KieRateLimit, KieRateLimiter } from './kieRateLimit.js';
import type { KieResultVideo } from './kieResultVideo.js';
import { KieTaskBoard, type KieTaskDuration } from './kieTasks.js';
import type {
  KieCall,
  KieCallbackDelivery,
  KieCreateFault,
  KieMalformedReply,
  KieRandomFailures,
  KieReplyCall,
  KieTask,
  KieTaskFailure,
  KieTaskState,
} from './kieTypes.js';
import { type KieUploadedFile, KieUploadStore } from './kieUploads.js';

/** Construction options of FakeKie; every field has a test-friendly default. */
export interface FakeKieOptions extends ListenOptions {
  /** Accepted API keys, all of one account (default ['kie-test-key']); others get 401. */
  apiKeys?: readonly string[];
  /** Per-key task limits; over it createTask answers 433. */
  keyQuotas?: Record<string, number>;
  /** Time from creation to success/fail (default 0: success on the first poll); 'manual' = tests finish tasks. */
  taskDurationMs?: KieTaskDuration;
  /** Sign callbacks with X-Webhook-Timestamp / X-Webhook-Signature using this key. */
  hmacKey?: string;
  /** Account balance (default 100 000). */
  credits?: number;
  /** Credits charged per task (default 0), refunded when the task fails. */
  taskCost?: KieState['settings']['taskCost'];
  /** Account rate limit on creations (default 20 per 10 s); false disables it. */
  rateLimit?: KieRateLimit | false;
  /** Answer every error with HTTP status = code (default false: only 401 and 429, as documented). */
  mirrorHttpStatus?: boolean;
  /** 'message' makes every reply use `message` instead of `msg` (some doc copies show that). */
  messageField?: 'msg' | 'message';
  /** Video served at result URLs (default: the fixture sample-vertical.mp4). */
  resultVideo?: KieResultVideo;
  /** Seeded random failures of createTask and of tasks. */
  randomFailures?: KieRandomFailures;
  /** Extra or replacement model specs. */
  models?: Record<string, KieModelSpec>;
  /** Models answering "This interface is temporarily paused" (default: the Sora 2 slugs). */
  pausedModels?: readonly string[];
  /** Delay before every answer (default 0). */
  latencyMs?: number;
  /** Record every call for `calls()` (default true). */
  recordCalls?: boolean;
  /** Largest accepted upload (default 100 MB). */
  maxUploadBytes?: number;
  /** Callback POST timeout (default 15 000 ms) and attempts (default 1). */
  callbackTimeoutMs?: number;
  callbackAttempts?: number;
  /** Clock in ms (default Date.now). */
  now?: () => number;
}

/**
 * A fake KIE.AI: the market jobs API (createTask, recordInfo, credit, download-url) and the file upload API
 * on one server, with task lifecycles, signed callbacks, the account rate limit and programmable failures.
 */
export class FakeKie extends FakeHttpServer {
  /** Mutable settings: latencyMs, taskDuration, hmacKey, credits, taskCost, messageField, resultVideo… */
  readonly settings: KieState['settings'];
  private readonly state: KieState;
  private readonly callbacks: KieCallbackSender;
  private readonly uploadStore: KieUploadStore;
  private readonly api: KieHttpApi;

  constructor(options: FakeKieOptions = {}) {
    super(options);
    const now = options.now ?? Date.now;
    this.settings = {
      latencyMs: options.latencyMs ?? 0,
      createReplyDelayMs: 0,
      taskDuration: options.taskDurationMs ?? 0,
      hmacKey: options.hmacKey,
      credits: options.credits ?? 100_000,
      taskCost: options.taskCost ?? 0,
      mirrorHttpStatus: options.mirrorHttpStatus ?? false,
      messageField: options.messageField ?? 'msg',
      resultVideo: options.resultVideo ?? { path: fixturePaths.sampleVideo },
    };
    this.callbacks = new KieCallbackSender({
      hmacKey: () => this.settings.hmacKey,
      now,
      timeoutMs: options.callbackTimeoutMs ?? 15_000,
      attempts: options.callbackAttempts ?? 1,
      retryDelayMs: 100,
    });
    this.state = {
      settings: this.settings,
      apiKeys: new Set(options.apiKeys ?? ['kie-test-key']),
      keyQuotas: new Map(Object.entries(options.keyQuotas ?? {})),
      keyUsage: new Map(),
      models: { ...kieModelSpecs, ...options.models },
      pausedModels: new Set(options.pausedModels ?? kiePausedModels),
      tasks: new KieTaskBoard({
        now,
        duration: () => this.settings.taskDuration,
        onFinish: (t) => this.onFinish(t),
      }),
      rateLimiter: new KieRateLimiter(options.rateLimit ?? { maxCreates: 20, windowMs: 10_000 }),
      createFaults: new FaultScript(),
      taskFailures: new FaultScript(),
      malformedReplies: new FaultScript(),
      randomFailures: options.randomFailures,
      random: seededRandom(options.randomFailures?.seed ?? 1),
      baseUrl: () => this.url,
      now,
    };
    this.uploadStore = new KieUploadStore(() => this.url, options.maxUploadBytes ?? 100 * 1024 * 1024);
    this.api = new KieHttpApi(this.state, this.uploadStore, options.recordCalls ?? true);
  }

  /** Creates and starts a fake in one call. */
  static async start(options: FakeKieOptions = {}): Promise<FakeKie> {
    const fake = new FakeKie(options);
    await fake.start();
    return fake;
  }

  /** The first configured API key, for tests with one key. */
  get apiKey(): string {
    return [...this.state.apiKeys][0] ?? '';
  }

  // ---------------------------------------------------------------- programmable behaviour

  /** The next matching createTask calls answer this error instead (see `kieFaults` for presets). */
  failNextCreate(fault: KieCreateFault): void {
    const matches = (call: { model: string | undefined; apiKey: string }) =>
      (fault.model === undefined || fault.model === call.model) &&
      (fault.apiKey === undefined || fault.apiKey === call.apiKey);
    this.state.createFaults.add(fault, matches, fault.times ?? 1);
  }

  /** The next matching created tasks end in `fail` with this failCode/failMsg. */
  failNextTasks(failure: KieTaskFailure): void {
    const matches = (call: { model: string }) => failure.model === undefined || failure.model === call.model;
    this.state.taskFailures.add(failure, matches, failure.times ?? 1);
  }

  /**
   * The next matching createTask or recordInfo calls get a reply that breaks the contract instead of the
   * real answer (see `kieMalformedReplies` for presets).
   */
  replyMalformed(reply: KieMalformedReply): void {
    const matches = (call: KieReplyCall) =>
      call.route === reply.route && (reply.matches === undefined || reply.matches(call));
    this.state.malformedReplies.add(reply, matches, reply.times ?? 1);
  }

  /** Programmed createTask faults and task failures not used yet (Infinity for permanent ones). */
  get pendingFaults(): { create: number; task: number } {
    return { create: this.state.createFaults.pending, task: this.state.taskFailures.pending };
  }

  /** Forgets programmed createTask faults, task failures and malformed replies. */
  clearFaults(): void {
    this.state.malformedReplies.clear();
    this.state.createFaults.clear();
    this.state.taskFailures.clear();
  }

  /** Makes a model answer "This interface is temporarily paused" (or undoes it). */
  pauseModel(model: string, paused = true): void {
    if (paused) this.state.pausedModels.add(model);
    else this.state.pausedModels.delete(model);
  }

  /** Finishes a task now with its decided outcome (success unless scripted to fail). */
  completeTask(taskId: string): KieTask {
    const task = this.requireTask(taskId);
    this.state.tasks.finish(task);
    return task;
  }

  /** Finishes a task now as failed. */
  failTask(taskId: string, failure: { failCode?: string; failMsg: string }): KieTask {
    const task = this.requireTask(taskId);
    this.state.tasks.finish(task, {
      kind: 'fail',
      failCode: failure.failCode ?? '500',
      failMsg: failure.failMsg,
    });
    return task;
  }

  /** Holds an unfinished task in a given intermediate state (useful with taskDurationMs 'manual'). */
  setTaskState(taskId: string, state: Exclude<KieTaskState, 'success' | 'fail'>): void {
    this.requireTask(taskId).forcedState = state;
  }

  /** Forgets past creations counted by the rate limiter. */
  resetRateLimit(): void {
    this.state.rateLimiter.reset();
  }

  // ---------------------------------------------------------------- assertions

  /** Every created task, in creation order. */
  get createdTasks(): readonly KieTask[] {
    return this.state.tasks.created;
  }

  /** A task by id. */
  task(taskId: string): KieTask | undefined {
    return this.state.tasks.get(taskId);
  }

  /** How many times recordInfo was called for a task. */
  pollsFor(taskId: string): number {
    return this.state.tasks.get(taskId)?.polls ?? 0;
  }

  /** Recorded calls, all or of one path (e.g. '/api/v1/jobs/createTask'). */
  calls(path?: string): readonly KieCall[] {
    const recorded = this.api.recorded;
    return path === undefined ? recorded : recorded.filter((call) => call.path === path);
  }

  /** Every callback POST attempt. */
  get callbackDeliveries(): readonly KieCallbackDelivery[] {
    return this.callbacks.deliveries;
  }

  /** Files stored through the upload API. */
  get uploads(): readonly KieUploadedFile[] {
    return this.uploadStore.uploads;
  }

  /** The result URL of a task (served once the task succeeded). */
  resultUrlFor(taskId: string): string {
    return resultUrlOf(this.state, taskId);
  }

  /** Resolves when the task reaches success or fail. */
  waitForTask(taskId: string, timeoutMs = 2000): Promise<KieTask> {
    return this.state.tasks.waitForFinish(taskId, timeoutMs);
  }

  /** Resolves with the first callback attempt for the task. */
  waitForCallback(taskId: string, timeoutMs = 2000): Promise<KieCallbackDelivery> {
    return this.callbacks.waitFor(taskId, timeoutMs);
  }

  // ---------------------------------------------------------------- HTTP

  protected override async onClose(): Promise<void> {
    this.state.tasks.close();
    this.callbacks.close();
    await this.uploadStore.close();
  }

  protected override failureBody(message: string): object {
    return withMessageField({ code: 500, msg: message, data: null }, this.settings.messageField);
  }

  protected handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.api.handle(req, res);
  }

  private onFinish(task: KieTask): void {
    if (task.outcome.kind === 'fail') this.settings.credits += task.creditsCharged;
    if (!task.callBackUrl) return;
    const success = task.outcome.kind === 'success';
    const data = this.state.tasks.recordInfo(task, resultUrlOf(this.state, task.taskId));
    const body: Record<string, unknown> = success
      ? { code: 200, msg: 'Playground task completed successfully.', data }
      : { code: 501, msg: 'Playground task failed.', data };
    void this.callbacks.send(
      task.taskId,
      task.callBackUrl,
      withMessageField(body, this.settings.messageField),
    );
  }

  private requireTask(taskId: string): KieTask {
    const task = this.state.tasks.get(taskId);
    if (!task) throw new Error(`FakeKie has no task ${taskId}`);
    return task;
  }
}
