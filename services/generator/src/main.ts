import { Module } from '@nestjs/common';
import { runService } from '@neurocards/runtime/shell';
import { loadGeneratorConfig } from './config.js';
import { GenerationController } from './handlers/generation.controller.js';

@Module({ controllers: [GenerationController] })
class GeneratorModule {}

const config = loadGeneratorConfig();
await runService({
  name: 'generator',
  config,
  httpPort: config.HTTP_PORT,
  modules: [GeneratorModule],
  secrets: [config.TELEGRAM_BOT_TOKEN, ...config.KIE_API_KEYS],
});
