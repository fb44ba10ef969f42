interface Waiter<T> {
  predicate: (value: T) => boolean;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Pending `waitFor…` promises that resolve when a matching value is offered, or reject on timeout. */
export class Waiters<T> {
  private list: Waiter<T>[] = [];

  /** Waits for the first offered value that matches; `describeTimeout` builds the error message. */
  wait(predicate: (value: T) => boolean, timeoutMs: number, describeTimeout: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.remove(waiter);
          reject(new Error(describeTimeout()));
        }, timeoutMs),
      };
      this.list.push(waiter);
    });
  }

  /** Resolves every waiter whose predicate accepts the value. */
  offer(value: T): void {
    if (this.list.length === 0) return;
    for (const waiter of [...this.list]) {
      let matches = false;
      try {
        matches = waiter.predicate(value);
      } catch (error) {
        this.remove(waiter);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (!matches) continue;
      this.remove(waiter);
      waiter.resolve(value);
    }
  }

  /** Rejects every pending waiter, e.g. when the fake closes. */
  rejectAll(reason: string): void {
    const list = this.list;
    this.list = [];
    for (const waiter of list) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(reason));
    }
  }

  private remove(waiter: Waiter<T>): void {
    clearTimeout(waiter.timer);
    const index = this.list.indexOf(waiter);
    if (index >= 0) this.list.splice(index, 1);
  }
}
