import {
  baseConfigShape,
  httpPortShape,
  loadServiceConfig,
  telegramConfigShape,
} from '@neurocards/runtime/shell';
import { z } from 'zod';

export const deliveryConfigShape = {
  ...baseConfigShape,
  ...httpPortShape(3004),
  ...telegramConfigShape,
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
  return loadServiceConfig('delivery', deliveryConfigShape, env);
}
