import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { billingBenchmark } from './billing.js';
import { foundationBenchmark } from './foundation.js';
import { generatorBenchmark } from './generator.js';
import { projectionLagObserver, rebuildBenchmark } from './projector.js';

// `pnpm bench`: every benchmark, each reporting ratios against raw figures measured in the same run.
// BENCH_SECONDS sets the length of each timed phase (default 5).

const durationMs = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
process.stdout.write(`Neurocards benchmarks on ${machine}\n`);

const lag = projectionLagObserver();
const results = {
  machine,
  at: new Date().toISOString(),
  foundation: await foundationBenchmark(durationMs),
  // The same load again with the projector tailing the store, for its lag (the figures above stay clean).
  foundationWithProjector: await foundationBenchmark(durationMs, lag),
  projectionLag: lag.result(),
  rebuild: await rebuildBenchmark(Number(process.env.BENCH_REBUILD_EVENTS ?? 1_000_000)),
  billing: await billingBenchmark(Number(process.env.BENCH_BILLING_USERS ?? 1000)),
  generator: await generatorBenchmark(Number(process.env.BENCH_GENERATOR_JOBS ?? 2000), 60, 20),
};

mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write('\nwritten to bench-results/latest.json\n');
const verdict = results.foundation.ratioToRawInsert >= 0.4 ? 'meets' : 'MISSES';
process.stdout.write(`\nappend + relay ${verdict} its target (≥ 40% of the raw INSERT rate)\n`);
const rebuildVerdict = results.rebuild.rebuildPerSecond >= 20_000 ? 'meets' : 'MISSES';
process.stdout.write(`projection rebuild ${rebuildVerdict} its target (≥ 20,000 events/s)\n`);
if (results.billing.invariantViolations > 0)
  process.stdout.write('\nBILLING BROKE AN INVARIANT: see above\n');
process.exit(results.billing.invariantViolations > 0 ? 1 : 0);
