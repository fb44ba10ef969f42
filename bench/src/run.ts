import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { billingBenchmark } from './billing.js';
import { deliveryBenchmark } from './delivery.js';
import { foundationBenchmark } from './foundation.js';
import { generatorBenchmark } from './generator.js';
import { generatorScalingBenchmark } from './generator-scaling.js';
import { pipelineBenchmark } from './pipeline.js';
import { projectionLagObserver, rebuildBenchmark } from './projector.js';

// `pnpm bench`: every benchmark, each reporting ratios against raw figures measured in the same run.
// BENCH_SECONDS sets the length of each timed phase (default 5); BENCH_ONLY=delivery,billing runs a part.

const durationMs = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
process.stdout.write(`Neurocards benchmarks on ${machine}\n`);

const benchmarks = {
  foundation: () => foundationBenchmark(durationMs),
  projector: async () => {
    // The foundation load again with the projector tailing the store, for its lag (the figures of the
    // foundation section stay clean), then a rebuild from a million events.
    const lag = projectionLagObserver();
    const foundationWithProjector = await foundationBenchmark(durationMs, lag);
    return {
      foundationWithProjector,
      projectionLag: lag.result(),
      rebuild: await rebuildBenchmark(Number(process.env.BENCH_REBUILD_EVENTS ?? 1_000_000)),
    };
  },
  billing: () => billingBenchmark(Number(process.env.BENCH_BILLING_USERS ?? 1000)),
  generator: () => generatorBenchmark(Number(process.env.BENCH_GENERATOR_JOBS ?? 2000), 60, 20),
  scaling: () => generatorScalingBenchmark(Number(process.env.BENCH_SCALING_JOBS ?? 200)),
  delivery: () => deliveryBenchmark(durationMs),
  pipeline: () =>
    pipelineBenchmark(
      durationMs,
      Number(process.env.BENCH_PIPELINE_JOBS ?? 2000),
      50,
      Number(process.env.BENCH_PIPELINE_PACED_SECONDS ?? 20),
    ),
};
type Results = { [K in keyof typeof benchmarks]?: Awaited<ReturnType<(typeof benchmarks)[K]>> };

const results: Results = {};
for (const [name, run] of Object.entries(benchmarks)) {
  if (only && !only.includes(name)) continue;
  Object.assign(results, { [name]: await run() });
}

mkdirSync('bench-results', { recursive: true });
writeFileSync(
  'bench-results/latest.json',
  `${JSON.stringify({ machine, at: new Date().toISOString(), ...results }, null, 2)}\n`,
);
process.stdout.write('\nwritten to bench-results/latest.json\n\n');

const { foundation, projector, billing, delivery } = results;
const verdicts: Array<[string, boolean | undefined]> = [
  ['append + relay ≥ 40% of the raw INSERT rate', foundation && foundation.ratioToRawInsert >= 0.4],
  ['projection rebuild ≥ 20,000 events/s', projector && projector.rebuild.rebuildPerSecond >= 20_000],
  ['billing kept every invariant', billing && billing.invariantViolations === 0],
  ['delivery < 200 MB with 20 videos of 50 MB at once', delivery && delivery.peakRssMb < 200],
  ['generator replicas stay inside the account limit', results.scaling?.every((run) => run.refused === 0)],
  ['pipeline ≥ 150 jobs/s end to end', results.pipeline && results.pipeline.jobsPerSecond >= 150],
  ['pipeline p99 < 500 ms at 50 jobs/s', results.pipeline && results.pipeline.paced.p99Ms < 500],
];
for (const [target, met] of verdicts)
  if (met !== undefined) process.stdout.write(`${met ? 'meets' : 'MISSES'}: ${target}\n`);
process.exit(billing && billing.invariantViolations > 0 ? 1 : 0);
