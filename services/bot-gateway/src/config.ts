import { creditPackagesSchema } from '@neurocards/contracts';
import {
  baseConfigShape,
  durationSchema,
  httpPortShape,
  loadServiceConfig,
  telegramConfigShape,
} from '@neurocards/runtime/shell';
import { z } from 'zod';

const telegramIds = z
  .string()
  .regex(/^\s*(\d{1,16}(\s*,\s*\d{1,16})*)?\s*$/, 'comma-separated Telegram user ids')
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean)
      .map(Number),
  );

/** `count/window`, e.g. `20/10s`: at most `count` updates from one user per window. */
const floodLimit = z
  .string()
  .regex(/^\d+\/\d+(ms|s|m|h)$/, 'count/window, e.g. 20/10s')
  .default('20/10s')
  .transform((value) => {
    const [count = '0', window = '0'] = value.split('/');
    return { count: Number(count), windowMs: durationSchema.parse(window) };
  });

export const gatewayConfigShape = {
  ...baseConfigShape,
  ...httpPortShape(3001),
  ...telegramConfigShape,
  /** Webhook mode when set (Telegram posts to `<url>`, which must reach this service's /telegram/webhook). */
  TELEGRAM_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Sent by Telegram in X-Telegram-Bot-Api-Secret-Token with every webhook call; required with the URL. */
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, '16-256 characters of A-Z, a-z, 0-9, _ and -')
    .optional(),
  /** Telegram user ids allowed to use the admin commands. */
  ADMIN_TELEGRAM_IDS: telegramIds,
  KIE_MODEL: z.string().min(1).default('kling-2.6/image-to-video'),
  FREE_CREDITS: z.coerce.number().int().min(0).max(1000).default(2),
  CREDITS_PER_VIDEO: z.coerce.number().int().min(1).max(1000).default(1),
  CREDIT_PACKAGES: creditPackagesSchema,
  /** Unfinished jobs one seller may have at once. */
  MAX_ACTIVE_JOBS: z.coerce.number().int().min(1).max(100).default(5),
  USER_FLOOD_LIMIT: floodLimit,
  /** Largest product photo accepted (a photo sent as a file may be large). */
  PHOTO_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(10 * 1024 * 1024),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadServiceConfig('bot-gateway', gatewayConfigShape, env);
  if (config.TELEGRAM_WEBHOOK_URL && !config.TELEGRAM_WEBHOOK_SECRET) {
    process.stderr.write(
      'bot-gateway: TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set\n',
    );
    process.exit(78);
  }
  return config;
}
