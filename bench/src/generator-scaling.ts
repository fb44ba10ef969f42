import { FakeKie, FakeTelegram } from '@neurocards/fake-providers';
import { createTestBus, createTestDatabase, waitFor } from '@neurocards/runtime/testing';
import { generatorEnv, scheduleJobs } from './generator.js';
import { printTable } from './measure.js';
import { type ServiceProcess, startServiceProcess } from './service-process.js';

export interface ScalingRun {
  replicas: number;
  jobsPerSecond: number;
  /** Throughput ÷ what the account allows. */
  ofAccountLimit: number;
  /** createTask calls KIE refused with 429: replicas together must stay inside the account's limit. */
  refused: number;
}

/**
 * Generator replicas against a video model with a per-account limit on task creations (KIE: 20 per 10 s
 * by default; here `limit`). Each run starts `replicas` processes on a fresh database, schedules `jobs`,
 * and measures jobs per second to VideoReady and how many creations KIE refused. Replicas share the limit
 * through PostgreSQL, so more replicas cannot go faster than the account allows, and none is refused.
 */
export async function generatorScalingBenchmark(
  jobs = 200,
  replicaCounts: readonly number[] = [1, 2, 4],
  limit = { maxCreates: 50, windowMs: 2000 },
): Promise<ScalingRun[]> {
  const runs: ScalingRun[] = [];
  const accountPerSecond = (limit.maxCreates * 1000) / limit.windowMs;
  for (const replicas of replicaCounts) {
    const db = await createTestDatabase('bench_scaling', 20);
    const bus = await createTestBus('benchscale');
    const telegram = await FakeTelegram.start({ recordCalls: false });
    const kie = await FakeKie.start({ apiKeys: ['kie-bench-key'], taskDurationMs: 1000, rateLimit: limit });
    const processes: ServiceProcess[] = [];
    try {
      const env = {
        ...generatorEnv(db.url, bus.prefix, telegram, kie),
        KIE_RATE_LIMIT: `${limit.maxCreates}/${limit.windowMs}ms`,
        KIE_POLL_INTERVAL: '500ms',
      };
      for (let i = 0; i < replicas; i++) processes.push(await startServiceProcess('generator', env));
      const started = performance.now();
      await scheduleJobs(db, jobs, `${kie.url}/files/bench-photo.jpg`);
      await waitFor(
        'every job ready',
        async () =>
          (await db.pool.query(`SELECT count(*)::int AS n FROM es.events WHERE type = 'VideoReady'`)).rows[0]
            .n >= jobs,
        { timeoutMs: 600_000, intervalMs: 200 },
      );
      const jobsPerSecond = jobs / ((performance.now() - started) / 1000);
      const refused = kie
        .calls('/api/v1/jobs/createTask')
        .filter((call) => call.httpStatus === 429 || call.code === 429).length;
      runs.push({ replicas, jobsPerSecond, ofAccountLimit: jobsPerSecond / accountPerSecond, refused });
    } finally {
      for (const process of processes) await process.stop();
      await Promise.all([telegram.close(), kie.close()]);
      await bus.destroy();
      await db.drop();
    }
  }
  printTable(
    `Generator replicas against an account limit of ${limit.maxCreates} creations per ${limit.windowMs / 1000} s (${accountPerSecond}/s), ${jobs} jobs of 1 s`,
    runs.map((run) => [
      `${run.replicas} replica${run.replicas > 1 ? 's' : ''}`,
      `${run.jobsPerSecond.toFixed(1)} jobs/s`,
      `${(run.ofAccountLimit * 100).toFixed(0)}% of the limit, ${run.refused} refused by KIE`,
    ]),
  );
  return runs;
}
