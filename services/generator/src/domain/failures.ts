import type { GenerationErrorClass } from '@neurocards/contracts';

// The failure policy of DESIGN §6 as data: an ordered table of rules over what the provider said, and the
// retry schedule per class. Texts and codes come from reference/external-apis.md §1.3–§1.8 and
// reference/kie-video-models.md §0–§1. KIE reuses code 500 for "paused" and "<field> is required", so rows
// that match a message sit above the rows that match a bare code.

/** What went wrong with one provider call, reduced to the facts the table matches on. */
export type ProviderFailure =
  /** createTask / recordInfo / upload refused (non-2xx HTTP or body code != 200). */
  | { kind: 'api'; httpStatus: number; code: number; message: string }
  /** A task that ended in state "fail". */
  | { kind: 'task'; failCode: string; failMsg: string }
  /** A request that timed out. */
  | { kind: 'timeout'; message: string }
  /** Connection refused or reset, DNS failure… */
  | { kind: 'network'; message: string }
  /** Polling gave up after 10 minutes. */
  | { kind: 'poll_timeout'; message: string };

/** One row of the failure table: the first rule whose `matches` holds decides the class. */
export interface FailureRule {
  name: string;
  matches(f: ProviderFailure): boolean;
  errorClass: GenerationErrorClass;
  /** What ops/users see. */
  code: string;
  /** The model is paused, unknown or unusable as we call it: try the next model. */
  modelUnavailable?: boolean;
  /** A key-level problem: cool this key down for this long. */
  keyCooldownMs?: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The provider's own words: the API message or the task's failMsg; our own timeouts say nothing here. */
function providerText(f: ProviderFailure): string | undefined {
  if (f.kind === 'api') return f.message;
  if (f.kind === 'task') return f.failMsg;
  return undefined;
}

const says =
  (pattern: RegExp) =>
  (f: ProviderFailure): boolean => {
    const text = providerText(f);
    return text !== undefined && pattern.test(text);
  };

// The body code is KIE's answer; the HTTP status covers proxies and bodies that are not KIE JSON.
const apiCode =
  (...codes: number[]) =>
  (f: ProviderFailure): boolean =>
    f.kind === 'api' && (codes.includes(f.code) || codes.includes(f.httpStatus));

const either =
  (...tests: ((f: ProviderFailure) => boolean)[]) =>
  (f: ProviderFailure): boolean =>
    tests.some((test) => test(f));

const isServerError = (status: number) => status >= 500 && status <= 599;

/** THE TABLE: ordered, first match wins; the last row catches everything as UNKNOWN. */
export const failureRules: readonly FailureRule[] = [
  ////////// The model itself (message first: all of these can arrive as code 500)
  {
    name: 'model_paused',
    matches: says(/temporarily paused/i),
    errorClass: 'TEMPORARY',
    code: 'model_paused',
    modelUnavailable: true,
  },
  {
    // Our configuration names a slug KIE does not know; retrying the same model cannot help.
    name: 'model_not_supported',
    matches: says(/model name you specified is not supported/i),
    errorClass: 'UNKNOWN',
    code: 'model_not_supported',
    modelUnavailable: true,
  },
  {
    // "<field> is required" means the model is live but its schema moved away from our input builder; another
    // model's builder may still fit. "taskId parameter is required" (recordInfo) does not match on purpose.
    name: 'input_field_missing',
    matches: (f) => f.kind === 'api' && /^\s*[\w.[\]]+ is required\.?\s*$/i.test(f.message),
    errorClass: 'UNKNOWN',
    code: 'input_rejected',
    modelUnavailable: true,
  },

  ////////// The seller's photo or prompt (no retry: the same photo fails the same way)
  {
    name: 'photo_people',
    matches: says(
      /photorealistic people|(contains?|depicts?|with) (real people|human faces?)|public figures?/i,
    ),
    errorClass: 'USER_VIOLATION',
    code: 'photo_people',
  },
  {
    name: 'third_party_content',
    matches: says(/similarity to third[- ]party content|copyright/i),
    errorClass: 'USER_VIOLATION',
    code: 'third_party_content',
  },
  {
    name: 'content_policy',
    matches: says(/violate (our )?content polic(y|ies)|violates? .*guidelines/i),
    errorClass: 'USER_VIOLATION',
    code: 'content_policy',
  },
  {
    name: 'moderation_blocked',
    matches: says(/blocked by (our |the )?moderation|flagged by (our |the )?(moderation|safety)|\bnsfw\b/i),
    errorClass: 'USER_VIOLATION',
    code: 'moderation',
  },
  {
    name: 'photo_too_small',
    matches: says(
      /(image|photo|picture)\b[^.]*\b(too small|resolution (is )?(too )?low|below (the )?minimum (size|resolution))|(width|height)[^.]*must be at least/i,
    ),
    errorClass: 'USER_VIOLATION',
    code: 'photo_too_small',
  },
  {
    name: 'photo_too_dark',
    matches: says(
      /(image|photo|picture)\b[^.]*\btoo dark|underexposed|(insufficient|poor|low) (lighting|brightness)/i,
    ),
    errorClass: 'USER_VIOLATION',
    code: 'photo_too_dark',
  },
  {
    name: 'no_product',
    matches: says(
      /no (clear |main |visible )?(product|subject|object)s? (was |were |is )?(detected|found|visible)|(could not|cannot|can't|unable to) (detect|find|identify|recogni[sz]e) (a |the |any )?(clear |main )?(product|subject|object)/i,
    ),
    errorClass: 'USER_VIOLATION',
    code: 'no_product',
  },

  ////////// The account or key (§1.5 business codes; the caller switches keys on BILLING)
  {
    name: 'unauthorized',
    matches: apiCode(401),
    errorClass: 'BILLING',
    code: 'key_unauthorized',
    // A revoked or mistyped key does not heal by itself; a day keeps it out of rotation until ops act.
    keyCooldownMs: 24 * HOUR,
  },
  {
    name: 'insufficient_credits',
    matches: either(apiCode(402), says(/credits? (are |is )?insufficient|insufficient (credits?|balance)/i)),
    errorClass: 'BILLING',
    code: 'no_credits',
    // Ops top up by hand; an hour is short enough to notice a top-up and long enough not to hammer KIE.
    keyCooldownMs: HOUR,
  },
  {
    name: 'rate_limited',
    matches: either(apiCode(429), says(/rate limit/i)),
    errorClass: 'RATE_LIMIT',
    code: 'rate_limited',
    // KIE counts 20 creates per 10 s per account and rejects the excess: a minute lets the window drain.
    keyCooldownMs: MINUTE,
  },
  {
    name: 'sub_key_limit',
    matches: either(apiCode(433), says(/sub-?key usage/i)),
    errorClass: 'BILLING',
    code: 'key_limit',
    // Per-key hourly/daily caps: an hour covers the hourly one, the daily one just keeps failing over.
    keyCooldownMs: HOUR,
  },

  ////////// The service
  {
    name: 'maintenance',
    matches: either(apiCode(455), says(/maintenance/i)),
    errorClass: 'TEMPORARY',
    code: 'maintenance',
  },
  {
    // Our request broke the contract: a bug on our side, retried a little and logged (§6 UNKNOWN).
    name: 'validation_error',
    matches: apiCode(422),
    errorClass: 'UNKNOWN',
    code: 'invalid_request',
  },
  {
    name: 'feature_disabled',
    matches: apiCode(505),
    errorClass: 'TEMPORARY',
    code: 'feature_disabled',
    modelUnavailable: true,
  },
  {
    // KIE says nothing more than "generation failed"; failed tasks are not charged, so a retry is cheap.
    name: 'generation_failed',
    matches: either(apiCode(501), says(/^\s*(playground task|generation|task) failed\.?\s*$/i)),
    errorClass: 'TEMPORARY',
    code: 'generation_failed',
  },
  {
    name: 'provider_busy',
    matches: says(/\bbusy\b|overload|high demand|capacity|try again later/i),
    errorClass: 'TEMPORARY',
    code: 'provider_busy',
  },
  {
    name: 'server_error',
    matches: (f) => f.kind === 'api' && (isServerError(f.code) || isServerError(f.httpStatus)),
    errorClass: 'TEMPORARY',
    code: 'server_error',
  },
  {
    // The documented failure callback: failCode "500", failMsg "Internal server error".
    name: 'task_server_error',
    matches: (f) =>
      f.kind === 'task' && (isServerError(Number(f.failCode)) || /internal server error/i.test(f.failMsg)),
    errorClass: 'TEMPORARY',
    code: 'task_server_error',
  },

  ////////// Our side of the wire
  { name: 'timeout', matches: (f) => f.kind === 'timeout', errorClass: 'TEMPORARY', code: 'timeout' },
  { name: 'network', matches: (f) => f.kind === 'network', errorClass: 'TEMPORARY', code: 'network' },
  {
    name: 'poll_timeout',
    matches: (f) => f.kind === 'poll_timeout',
    errorClass: 'TEMPORARY',
    code: 'poll_timeout',
  },

  ////////// Everything else
  { name: 'unknown', matches: () => true, errorClass: 'UNKNOWN', code: 'unknown' },
];

/** The verdict on one failure: class, table row and a bounded message for events and logs. */
export interface Classification {
  errorClass: GenerationErrorClass;
  code: string;
  message: string;
  rule: string;
  modelUnavailable: boolean;
  keyCooldownMs?: number;
}

// Provider messages end up in events and ops alerts; some providers echo whole prompts back.
const MAX_MESSAGE_LENGTH = 500;

function boundedMessage(f: ProviderFailure): string {
  const text = (f.kind === 'task' ? f.failMsg : f.message).trim();
  return text.length <= MAX_MESSAGE_LENGTH ? text : `${text.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/** Classifies a failed provider call or task by the first matching row of `failureRules`. */
export function classifyFailure(f: ProviderFailure): Classification {
  const rule = failureRules.find((candidate) => candidate.matches(f));
  // Unreachable while the catch-all row is last; the unit test pins that.
  if (!rule) throw new Error('failureRules lost its catch-all row');
  return {
    errorClass: rule.errorClass,
    code: rule.code,
    message: boundedMessage(f),
    rule: rule.name,
    modelUnavailable: rule.modelUnavailable ?? false,
    ...(rule.keyCooldownMs === undefined ? {} : { keyCooldownMs: rule.keyCooldownMs }),
  };
}

/** How often and after which pauses a class of failure is retried. */
export interface RetryPolicy {
  maxRetries: number;
  delaysMs: readonly number[];
}

/** DESIGN §6 retry schedules per class. */
export const retryPolicies: Record<GenerationErrorClass, RetryPolicy> = {
  TEMPORARY: { maxRetries: 4, delaysMs: [5 * SECOND, 10 * SECOND, 20 * SECOND, 40 * SECOND] },
  RATE_LIMIT: { maxRetries: 3, delaysMs: [MINUTE, 2 * MINUTE, 4 * MINUTE] },
  // The same photo fails the same way; the user has to send another one.
  USER_VIOLATION: { maxRetries: 0, delaysMs: [] },
  // The caller switches to another key before asking; with no key left there is nothing to wait for.
  BILLING: { maxRetries: 0, delaysMs: [] },
  // Possibly our bug: a couple of logged retries, then refund.
  UNKNOWN: { maxRetries: 2, delaysMs: [10 * SECOND, 30 * SECOND] },
};

/**
 * Whether to retry after a failure of this class, counting the failure just seen (1 for the first one):
 * TEMPORARY retries after failures 1–4 and stops at the 5th.
 */
export function retryDecision(
  errorClass: GenerationErrorClass,
  failuresSoFarOfThisClass: number,
): { retry: true; delayMs: number } | { retry: false } {
  const policy = retryPolicies[errorClass];
  const failures = Math.max(1, Math.floor(failuresSoFarOfThisClass));
  if (failures > policy.maxRetries) return { retry: false };
  const delayMs = policy.delaysMs[Math.min(failures, policy.delaysMs.length) - 1];
  return delayMs === undefined ? { retry: false } : { retry: true, delayMs };
}
