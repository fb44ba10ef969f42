import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { projectionLags } from '@neurocards/projector/dist/lag.js';
import { eventStoreMigrations, migrate, readAllAfter, START_OF_ALL } from '@neurocards/runtime/event-store';
import {
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { storeHistory } from './history.js';
import { formatRate, printTable } from './measure.js';

const require = createRequire(import.meta.url);
const projectorMain = require.resolve('@neurocards/projector/dist/main.js');
const rebuildMain = require.resolve('@neurocards/projector/dist/rebuild-main.js');
const checkpoints = ['users', 'jobs', 'ledger', 'payments'].map((name) => `projection:${name}`);

export interface RebuildResult {
  events: number;
  storeSeconds: number;
  rawReadPerSecond: number;
  rebuildPerSecond: number;
  rebuildSeconds: number;
  swapSeconds: number;
  ratioToRawRead: number;
}

/**
 * Rebuilds every projection (the `rebuild all` command, as a process) from `count` stored events, beside the
 * raw rate of reading the same log in batches of 5,000 without doing anything with it.
 */
export async function rebuildBenchmark(count: number): Promise<RebuildResult> {
  const db = await createTestDatabase('bench_rebuild', 4);
  try {
    await migrate(db.pool, [eventStoreMigrations]);
    const stored = await storeHistory(db.pool, count);
    await db.pool.query('VACUUM ANALYZE es.events');
    // Readers see only what is older than every running transaction in the cluster: wait for all of it.
    await waitFor('every stored event to be visible to readers', async () => {
      const { rows } = await db.pool.query(
        'SELECT count(*) AS n FROM es.events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())',
      );
      return rows[0].n === count;
    });

    let position = START_OF_ALL;
    const readStarted = performance.now();
    for (;;) {
      const batch = await readAllAfter(db.pool, position, 5000);
      const last = batch.at(-1);
      if (!last) break;
      position = last.position;
    }
    const rawReadPerSecond = count / ((performance.now() - readStarted) / 1000);

    const rebuildStarted = performance.now();
    const output = await runToEnd(rebuildMain, ['all'], { DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
    const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
    const reported = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as {
      events: number;
      swapSeconds: number;
    };
    if (reported.events !== count) throw new Error(`rebuild read ${reported.events} of ${count} events`);
    const { rows } = await db.pool.query<{ jobs: number; ledger: number }>(
      'SELECT (SELECT count(*) FROM rm.jobs) AS jobs, (SELECT count(*) FROM rm.credit_ledger) AS ledger',
    );

    const result: RebuildResult = {
      events: count,
      storeSeconds: stored.seconds,
      rawReadPerSecond,
      rebuildPerSecond: count / rebuildSeconds,
      rebuildSeconds,
      swapSeconds: reported.swapSeconds,
      ratioToRawRead: count / rebuildSeconds / rawReadPerSecond,
    };
    printTable(`Projector: rebuild of every projection from ${count.toLocaleString('en-US')} stored events`, [
      ['raw read of the log, 5,000 per batch', formatRate(rawReadPerSecond)],
      [
        'rebuild all (process start to exit)',
        formatRate(result.rebuildPerSecond),
        `${rebuildSeconds.toFixed(1)} s; swap ${reported.swapSeconds.toFixed(1)} s; target ≥ 20,000/s`,
      ],
      ['rebuild ÷ raw read', `${(result.ratioToRawRead * 100).toFixed(0)}%`],
      ['rows rebuilt', `${rows[0]?.jobs} jobs`, `${rows[0]?.ledger} ledger entries`],
    ]);
    return result;
  } finally {
    await db.drop();
  }
}

export interface LagResult {
  samples: number;
  p50Seconds: number;
  p95Seconds: number;
  maxSeconds: number;
  maxEventsBehind: number;
  catchUpMs: number;
}

/**
 * Runs the projector (its own process, relay off) on the foundation benchmark's database while that
 * benchmark appends, and samples every 100 ms how far the furthest-behind projection is.
 */
export function projectionLagObserver() {
  let projector: ChildProcess | undefined;
  let sampling: Promise<void> | undefined;
  let stopping = false;
  let db: TestDatabase | undefined;
  const seconds: number[] = [];
  let maxEventsBehind = 0;
  let outcome: LagResult | undefined;

  return {
    async start(database: TestDatabase, bus: TestBus): Promise<void> {
      db = database;
      const env = {
        ...process.env,
        DATABASE_URL: database.url,
        NATS_URL: testNatsUrl,
        BUS_PREFIX: bus.prefix,
        LOG_LEVEL: 'warn',
        HTTP_PORT: '0',
        RELAY_ENABLED: 'false',
      };
      projector = spawn(process.execPath, [projectorMain], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      await waitFor(
        'the projector to start',
        async () => (await database.pool.query("SELECT to_regclass('rm.payments') AS t")).rows[0].t,
        { timeoutMs: 30_000 },
      );
      sampling = (async () => {
        while (!stopping) {
          const lags = await projectionLags(database.pool, checkpoints);
          seconds.push(Math.max(...lags.map((lag) => lag.seconds)));
          maxEventsBehind = Math.max(maxEventsBehind, ...lags.map((lag) => lag.events));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
    },

    /** Waits for the projector to catch up, stops it and reports. */
    async stop(): Promise<LagResult> {
      const started = performance.now();
      const pool = db?.pool;
      if (pool) {
        await waitFor(
          'the projections to catch up',
          async () => (await projectionLags(pool, checkpoints)).every((lag) => lag.events === 0),
          { timeoutMs: 300_000, intervalMs: 20 },
        );
      }
      const catchUpMs = performance.now() - started;
      stopping = true;
      await sampling;
      projector?.kill('SIGTERM');
      const sorted = [...seconds].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      const result: LagResult = {
        samples: sorted.length,
        p50Seconds: at(0.5),
        p95Seconds: at(0.95),
        maxSeconds: sorted.at(-1) ?? 0,
        maxEventsBehind,
        catchUpMs,
      };
      printTable('Projector: lag of the furthest-behind projection during the foundation benchmark', [
        ['p50', `${(result.p50Seconds * 1000).toFixed(0)} ms`, `${result.samples} samples, every 100 ms`],
        ['p95', `${(result.p95Seconds * 1000).toFixed(0)} ms`],
        ['max', `${(result.maxSeconds * 1000).toFixed(0)} ms`, `at most ${maxEventsBehind} events behind`],
        ['caught up after the last append', `${Math.round(catchUpMs)} ms`],
      ]);
      outcome = result;
      return result;
    },

    /** What `stop` measured. */
    result(): LagResult {
      if (!outcome) throw new Error('the lag observer was not stopped');
      return outcome;
    },
  };
}

function runToEnd(main: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${main} exited with ${code}`)),
    );
  });
}
