import { baseConfigShape, loadConfig } from '@neurocards/runtime/shell';

/** What the ops commands read: the same names and defaults as the services (docs/configuration.md). */
export const opsConfigShape = {
  DATABASE_URL: baseConfigShape.DATABASE_URL,
  NATS_URL: baseConfigShape.NATS_URL,
  BUS_PREFIX: baseConfigShape.BUS_PREFIX,
};

export type OpsConfig = ReturnType<typeof loadOpsConfig>;

/** @throws ConfigError naming each bad variable. */
export function loadOpsConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(opsConfigShape, env);
}
