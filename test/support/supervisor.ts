import type { ChildProcess } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import { waitFor } from '@neurocards/runtime/testing';
import { freePort, type ServiceName, serviceLog, spawnService } from './system.js';

/** What happened to the processes a supervisor runs, for a test's summary. */
export interface SupervisorEvent {
  at: number;
  instance: string;
  what: 'started' | 'killed' | 'exited' | 'restarted';
  detail?: string;
}

/** One service process the supervisor keeps running: its label, port and current child. */
export class Instance {
  child?: ChildProcess;
  /** Exits we did not cause after the process had become ready (a crash on its own, e.g. on a lost connection). */
  crashes = 0;
  /** Exits we did not cause before the process became ready (e.g. its database was down at start). */
  failedStarts = 0;
  /** Whether the current process has answered /readyz with 200 since it was started. */
  becameReady = false;
  kills = 0;
  restarts = 0;
  private expectExit = false;

  constructor(
    readonly label: string,
    readonly service: ServiceName,
    readonly env: Record<string, string>,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Marks the next exit as ours (a kill or a stop), not a crash. */
  expect(): void {
    this.expectExit = true;
  }

  takeExpected(): boolean {
    const expected = this.expectExit;
    this.expectExit = false;
    return expected;
  }
}

/**
 * A process supervisor for tests, like a container restart policy: it starts services from their builds,
 * restarts any that exits unless it was stopped, and records every start, kill and exit.
 */
export class Supervisor {
  readonly instances: Instance[] = [];
  readonly events: SupervisorEvent[] = [];
  private stopping = false;
  private readonly logs = new Map<string, WriteStream>();

  constructor(
    private readonly options: {
      /** Pause before a restart (a second one after a failed start waits twice as long, up to 5 s). */
      restartDelayMs?: number;
      log?: (line: string) => void;
    } = {},
  ) {}

  /** Starts one instance and waits until its /readyz answers 200. */
  async add(
    service: ServiceName,
    env: Record<string, string>,
    label: string = service,
    { waitReady = true }: { waitReady?: boolean } = {},
  ): Promise<Instance> {
    const instance = new Instance(label, service, env, await freePort());
    this.instances.push(instance);
    this.spawn(instance);
    if (waitReady) await this.ready(instance, 60_000);
    return instance;
  }

  /** Waits until the instance's /readyz says ready. */
  async ready(instance: Instance, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `${instance.label} to be ready (see test-results/logs/${instance.label}.log)`,
      async () => (await fetch(`${instance.url}/readyz`).catch(() => undefined))?.status === 200,
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** Waits until every instance's /readyz says ready. */
  async allReady(timeoutMs = 60_000): Promise<void> {
    await Promise.all(this.instances.map((instance) => this.ready(instance, timeoutMs)));
  }

  /** SIGKILLs the instance; the supervisor starts it again after the restart delay. */
  kill(instance: Instance, detail?: string): void {
    const child = instance.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    instance.expect();
    instance.kills++;
    this.record(instance, 'killed', `pid ${child.pid}${detail ? `, ${detail}` : ''}`);
    child.kill('SIGKILL');
  }

  /** A gauge or counter from the instance's /metrics: the sum over its series, or undefined if unreachable. */
  async metric(instance: Instance, name: string): Promise<number | undefined> {
    const response = await fetch(`${instance.url}/metrics`, { signal: AbortSignal.timeout(2000) }).catch(
      () => undefined,
    );
    if (!response?.ok) return undefined;
    const text = await response.text();
    const pattern = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm');
    let sum = 0;
    for (const match of text.matchAll(pattern)) sum += Number(match[1]);
    return sum;
  }

  /** SIGTERM to every instance, no restarts; resolves with each label's exit code. */
  async stopAll(timeoutMs = 20_000): Promise<Record<string, number | null>> {
    this.stopping = true;
    const codes: Record<string, number | null> = {};
    await Promise.all(
      this.instances.map(async (instance) => {
        const child = instance.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) {
          codes[instance.label] = child?.exitCode ?? null;
          return;
        }
        const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        codes[instance.label] = await exit;
        clearTimeout(timer);
      }),
    );
    for (const log of this.logs.values()) log.end();
    return codes;
  }

  private spawn(instance: Instance, attempt = 0): void {
    let log = this.logs.get(instance.label);
    if (!log) {
      log = serviceLog(instance.label);
      this.logs.set(instance.label, log);
    }
    const child = spawnService(instance.service, instance.env, instance.port, log);
    instance.child = child;
    instance.becameReady = false;
    const startedAt = Date.now();
    void this.watchReadiness(instance, child);
    this.record(instance, attempt === 0 ? 'started' : 'restarted', `pid ${child.pid}`);
    child.once('exit', (code, signal) => {
      const expected = instance.takeExpected();
      const unexpected = !expected && !this.stopping;
      if (unexpected && instance.becameReady) instance.crashes++;
      if (unexpected && !instance.becameReady) instance.failedStarts++;
      const why = !unexpected ? '' : instance.becameReady ? ' (crashed on its own)' : ' (failed to start)';
      this.record(instance, 'exited', `pid ${child.pid}, ${signal ?? `code ${code}`}${why}`);
      if (this.stopping) return;
      // A process that died soon after its start (e.g. its database still down) waits longer each time.
      const quick = Date.now() - startedAt < 3000;
      const base = this.options.restartDelayMs ?? 300;
      const delay = quick ? Math.min(5000, base * 2 ** Math.min(attempt + 1, 4)) : base;
      setTimeout(() => {
        if (this.stopping) return;
        instance.restarts++;
        this.spawn(instance, quick ? attempt + 1 : 1);
      }, delay);
    });
  }

  /** Notes when the process first answers /readyz with 200 (polled until it does or exits). */
  private async watchReadiness(instance: Instance, child: ChildProcess): Promise<void> {
    while (
      !this.stopping &&
      instance.child === child &&
      child.exitCode === null &&
      child.signalCode === null
    ) {
      const response = await fetch(`${instance.url}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(
        () => undefined,
      );
      if (response?.status === 200 && instance.child === child) {
        instance.becameReady = true;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private record(instance: Instance, what: SupervisorEvent['what'], detail?: string): void {
    const event: SupervisorEvent = { at: Date.now(), instance: instance.label, what, detail };
    this.events.push(event);
    this.options.log?.(`${instance.label} ${what}${detail ? ` (${detail})` : ''}`);
  }
}
