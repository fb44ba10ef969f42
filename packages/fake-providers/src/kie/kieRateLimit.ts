/** The account-wide limit on task creations: at most `maxCreates` in any `windowMs` (default 20 / 10 s). */
export interface KieRateLimit {
  maxCreates: number;
  windowMs: number;
}

/** A sliding-window counter of accepted creations; O(1) amortised per check. */
export class KieRateLimiter {
  private stamps: number[] = [];
  private head = 0;

  constructor(public limit: KieRateLimit | false) {}

  /** Takes one slot at `now`, or returns false when the window is full. */
  tryTake(now: number): boolean {
    if (!this.limit) return true;
    const since = now - this.limit.windowMs;
    while (this.head < this.stamps.length && (this.stamps[this.head] as number) <= since) this.head++;
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    }
    if (this.stamps.length - this.head >= this.limit.maxCreates) return false;
    this.stamps.push(now);
    return true;
  }

  /** Forgets past creations. */
  reset(): void {
    this.stamps = [];
    this.head = 0;
  }
}
