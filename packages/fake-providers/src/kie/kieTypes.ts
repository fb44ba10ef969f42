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
