import { z } from 'zod';

/** A configuration problem, naming each bad or missing variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables every service reads (DESIGN §8 and docs/configuration.md). */
export const baseConfigShape = {
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/ })
    .default('postgres://postgres@127.0.0.1:5432/neurocards'),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Prefix of JetStream stream and subject names; tests use their own. */
  BUS_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'lowercase letters, digits and _, starting with a letter')
    .default('nc'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  /** Whether this process stands for the relay election (exactly one process in the system leads). */
  RELAY_ENABLED: z.stringbool().default(true),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** Time given to in-flight handlers on SIGTERM before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000),
  /** Handlers of one consumer running at once in one process. */
  CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  CONSUMER_MAX_DELIVER: z.coerce.number().int().min(1).max(100).default(5),
  /** Comma-separated redelivery delays in ms after the 1st, 2nd, ... failure. */
  CONSUMER_RETRY_DELAYS_MS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'comma-separated milliseconds, e.g. 1000,5000,15000')
    .default('1000,5000,15000,60000')
    .transform((value) => value.split(',').map(Number)),
};

/**
 * Parses the environment once against a zod shape. Empty strings count as unset, so `FOO=` in a compose
 * file falls back to the default instead of failing.
 * @throws ConfigError naming every variable that is missing or wrong.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const result = z.object(shape).safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const variable = issue.path.join('.') || '(environment)';
        return input[variable] === undefined && issue.code === 'invalid_type'
          ? `${variable} is required`
          : `${variable}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}

const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A duration such as `30m`, `90s`, `1h` or `500ms` (a bare number is milliseconds), parsed to milliseconds. */
export const durationSchema = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, 'a duration such as 30m, 90s, 1h or 500ms')
  .transform((value) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
    const unit = (match?.[2] ?? 'ms') as keyof typeof DURATION_UNITS;
    return Math.round(Number(match?.[1]) * DURATION_UNITS[unit]);
  });

/** The Telegram Bot API connection, for services that talk to Telegram. */
export const telegramConfigShape = {
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'looks like 123456:ABC-DEF...'),
  TELEGRAM_API_ROOT: z
    .url({ protocol: /^https?$/ })
    .default('https://api.telegram.org')
    .transform((value) => value.replace(/\/+$/, '')),
};

/** A service's port default for HTTP_PORT. */
export const httpPortShape = (defaultPort: number) => ({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(defaultPort),
});

/** loadConfig for a service's main: a bad environment ends the process with the problems named. */
export function loadServiceConfig<Shape extends z.ZodRawShape>(
  service: string,
  shape: Shape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  try {
    return loadConfig(shape, env);
  } catch (error) {
    return exitOnConfigError(service, error);
  }
}

/** Prints a configuration error the way an operator needs it, and exits. */
export function exitOnConfigError(service: string, error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(`${service}: ${error.message}`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}
