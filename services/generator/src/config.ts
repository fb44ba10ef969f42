import {
  baseConfigShape,
  httpPortShape,
  loadServiceConfig,
  telegramConfigShape,
} from '@neurocards/runtime/shell';
import { z } from 'zod';

const url = z.url({ protocol: /^https?$/ });

export const generatorConfigShape = {
  ...baseConfigShape,
  ...httpPortShape(3003),
  ...telegramConfigShape,
  KIE_API_KEYS: z
    .string()
    .min(1)
    .transform((value) =>
      value
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    ),
  KIE_BASE_URL: url.default('https://api.kie.ai').transform((value) => value.replace(/\/+$/, '')),
  KIE_UPLOAD_BASE_URL: url
    .default('https://kieai.redpandaai.co')
    .transform((value) => value.replace(/\/+$/, '')),
  KIE_MODEL: z.string().min(1).default('kling-2.6/image-to-video'),
  KIE_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(3000),
  /** Polling gives up after this long (counts as a TEMPORARY failure). */
  KIE_POLL_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(10 * 60_000),
  KIE_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Largest photo accepted from Telegram. */
  PHOTO_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(10 * 1024 * 1024),
};

export type GeneratorConfig = ReturnType<typeof loadGeneratorConfig>;

export function loadGeneratorConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig('generator', generatorConfigShape, env);
}
