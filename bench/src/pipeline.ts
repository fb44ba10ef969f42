import { type AnyNewEvent, newEvent, streamIds } from '@neurocards/contracts';
import { FakeKie, FakeOpenAI, FakeTelegram, fixturePaths } from '@neurocards/fake-providers';
import { EventStore, inTransaction } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  orderRequests,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { type CpuGroup, cpuBetween, cpuGroups, cpuSnapshot, machineBusySeconds } from './cpu.js';
import { generatorEnv } from './generator.js';
import { formatRate, printTable, rawInsertRate, rawPublishRate } from './measure.js';
import { freePortNear } from './ports.js';
import { type ServiceProcess, startServiceProcess } from './service-process.js';

/**
 * The raw rates of the machine the targets were set on (reference/baselines.md: 16 single-row INSERT
 * connections; JetStream publish with 256 in flight). This run's jobs per second times (reference raw ÷
 * this run's raw) is what the same efficiency would give there: the ratio the machines' noise leaves alone.
 */
const REFERENCE = { insertPerSecond: 18_000, publishPerSecond: 47_500 };

export interface PipelineResult {
  rawInsertPerSecond: number;
  rawPublishPerSecond: number;
  jobs: number;
  jobsPerSecond: number;
  paced: { perSecond: number; jobs: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** CPU milliseconds per job in the backlog, by process (PostgreSQL: the backends of this database). */
  cpuMsPerJob: Record<string, number>;
  /** The same for this process (the driver and the fake providers), and for the whole machine. */
  harnessCpuMsPerJob: number;
  machineCpuMsPerJob: number;
}

/**
 * The whole pipeline, all five services as processes with fake providers answering at once: jobs per
 * second from GenerationRequested to VideoDelivered over a backlog of `jobs`, and the latency of each job
 * (p50/p99) when jobs arrive at a steady `pacedPerSecond`, beside the raw PostgreSQL INSERT and JetStream
 * publish rates of the same run. Each job has its own seller, as Telegram's per-chat pace would otherwise
 * be what is measured.
 */
export async function pipelineBenchmark(
  durationMs: number,
  jobs = 2000,
  pacedPerSecond = 50,
  pacedSeconds = 20,
): Promise<PipelineResult> {
  const db = await createTestDatabase('bench_pipeline', 20);
  const bus = await createTestBus('benchpipe');
  const telegram = await FakeTelegram.start({ recordCalls: false });
  const kie = await FakeKie.start({
    apiKeys: ['kie-bench-key'],
    taskDurationMs: 0,
    rateLimit: false,
    recordCalls: false,
  });
  const openai = await FakeOpenAI.start();
  const photo = telegram.registerFile({ path: fixturePaths.productPhoto });
  const store = new EventStore(db.pool);
  const services: ServiceProcess[] = [];
  try {
    const rawInsert = await rawInsertRate(db, durationMs);
    const rawPublish = await rawPublishRate(bus, durationMs);

    const common = {
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl,
      BUS_PREFIX: bus.prefix,
      CONSUMER_CONCURRENCY: '32',
    };
    const telegramEnv = { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.url };
    const generatorPort = await freePortNear(3950);
    services.push(await startServiceProcess('billing', common));
    services.push(await startServiceProcess('projector', common));
    services.push(
      await startServiceProcess(
        'generator',
        {
          ...common,
          ...generatorEnv(db.url, bus.prefix, telegram, kie),
          KIE_RATE_LIMIT: '1000000/10s', // the account limit is measured by the scaling benchmark
          KIE_POLL_INTERVAL: '200ms',
          KIE_CALLBACK_URL: `http://127.0.0.1:${generatorPort}`,
          OPENAI_API_KEY: 'sk-bench',
          OPENAI_BASE_URL: openai.baseURL,
          GENERATOR_CONCURRENCY: '64',
        },
        { port: generatorPort },
      ),
    );
    // Telegram's flood limits are policy, not capacity: the fake takes everything.
    services.push(
      await startServiceProcess('delivery', { ...common, ...telegramEnv, TELEGRAM_GLOBAL_RATE: '1000000' }),
    );
    services.push(await startServiceProcess('bot-gateway', { ...common, ...telegramEnv }));

    let nextSeller = 5_000_000;
    const sellers = async (count: number) => {
      const ids = Array.from({ length: count }, () => nextSeller++);
      for (let i = 0; i < ids.length; i += 200)
        await inTransaction(db.pool, async (client) => {
          for (const userId of ids.slice(i, i + 200)) {
            const events: AnyNewEvent[] = [
              newEvent(
                'UserRegistered',
                {
                  userId,
                  chatId: userId,
                  username: null,
                  firstName: 'Bench',
                  language: 'en',
                  referrerId: null,
                },
                { correlationId: streamIds.user(userId) },
              ),
              newEvent(
                'CreditsGrantRequested',
                { userId, adminId: 1, amount: 10, reason: 'bench' },
                { correlationId: streamIds.user(userId) },
              ),
            ];
            await store.append(streamIds.user(userId), events, { expectedVersion: 'no_stream', client });
          }
        });
      await waitFor('billing to grant every seller', async () => (await grantedTo(db, ids)) === ids.length, {
        timeoutMs: 300_000,
        intervalMs: 250,
      });
      return ids;
    };
    const order = (userId: number) => {
      const [request] = orderRequests({
        userId,
        product: 'Bench thermos',
        photo: { fileId: photo.file_id, fileUniqueId: photo.file_unique_id },
      });
      if (!request) throw new Error('no request');
      return request;
    };

    // 1. Throughput: a backlog of `jobs` at once, and the CPU it cost each process.
    const backlogSellers = await sellers(jobs);
    const cpuBefore = cpuSnapshot();
    const machineBefore = machineBusySeconds();
    const harnessBefore = process.cpuUsage();
    const before = await countOf(db, 'VideoDelivered');
    for (let i = 0; i < jobs; i += 100)
      await inTransaction(db.pool, async (client) => {
        for (const userId of backlogSellers.slice(i, i + 100)) {
          const request = order(userId);
          await store.append(streamIds.job(request.data.jobId), [request], {
            expectedVersion: 'no_stream',
            client,
          });
        }
      });
    await waitFor('every job delivered', async () => (await countOf(db, 'VideoDelivered')) >= before + jobs, {
      timeoutMs: 600_000,
      intervalMs: 250,
    });
    const span = await spanOf(db, backlogSellers);
    const cpuPerJob = [...cpuBetween(cpuBefore, cpuSnapshot(), await cpuGroupsOf(db, services))].map(
      ([name, seconds]): [string, number] => [name, (seconds * 1000) / jobs],
    );
    const cpuTotal = cpuPerJob.reduce((sum, [, ms]) => sum + ms, 0);
    const harness = process.cpuUsage(harnessBefore);
    const harnessCpuMsPerJob = (harness.user + harness.system) / 1000 / jobs;
    const machineCpuMsPerJob = ((machineBusySeconds() - machineBefore) * 1000) / jobs;

    // 2. Latency at a steady pace.
    const pacedJobs = pacedPerSecond * pacedSeconds;
    const pacedSellers = await sellers(pacedJobs);
    const started = performance.now();
    for (const [i, userId] of pacedSellers.entries()) {
      const due = started + (i * 1000) / pacedPerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const request = order(userId);
      await store.append(streamIds.job(request.data.jobId), [request], { expectedVersion: 'no_stream' });
    }
    await waitFor(
      'every paced job delivered',
      async () => (await deliveredOf(db, pacedSellers)) === pacedJobs,
      {
        timeoutMs: 300_000,
        intervalMs: 250,
      },
    );
    const latencies = await latenciesOf(db, pacedSellers);
    const stages = await stagesOf(db, pacedSellers);
    const result: PipelineResult = {
      cpuMsPerJob: Object.fromEntries(cpuPerJob),
      harnessCpuMsPerJob,
      machineCpuMsPerJob,
      rawInsertPerSecond: rawInsert.perSecond,
      rawPublishPerSecond: rawPublish.perSecond,
      jobs,
      jobsPerSecond: jobs / span,
      paced: {
        perSecond: pacedPerSecond,
        jobs: pacedJobs,
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
        maxMs: latencies.at(-1) ?? 0,
      },
    };
    printTable('Pipeline: all five services, fake providers answering at once', [
      ['raw INSERT, 16 connections', formatRate(result.rawInsertPerSecond)],
      ['raw JetStream publish, 256 in flight', formatRate(result.rawPublishPerSecond)],
      [`jobs end to end, backlog of ${jobs}`, formatRate(result.jobsPerSecond), 'target ≥ 150/s'],
      [
        '  scaled by raw INSERT to the reference machine',
        formatRate((result.jobsPerSecond * REFERENCE.insertPerSecond) / result.rawInsertPerSecond),
        `its raw INSERT ${formatRate(REFERENCE.insertPerSecond)}`,
      ],
      [
        '  scaled by raw publish to the reference machine',
        formatRate((result.jobsPerSecond * REFERENCE.publishPerSecond) / result.rawPublishPerSecond),
        `its raw publish ${formatRate(REFERENCE.publishPerSecond)}`,
      ],
      [`latency p50 at ${pacedPerSecond} jobs/s`, `${result.paced.p50Ms.toFixed(0)} ms`, `${pacedJobs} jobs`],
      [`latency p99 at ${pacedPerSecond} jobs/s`, `${result.paced.p99Ms.toFixed(0)} ms`, 'target < 500 ms'],
      ['latency max', `${result.paced.maxMs.toFixed(0)} ms`],
      ...stages.map(([type, p50, p99]): [string, string, string] => [
        `  request → ${type}`,
        `${p50.toFixed(0)} ms`,
        `p99 ${p99.toFixed(0)} ms`,
      ]),
      [
        'CPU per job, backlog',
        `${cpuTotal.toFixed(1)} ms`,
        `${formatRate(2000 / cpuTotal)} on 2 cores if nothing else ran`,
      ],
      ...cpuPerJob.map(([name, ms]): [string, string] => [`  ${name}`, `${ms.toFixed(2)} ms`]),
      ['CPU per job, bench driver and fake providers', `${harnessCpuMsPerJob.toFixed(1)} ms`],
      [
        'CPU per job, whole machine',
        `${machineCpuMsPerJob.toFixed(1)} ms`,
        `${formatRate(2000 / machineCpuMsPerJob)} if every cycle went to jobs`,
      ],
    ]);
    return result;
  } finally {
    for (const service of services.reverse()) await service.stop();
    await Promise.all([telegram.close(), kie.close(), openai.close()]);
    await bus.destroy();
    await db.drop();
  }
}

async function countOf(db: TestDatabase, type: string): Promise<number> {
  const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM es.events WHERE type = $1', [type]);
  return rows[0].n;
}

async function grantedTo(db: TestDatabase, userIds: number[]): Promise<number> {
  const streams = userIds.map((id) => streamIds.credits(id));
  const { rows } = await db.pool.query(
    `SELECT count(DISTINCT stream_id)::int AS n FROM es.events WHERE type = 'CreditsGranted' AND stream_id = ANY($1)`,
    [streams],
  );
  return rows[0].n;
}

/** Seconds from the first GenerationRequested to the last VideoDelivered of these sellers (database clock). */
async function spanOf(db: TestDatabase, userIds: number[]): Promise<number> {
  const { rows } = await db.pool.query(
    `SELECT extract(epoch FROM max(recorded_at) FILTER (WHERE type = 'VideoDelivered')
                             - min(recorded_at) FILTER (WHERE type = 'GenerationRequested')) AS seconds
     FROM es.events WHERE type IN ('GenerationRequested', 'VideoDelivered') AND (data->>'userId')::bigint = ANY($1)`,
    [userIds],
  );
  return Number(rows[0].seconds);
}

async function deliveredOf(db: TestDatabase, userIds: number[]): Promise<number> {
  const { rows } = await db.pool.query(
    `SELECT count(*)::int AS n FROM es.events WHERE type = 'VideoDelivered' AND (data->>'userId')::bigint = ANY($1)`,
    [userIds],
  );
  return rows[0].n;
}

/** Per job, GenerationRequested → VideoDelivered in ms (database clock), sorted. */
async function latenciesOf(db: TestDatabase, userIds: number[]): Promise<number[]> {
  const { rows } = await db.pool.query<{ ms: number }>(
    `SELECT extract(epoch FROM d.recorded_at - r.recorded_at) * 1000 AS ms
     FROM es.events r JOIN es.events d ON d.stream_id = r.stream_id AND d.type = 'VideoDelivered'
     WHERE r.type = 'GenerationRequested' AND (r.data->>'userId')::bigint = ANY($1)
     ORDER BY 1`,
    [userIds],
  );
  return rows.map((row) => Number(row.ms));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

/** p50 and p99 from GenerationRequested to each later step of the same jobs (database clock), in order. */
async function stagesOf(db: TestDatabase, userIds: number[]): Promise<Array<[string, number, number]>> {
  const { rows } = await db.pool.query<{ type: string; p50: number; p99: number }>(
    `WITH requested AS (
       SELECT data->>'jobId' AS job_id, recorded_at FROM es.events
       WHERE type = 'GenerationRequested' AND (data->>'userId')::bigint = ANY($1))
     SELECT e.type,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.recorded_at - r.recorded_at)) * 1000 AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM e.recorded_at - r.recorded_at)) * 1000 AS p99
     FROM requested r JOIN es.events e ON e.data->>'jobId' = r.job_id
     WHERE e.type IN ('CreditReserved', 'PromptPrepared', 'GenerationSubmitted', 'VideoReady', 'VideoDelivered', 'CreditCaptured')
     GROUP BY e.type ORDER BY p50`,
    [userIds],
  );
  return rows.map((row) => [row.type, Number(row.p50), Number(row.p99)]);
}

/**
 * The processes whose CPU a job costs: each service, the PostgreSQL backends of this database by the
 * service they serve (their application_name), and the NATS server on the bus's port, which is shared with
 * anything else using it at the time.
 */
async function cpuGroupsOf(db: TestDatabase, services: readonly ServiceProcess[]): Promise<CpuGroup[]> {
  const { rows } = await db.pool.query<{ pid: number; application_name: string }>(
    'SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database()',
  );
  const backends = new Map<string, Set<number>>();
  for (const { pid, application_name } of rows) {
    const name = `postgres: ${application_name.replace(/^neurocards-/, '').replace(/^relay-\d+$/, 'relay')}`;
    backends.set(name, (backends.get(name) ?? new Set()).add(pid));
  }
  return [
    ...services.map((service) => cpuGroups.pids(service.service, new Set([service.pid]))),
    ...[...backends].sort().map(([name, pids]) => cpuGroups.pids(name, pids)),
    cpuGroups.postgresDatabase('postgres: other', db.name),
    cpuGroups.command('nats-server', new RegExp(`nats-server .*-p ${new URL(testNatsUrl).port || 4222}\\b`)),
  ];
}
