import {
  baseConfigShape,
  durationSchema,
  httpPortShape,
  loadServiceConfig,
  telegramConfigShape,
} from '@neurocards/runtime/shell';
import { z } from 'zod';

const baseUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ''));
const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

export const generatorConfigShape = {
  ...baseConfigShape,
  ...httpPortShape(3003),
  ...telegramConfigShape,
  /** The key pool, comma-separated; keys that answer 401, 402, 429 or 433 cool down and the next is used. */
  KIE_API_KEYS: commaList.pipe(z.array(z.string().min(8)).min(1, 'at least one key')),
  KIE_BASE_URL: baseUrl.default('https://api.kie.ai'),
  KIE_UPLOAD_BASE_URL: baseUrl.default('https://kieai.redpandaai.co'),
  /** The default video model; the others of the registry follow in KIE_MODEL_FALLBACKS order. */
  KIE_MODEL: z.string().min(1).default('kling-2.6/image-to-video'),
  KIE_MODEL_FALLBACKS: commaList.default(['bytedance/seedance-1.5-pro', 'wan/2-6-image-to-video']),
  /** Task creations allowed per window for the whole account, across all replicas: `<count>/<duration>`. */
  KIE_RATE_LIMIT: z
    .string()
    .regex(/^\d+\/\d+(\.\d+)?(ms|s|m|h)?$/, 'like 20/10s')
    .default('20/10s')
    .transform((value) => {
      const [count, window] = value.split('/');
      return { count: Number(count), windowMs: durationSchema.parse(window) };
    }),
  /** Callbacks when set (e.g. https://bot.example.com): KIE posts to <url>/kie/callback/<jobId>/<token>. */
  KIE_CALLBACK_URL: baseUrl.optional(),
  /** KIE's webhook HMAC key: callbacks without a valid signature are refused. */
  KIE_WEBHOOK_HMAC_KEY: z.string().min(8).optional(),
  KIE_POLL_INTERVAL: durationSchema.default(3000),
  KIE_POLL_MAX_INTERVAL: durationSchema.default(30_000),
  /** Polling gives up after this long (a TEMPORARY failure). */
  KIE_POLL_TIMEOUT: durationSchema.default(10 * 60_000),
  KIE_HTTP_TIMEOUT: durationSchema.default(30_000),
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** An OpenAI-compatible endpoint; the SDK's default when unset. */
  OPENAI_BASE_URL: baseUrl.optional(),
  OPENAI_MODEL: z.string().min(1).default('gpt-4.1-mini'),
  OPENAI_TIMEOUT: durationSchema.default(20_000),
  /** Steps (prompt, upload, create, poll) one replica runs at once; jobs waiting on the model cost nothing. */
  GENERATOR_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  /** How long a replica owns a job step; a replica that dies loses its jobs to the others after this. */
  GENERATOR_LEASE: durationSchema.default(120_000),
  /** Largest product photo accepted. */
  PHOTO_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(10 * 1024 * 1024),
  /** An uploaded photo canvas is reused by later jobs of the same photo for this long (KIE keeps uploads ≥ 24 h). */
  PHOTO_UPLOAD_REUSE: durationSchema.default(12 * 3_600_000),
};

export type GeneratorConfig = ReturnType<typeof loadGeneratorConfig>;

export function loadGeneratorConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig('generator', generatorConfigShape, env);
}
