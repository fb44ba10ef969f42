import { Module } from '@nestjs/common';
import { runService } from '@neurocards/runtime/shell';
import { Counter } from 'prom-client';
import { CreationRateLimiter } from './adapters/creation-rate.js';
import { KeyPool } from './adapters/key-pool.js';
import { KieClient } from './adapters/kie-client.js';
import { ModelHealth } from './adapters/model-health.js';
import { PhotoUploads } from './adapters/photo-uploads.js';
import { PromptCache } from './adapters/prompt-cache.js';
import { PromptWriter } from './adapters/prompt-writer.js';
import { loadGeneratorConfig } from './config.js';
import { GenerationController } from './handlers/generation.controller.js';
import { GenerationScheduler } from './handlers/generation-scheduler.js';
import { kieCallbackRoute } from './handlers/kie-callback.js';
import { generatorMigrations } from './migrations.js';

@Module({ controllers: [GenerationController] })
class GeneratorModule {}

const config = loadGeneratorConfig();
await runService({
  name: 'generator',
  config,
  httpPort: config.HTTP_PORT,
  migrations: [generatorMigrations],
  modules: [GeneratorModule],
  secrets: [
    config.TELEGRAM_BOT_TOKEN,
    ...config.KIE_API_KEYS,
    config.OPENAI_API_KEY,
    config.KIE_WEBHOOK_HMAC_KEY,
  ],
  workers: (service) => [
    new GenerationScheduler({
      service,
      kie: new KieClient({
        baseUrl: config.KIE_BASE_URL,
        uploadBaseUrl: config.KIE_UPLOAD_BASE_URL,
        timeoutMs: config.KIE_HTTP_TIMEOUT,
      }),
      keys: new KeyPool(service.pool, config.KIE_API_KEYS),
      rate: new CreationRateLimiter(service.pool, config.KIE_RATE_LIMIT),
      health: new ModelHealth(service.pool),
      prompts: new PromptWriter({
        apiKey: config.OPENAI_API_KEY,
        baseURL: config.OPENAI_BASE_URL,
        model: config.OPENAI_MODEL,
        timeoutMs: config.OPENAI_TIMEOUT,
        logger: service.logger,
      }),
      promptCache: new PromptCache(service.pool),
      photoUploads: new PhotoUploads(service.pool, config.PHOTO_UPLOAD_REUSE),
      attemptFailures: new Counter({
        name: 'nc_generator_attempt_failures_total',
        help: 'Failed generation attempts by error class and code',
        labelNames: ['errorClass', 'code'],
        registers: [service.metrics.registry],
      }),
    }),
  ],
  routes: (service) => [kieCallbackRoute(service)],
});
