import { Sleeper } from '../bus/concurrency.js';
import type { Worker } from './service.js';

/**
 * A worker that is one long loop (a sweeper, a projection, a scheduler): `start` runs `loop` once,
 * `stop` asks it to end (`stopping`), cuts its current sleep short and waits for it.
 */
export abstract class LoopWorker implements Worker {
  abstract readonly name: string;
  protected readonly sleeper = new Sleeper();
  protected stopping = false;
  private loopDone?: Promise<void>;

  start(): void {
    this.loopDone ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.sleeper.wake();
    await this.loopDone;
  }

  /** Runs until `stopping`; sleeps with `this.sleeper` so that stop is prompt. */
  protected abstract loop(): Promise<void>;
}
