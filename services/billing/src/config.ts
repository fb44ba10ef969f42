import { baseConfigShape, httpPortShape, loadServiceConfig } from '@neurocards/runtime/shell';
import { z } from 'zod';

export const billingConfigShape = {
  ...baseConfigShape,
  ...httpPortShape(3002),
  FREE_CREDITS: z.coerce.number().int().min(0).max(1000).default(2),
  CREDITS_PER_VIDEO: z.coerce.number().int().min(1).max(1000).default(1),
  /** A reservation not captured or refunded by then is released by the sweeper (issue: billing). */
  JOB_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(30 * 60_000),
};

export type BillingConfig = ReturnType<typeof loadBillingConfig>;

export function loadBillingConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig('billing', billingConfigShape, env);
}
