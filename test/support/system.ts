import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@neurocards/runtime/testing';

export const serviceNames = ['bot-gateway', 'billing', 'generator', 'delivery', 'projector'] as const;
export type ServiceName = (typeof serviceNames)[number];

const root = fileURLToPath(new URL('../../', import.meta.url));
const logDir = `${root}test-results/logs`;

export interface RunningProcess {
  name: string;
  child: ChildProcess;
  port: number;
  url: string;
}

/** A free TCP port on 127.0.0.1, for a service's operations server. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts one service from its build (`services/<name>/dist/main.js`) as a separate process and waits until
 * its /readyz says ready. Its output goes to test-results/logs/<label>.log.
 */
export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  label: string = name,
  options: { port?: number } = {},
): Promise<RunningProcess> {
  const port = options.port ?? (await freePort());
  const log = serviceLog(label);
  const child = spawnService(name, env, port, log);
  child.once('close', () => log.end());
  const url = `http://127.0.0.1:${port}`;
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  await waitFor(
    `${label} to be ready (see test-results/logs/${label}.log)`,
    async () => {
      if (exited !== null) throw new Error(`${label} exited with code ${exited}`);
      const response = await fetch(`${url}/readyz`).catch(() => undefined);
      return response?.status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return { name, child, port, url };
}

/** The append-only log file of a service process, test-results/logs/<label>.log. */
export function serviceLog(label: string): WriteStream {
  mkdirSync(logDir, { recursive: true });
  return createWriteStream(`${logDir}/${label}.log`, { flags: 'a' });
}

/**
 * Spawns one service from its build (`services/<name>/dist/main.js`) with only PATH and `env`, its
 * operations server on 127.0.0.1:`port`, and its output appended to `log` (left open for the next process).
 */
export function spawnService(
  name: ServiceName,
  env: Record<string, string>,
  port: number,
  log: WriteStream,
): ChildProcess {
  const main = `${root}services/${name}/dist/main.js`;
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`pnpm build\` first`);
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', ...env, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  return child;
}

/** Sends SIGTERM and waits for the exit code (SIGKILL after `timeoutMs`). */
export async function stopProcess(running: RunningProcess, timeoutMs = 15_000): Promise<number | null> {
  const { child } = running;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exit;
  clearTimeout(timer);
  return code;
}
