import { createHash } from 'node:crypto';
import type { Pool } from 'pg';

// Bump when the prompt instructions change, so old prompts are not reused for new rules.
const PROMPT_VERSION = 1;

export interface CachedPrompt {
  prompt: string;
  source: 'model' | 'fallback';
}

/** Prompts by their inputs: the same product, style, wishes and language reuse the earlier prompt. */
export class PromptCache {
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
    const { rows } = await this.pool.query<CachedPrompt>({
      name: 'nc_generator_prompt_get',
      text: 'SELECT prompt, source FROM generator.prompt_cache WHERE input_hash = $1',
      values: [key],
    });
    return rows[0];
  }

  /** Only model-written prompts are kept: a fallback is cheap to rebuild and the model may be back. */
  async put(key: string, prompt: CachedPrompt): Promise<void> {
    if (prompt.source !== 'model') return;
    await this.pool.query(
      'INSERT INTO generator.prompt_cache (input_hash, prompt, source) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [key, prompt.prompt, prompt.source],
    );
  }
}
