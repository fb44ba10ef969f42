/** Runs `workers` loops of `step` until `durationMs` has passed; returns how many steps completed per second. */
export async function rateOver(
  durationMs: number,
  workers: number,
  step: (worker: number) => Promise<number | undefined>,
): Promise<{ count: number; seconds: number; perSecond: number }> {
  const started = performance.now();
  const deadline = started + durationMs;
  let count = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        const done = await step(worker);
        count += done ?? 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { count, seconds, perSecond: count / seconds };
}

export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}

export function printTable(title: string, rows: Array<[string, string, string?]>): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  process.stdout.write(`\n${title}\n${'-'.repeat(title.length)}\n`);
  for (const [label, value, note] of rows) {
    process.stdout.write(`  ${label.padEnd(width)}  ${value.padStart(12)}${note ? `  ${note}` : ''}\n`);
  }
}
