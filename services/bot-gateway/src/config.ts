import { baseConfigShape, exitOnConfigError, loadConfig } from '@neurocards/runtime/shell';
import { z } from 'zod';

export const gatewayConfigShape = {
  ...baseConfigShape,
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'looks like 123456:ABC-DEF...'),
  TELEGRAM_API_ROOT: z
    .url({ protocol: /^https?$/ })
    .default('https://api.telegram.org')
    .transform((value) => value.replace(/\/+$/, '')),
  KIE_MODEL: z.string().min(1).default('kling-2.6/image-to-video'),
  FREE_CREDITS: z.coerce.number().int().min(0).max(1000).default(2),
  CREDITS_PER_VIDEO: z.coerce.number().int().min(1).max(1000).default(1),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  try {
    return loadConfig(gatewayConfigShape, env);
  } catch (error) {
    return exitOnConfigError('bot-gateway', error);
  }
}
