import { baseConfigShape, exitOnConfigError, loadConfig } from '@neurocards/runtime/shell';
import { z } from 'zod';

export const projectorConfigShape = {
  ...baseConfigShape,
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3005),
  PROJECTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
};

export function loadProjectorConfig(env: NodeJS.ProcessEnv = process.env) {
  try {
    return loadConfig(projectorConfigShape, env);
  } catch (error) {
    return exitOnConfigError('projector', error);
  }
}
