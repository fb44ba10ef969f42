import pino, { type Logger } from 'pino';
import { currentWorkContext } from './context.js';

export type { Logger } from 'pino';

const REDACTED = '[redacted]';

// Keys that hold credentials wherever they appear in a logged object.
const SECRET_KEYS = [
  'token',
  'botToken',
  'apiKey',
  'apiKeys',
  'password',
  'secret',
  'authorization',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'OPENAI_API_KEY',
  'KIE_API_KEYS',
  'KIE_WEBHOOK_HMAC_KEY',
];
const redactPaths = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.*.${key}`),
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-telegram-bot-api-secret-token"]',
];

// Telegram file and method URLs embed the bot token; bearer headers embed API keys.
const SECRET_PATTERNS: RegExp[] = [/bot\d{5,}:[A-Za-z0-9_-]{20,}/g, /Bearer\s+[A-Za-z0-9._~+/=-]{8,}/gi];

/** Replaces known secret values and token-shaped substrings in free text. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const pattern of SECRET_PATTERNS)
    result = result.replace(pattern, (match) => match.replace(/[^\s]+$/, REDACTED));
  for (const secret of secrets) if (secret.length >= 6) result = result.split(secret).join(REDACTED);
  return result;
}

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Secret values from the configuration, removed from messages and error texts wherever they appear. */
  secrets?: readonly string[];
  destination?: pino.DestinationStream;
}

/** JSON logs with the service name, the current job as `correlationId`, and secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 6);
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: REDACTED },
      mixin() {
        const context = currentWorkContext();
        return context ? { ...context } : {};
      },
      serializers: {
        err: (error: unknown) => {
          const serialized = pino.stdSerializers.err(error as Error);
          return {
            ...serialized,
            message: scrubSecrets(serialized.message ?? '', secrets),
            stack: serialized.stack ? scrubSecrets(serialized.stack, secrets) : undefined,
          };
        },
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg, secrets) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
