/** The states a KIE market task goes through. */
export type KieTaskState = 'waiting' | 'queuing' | 'generating' | 'success' | 'fail';

/** How a task ends. */
export type KieTaskOutcome = { kind: 'success' } | { kind: 'fail'; failCode: string; failMsg: string };

/** A task created through the fake, as recorded for assertions. */
export interface KieTask {
  taskId: string;
  model: string;
  input: Record<string, unknown>;
  callBackUrl?: string;
  /** API key that created it. */
  apiKey: string;
  /** The createTask body as a JSON string, as recordInfo returns it in `param`. */
  param: string;
  createTime: number;
  /** Decided at creation (scripts, random failures); applied when the task finishes. */
  outcome: KieTaskOutcome;
  /** Set once the task reached success or fail. */
  completeTime?: number;
  /** A state forced by `setTaskState` while the task is in manual mode or not finished. */
  forcedState?: Exclude<KieTaskState, 'success' | 'fail'>;
  polls: number;
  creditsCharged: number;
}

/** A programmed createTask failure: `{code, msg}` in the body with the given HTTP status. */
export interface KieCreateFault {
  /** Business code in the body, e.g. 402, 429, 433, 455, 500, 501. */
  code: number;
  msg: string;
  /** HTTP status (default: the code for 401/429 as documented, else 200 unless `mirrorHttpStatus`). */
  httpStatus?: number;
  /** Only calls for this model / with this API key. */
  model?: string;
  apiKey?: string;
  /** How many calls fail (default 1, Infinity allowed). */
  times?: number;
}

/** A programmed task failure revealed at poll/callback time. */
export interface KieTaskFailure {
  failCode?: string;
  failMsg: string;
  /** Only tasks of this model. */
  model?: string;
  /** How many newly created tasks fail (default 1). */
  times?: number;
}

/** Random failures drawn from a seeded generator, for soak tests and benchmarks. */
export interface KieRandomFailures {
  seed: number;
  /** Probability that createTask answers 500 (default 0). */
  createFailureRate?: number;
  /** Probability that a created task ends in `fail` (default 0). */
  taskFailureRate?: number;
  failCode?: string;
  failMsg?: string;
}

/** One recorded HTTP call to the fake. */
export interface KieCall {
  method: string;
  path: string;
  apiKey: string | undefined;
  body: unknown;
  at: number;
  httpStatus: number;
  code: number | undefined;
}

/** One callback POST attempt. */
export interface KieCallbackDelivery {
  taskId: string;
  url: string;
  body: unknown;
  headers: Record<string, string>;
  status?: number;
  error?: string;
  at: number;
}

/** Ready-made createTask failures with the messages from the reference. */
export const kieFaults = {
  /** 401: bad or missing key. */
  unauthorized: (times = 1): KieCreateFault => ({
    code: 401,
    msg: 'You do not have access permissions',
    times,
  }),
  /** 402: the account has no credits left. */
  insufficientCredits: (times = 1): KieCreateFault => ({
    code: 402,
    msg: 'The current credits are insufficient. Please top up.',
    times,
  }),
  /** 429: account rate limit (20 creates / 10 s by default). */
  rateLimited: (times = 1): KieCreateFault => ({ code: 429, msg: 'Rate limit exceeded', times }),
  /** 433: a sub-key went over its usage limit. */
  subKeyOverLimit: (times = 1): KieCreateFault => ({
    code: 433,
    msg: 'Sub-key usage exceeds the limit',
    times,
  }),
  /** 455: service unavailable / maintenance. */
  maintenance: (times = 1): KieCreateFault => ({ code: 455, msg: 'Service is under maintenance', times }),
  /** 500 as the paused Sora 2 models answered. */
  paused: (times = 1): KieCreateFault => ({ code: 500, msg: 'This interface is temporarily paused', times }),
  /** 500 server error. */
  serverError: (times = 1): KieCreateFault => ({ code: 500, msg: 'Internal server error', times }),
  /** 501: generation failed. */
  generationFailed: (times = 1): KieCreateFault => ({ code: 501, msg: 'Generation failed', times }),
};

/** failMsg values seen from the real content filters (external-apis.md §1.8). */
export const kieContentPolicyMessages = {
  photorealisticPeople: 'We currently do not support uploads of images containing photorealistic people.',
  thirdPartySimilarity:
    'This content may violate our guardrails concerning similarity to third-party content.',
  contentPolicy: 'This content may violate our content policies.',
  moderationBlocked: 'Your request was blocked by our moderation system.',
} as const;

/** The API calls whose answer a `KieMalformedReply` can replace. */
export type KieReplyRoute = 'createTask' | 'recordInfo';

/** What a malformed reply is matched on: the createTask body, or the task recordInfo asked about. */
export interface KieReplyCall {
  route: KieReplyRoute;
  /** The JSON body of a createTask call. */
  body?: Record<string, unknown>;
  /** The task of a recordInfo call (undefined for an unknown task id). */
  task?: KieTask;
}

/**
 * A reply that breaks the API's contract (a missing or mistyped field, an HTML error page from a proxy, a
 * success without a video), sent instead of the real answer. A createTask answered this way creates no task.
 */
export interface KieMalformedReply {
  route: KieReplyRoute;
  /** HTTP status (default 200). */
  httpStatus?: number;
  /** Content type (default: application/json for an object body, text/html for a string). */
  contentType?: string;
  /** The body as sent: an object is JSON-encoded, a string goes as it is; a function sees the call. */
  body: string | object | ((call: KieReplyCall) => string | object);
  /** Only calls for which this holds (default: every call of the route). */
  matches?: (call: KieReplyCall) => boolean;
  /** How many calls get it (default 1, Infinity allowed). */
  times?: number;
}

/** Ready-made malformed replies. */
export const kieMalformedReplies = {
  /** createTask says success but `data` has no taskId. */
  missingTaskId: (): KieMalformedReply => ({
    route: 'createTask',
    body: { code: 200, msg: 'success', data: {} },
  }),
  /** createTask's taskId is a number, not a string. */
  taskIdNotAString: (): KieMalformedReply => ({
    route: 'createTask',
    body: { code: 200, msg: 'success', data: { taskId: 12345 } },
  }),
  /** A proxy's HTML error page instead of KIE's JSON. */
  htmlErrorPage: (route: KieReplyRoute = 'createTask', httpStatus = 502): KieMalformedReply => ({
    route,
    httpStatus,
    body: `<html><head><title>${httpStatus} Bad Gateway</title></head><body><center><h1>${httpStatus} Bad Gateway</h1></center><hr><center>nginx</center></body></html>`,
  }),
  /** recordInfo reports success with no result URL in resultJson. */
  successWithoutVideoUrl: (): KieMalformedReply => ({
    route: 'recordInfo',
    body: (call) => ({
      code: 200,
      msg: 'success',
      data: { taskId: call.task?.taskId ?? '', state: 'success', resultJson: '{"resultUrls":[]}' },
    }),
  }),
  /** recordInfo's fields have the wrong types (state a number, resultJson an object). */
  wrongFieldTypes: (): KieMalformedReply => ({
    route: 'recordInfo',
    body: (call) => ({
      code: 200,
      msg: 'success',
      data: { taskId: call.task?.taskId ?? '', state: 3, resultJson: { resultUrls: 'nope' } },
    }),
  }),
};
