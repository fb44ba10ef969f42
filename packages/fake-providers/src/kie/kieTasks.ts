import { Waiters } from '../shared/waiters.js';
import type { KieTask, KieTaskOutcome, KieTaskState } from './kieTypes.js';

/** Timing of tasks: a duration in ms (0 = done on the first poll) or 'manual' (tests finish them). */
export type KieTaskDuration = number | 'manual';

/** What the task board needs from the fake. */
export interface KieTaskBoardOptions {
  now: () => number;
  duration: () => KieTaskDuration;
  /** Called once when a task reaches success or fail. */
  onFinish: (task: KieTask) => void;
}

/**
 * The tasks of the fake and their lifecycle waiting → queuing → generating → success|fail, spread over the
 * task duration. States are computed when asked (no timer per task) except for tasks with a callback URL,
 * which get one timer so the callback is sent without polling.
 */
export class KieTaskBoard {
  /** Every created task, in creation order. */
  readonly created: KieTask[] = [];
  private readonly byId = new Map<string, KieTask>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly finished = new Waiters<KieTask>();
  private counter = 0;

  constructor(private readonly options: KieTaskBoardOptions) {}

  /** Creates a task; the outcome is decided now and revealed when it finishes. */
  create(spec: Omit<KieTask, 'taskId' | 'createTime' | 'polls'>): KieTask {
    const createTime = this.options.now();
    const slug = spec.model.replace(/[^\w.-]+/g, '-');
    const task: KieTask = {
      ...spec,
      taskId: `task_${slug}_${createTime}${String(++this.counter).padStart(4, '0')}`,
      createTime,
      polls: 0,
    };
    this.created.push(task);
    this.byId.set(task.taskId, task);
    const duration = this.options.duration();
    if (task.callBackUrl && duration !== 'manual') {
      const finishIn = (ms: number) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (task.forcedState || this.stateOf(task) === 'success' || this.stateOf(task) === 'fail') return;
          // A timer may fire a little before the clock says the time has come: look again then, or the
          // callback would wait for the next poll.
          const left = task.createTime + duration - this.options.now();
          if (left > 0) finishIn(left);
        }, ms);
        this.timers.add(timer);
      };
      finishIn(duration);
    }
    return task;
  }

  /** A task by id. */
  get(taskId: string): KieTask | undefined {
    return this.byId.get(taskId);
  }

  /** The current state, finishing the task when its time has come. */
  stateOf(task: KieTask): KieTaskState {
    if (task.completeTime !== undefined) return task.outcome.kind === 'success' ? 'success' : 'fail';
    if (task.forcedState) return task.forcedState;
    const duration = this.options.duration();
    if (duration === 'manual') return 'waiting';
    const elapsed = this.options.now() - task.createTime;
    if (elapsed >= duration) {
      this.finish(task, undefined, task.createTime + duration);
      return task.outcome.kind === 'success' ? 'success' : 'fail';
    }
    const progress = elapsed / duration;
    return progress < 0.15 ? 'waiting' : progress < 0.35 ? 'queuing' : 'generating';
  }

  /** Finishes a task now, with its decided outcome or the one given. No-op when already finished. */
  finish(task: KieTask, outcome?: KieTaskOutcome, at = this.options.now()): void {
    if (task.completeTime !== undefined) return;
    if (outcome) task.outcome = outcome;
    task.completeTime = at;
    delete task.forcedState;
    this.options.onFinish(task);
    this.finished.offer(task);
  }

  /** Resolves when the task reaches success or fail. */
  waitForFinish(taskId: string, timeoutMs: number): Promise<KieTask> {
    const task = this.byId.get(taskId);
    if (task && task.completeTime === undefined) this.stateOf(task);
    if (task?.completeTime !== undefined) return Promise.resolve(task);
    return this.finished.wait(
      (finished) => finished.taskId === taskId,
      timeoutMs,
      () => `waitForTask(${taskId}) timed out after ${timeoutMs} ms`,
    );
  }

  /** The `data` object of recordInfo and of callbacks. */
  recordInfo(task: KieTask, resultUrl: string): Record<string, unknown> {
    const state = this.stateOf(task);
    const done = task.completeTime !== undefined;
    const failure = task.outcome.kind === 'fail' && done ? task.outcome : undefined;
    return {
      taskId: task.taskId,
      model: task.model,
      state,
      param: task.param,
      resultJson:
        state === 'success' ? JSON.stringify({ resultUrls: [resultUrl] }) : state === 'fail' ? null : '',
      failCode: failure ? failure.failCode : '',
      failMsg: failure ? failure.failMsg : '',
      costTime: done ? (task.completeTime as number) - task.createTime : 0,
      completeTime: done ? task.completeTime : null,
      createTime: task.createTime,
      updateTime: task.completeTime ?? this.options.now(),
      creditsConsumed: task.outcome.kind === 'success' ? task.creditsCharged : 0,
    };
  }

  /** Stops callback timers and rejects pending waits. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.finished.rejectAll('FakeKie closed');
  }
}
