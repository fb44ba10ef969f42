// Prints the run's totals as one plain line ("tests: N passed, N failed, N skipped") for CI to read.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`no test report at ${file}: ${error.message}`);
  process.exit(1);
}
const passed = report.numPassedTests;
const failed = report.numFailedTests;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
if (report.numTotalTests === 0) {
  console.error('no test ran');
  process.exit(1);
}
