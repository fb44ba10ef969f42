import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeKie, FakeOpenAI, FakeTelegram } from '@neurocards/fake-providers';
import { readModelBalances } from './balances.js';
import { SandboxServer } from './sandboxServer.js';

/** Where the sandbox listens; every port may be 0 (a free one). */
export interface SandboxOptions {
  host?: string;
  /** The page (default 8080). */
  port?: number;
  telegramPort?: number;
  kiePort?: number;
  openaiPort?: number;
  /** How long the fake KIE.AI takes to make a video (default 5 s). */
  videoMs?: number;
  /** The event store's database, for the balance shown on the page (rm.users); none hides it. */
  databaseUrl?: string;
}

/** A running sandbox: the page, the three fakes, and the environment that points the services at them. */
export interface Sandbox {
  url: string;
  telegram: FakeTelegram;
  kie: FakeKie;
  openai: FakeOpenAI;
  /** Variables that point the services at the fakes (merge them into each service's environment). */
  serviceEnv: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the fake Telegram, KIE.AI and OpenAI servers on 127.0.0.1 and the chat page in front of them.
 * Uploaded videos and photos live in a temporary folder that `close()` removes.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const videoMs = options.videoMs ?? 5000;
  const dir = await mkdtemp(join(tmpdir(), 'neurocards-sandbox-'));
  const uploadDir = join(dir, 'uploads');
  const photoDir = join(dir, 'photos');
  await Promise.all([mkdir(uploadDir), mkdir(photoDir)]);
  const openaiKey = 'sk-sandbox-fake-openai-key';
  const telegram = new FakeTelegram({ port: options.telegramPort ?? 0, uploadDir });
  const kie = new FakeKie({ port: options.kiePort ?? 0, taskDurationMs: videoMs });
  const openai = new FakeOpenAI({ port: options.openaiPort ?? 0, apiKey: openaiKey });
  const balances = options.databaseUrl ? readModelBalances(options.databaseUrl) : undefined;
  const server = new SandboxServer({
    host: options.host,
    port: options.port ?? 8080,
    telegram,
    kie,
    photoDir,
    balanceOf: balances?.balanceOf,
    videoSeconds: Math.ceil(videoMs / 1000),
  });
  const close = async () => {
    await server.close();
    await Promise.all([telegram.close(), kie.close(), openai.close(), balances?.close()]);
    await rm(dir, { recursive: true, force: true });
  };
  let url: string;
  try {
    // Settled, not raced: a fake still binding its port when another fails must be closed too.
    const started = await Promise.allSettled([telegram.start(), kie.start(), openai.start()]);
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    url = await server.listen();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    telegram,
    kie,
    openai,
    serviceEnv: {
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.url,
      KIE_API_KEYS: kie.apiKey,
      KIE_BASE_URL: kie.url,
      KIE_UPLOAD_BASE_URL: kie.url,
      KIE_POLL_INTERVAL: '500ms',
      OPENAI_API_KEY: openaiKey,
      OPENAI_BASE_URL: openai.baseURL,
    },
    close,
  };
}
