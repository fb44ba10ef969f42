import { randomBytes } from 'node:crypto';
import { newEvent, streamIds } from '@neurocards/contracts';
import { FakeKie, FakeTelegram } from '@neurocards/fake-providers';
import { EventStore, inTransaction } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  orderRequests,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { printTable } from './measure.js';
import { startServiceProcess } from './service-process.js';

export interface GeneratorResult {
  inFlight: number;
  rssMb: number;
  cpuPercentPerThousandJobs: number;
  pollsPerSecond: number;
}

/**
 * How many jobs one generator replica keeps in flight while the video model takes `taskSeconds` per task:
 * every job submitted, then RSS and CPU of the replica measured while it polls them all.
 */
export async function generatorBenchmark(
  jobs: number,
  taskSeconds: number,
  windowSeconds: number,
): Promise<GeneratorResult> {
  const db = await createTestDatabase('bench_generator', 20);
  const bus = await createTestBus('benchgen');
  const telegram = await FakeTelegram.start({ recordCalls: false });
  const kie = await FakeKie.start({
    apiKeys: ['kie-bench-key'],
    taskDurationMs: taskSeconds * 1000,
    rateLimit: false,
    recordCalls: false,
  });
  const generator = await startServiceProcess('generator', {
    ...generatorEnv(db.url, bus.prefix, telegram, kie),
    KIE_RATE_LIMIT: '100000/10s', // the account limit is not what this measures
    GENERATOR_CONCURRENCY: '64',
  });
  const { metric } = generator;
  try {
    await scheduleJobs(db, jobs, `${kie.url}/files/bench-photo.jpg`);
    const submitted = async () =>
      (await db.pool.query(`SELECT count(*)::int AS n FROM es.events WHERE type = 'GenerationSubmitted'`))
        .rows[0].n as number;
    const submitStarted = performance.now();
    await waitFor('every job submitted', async () => (await submitted()) >= jobs, {
      timeoutMs: taskSeconds * 1000,
      intervalMs: 200,
    });
    const submitSeconds = (performance.now() - submitStarted) / 1000;

    const cpuBefore = await metric('process_cpu_seconds_total');
    const pollsBefore = await metric('nc_generator_steps_total');
    const windowStarted = performance.now();
    let rssMax = 0;
    while (performance.now() - windowStarted < windowSeconds * 1000) {
      rssMax = Math.max(rssMax, await metric('process_resident_memory_bytes'));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const elapsed = (performance.now() - windowStarted) / 1000;
    const cpu = (await metric('process_cpu_seconds_total')) - cpuBefore;
    const steps = (await metric('nc_generator_steps_total')) - pollsBefore;
    const finished = (
      await db.pool.query(`SELECT count(*)::int AS n FROM es.events WHERE type = 'VideoReady'`)
    ).rows[0].n as number;
    const inFlight = jobs - finished;
    const result: GeneratorResult = {
      inFlight,
      rssMb: rssMax / 2 ** 20,
      cpuPercentPerThousandJobs: ((cpu / elapsed) * 100 * 1000) / inFlight,
      pollsPerSecond: steps / elapsed,
    };
    printTable(`Generator: one replica, ${jobs} jobs, the model takes ${taskSeconds} s per task`, [
      ['jobs submitted', String(jobs), `in ${submitSeconds.toFixed(1)} s`],
      ['jobs in flight during the window', String(inFlight), 'target ≥ 2,000'],
      ['peak RSS of the replica', `${result.rssMb.toFixed(0)} MB`, 'target < 300 MB'],
      ['polling steps per second', result.pollsPerSecond.toFixed(0)],
      [
        'CPU per 1,000 jobs in flight',
        `${result.cpuPercentPerThousandJobs.toFixed(1)}% of a core`,
        `over ${elapsed.toFixed(0)} s`,
      ],
    ]);
    return result;
  } finally {
    await generator.stop();
    await Promise.all([telegram.close(), kie.close()]);
    await bus.destroy();
    await db.drop();
  }
}

/**
 * Puts `count` jobs on the generator's schedule as its consumer would: requested and prompted on the
 * stream, due in generator.jobs, the photo already on KIE (photo handling is not what these measure).
 */
export async function scheduleJobs(db: TestDatabase, count: number, imageUrl: string): Promise<void> {
  const store = new EventStore(db.pool);
  for (let i = 0; i < count; i += 100) {
    await inTransaction(db.pool, async (client) => {
      for (let j = i; j < Math.min(count, i + 100); j++) {
        const [request] = orderRequests({ userId: 9_000_000 + j, product: 'Bench product' });
        if (!request) throw new Error('no request');
        const { jobId, userId } = request.data;
        const prompt = newEvent(
          'PromptPrepared',
          { jobId, userId, prompt: 'A product, slowly orbiting.', source: 'fallback' },
          { correlationId: jobId },
        );
        await store.append(streamIds.job(jobId), [request, prompt], { expectedVersion: 'no_stream', client });
        await client.query(
          'INSERT INTO generator.jobs (job_id, user_id, callback_token, image_url) VALUES ($1, $2, $3, $4)',
          [jobId, userId, randomBytes(16).toString('hex'), imageUrl],
        );
      }
    });
  }
}

/** A generator's connections: the test database and bus, and the fake Telegram and KIE.AI (one key). */
export function generatorEnv(databaseUrl: string, busPrefix: string, telegram: FakeTelegram, kie: FakeKie) {
  return {
    DATABASE_URL: databaseUrl,
    NATS_URL: testNatsUrl,
    BUS_PREFIX: busPrefix,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    KIE_API_KEYS: 'kie-bench-key',
    KIE_BASE_URL: kie.url,
    KIE_UPLOAD_BASE_URL: kie.url,
  };
}
