import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePortNear } from './ports.js';

const require = createRequire(import.meta.url);

export interface ServiceProcess {
  service: string;
  pid: number | undefined;
  port: number;
  /** A gauge or counter from the service's /metrics (the first series of that name). */
  metric(name: string): Promise<number>;
  /** SIGTERM, and the exit. */
  stop(): Promise<void>;
}

/** Starts one of our services from its build as its own process and waits until /readyz says ready. */
export async function startServiceProcess(
  service: 'bot-gateway' | 'billing' | 'generator' | 'delivery' | 'projector',
  env: Record<string, string>,
  options: { port?: number } = {},
): Promise<ServiceProcess> {
  const main = require.resolve(`@neurocards/${service}/dist/main.js`);
  const port = options.port ?? (await freePortNear(3900));
  // BENCH_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, profiles the services under test.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, HTTP_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${service} exited with code ${child.exitCode}`);
    if ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok) break;
    if (Date.now() > deadline) throw new Error(`${service} did not become ready in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    service,
    pid: child.pid,
    port,
    async metric(name) {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
