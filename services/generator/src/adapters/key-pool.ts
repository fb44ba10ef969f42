import { createHash } from 'node:crypto';
import type { Pool } from 'pg';

/** A KIE key and the id that stands for it in events and logs (the key itself is never written anywhere). */
export interface ApiKey {
  id: string;
  secret: string;
}

/**
 * KIE_API_KEYS as a pool shared by every replica: a key that answers 401, 402, 429 or 433 cools down in
 * PostgreSQL, and every replica skips it until then.
 */
export class KeyPool {
  readonly keys: readonly ApiKey[];

  constructor(
    private readonly pool: Pool,
    secrets: readonly string[],
  ) {
    this.keys = secrets.map((secret) => ({ id: keyId(secret), secret }));
  }

  /** Keys not cooling down (see `readProviderState`), starting at `start` (spreads jobs over keys), in pool order after that. */
  usable(start: number, cooling: ReadonlySet<string>): ApiKey[] {
    const rotated = this.keys.map((_, i) => this.keys[(start + i) % this.keys.length] as ApiKey);
    return rotated.filter((key) => !cooling.has(key.id));
  }

  async coolDown(key: ApiKey, ms: number, reason: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO generator.key_cooldowns (key_id, until, reason) VALUES ($1, now() + $2 * interval '1 millisecond', $3)
       ON CONFLICT (key_id) DO UPDATE SET until = greatest(generator.key_cooldowns.until, excluded.until), reason = $3`,
      [key.id, ms, reason],
    );
  }
}

/** A stable, non-reversible name for a key. */
export function keyId(secret: string): string {
  return `key-${createHash('sha256').update(secret).digest('hex').slice(0, 10)}`;
}
