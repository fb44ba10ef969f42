interface ScriptEntry<C, F> {
  fault: F;
  remaining: number;
  matches: (context: C) => boolean;
}

/**
 * An ordered list of programmed faults, each used `times` times (Infinity allowed) for requests whose context
 * matches. The first matching entry wins, so faults queue up in the order they were added.
 */
export class FaultScript<C, F> {
  private entries: ScriptEntry<C, F>[] = [];

  /** Queues a fault for the next `times` matching requests. */
  add(fault: F, matches: (context: C) => boolean, times = 1): void {
    if (!(times > 0)) throw new Error(`times must be positive, got ${times}`);
    this.entries.push({ fault, matches, remaining: times });
  }

  /** Takes the fault for this request, if one is programmed, and counts it down. */
  take(context: C): F | undefined {
    if (this.entries.length === 0) return undefined;
    const index = this.entries.findIndex((entry) => entry.matches(context));
    if (index < 0) return undefined;
    const entry = this.entries[index] as ScriptEntry<C, F>;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.entries.splice(index, 1);
    return entry.fault;
  }

  /** Number of programmed faults not used up yet (Infinity for permanent ones). */
  get pending(): number {
    return this.entries.reduce((sum, entry) => sum + entry.remaining, 0);
  }

  /** Number of programmed faults not used yet that a request with this context would take. */
  pendingFor(context: C): number {
    return this.entries.reduce((sum, entry) => (entry.matches(context) ? sum + entry.remaining : sum), 0);
  }

  /** Forgets every programmed fault. */
  clear(): void {
    this.entries = [];
  }
}
