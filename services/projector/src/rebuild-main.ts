#!/usr/bin/env node
import { createPool, eventStoreMigrations, migrate } from '@neurocards/runtime/event-store';
// Rebuilds read models from the event store: `pnpm --filter @neurocards/projector rebuild <name|all>`
// (names: users, jobs, ledger, payments). Safe while the projector runs; see docs/analytics.md.
import { baseConfigShape, loadServiceConfig } from '@neurocards/runtime/shell';
import { z } from 'zod';
import { readModelMigrations } from './migrations.js';
import { projectionsNamed } from './projections/registry.js';
import { rebuildProjections } from './rebuild.js';

const config = loadServiceConfig('rebuild', {
  DATABASE_URL: baseConfigShape.DATABASE_URL,
  PROJECTION_REBUILD_BATCH_SIZE: z.coerce.number().int().min(100).max(50_000).default(5000),
});
const name = process.argv[2];
if (!name || process.argv.length > 3) {
  console.error('usage: rebuild <users|jobs|ledger|payments|all>');
  process.exit(64);
}
let selected: ReturnType<typeof projectionsNamed>;
try {
  selected = projectionsNamed(name);
} catch (error) {
  console.error((error as Error).message);
  process.exit(64);
}

const pool = createPool({
  connectionString: config.DATABASE_URL,
  max: 6,
  applicationName: 'neurocards-rebuild',
  statementTimeoutMs: 600_000,
});
try {
  await migrate(pool, [eventStoreMigrations, readModelMigrations]);
  let reported = 0;
  const result = await rebuildProjections(pool, selected, {
    batchSize: config.PROJECTION_REBUILD_BATCH_SIZE,
    onProgress(events) {
      if (events - reported < 100_000) return;
      reported = events;
      console.error(`rebuild: ${events} events read`);
    },
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await pool.end();
}
