import { AsyncLocalStorage } from 'node:async_hooks';

/** What a log line should say about the work in progress: the job or order, and the event being handled. */
export interface WorkContext {
  correlationId?: string;
  eventId?: string;
  eventType?: string;
  consumer?: string;
}

const storage = new AsyncLocalStorage<WorkContext>();

/** Runs `work` with `context` attached; every log line written inside carries it. */
export function withWorkContext<T>(context: WorkContext, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, work);
}

export function currentWorkContext(): WorkContext | undefined {
  return storage.getStore();
}
