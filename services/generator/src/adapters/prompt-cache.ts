import { createHash } from 'node:crypto';
import type { Pool } from 'pg';

// Bump when the prompt instructions change, so old prompts are not reused for new rules.
const PROMPT_VERSION = 1;

export interface CachedPrompt {
  prompt: string;
  source: 'model' | 'fallback';
}

/** Prompts kept in each replica's memory, the most recently used first to stay. */
const MEMORY_ENTRIES = 1000;

/**
 * Prompts by their inputs: the same product, style, wishes and language reuse the earlier prompt. The
 * table is shared by the replicas; each also keeps the prompts it has seen last in memory. A prompt is
 * never changed or removed once stored (a new prompt version makes new keys), so a copy cannot go stale,
 * and an order of several videos of one product, or "Another one with this product", asks PostgreSQL once.
 */
export class PromptCache {
  private readonly memory = new Map<string, CachedPrompt>();

  constructor(private readonly pool: Pool) {}

  static key(input: {
    product: string;
    templateId: string;
    wishes: string | null;
    language: string;
  }): string {
    const normalized = [
      PROMPT_VERSION,
      input.product.trim(),
      input.templateId,
      input.wishes?.trim() ?? '',
      input.language,
    ];
    return createHash('sha256').update(JSON.stringify(normalized)).digest('hex');
  }

  async get(key: string): Promise<CachedPrompt | undefined> {
    const remembered = this.memory.get(key);
    if (remembered) {
      this.remember(key, remembered);
      return remembered;
    }
    const { rows } = await this.pool.query<CachedPrompt>({
      name: 'nc_generator_prompt_get',
      text: 'SELECT prompt, source FROM generator.prompt_cache WHERE input_hash = $1',
      values: [key],
    });
    const stored = rows[0];
    if (stored) this.remember(key, stored);
    return stored;
  }

  /** Only model-written prompts are kept: a fallback is cheap to rebuild and the model may be back. */
  async put(key: string, prompt: CachedPrompt): Promise<void> {
    if (prompt.source !== 'model') return;
    this.remember(key, prompt);
    await this.pool.query(
      'INSERT INTO generator.prompt_cache (input_hash, prompt, source) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [key, prompt.prompt, prompt.source],
    );
  }

  /** Puts `key` last in the map's order, dropping the least recently used entry when full. */
  private remember(key: string, prompt: CachedPrompt): void {
    this.memory.delete(key);
    this.memory.set(key, prompt);
    if (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value as string);
  }
}
