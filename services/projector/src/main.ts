import { runService } from '@neurocards/runtime/shell';
import { loadProjectorConfig } from './config.js';
import { readModelMigrations } from './migrations.js';
import { ProjectionRunner } from './projection-runner.js';
import { projectUsersAndJobs } from './projections/users-and-jobs.js';

const config = loadProjectorConfig();
let runner: ProjectionRunner | undefined;
await runService({
  name: 'projector',
  config,
  httpPort: config.HTTP_PORT,
  migrations: [readModelMigrations],
  workers: ({ pool, store, logger }) => {
    runner = new ProjectionRunner(
      { name: 'users-and-jobs', apply: projectUsersAndJobs },
      { pool, store, logger },
      {
        batchSize: config.PROJECTION_BATCH_SIZE,
      },
    );
    return [runner];
  },
  readiness: () => ({ projection: () => (runner?.idleForMs ?? Number.POSITIVE_INFINITY) < 30_000 }),
});
