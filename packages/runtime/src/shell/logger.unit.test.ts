import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { withWorkContext } from './context.js';
import { createLogger, scrubSecrets } from './logger.js';

const botToken = '123456789:TEST-fake-token-for-tests_abcdefghijklm';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('redacts secret keys, token-shaped strings and configured secret values', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'test', secrets: ['kie-secret-key-1'], destination });
    logger.info(
      { token: botToken, config: { apiKey: 'sk-abc' } },
      `GET https://api.telegram.org/file/bot${botToken}/x.jpg`,
    );
    logger.error(
      { err: new Error('KIE said no to kie-secret-key-1') },
      'failed with Bearer kie-secret-key-1',
    );
    const text = JSON.stringify(lines);
    expect(text).not.toContain(botToken);
    expect(text).not.toContain('TEST-fake-token-for-tests');
    expect(text).not.toContain('sk-abc');
    expect(text).not.toContain('kie-secret-key-1');
    expect(lines[0]?.msg).toBe('GET https://api.telegram.org/file/[redacted]/x.jpg');
  });

  it('carries the job id of the work in progress as correlationId', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'test', destination });
    withWorkContext({ correlationId: 'job-1', eventId: 'e-1' }, () => logger.info('inside'));
    logger.info('outside');
    expect(lines[0]).toMatchObject({
      service: 'test',
      correlationId: 'job-1',
      eventId: 'e-1',
      msg: 'inside',
    });
    expect(lines[1]?.correlationId).toBeUndefined();
  });

  it('scrubs bearer headers', () => {
    expect(scrubSecrets('Authorization: Bearer abcdefgh12345')).toBe('Authorization: Bearer [redacted]');
  });
});
