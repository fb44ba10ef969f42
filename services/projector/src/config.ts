import { baseConfigShape, durationSchema, httpPortShape, loadServiceConfig } from '@neurocards/runtime/shell';
import { z } from 'zod';

export const projectorConfigShape = {
  ...baseConfigShape,
  ...httpPortShape(3005),
  PROJECTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** /readyz fails while a projection is further behind the event store than this. */
  PROJECTION_MAX_LAG: durationSchema.default(60_000),
  /** Token of the dashboard (`/dashboard`); the dashboard is off without one. */
  DASHBOARD_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  /** Password of the read-only `analyst` role; without it the role cannot log in. */
  ANALYST_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
};

export type ProjectorConfig = ReturnType<typeof loadProjectorConfig>;

export function loadProjectorConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig('projector', projectorConfigShape, env);
}
