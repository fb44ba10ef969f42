import { baseConfigShape, exitOnConfigError, loadConfig } from '@neurocards/runtime/shell';
import { z } from 'zod';

export const deliveryConfigShape = {
  ...baseConfigShape,
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3004),
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'looks like 123456:ABC-DEF...'),
  TELEGRAM_API_ROOT: z
    .url({ protocol: /^https?$/ })
    .default('https://api.telegram.org')
    .transform((value) => value.replace(/\/+$/, '')),
  /** Telegram's upload limit for bots on the cloud API. */
  VIDEO_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(50 * 1024 * 1024),
  VIDEO_DOWNLOAD_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
};

export type DeliveryConfig = ReturnType<typeof loadDeliveryConfig>;

export function loadDeliveryConfig(env: NodeJS.ProcessEnv = process.env) {
  try {
    return loadConfig(deliveryConfigShape, env);
  } catch (error) {
    return exitOnConfigError('delivery', error);
  }
}
