import { StatementBatches } from '@neurocards/runtime/event-store';
import type { Pool } from 'pg';

const WINDOW_MARGIN_MS = 500;

export type CreationSlot = { granted: true } | { granted: false; retryInMs: number };

/**
 * KIE allows an account `count` task creations per `windowMs` (20 per 10 s) and rejects the rest with 429.
 * Every replica asks here before createTask, so the limit holds for all of them together: one call of
 * `generator.take_creation_slot`, which counts and takes a slot under one lock (migration 4).
 */
export class CreationRateLimiter {
  /**
   * Slots asked for at once share a round trip, but only with each other: each takes the account's lock,
   * which a batch shared with other statements would hold while they wait on other rows.
   */
  private readonly statements: StatementBatches;

  constructor(
    pool: Pool,
    private readonly limit: { count: number; windowMs: number },
  ) {
    this.statements = new StatementBatches(pool);
  }

  async acquire(): Promise<CreationSlot> {
    // A little longer than KIE's own window: our clock and theirs, and the request's flight, differ.
    const windowMs = this.limit.windowMs + WINDOW_MARGIN_MS;
    // The function reads the clock itself, so a slot in a batch is as fair as one alone.
    const [result] = await this.statements.run([
      `SELECT granted, retry_ms FROM generator.take_creation_slot(${Number(this.limit.count)}, ${Number(windowMs)})`,
    ]);
    const slot = result?.rows[0] as { granted: boolean; retry_ms: number | null } | undefined;
    if (slot?.granted) return { granted: true };
    return { granted: false, retryInMs: Math.max(50, Math.ceil(slot?.retry_ms ?? windowMs)) };
  }
}
