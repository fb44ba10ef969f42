import 'reflect-metadata';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  type DynamicModule,
  type INestMicroservice,
  type LoggerService,
  Module,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type BusNames, busNames } from '@neurocards/contracts';
import type { Pool } from 'pg';
import type { z } from 'zod';
import { connectNats, type NatsConnection } from '../bus/connection.js';
import { JetStreamTransport, RethrowRpcErrors } from '../bus/jetstream-transport.js';
import { Relay } from '../bus/relay.js';
import { ensureStreams } from '../bus/streams.js';
import { StatementBatches } from '../event-store/batches.js';
import { EventStore } from '../event-store/event-store.js';
import { type MigrationSet, migrate } from '../event-store/migrations.js';
import { createPool } from '../event-store/postgres.js';
import { eventStoreMigrations } from '../event-store/schema.js';
import type { baseConfigShape } from './config.js';
import { type HttpRoute, OpsServer, type ReadinessProbe } from './http-server.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';

export type BaseConfig = z.infer<z.ZodObject<typeof baseConfigShape>>;

/** Everything a service's handlers and workers are given; in Nest, inject it with `@Inject(SERVICE_CONTEXT)`. */
export interface ServiceContext<Config extends BaseConfig = BaseConfig> {
  name: string;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  pool: Pool;
  /** Plain SQL round trips shared by concurrent callers (the store's `appendWith` uses it too). */
  statements: StatementBatches;
  store: EventStore;
  nc: NatsConnection;
  names: BusNames;
}

export const SERVICE_CONTEXT = Symbol.for('neurocards.service-context');

/** Something long-running beside the consumers: a bot poller, a sweeper, a projection loop. */
export interface Worker {
  name: string;
  start(): Promise<void> | void;
  stop(): Promise<void>;
}

export interface ServiceDefinition<Config extends BaseConfig> {
  name: string;
  config: Config;
  httpPort: number;
  /** The service's own tables, applied after the event store's at start. */
  migrations?: MigrationSet[];
  /** Nest modules whose controllers declare `@EventPattern` handlers. */
  modules?: Array<Type | DynamicModule>;
  /** Configuration values that must never appear in a log line. */
  secrets?: Array<string | undefined>;
  workers?(context: ServiceContext<Config>): Worker[];
  routes?(context: ServiceContext<Config>): HttpRoute[];
  readiness?(context: ServiceContext<Config>): Record<string, ReadinessProbe>;
}

export interface RunningService<Config extends BaseConfig> {
  context: ServiceContext<Config>;
  port: number;
  /** Graceful stop: not ready, workers stopped, consumers drained, relay stepped down, connections closed. */
  stop(): Promise<void>;
}

/**
 * Starts a service: migrations, JetStream streams, the Nest microservice over our JetStream transport,
 * workers, a relay candidate, and the operations HTTP server. Handles SIGTERM and SIGINT by stopping
 * gracefully within SHUTDOWN_TIMEOUT_MS.
 */
export async function runService<Config extends BaseConfig>(
  definition: ServiceDefinition<Config>,
): Promise<RunningService<Config>> {
  const { name, config } = definition;
  const secrets = (definition.secrets ?? []).filter((secret): secret is string => Boolean(secret));
  const logger = createLogger({ service: name, level: config.LOG_LEVEL, secrets });
  const metrics = createMetrics(name);
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: config.DATABASE_POOL_SIZE,
    applicationName: `neurocards-${name}`,
  });
  await migrate(pool, [eventStoreMigrations, ...(definition.migrations ?? [])]);

  const nc = await connectNats(config.NATS_URL, name);
  const names = busNames(config.BUS_PREFIX);
  await ensureStreams(await jetstreamManager(nc), names);
  const statements = new StatementBatches(pool, {
    onBatch: (size) => metrics.batchCalls.observe({ batcher: 'statements' }, size),
  });
  const context: ServiceContext<Config> = {
    name,
    config,
    logger,
    metrics,
    pool,
    statements,
    store: new EventStore(pool, statements),
    nc,
    names,
  };

  const transport = new JetStreamTransport({
    nc,
    names,
    service: name,
    logger,
    metrics,
    concurrency: config.CONSUMER_CONCURRENCY,
    maxDeliver: config.CONSUMER_MAX_DELIVER,
    retryDelaysMs: config.CONSUMER_RETRY_DELAYS_MS,
  });
  const app: INestMicroservice = await NestFactory.createMicroservice(
    rootModule(context, definition.modules ?? []),
    {
      strategy: transport,
      logger: nestLogger(logger),
    },
  );
  app.useGlobalFilters(new RethrowRpcErrors());
  await app.listen();

  const workers = definition.workers?.(context) ?? [];
  for (const worker of workers) await worker.start();
  const relay = config.RELAY_ENABLED
    ? new Relay({ connectionString: config.DATABASE_URL, js: jetstream(nc), names, logger, metrics })
    : undefined;
  relay?.start();

  const ops = new OpsServer({
    host: config.HTTP_HOST,
    port: definition.httpPort,
    registry: metrics.registry,
    logger,
    routes: definition.routes?.(context),
    readiness: {
      postgres: async () => (await pool.query('SELECT 1')).rowCount === 1,
      nats: () => !nc.isClosed() && nc.info !== undefined,
      ...definition.readiness?.(context),
    },
  });
  const port = await ops.listen();
  logger.info({ port, consumers: transport.consumerNames, relay: Boolean(relay) }, `${name} started`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      ops.markShuttingDown();
      for (const worker of [...workers].reverse()) await worker.stop();
      await app.close();
      await relay?.stop();
      await ops.close();
      await nc.drain().catch(() => {});
      await pool.end();
      logger.info(`${name} stopped`);
    })();
    return stopping;
  };
  installSignalHandlers(name, logger, stop, config.SHUTDOWN_TIMEOUT_MS);
  return { context, port, stop };
}

function rootModule(
  context: ServiceContext<BaseConfig>,
  modules: Array<Type | DynamicModule>,
): DynamicModule {
  @Module({})
  class RuntimeModule {}
  return {
    module: RuntimeModule,
    global: true,
    providers: [{ provide: SERVICE_CONTEXT, useValue: context }],
    exports: [SERVICE_CONTEXT],
    imports: modules,
  };
}

function installSignalHandlers(name: string, logger: Logger, stop: () => Promise<void>, timeoutMs: number) {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, `${name} stopping`);
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, `${name} did not stop in time; exiting`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, `${name} failed to stop cleanly`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection');
    process.exit(1);
  });
}

function nestLogger(logger: Logger): LoggerService {
  const child = logger.child({ component: 'nest' });
  return {
    log: (message: unknown) => child.debug(String(message)),
    error: (message: unknown, trace?: unknown) => child.error({ trace }, String(message)),
    warn: (message: unknown) => child.warn(String(message)),
    debug: (message: unknown) => child.debug(String(message)),
    verbose: (message: unknown) => child.trace(String(message)),
  };
}
