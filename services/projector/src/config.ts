import { baseConfigShape, httpPortShape, loadServiceConfig } from '@neurocards/runtime/shell';
import { z } from 'zod';

export const projectorConfigShape = {
  ...baseConfigShape,
  ...httpPortShape(3005),
  PROJECTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
};

export function loadProjectorConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadServiceConfig('projector', projectorConfigShape, env);
}
