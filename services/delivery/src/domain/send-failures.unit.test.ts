import { describe, expect, it } from 'vitest';
import { judgeSendFailure, type TelegramFailure } from './send-failures.js';

const answer = (status: number, description: string, retryAfterSeconds?: number): TelegramFailure => ({
  kind: 'answer',
  status,
  description,
  retryAfterSeconds,
});

// Descriptions as the Bot API sends them (shared/reference/external-apis.md §2.2).
describe('judgeSendFailure', () => {
  it.each([
    [
      '429 waits retry_after',
      answer(429, 'Too Many Requests: retry after 7', 7),
      { action: 'retry', errorClass: 'RATE_LIMIT', afterMs: 7000 },
    ],
    ['500 retries', answer(500, 'Internal Server Error'), { action: 'retry', errorClass: 'TEMPORARY' }],
    ['502 retries', answer(502, 'Bad Gateway'), { action: 'retry', errorClass: 'TEMPORARY' }],
    [
      'a cut connection retries',
      { kind: 'network', description: 'socket hang up' } as const,
      { action: 'retry', errorClass: 'TEMPORARY' },
    ],
    [
      '403 blocked is final',
      answer(403, 'Forbidden: bot was blocked by the user'),
      { action: 'final', errorClass: 'BLOCKED' },
    ],
    [
      '403 deactivated is final',
      answer(403, 'Forbidden: user is deactivated'),
      { action: 'final', errorClass: 'BLOCKED' },
    ],
    [
      '400 chat not found is final',
      answer(400, 'Bad Request: chat not found'),
      { action: 'final', errorClass: 'BLOCKED' },
    ],
    [
      '413 falls back',
      answer(413, 'Request Entity Too Large'),
      { action: 'fallback', errorClass: 'TOO_LARGE' },
    ],
    [
      '400 file is too big falls back',
      answer(400, 'Bad Request: file is too big'),
      { action: 'fallback', errorClass: 'TOO_LARGE' },
    ],
    [
      '400 wrong file falls back',
      answer(400, 'Bad Request: wrong file identifier/HTTP URL specified'),
      { action: 'fallback', errorClass: 'BAD_MEDIA' },
    ],
    [
      '400 bad content falls back',
      answer(400, 'Bad Request: wrong type of the web page content'),
      { action: 'fallback', errorClass: 'BAD_MEDIA' },
    ],
    ['401 is not understood', answer(401, 'Unauthorized'), { action: 'unknown', errorClass: 'UNKNOWN' }],
    ['404 is not understood', answer(404, 'Not Found'), { action: 'unknown', errorClass: 'UNKNOWN' }],
  ])('%s', (_name, failure, verdict) => {
    expect(judgeSendFailure(failure)).toEqual(verdict);
  });

  it('a 429 without retry_after waits a second', () => {
    expect(judgeSendFailure(answer(429, 'Too Many Requests'))).toMatchObject({ afterMs: 1000 });
  });
});
