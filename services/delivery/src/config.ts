import { tmpdir } from 'node:os';
import {
  baseConfigShape,
  durationSchema,
  httpPortShape,
  loadServiceConfig,
  telegramConfigShape,
} from '@neurocards/runtime/shell';
import { z } from 'zod';

const durationList = z
  .string()
  .regex(/^\s*[\d.]+(ms|s|m|h)?(\s*,\s*[\d.]+(ms|s|m|h)?)*\s*$/, 'comma-separated durations, e.g. 1s,5s,15s')
  .transform((value) => value.split(',').map((part) => durationSchema.parse(part.trim())));

export const deliveryConfigShape = {
  ...baseConfigShape,
  ...httpPortShape(3004),
  ...telegramConfigShape,
  /** Telegram's upload limit for bots on the cloud API; a larger video goes as a link. */
  VIDEO_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(50 * 1024 * 1024),
  /** The whole download of one video from the provider. */
  VIDEO_DOWNLOAD_TIMEOUT: durationSchema.default(120_000),
  /** Where videos are streamed to on their way from the provider to Telegram; each job's file is removed. */
  DELIVERY_TMP_DIR: z.string().min(1).default(tmpdir()),
  /**
   * Bytes of videos a replica holds in memory at once on their way to Telegram. A video of at most a quarter
   * of it skips the temporary file while there is room; 0 sends every video through a file.
   */
  DELIVERY_MEMORY_BUDGET: z.coerce
    .number()
    .int()
    .min(0)
    .default(64 * 1024 * 1024),
  /** One Bot API call, an upload of up to 50 MB included. */
  TELEGRAM_TIMEOUT: durationSchema.default(120_000),
  /** Waits before the retries of a Telegram 5xx or network failure, and of a failed download. */
  DELIVERY_RETRY_DELAYS: durationList.default([1000, 5000, 15_000]),
  /** 429 answers honoured (each waits its retry_after) before a call gives up. */
  TELEGRAM_MAX_RATE_LIMIT_WAITS: z.coerce.number().int().min(0).default(10),
  /** Messages per second to one chat, every replica together. */
  TELEGRAM_CHAT_RATE: z.coerce.number().positive().default(1),
  /** Messages per second from the whole bot, every replica together. */
  TELEGRAM_GLOBAL_RATE: z.coerce.number().positive().default(25),
  /** How often a replica looks for messages that other replicas queued (its own are sent at once). */
  OUTBOX_POLL_INTERVAL: durationSchema.default(500),
  /** A job still unfinished this long after its order gets one "still working" message. */
  SLOW_JOB_NOTICE_AFTER: durationSchema.default(5 * 60_000),
  /** How often the reminders are looked for. */
  SLOW_JOB_SCAN_INTERVAL: durationSchema.default(10_000),
  /** A delivered video's caption suggests buying credits when the balance is below this. */
  LOW_BALANCE_BELOW: z.coerce.number().int().min(0).default(3),
  /** How many times a seller may ask to send a failed video again. */
  MAX_RESEND_REQUESTS: z.coerce.number().int().min(0).default(3),
};

export type DeliveryConfig = ReturnType<typeof loadDeliveryConfig>;

export function loadDeliveryConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig('delivery', deliveryConfigShape, env);
}
