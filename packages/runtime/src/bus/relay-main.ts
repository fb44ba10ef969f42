#!/usr/bin/env node
// A relay process on its own: `nc-relay`. Services host relay candidates too (RELAY_ENABLED); whichever
// process holds the lock publishes, the others stand by.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { busNames } from '@neurocards/contracts';
import { migrate } from '../event-store/migrations.js';
import { createPool } from '../event-store/postgres.js';
import { eventStoreMigrations } from '../event-store/schema.js';
import { baseConfigShape, exitOnConfigError, loadConfig } from '../shell/config.js';
import { createLogger } from '../shell/logger.js';
import { connectNats } from './connection.js';
import { Relay } from './relay.js';
import { ensureStreams } from './streams.js';

let config: ReturnType<typeof loadConfig<typeof baseConfigShape>>;
try {
  config = loadConfig(baseConfigShape);
} catch (error) {
  exitOnConfigError('relay', error);
}
const logger = createLogger({ service: 'relay', level: config.LOG_LEVEL });
const names = busNames(config.BUS_PREFIX);
const pool = createPool({
  connectionString: config.DATABASE_URL,
  max: 1,
  applicationName: 'neurocards-relay',
});
await migrate(pool, [eventStoreMigrations]);
await pool.end();
const nc = await connectNats(config.NATS_URL, 'relay');
await ensureStreams(await jetstreamManager(nc), names);
const relay = new Relay({ connectionString: config.DATABASE_URL, js: jetstream(nc), names, logger });
relay.start();
logger.info({ prefix: names.prefix }, 'relay started');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    logger.info({ signal }, 'relay stopping');
    await relay.stop();
    await nc.drain();
    process.exit(0);
  });
}
