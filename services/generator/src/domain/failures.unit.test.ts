import type { GenerationErrorClass } from '@neurocards/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Classification,
  classifyFailure,
  failureRules,
  type ProviderFailure,
  retryDecision,
  retryPolicies,
} from './failures.js';

const api = (code: number, message: string, httpStatus = code): ProviderFailure => ({
  kind: 'api',
  httpStatus,
  code,
  message,
});
const task = (failCode: string, failMsg: string): ProviderFailure => ({ kind: 'task', failCode, failMsg });

type Case = [string, ProviderFailure, GenerationErrorClass, Partial<Classification> & { rule: string }];

// Real texts from reference/external-apis.md §1.3–§1.8 and kie-video-models.md §0–§1 where they exist; the
// photo-quality texts are invented, as no provider message for them has been seen yet.
const cases: Case[] = [
  [
    'paused model (code 500, KIE on HTTP 200)',
    api(500, 'This interface is temporarily paused', 200),
    'TEMPORARY',
    { rule: 'model_paused', code: 'model_paused', modelUnavailable: true },
  ],
  [
    'paused model, shouted',
    api(500, 'THIS INTERFACE IS TEMPORARILY PAUSED'),
    'TEMPORARY',
    { rule: 'model_paused', modelUnavailable: true },
  ],
  [
    'unknown model slug',
    api(422, 'The model name you specified is not supported'),
    'UNKNOWN',
    { rule: 'model_not_supported', code: 'model_not_supported', modelUnavailable: true },
  ],
  [
    'live model, our input lacks a field (code 500)',
    api(500, 'prompt is required'),
    'UNKNOWN',
    { rule: 'input_field_missing', code: 'input_rejected', modelUnavailable: true },
  ],
  [
    'people in the photo (failMsg)',
    task('400', 'We currently do not support uploads of images containing photorealistic people.'),
    'USER_VIOLATION',
    { rule: 'photo_people', code: 'photo_people', modelUnavailable: false },
  ],
  [
    'people in the photo (createTask, code 500)',
    api(
      500,
      'We currently do not support uploads of images containing photorealistic people. (AI generated)',
    ),
    'USER_VIOLATION',
    { rule: 'photo_people', code: 'photo_people' },
  ],
  [
    'third-party similarity',
    task('', 'This content may violate our guardrails concerning similarity to third-party content.'),
    'USER_VIOLATION',
    { rule: 'third_party_content', code: 'third_party_content' },
  ],
  [
    'content policy',
    task('', 'This content may violate our content policies.'),
    'USER_VIOLATION',
    { rule: 'content_policy', code: 'content_policy' },
  ],
  [
    'moderation',
    task('500', 'Your request was blocked by our moderation system.'),
    'USER_VIOLATION',
    { rule: 'moderation_blocked', code: 'moderation' },
  ],
  [
    'photo too small',
    task('', 'The input image is too small: minimum 300x300 pixels'),
    'USER_VIOLATION',
    { rule: 'photo_too_small', code: 'photo_too_small' },
  ],
  [
    'photo resolution too low',
    api(400, 'Image resolution is too low'),
    'USER_VIOLATION',
    { rule: 'photo_too_small', code: 'photo_too_small' },
  ],
  [
    'photo too dark',
    task('', 'The uploaded photo is too dark to generate a video'),
    'USER_VIOLATION',
    { rule: 'photo_too_dark', code: 'photo_too_dark' },
  ],
  [
    'no product',
    task('', 'Unable to detect a clear subject in the image'),
    'USER_VIOLATION',
    { rule: 'no_product', code: 'no_product' },
  ],
  [
    '401 bad key',
    api(401, 'You do not have access permissions'),
    'BILLING',
    { rule: 'unauthorized', code: 'key_unauthorized', keyCooldownMs: 24 * 3_600_000 },
  ],
  [
    '401 on recordInfo',
    api(401, 'Unauthorized'),
    'BILLING',
    { rule: 'unauthorized', keyCooldownMs: 24 * 3_600_000 },
  ],
  [
    '402 no credits',
    api(402, 'The current credits are insufficient. Please top up.'),
    'BILLING',
    { rule: 'insufficient_credits', code: 'no_credits', keyCooldownMs: 3_600_000 },
  ],
  [
    '429 rate limit',
    api(429, 'Rate limit exceeded'),
    'RATE_LIMIT',
    { rule: 'rate_limited', code: 'rate_limited', keyCooldownMs: 60_000 },
  ],
  [
    'HTTP 429 without a KIE body',
    api(429, 'non-JSON answer (Too Many Requests)'),
    'RATE_LIMIT',
    { rule: 'rate_limited', keyCooldownMs: 60_000 },
  ],
  [
    '433 sub-key limit',
    api(433, 'Sub-key usage exceeds the limit'),
    'BILLING',
    { rule: 'sub_key_limit', code: 'key_limit', keyCooldownMs: 3_600_000 },
  ],
  [
    '455 maintenance',
    api(455, 'Service is under maintenance'),
    'TEMPORARY',
    { rule: 'maintenance', code: 'maintenance' },
  ],
  [
    '422 validation',
    api(422, 'duration must be one of: 5, 10'),
    'UNKNOWN',
    { rule: 'validation_error', code: 'invalid_request', modelUnavailable: false },
  ],
  [
    '422 recordInfo is null',
    api(422, 'recordInfo is null'),
    'UNKNOWN',
    { rule: 'validation_error', code: 'invalid_request' },
  ],
  [
    '505 feature disabled',
    api(505, 'Feature disabled'),
    'TEMPORARY',
    { rule: 'feature_disabled', code: 'feature_disabled', modelUnavailable: true },
  ],
  [
    '501 generation failed',
    api(501, 'Generation failed'),
    'TEMPORARY',
    { rule: 'generation_failed', code: 'generation_failed' },
  ],
  [
    'task without failMsg (the client says "generation failed")',
    task('', 'generation failed'),
    'TEMPORARY',
    { rule: 'generation_failed' },
  ],
  [
    'busy provider',
    task('', 'The server is busy, please try again later'),
    'TEMPORARY',
    { rule: 'provider_busy', code: 'provider_busy' },
  ],
  [
    'overloaded model (a message match beats code 500)',
    api(500, 'Model overloaded'),
    'TEMPORARY',
    { rule: 'provider_busy' },
  ],
  [
    '500 server error',
    api(500, 'Internal server error'),
    'TEMPORARY',
    { rule: 'server_error', code: 'server_error', modelUnavailable: false },
  ],
  [
    'HTTP 502 from a proxy',
    api(502, 'non-JSON answer (<html>Bad Gateway</html>)'),
    'TEMPORARY',
    { rule: 'server_error' },
  ],
  [
    'failed task, the documented callback',
    task('500', 'Internal server error'),
    'TEMPORARY',
    { rule: 'task_server_error', code: 'task_server_error' },
  ],
  [
    'failed task, 5xx failCode with an odd text',
    task('503', 'upstream went away'),
    'TEMPORARY',
    { rule: 'task_server_error' },
  ],
  [
    'request timeout',
    { kind: 'timeout', message: 'UND_ERR_HEADERS_TIMEOUT: Headers Timeout Error' },
    'TEMPORARY',
    { rule: 'timeout', code: 'timeout' },
  ],
  [
    'network error',
    { kind: 'network', message: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:443' },
    'TEMPORARY',
    { rule: 'network', code: 'network' },
  ],
  [
    'polling gave up',
    { kind: 'poll_timeout', message: 'task task_1 still generating after 10 minutes' },
    'TEMPORARY',
    { rule: 'poll_timeout', code: 'poll_timeout' },
  ],
  [
    '404 task not found',
    api(404, 'Task not found'),
    'UNKNOWN',
    { rule: 'unknown', code: 'unknown', modelUnavailable: false },
  ],
  [
    'recordInfo without taskId is not a missing model field',
    api(400, 'taskId parameter is required'),
    'UNKNOWN',
    { rule: 'unknown' },
  ],
  ['unexpected data on HTTP 200', api(200, 'unexpected data: Invalid input'), 'UNKNOWN', { rule: 'unknown' }],
  ['a task failing for a reason nobody has seen', task('', 'Something odd'), 'UNKNOWN', { rule: 'unknown' }],
  [
    'a thrown value we do not know',
    api(0, 'TypeError: x is not a function', 0),
    'UNKNOWN',
    { rule: 'unknown' },
  ],
];

describe('classifyFailure', () => {
  it.each(cases)('%s', (_description, failure, errorClass, extras) => {
    expect(classifyFailure(failure)).toMatchObject({ errorClass, ...extras });
  });

  it('has no unreachable rows: every rule is the first match for some case', () => {
    const firstMatches = new Set(cases.map(([, failure]) => classifyFailure(failure).rule));
    expect(failureRules.map((rule) => rule.name).filter((name) => !firstMatches.has(name))).toEqual([]);
  });

  it('has unique rule names and ends with a catch-all UNKNOWN row', () => {
    const names = failureRules.map((rule) => rule.name);
    expect(new Set(names).size).toBe(names.length);
    const last = failureRules[failureRules.length - 1];
    expect(last?.errorClass).toBe('UNKNOWN');
    for (const [, failure] of cases) expect(last?.matches(failure)).toBe(true);
  });

  it('gives key cooldowns only to key-level rows and model fallback only to model-level rows', () => {
    const withCooldown = failureRules.filter((rule) => rule.keyCooldownMs !== undefined).map((r) => r.name);
    expect(withCooldown).toEqual(['unauthorized', 'insufficient_credits', 'rate_limited', 'sub_key_limit']);
    const fallback = failureRules.filter((rule) => rule.modelUnavailable).map((r) => r.name);
    expect(fallback).toEqual([
      'model_paused',
      'model_not_supported',
      'input_field_missing',
      'feature_disabled',
    ]);
  });

  it('leaves the key cooldown out of the classification when the row has none', () => {
    expect(classifyFailure(api(500, 'Internal server error'))).not.toHaveProperty('keyCooldownMs');
  });

  it('keeps messages at most 500 characters', () => {
    const long = `This interface is temporarily paused ${'x'.repeat(5000)}`;
    const result = classifyFailure(api(500, long));
    expect(result.rule).toBe('model_paused');
    expect(result.message).toHaveLength(500);
    expect(result.message.startsWith('This interface is temporarily paused')).toBe(true);
    expect(classifyFailure(task('500', ' Internal server error ')).message).toBe('Internal server error');
  });

  it('classifies any failure without throwing, with a bounded message', () => {
    const failure: fc.Arbitrary<ProviderFailure> = fc.oneof(
      fc.record({
        kind: fc.constant('api' as const),
        httpStatus: fc.integer({ min: 0, max: 599 }),
        code: fc.integer({ min: 0, max: 999 }),
        message: fc.string({ maxLength: 2000 }),
      }),
      fc.record({ kind: fc.constant('task' as const), failCode: fc.string(), failMsg: fc.string() }),
      fc.record({
        kind: fc.constantFrom('timeout' as const, 'network' as const, 'poll_timeout' as const),
        message: fc.string(),
      }),
    );
    fc.assert(
      fc.property(failure, (f) => {
        const result = classifyFailure(f);
        expect(failureRules.some((rule) => rule.name === result.rule)).toBe(true);
        expect(result.message.length).toBeLessThanOrEqual(500);
      }),
    );
  });
});

describe('retryDecision', () => {
  const schedule = (errorClass: GenerationErrorClass) =>
    Array.from({ length: 6 }, (_, index) => retryDecision(errorClass, index + 1));

  it('retries TEMPORARY 4 times after 5, 10, 20, 40 s, then stops', () => {
    expect(schedule('TEMPORARY')).toEqual([
      { retry: true, delayMs: 5_000 },
      { retry: true, delayMs: 10_000 },
      { retry: true, delayMs: 20_000 },
      { retry: true, delayMs: 40_000 },
      { retry: false },
      { retry: false },
    ]);
  });

  it('retries RATE_LIMIT 3 times after 60, 120, 240 s, then stops', () => {
    expect(schedule('RATE_LIMIT')).toEqual([
      { retry: true, delayMs: 60_000 },
      { retry: true, delayMs: 120_000 },
      { retry: true, delayMs: 240_000 },
      { retry: false },
      { retry: false },
      { retry: false },
    ]);
  });

  it('retries UNKNOWN twice after 10 and 30 s, then stops', () => {
    expect(schedule('UNKNOWN').slice(0, 3)).toEqual([
      { retry: true, delayMs: 10_000 },
      { retry: true, delayMs: 30_000 },
      { retry: false },
    ]);
  });

  it.each(['USER_VIOLATION', 'BILLING'] as const)('never retries %s', (errorClass) => {
    expect(schedule(errorClass).every((decision) => !decision.retry)).toBe(true);
  });

  it('has one delay per allowed retry in every policy', () => {
    for (const policy of Object.values(retryPolicies))
      expect(policy.delaysMs).toHaveLength(policy.maxRetries);
  });

  it('treats a count below 1 as the first failure', () => {
    expect(retryDecision('TEMPORARY', 0)).toEqual({ retry: true, delayMs: 5_000 });
  });
});
