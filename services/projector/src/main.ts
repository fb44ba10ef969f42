import { runService } from '@neurocards/runtime/shell';
import { Counter } from 'prom-client';
import { setAnalystPassword } from './analyst-role.js';
import { loadProjectorConfig } from './config.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { LagMonitor } from './lag.js';
import { readModelMigrations } from './migrations.js';
import { ProjectionRunner } from './projection-runner.js';
import { checkpointName } from './projections/projection.js';
import { projections } from './projections/registry.js';

const config = loadProjectorConfig();
let runners: ProjectionRunner[] = [];
let lag: LagMonitor | undefined;
await runService({
  name: 'projector',
  config,
  httpPort: config.HTTP_PORT,
  migrations: [readModelMigrations],
  secrets: [config.DASHBOARD_TOKEN, config.ANALYST_PASSWORD],
  workers: ({ pool, logger, metrics }) => {
    const applied = new Counter({
      name: 'nc_projection_events_total',
      help: 'Events read by each projection',
      labelNames: ['projection'],
      registers: [metrics.registry],
    });
    // One runner for every projection: each batch is read and parsed once for all of them.
    runners = [
      new ProjectionRunner(
        projections,
        {
          pool,
          logger,
          onApplied: (projection, events) => applied.inc({ projection }, events),
        },
        { batchSize: config.PROJECTION_BATCH_SIZE },
      ),
    ];
    lag = new LagMonitor(
      { db: pool, metrics, logger },
      { names: projections.map(checkpointName), maxLagMs: config.PROJECTION_MAX_LAG },
    );
    const password = config.ANALYST_PASSWORD;
    const analystLogin = {
      name: 'analyst-login',
      start: () => (password ? setAnalystPassword(pool, password, logger) : undefined),
      stop: async () => {},
    };
    return [analystLogin, ...runners, lag];
  },
  routes: ({ pool }) => {
    const token = config.DASHBOARD_TOKEN;
    return token ? dashboardRoutes({ pool, token, lags: () => lag?.lags ?? [] }) : [];
  },
  readiness: () => ({
    projections: () => runners.every((runner) => runner.idleForMs < 30_000) && (lag?.ready() ?? false),
  }),
});
