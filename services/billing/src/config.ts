import { creditPackagesSchema } from '@neurocards/contracts';
import { baseConfigShape, durationSchema, httpPortShape, loadServiceConfig } from '@neurocards/runtime/shell';
import { z } from 'zod';

export const billingConfigShape = {
  ...baseConfigShape,
  ...httpPortShape(3002),
  FREE_CREDITS: z.coerce.number().int().min(0).max(1000).default(2),
  CREDITS_PER_VIDEO: z.coerce.number().int().min(1).max(1000).default(1),
  /** A reservation neither captured nor refunded by then is released by the sweeper. */
  JOB_TIMEOUT: durationSchema.default(30 * 60_000),
  SWEEP_INTERVAL: durationSchema.default(30_000),
  /** `id:credits:stars`, comma-separated. */
  CREDIT_PACKAGES: creditPackagesSchema,
  /** Credits a referrer earns when an invited seller's first video is delivered. */
  REFERRAL_BONUS: z.coerce.number().int().min(0).max(1000).default(1),
};

export type BillingConfig = ReturnType<typeof loadBillingConfig>;

export function loadBillingConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig('billing', billingConfigShape, env);
}
