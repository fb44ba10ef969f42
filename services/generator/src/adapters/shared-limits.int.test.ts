import { createPool, eventStoreMigrations, migrate } from '@neurocards/runtime/event-store';
import { createTestDatabase, type TestDatabase } from '@neurocards/runtime/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatorMigrations } from '../migrations.js';
import { CreationRateLimiter } from './creation-rate.js';
import { KeyPool } from './key-pool.js';
import { ModelHealth } from './model-health.js';
import { PromptCache } from './prompt-cache.js';
import { readProviderState } from './provider-state.js';

// What the generator's replicas share through PostgreSQL: each "replica" here has its own pool.

let db: TestDatabase;
let other: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase('generator_limits', 12);
  await migrate(db.pool, [eventStoreMigrations, generatorMigrations]);
  other = createPool({ connectionString: db.url, max: 12 }); // with the error listener every pool needs
});
afterAll(async () => {
  await other?.end();
  await db?.drop();
});

describe('the account rate limit', () => {
  it('grants exactly `count` creations per window across replicas, and says when the next one is free', async () => {
    const limit = { count: 20, windowMs: 2000 };
    const replicas = [new CreationRateLimiter(db.pool, limit), new CreationRateLimiter(other, limit)];
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (replicas[i % 2] as CreationRateLimiter).acquire()),
    );
    expect(results.filter((r) => r.granted)).toHaveLength(20);
    const refused = results.filter((r): r is { granted: false; retryInMs: number } => !r.granted);
    expect(refused).toHaveLength(40);
    for (const r of refused) expect(r.retryInMs).toBeLessThanOrEqual(2000 + 500); // the window plus its margin

    // The window slides: when the promised moment comes, the oldest creation has left it, so one more is
    // granted (the others granted with it may still be inside).
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sleep(Math.max(...refused.map((r) => r.retryInMs)) + 50);
    expect(await (replicas[1] as CreationRateLimiter).acquire()).toEqual({ granted: true });

    // A whole window (and its margin) later every earlier creation has left it.
    await sleep(2000 + 500 + 50);
    const next = await Promise.all(
      Array.from({ length: 25 }, () => (replicas[0] as CreationRateLimiter).acquire()),
    );
    expect(next.filter((r) => r.granted)).toHaveLength(20);
  });
});

describe('the key pool', () => {
  it('shares cooldowns between replicas and rotates the starting key', async () => {
    const secrets = ['kie-key-alpha-123', 'kie-key-bravo-456', 'kie-key-charlie-789'];
    const [a, b] = [new KeyPool(db.pool, secrets), new KeyPool(other, secrets)];
    const usable = async (keys: KeyPool, pool: pg.Pool, start: number) =>
      keys.usable(start, (await readProviderState(pool)).coolingKeys).map((k) => k.secret);
    expect(await usable(a, db.pool, 1)).toEqual([secrets[1], secrets[2], secrets[0]]);
    await a.coolDown(a.keys[1] as (typeof a.keys)[number], 60_000, 'RATE_LIMIT');
    expect(await usable(b, other, 1)).toEqual([secrets[2], secrets[0]]);
    expect(
      JSON.stringify(await db.pool.query('SELECT * FROM generator.key_cooldowns').then((r) => r.rows)),
    ).not.toContain('bravo');
    await b.coolDown(b.keys[1] as (typeof b.keys)[number], 1, 'RATE_LIMIT'); // a shorter cooldown never shortens one
    expect(await usable(a, db.pool, 0)).toEqual([secrets[0], secrets[2]]);
  });
});

describe('model health and the prompt cache', () => {
  it('pauses a model for every replica', async () => {
    await new ModelHealth(db.pool).pause(
      'wan/2-6-image-to-video',
      60_000,
      'This interface is temporarily paused',
    );
    expect((await readProviderState(other)).pausedModels).toEqual(new Set(['wan/2-6-image-to-video']));
  });

  it('reuses a model-written prompt for identical inputs only', async () => {
    const cache = new PromptCache(db.pool);
    const input = { product: 'Mug', templateId: 'studio', wishes: null, language: 'en' };
    await cache.put(PromptCache.key(input), { prompt: 'A mug on a table.', source: 'model' });
    expect(await cache.get(PromptCache.key({ ...input, product: '  Mug ' }))).toEqual({
      prompt: 'A mug on a table.',
      source: 'model',
    });
    expect(await cache.get(PromptCache.key({ ...input, templateId: 'premium' }))).toBeUndefined();
    await cache.put(PromptCache.key({ ...input, product: 'Cup' }), {
      prompt: 'fallback',
      source: 'fallback',
    });
    expect(await cache.get(PromptCache.key({ ...input, product: 'Cup' }))).toBeUndefined();

    // Another replica finds it in the table, and keeps it: the next ask does not reach PostgreSQL.
    const replica = new PromptCache(other);
    expect((await replica.get(PromptCache.key(input)))?.prompt).toBe('A mug on a table.');
    await db.pool.query('DELETE FROM generator.prompt_cache');
    expect((await replica.get(PromptCache.key(input)))?.prompt).toBe('A mug on a table.');
    expect(await new PromptCache(other).get(PromptCache.key(input))).toBeUndefined();
  });

  it('keeps the last thousand prompts a replica used in memory, and forgets the least recently used', async () => {
    const cache = new PromptCache(db.pool);
    const key = (i: number) =>
      PromptCache.key({ product: `Item ${i}`, templateId: 'studio', wishes: null, language: 'en' });
    for (let i = 0; i < 1000; i++) await cache.put(key(i), { prompt: `Prompt ${i}`, source: 'model' });
    await cache.get(key(0)); // used again: the least recently used is now number 1
    await cache.put(key(1000), { prompt: 'Prompt 1000', source: 'model' }); // number 1 goes
    await cache.put(key(1001), { prompt: 'Prompt 1001', source: 'model' }); // number 2 goes
    await db.pool.query('DELETE FROM generator.prompt_cache');
    expect((await cache.get(key(0)))?.prompt).toBe('Prompt 0');
    expect((await cache.get(key(1001)))?.prompt).toBe('Prompt 1001');
    expect(await cache.get(key(1))).toBeUndefined();
    expect(await cache.get(key(2))).toBeUndefined();
    expect((await cache.get(key(3)))?.prompt).toBe('Prompt 3');
  });
});
