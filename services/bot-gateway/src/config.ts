import {
  baseConfigShape,
  httpPortShape,
  loadServiceConfig,
  telegramConfigShape,
} from '@neurocards/runtime/shell';
import { z } from 'zod';

export const gatewayConfigShape = {
  ...baseConfigShape,
  ...httpPortShape(3001),
  ...telegramConfigShape,
  KIE_MODEL: z.string().min(1).default('kling-2.6/image-to-video'),
  FREE_CREDITS: z.coerce.number().int().min(0).max(1000).default(2),
  CREDITS_PER_VIDEO: z.coerce.number().int().min(1).max(1000).default(1),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig('bot-gateway', gatewayConfigShape, env);
}
