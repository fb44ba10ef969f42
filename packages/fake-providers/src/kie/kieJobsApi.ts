import type { FaultScript } from '../shared/faultScript.js';
import type { KieModelSpec } from './kieModels.js';
import { validateKieInput } from './kieModels.js';
import type { KieRateLimiter } from './kieRateLimit.js';
import type { KieResultVideo } from './kieResultVideo.js';
import type { KieTaskBoard, KieTaskDuration } from './kieTasks.js';
import type {
  KieCreateFault,
  KieMalformedReply,
  KieRandomFailures,
  KieReplyCall,
  KieTaskFailure,
  KieTaskOutcome,
} from './kieTypes.js';

/** Settings tests may change while the fake runs. */
export interface KieSettings {
  latencyMs: number;
  /**
   * Extra delay of createTask's answer after the task exists, so a quick task's callback can arrive
   * before the caller has the task id (the network can reorder them).
   */
  createReplyDelayMs: number;
  taskDuration: KieTaskDuration;
  hmacKey: string | undefined;
  credits: number;
  taskCost: number | ((model: string, input: Record<string, unknown>) => number);
  /** Answer errors with HTTP status = body code for every code, not only 401/429. */
  mirrorHttpStatus: boolean;
  /** Name of the message field: 'msg' (current docs) or 'message' (some doc copies). */
  messageField: 'msg' | 'message';
  resultVideo: KieResultVideo;
}

/** The account state behind the jobs API. */
export interface KieState {
  settings: KieSettings;
  apiKeys: ReadonlySet<string>;
  keyQuotas: ReadonlyMap<string, number>;
  keyUsage: Map<string, number>;
  models: Record<string, KieModelSpec>;
  pausedModels: Set<string>;
  tasks: KieTaskBoard;
  rateLimiter: KieRateLimiter;
  createFaults: FaultScript<{ model: string | undefined; apiKey: string }, KieCreateFault>;
  taskFailures: FaultScript<{ model: string }, KieTaskFailure>;
  malformedReplies: FaultScript<KieReplyCall, KieMalformedReply>;
  randomFailures: KieRandomFailures | undefined;
  random: () => number;
  baseUrl: () => string;
  now: () => number;
}

/** An answer of the jobs API before the message-field rename: HTTP status and `{code,msg,data}`. */
export interface KieReply {
  httpStatus: number;
  body: { code: number; msg: string; data: unknown };
}

/** A `{code,msg,data:null}` error; HTTP status per KieCreateFault.httpStatus rules. */
export function kieError(state: KieState, code: number, msg: string, httpStatus?: number): KieReply {
  const status = httpStatus ?? (code === 401 || code === 429 || state.settings.mirrorHttpStatus ? code : 200);
  return { httpStatus: status, body: { code, msg, data: null } };
}

const ok = (data: unknown, msg = 'success'): KieReply => ({
  httpStatus: 200,
  body: { code: 200, msg, data },
});

/** POST /api/v1/jobs/createTask. */
export function createTask(state: KieState, apiKey: string, body: Record<string, unknown>): KieReply {
  const model = typeof body.model === 'string' ? body.model : undefined;
  const fault = state.createFaults.take({ model, apiKey });
  if (fault) return kieError(state, fault.code, fault.msg, fault.httpStatus);
  const random = state.randomFailures;
  if (random?.createFailureRate && state.random() < random.createFailureRate) {
    return kieError(state, 500, 'Internal server error');
  }
  if (!state.rateLimiter.tryTake(state.now())) return kieError(state, 429, 'Rate limit exceeded');
  if (!model) return kieError(state, 422, 'model is required');
  const spec = state.models[model];
  if (!spec) return kieError(state, 422, 'The model name you specified is not supported');
  if (state.pausedModels.has(model)) return kieError(state, 500, 'This interface is temporarily paused');
  const problem = validateKieInput(spec, body.input);
  if (problem) return kieError(state, problem.code, problem.msg);
  const input = body.input as Record<string, unknown>;
  const callBackUrl = body.callBackUrl;
  if (callBackUrl !== undefined && (typeof callBackUrl !== 'string' || !/^https?:\/\//.test(callBackUrl))) {
    return kieError(state, 422, 'callBackUrl must be a valid http(s) URL');
  }
  const quota = state.keyQuotas.get(apiKey);
  const used = state.keyUsage.get(apiKey) ?? 0;
  if (quota !== undefined && used >= quota) return kieError(state, 433, 'Sub-key usage exceeds the limit');
  const { taskCost } = state.settings;
  const cost = typeof taskCost === 'number' ? taskCost : taskCost(model, input);
  if (cost > state.settings.credits) {
    return kieError(state, 402, 'The current credits are insufficient. Please top up.');
  }
  state.settings.credits -= cost;
  state.keyUsage.set(apiKey, used + 1);
  const task = state.tasks.create({
    model,
    input,
    ...(typeof callBackUrl === 'string' ? { callBackUrl } : {}),
    apiKey,
    param: JSON.stringify(body),
    outcome: decideOutcome(state, model),
    creditsCharged: cost,
  });
  return ok({ taskId: task.taskId });
}

function decideOutcome(state: KieState, model: string): KieTaskOutcome {
  const scripted = state.taskFailures.take({ model });
  if (scripted) return { kind: 'fail', failCode: scripted.failCode ?? '500', failMsg: scripted.failMsg };
  const random = state.randomFailures;
  if (random?.taskFailureRate && state.random() < random.taskFailureRate) {
    return {
      kind: 'fail',
      failCode: random.failCode ?? '500',
      failMsg: random.failMsg ?? 'Internal server error',
    };
  }
  return { kind: 'success' };
}

/** The result URL of a task, served by the fake. */
export function resultUrlOf(state: KieState, taskId: string): string {
  return `${state.baseUrl()}/files/${taskId}.mp4`;
}

/** GET /api/v1/jobs/recordInfo?taskId=. */
export function recordInfo(state: KieState, taskId: string | null): KieReply {
  if (!taskId) return kieError(state, 400, 'taskId parameter is required', 400);
  const task = state.tasks.get(taskId);
  if (!task) return kieError(state, 422, 'recordInfo is null');
  task.polls += 1;
  return ok(state.tasks.recordInfo(task, resultUrlOf(state, taskId)));
}

/** GET /api/v1/chat/credit. */
export function credit(state: KieState): KieReply {
  return ok(state.settings.credits);
}

/** POST /api/v1/common/download-url: a 20-minute link, only for URLs the fake generated. */
export function downloadUrl(state: KieState, body: Record<string, unknown>): KieReply {
  const url = typeof body.url === 'string' ? body.url : '';
  const prefix = `${state.baseUrl()}/files/`;
  const taskId = url.startsWith(prefix) ? url.slice(prefix.length).replace(/\.mp4(\?.*)?$/, '') : undefined;
  const task = taskId ? state.tasks.get(taskId) : undefined;
  if (!task || state.tasks.stateOf(task) !== 'success') {
    return kieError(state, 422, 'The URL is not a file generated by KIE');
  }
  const expires = state.now() + 20 * 60 * 1000;
  return ok(`${resultUrlOf(state, task.taskId)}?expires=${expires}`);
}
