import type { OpenAIApi } from './openaiRequests.js';

/** A programmed misbehaviour of the next matching request(s). */
export type OpenAIFault = (
  | {
      kind: 'error';
      status: number;
      message: string;
      type: string;
      code: string | null;
      param?: string | null;
    }
  | { kind: 'malformed' }
  | { kind: 'refusal'; message: string }
  | { kind: 'truncated' }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
) & {
  /** Only this endpoint (default: both). */
  api?: OpenAIApi;
  /** How many requests it applies to (default 1; Infinity allowed). */
  times?: number;
  /** Seconds for a `retry-after` header (errors only). */
  retryAfterSeconds?: number;
};

/** Ready-made faults with the real API's error bodies. */
export const openaiFaults = {
  /** 401 invalid_api_key. */
  unauthorized: (times = 1): OpenAIFault => ({
    kind: 'error',
    status: 401,
    message:
      'Incorrect API key provided: sk-fake***. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    times,
  }),
  /** 429 rate_limit_exceeded with a retry-after header. */
  rateLimited: (retryAfterSeconds = 1, times = 1): OpenAIFault => ({
    kind: 'error',
    status: 429,
    message: `Rate limit reached for requests. Please try again in ${retryAfterSeconds}s.`,
    type: 'requests',
    code: 'rate_limit_exceeded',
    retryAfterSeconds,
    times,
  }),
  /** 429 insufficient_quota (billing), which must not be retried. */
  insufficientQuota: (times = 1): OpenAIFault => ({
    kind: 'error',
    status: 429,
    message: 'You exceeded your current quota, please check your plan and billing details.',
    type: 'insufficient_quota',
    code: 'insufficient_quota',
    times,
  }),
  /** 500 server_error. */
  serverError: (times = 1): OpenAIFault => ({
    kind: 'error',
    status: 500,
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
    times,
  }),
  /** 200 with content that is not valid JSON (the SDK's parse throws). */
  malformedJson: (times = 1): OpenAIFault => ({ kind: 'malformed', times }),
  /** The model refuses (message.refusal / a refusal content part). */
  refusal: (message = "I'm sorry, I can't help with that.", times = 1): OpenAIFault => ({
    kind: 'refusal',
    message,
    times,
  }),
  /** Output cut by max tokens (finish_reason length / status incomplete). */
  truncated: (times = 1): OpenAIFault => ({ kind: 'truncated', times }),
  /** Never answers; the client's timeout fires. */
  hang: (times = 1): OpenAIFault => ({ kind: 'hang', times }),
  /** Answers normally after `ms`. */
  delay: (ms: number, times = 1): OpenAIFault => ({ kind: 'delay', ms, times }),
};
