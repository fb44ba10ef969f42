import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { foundationBenchmark } from './foundation.js';

// `pnpm bench`: every benchmark, each reporting ratios against raw figures measured in the same run.
// BENCH_SECONDS sets the length of each timed phase (default 5).

const durationMs = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
process.stdout.write(`Neurocards benchmarks on ${machine}\n`);

const results = { machine, at: new Date().toISOString(), foundation: await foundationBenchmark(durationMs) };

mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write('\nwritten to bench-results/latest.json\n');
const verdict = results.foundation.ratioToRawInsert >= 0.4 ? 'meets' : 'MISSES';
process.stdout.write(`\nappend + relay ${verdict} its target (≥ 40% of the raw INSERT rate)\n`);
process.exit(0);
