import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  accessSync,
  chownSync,
  constants,
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '@neurocards/runtime/testing';
import pg from 'pg';
import { freePort } from './system.js';

// A PostgreSQL cluster and a NATS server of a test's own, on free ports of 127.0.0.1, for tests that stop,
// kill and restart them. The machine's shared servers (5432, 4222) are never touched.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const logDir = `${root}test-results/logs`;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findPostgresBin(): Promise<string> {
  const candidates: string[] = [];
  try {
    candidates.push((await run('pg_config', ['--bindir'])).stdout.trim());
  } catch {
    // pg_config belongs to the dev package; the server's own directories follow.
  }
  for (const version of ['17', '16', '15', '14', '13']) candidates.push(`/usr/lib/postgresql/${version}/bin`);
  const found = candidates.find((dir) => executable(join(dir, 'initdb')) && executable(join(dir, 'pg_ctl')));
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found in `pg_config --bindir` or /usr/lib/postgresql/*/bin: run `pnpm setup`',
    );
  }
  return found;
}

async function findNatsServer(): Promise<string> {
  try {
    const { stdout } = await run('sh', ['-c', 'command -v nats-server']);
    if (stdout.trim()) return stdout.trim();
  } catch {
    // not on the PATH
  }
  for (const path of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'])
    if (executable(path)) return path;
  throw new Error('nats-server not found on the PATH or in /usr/sbin: run `pnpm setup`');
}

/** The server refuses to run as root: its commands run as the `postgres` user when we are root. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ['runuser', ['-u', 'postgres', '--', command, ...args]];
}

/**
 * A throwaway PostgreSQL cluster: initdb into a temporary directory, trust authentication, started with
 * pg_ctl on a free port. `restart` and `crash` keep the data directory.
 */
export class OwnPostgres {
  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
    private readonly label: string,
  ) {}

  static async create(label: string): Promise<OwnPostgres> {
    const bin = await findPostgresBin();
    const dir = mkdtempSync(join(tmpdir(), `nc-${label}-pg-`));
    const port = await freePort();
    const server = new OwnPostgres(bin, dir, port, label);
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
        throw new Error('running as root needs a `postgres` OS user to run PostgreSQL: run `pnpm setup`');
      });
      const uid = Number(stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      chownSync(dir, uid, gid);
    }
    await server.pg('initdb', [
      '-D',
      `${dir}/data`,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '--encoding=UTF8',
      '--locale=C',
    ]);
    await server.start();
    return server;
  }

  /** Admin URL (database `postgres`), or of another database of this cluster. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  async start(): Promise<void> {
    mkdirSync(logDir, { recursive: true });
    // fsync off: a crash here is a killed server, not a lost machine, so the kernel still has every write.
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.dir}`,
      '-c max_connections=300',
      '-c fsync=off',
      '-c full_page_writes=off',
    ].join(' ');
    await this.pg('pg_ctl', [
      'start',
      '-w',
      '-t',
      '60',
      '-D',
      `${this.dir}/data`,
      '-l',
      `${this.dir}/server.log`,
      '-o',
      options,
    ]);
  }

  /** A clean stop: sessions are ended, the server checkpoints and exits. */
  async stop(): Promise<void> {
    await this.pg('pg_ctl', ['stop', '-w', '-t', '60', '-m', 'fast', '-D', `${this.dir}/data`]);
  }

  /** A crash: every server process exits at once, without a checkpoint; the next start recovers from WAL. */
  async crash(): Promise<void> {
    await this.pg('pg_ctl', ['stop', '-w', '-t', '60', '-m', 'immediate', '-D', `${this.dir}/data`]);
  }

  /** Stops (cleanly or as a crash), stays down for `downMs`, starts again. */
  async restart(options: { crash?: boolean; downMs?: number } = {}): Promise<void> {
    await (options.crash ? this.crash() : this.stop());
    if (options.downMs) await new Promise((resolve) => setTimeout(resolve, options.downMs));
    await this.start();
  }

  /** Stops the server if it runs and removes its directory, keeping its log in test-results/logs. */
  async destroy(): Promise<void> {
    await this.pg('pg_ctl', ['stop', '-w', '-t', '30', '-m', 'immediate', '-D', `${this.dir}/data`]).catch(
      () => {},
    );
    if (existsSync(`${this.dir}/server.log`))
      copyFileSync(`${this.dir}/server.log`, `${logDir}/${this.label}-postgres.log`);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const [command, argv] = asPostgres(join(this.bin, tool), args);
    try {
      await run(command, argv, { cwd: this.dir, timeout: 90_000 });
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(
        `${this.label}: ${tool} ${args[0]} failed: ${stderr || stdout || String(error)} (server log: test-results/logs/${this.label}-postgres.log once the test ends)`,
      );
    }
  }
}

/** A NATS server with JetStream of its own, its store in a temporary directory kept across restarts. */
export class OwnNats {
  private child?: ChildProcess;

  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
    private readonly label: string,
  ) {}

  static async create(label: string): Promise<OwnNats> {
    const bin = await findNatsServer();
    const dir = mkdtempSync(join(tmpdir(), `nc-${label}-nats-`));
    const server = new OwnNats(bin, dir, await freePort(), label);
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(`${logDir}/${this.label}-nats.log`, { flags: 'a' });
    const child = spawn(this.bin, ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.child === child) this.child = undefined;
    });
    this.child = child;
    await waitFor(
      `${this.label} NATS to listen on ${this.port}`,
      async () => {
        if (exited) throw new Error(`nats-server exited (see test-results/logs/${this.label}-nats.log)`);
        // The monitoring port is off; a TCP connect that reads the INFO line is enough.
        return await natsAnswers(this.port);
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  }

  /** SIGKILL (a crash) or SIGTERM (a clean stop), and the exit. */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  async restart(options: { crash?: boolean; downMs?: number } = {}): Promise<void> {
    await this.stop(options.crash ? 'SIGKILL' : 'SIGTERM');
    if (options.downMs) await new Promise((resolve) => setTimeout(resolve, options.downMs));
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function natsAnswers(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('INFO')));
    socket.once('error', () => done(false));
  });
}
