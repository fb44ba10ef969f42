import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseConfigShape, ConfigError, durationSchema, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the defaults of DESIGN §8', () => {
    const config = loadConfig(baseConfigShape, {});
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/neurocards');
    expect(config.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.BUS_PREFIX).toBe('nc');
    expect(config.RELAY_ENABLED).toBe(true);
    expect(config.CONSUMER_RETRY_DELAYS_MS).toEqual([1000, 5000, 15000, 60000]);
  });

  it('names every bad variable in one error', () => {
    try {
      loadConfig(baseConfigShape, { DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', RELAY_ENABLED: 'perhaps' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/DATABASE_URL/);
      expect(message).toMatch(/LOG_LEVEL/);
      expect(message).toMatch(/RELAY_ENABLED/);
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });

  it('says which required variable is missing, and treats blank as missing', () => {
    const shape = { ...baseConfigShape, TELEGRAM_BOT_TOKEN: z.string().min(10) };
    expect(() => loadConfig(shape, { TELEGRAM_BOT_TOKEN: '   ' })).toThrow(/TELEGRAM_BOT_TOKEN is required/);
  });

  it('coerces numbers and parses delay lists', () => {
    const config = loadConfig(baseConfigShape, {
      CONSUMER_CONCURRENCY: '4',
      CONSUMER_RETRY_DELAYS_MS: '10,20',
    });
    expect(config.CONSUMER_CONCURRENCY).toBe(4);
    expect(config.CONSUMER_RETRY_DELAYS_MS).toEqual([10, 20]);
    expect(() => loadConfig(baseConfigShape, { CONSUMER_CONCURRENCY: 'many' })).toThrow(
      /CONSUMER_CONCURRENCY/,
    );
  });
});

describe('durationSchema', () => {
  it('reads units and bare milliseconds, and refuses anything else', () => {
    expect(durationSchema.parse('30m')).toBe(1_800_000);
    expect(durationSchema.parse('90s')).toBe(90_000);
    expect(durationSchema.parse('1.5h')).toBe(5_400_000);
    expect(durationSchema.parse('250ms')).toBe(250);
    expect(durationSchema.parse('1200')).toBe(1200);
    expect(durationSchema.safeParse('soon').success).toBe(false);
    expect(durationSchema.safeParse('-5s').success).toBe(false);
  });
});
