import { type DomainEvent, streamIds } from '@neurocards/contracts';
import {
  FakeKie,
  FakeOpenAI,
  FakeTelegram,
  fixturePaths,
  kieContentPolicyMessages,
  kieFaults,
} from '@neurocards/fake-providers';
import { EventStore } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RunningProcess, startService, stopProcess } from '../../../test/support/system.js';
import { keyId } from '../src/adapters/key-pool.js';
import { orderVideo, richSeller, terminal } from './jobs.js';

// The generator as a process, with billing, against fake Telegram (getFile), KIE.AI and OpenAI servers.

const seller = 4_200_001;
const keys = ['kie-e2e-key-one', 'kie-e2e-key-two'];
const hmacKey = 'kie-webhook-hmac-secret';
let db: TestDatabase;
let bus: TestBus;
let store: EventStore;
let telegram: FakeTelegram;
let kie: FakeKie;
let openai: FakeOpenAI;
let photo: { file_id: string; file_unique_id: string };
const processes: RunningProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('generator_e2e');
  bus = await createTestBus('gen');
  store = new EventStore(db.pool);
  telegram = await FakeTelegram.start();
  kie = await FakeKie.start({ apiKeys: keys, taskDurationMs: 300, hmacKey });
  openai = await FakeOpenAI.start();
  photo = telegram.registerFile({ path: fixturePaths.productPhoto });
  const generatorPort = await freePort();
  const common = { DATABASE_URL: db.url, NATS_URL: testNatsUrl, BUS_PREFIX: bus.prefix, LOG_LEVEL: 'info' };
  processes.push(await startService('billing', common, 'gen-billing'));
  processes.push(
    await startService(
      'generator',
      {
        ...common,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.url,
        KIE_API_KEYS: keys.join(','),
        KIE_BASE_URL: kie.url,
        KIE_UPLOAD_BASE_URL: kie.url,
        // Slow polling: a quick finish can only come from the callback.
        KIE_POLL_INTERVAL: '20s',
        KIE_CALLBACK_URL: `http://127.0.0.1:${generatorPort}`,
        KIE_WEBHOOK_HMAC_KEY: hmacKey,
        OPENAI_API_KEY: 'sk-test-openai-key',
        OPENAI_BASE_URL: openai.baseURL,
      },
      'gen-generator',
      { port: generatorPort },
    ),
  );
  await richSeller(store, seller);
});

afterAll(async () => {
  for (const running of processes.reverse()) await stopProcess(running);
  await Promise.all([telegram?.close(), kie?.close(), openai?.close()]);
  await bus?.destroy();
  await db?.drop();
});

const jobEvents = (jobId: string): Promise<DomainEvent[]> => store.readStream(streamIds.job(jobId));
const types = (events: DomainEvent[]) => events.map((e) => e.type);

async function finished(jobId: string): Promise<DomainEvent[]> {
  return waitFor(
    `job ${jobId} to finish`,
    async () => {
      const events = await jobEvents(jobId);
      return terminal(events).length > 0 ? events : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

describe('generator', () => {
  it('writes the prompt with the language model, uploads a 9:16 photo, and finishes on the signed callback', async () => {
    const started = Date.now();
    const jobId = await orderVideo(store, seller, photo);
    const events = await finished(jobId);
    expect(types(events)).toEqual([
      'GenerationRequested',
      'PromptPrepared',
      'GenerationSubmitted',
      'VideoReady',
    ]);
    // Polling alone would take 20 s: the callback did it. The deliveries tell why, should it not have.
    expect(Date.now() - started, JSON.stringify(kie.callbackDeliveries)).toBeLessThan(15_000);
    expect(kie.callbackDeliveries.length).toBeGreaterThan(0);

    const prompt = events[1];
    expect(prompt?.type === 'PromptPrepared' && prompt.data.source).toBe('model');
    const [upload] = kie.uploads;
    expect(upload?.mimeType).toBe('image/jpeg');
    const task = kie.createdTasks.at(-1);
    expect(JSON.stringify(task)).not.toContain(telegram.token); // the model gets KIE's URL, never Telegram's
    const uploaded = await fetch(String((task?.input as { image_urls?: string[] })?.image_urls?.[0]));
    const size = await sharp(Buffer.from(await uploaded.arrayBuffer())).metadata();
    expect([size.width, size.height]).toEqual([1080, 1920]);
  });

  it('keeps a callback that arrives while the submission is still being recorded', async () => {
    // Tasks that finish at once, and call back before createTask has answered: the step that created them
    // is still running when the callback makes the job due.
    kie.settings.taskDuration = 0;
    kie.settings.createReplyDelayMs = 300;
    try {
      const started = Date.now();
      const jobIds = [];
      for (let i = 0; i < 4; i++) jobIds.push(await orderVideo(store, seller, photo, `Teapot ${i}`));
      const outcomes = await Promise.all(jobIds.map(async (jobId) => types(await finished(jobId)).at(-1)));
      expect(outcomes).toEqual(['VideoReady', 'VideoReady', 'VideoReady', 'VideoReady']);
      // A lost callback waits for the 20 s poll.
      expect(Date.now() - started, JSON.stringify(kie.callbackDeliveries)).toBeLessThan(15_000);
    } finally {
      kie.settings.taskDuration = 300;
      kie.settings.createReplyDelayMs = 0;
    }
  });

  it('reuses the prompt for identical inputs, and the photo upload for the same photo', async () => {
    const before = openai.requests.length;
    const uploadsBefore = kie.uploads.length;
    const jobId = await orderVideo(store, seller, photo);
    await finished(jobId);
    expect(openai.requests.length).toBe(before);
    expect(kie.uploads.length).toBe(uploadsBefore); // drawn and uploaded once, by the first test's job

    const other = telegram.registerFile({ path: fixturePaths.productPhoto, fileUniqueId: 'another-photo' });
    await finished(await orderVideo(store, seller, other));
    expect(kie.uploads.length).toBe(uploadsBefore + 1); // a different photo is uploaded
  });

  it('falls back to the next model when a model is paused, for this job and the next', async () => {
    kie.pauseModel('kling-2.6/image-to-video');
    try {
      const jobId = await orderVideo(store, seller, photo, 'Desk lamp');
      const events = await finished(jobId);
      const failedAttempt = events.find((e) => e.type === 'GenerationAttemptFailed');
      expect(failedAttempt?.data).toMatchObject({
        model: 'kling-2.6/image-to-video',
        errorClass: 'TEMPORARY',
        code: 'model_paused',
      });
      const submitted = events.find((e) => e.type === 'GenerationSubmitted');
      expect(submitted?.data).toMatchObject({ model: 'bytedance/seedance-1.5-pro', attempt: 2 });
      expect(types(events).at(-1)).toBe('VideoReady');

      const next = await finished(await orderVideo(store, seller, photo, 'Floor lamp'));
      expect(next.filter((e) => e.type === 'GenerationAttemptFailed')).toHaveLength(0); // the pause is known
    } finally {
      kie.pauseModel('kling-2.6/image-to-video', false);
      await db.pool.query('DELETE FROM generator.model_health');
    }
  });

  it('moves to the next key when one is rate limited, and cools that key down for everyone', async () => {
    kie.failNextCreate(kieFaults.rateLimited()); // whichever key asks first
    const jobs = await Promise.all([1, 2].map((i) => orderVideo(store, seller, photo, `Vase ${i}`)));
    for (const jobId of jobs) {
      const events = await finished(jobId);
      expect(types(events).at(-1)).toBe('VideoReady');
      expect(events.some((e) => e.type === 'GenerationAttemptFailed')).toBe(false); // a key switch is not a failed attempt
    }
    const cooling = await db.pool.query('SELECT key_id, reason FROM generator.key_cooldowns');
    expect(cooling.rows).toHaveLength(1);
    expect(keys.map(keyId)).toContain(cooling.rows[0].key_id);
    expect(cooling.rows[0].reason).toBe('RATE_LIMIT');
    const rateLimited = kie.calls('/api/v1/jobs/createTask').filter((call) => call.code === 429);
    expect(rateLimited).toHaveLength(1);
    await db.pool.query('DELETE FROM generator.key_cooldowns');
  });

  it('ends the job at once on a content violation, and billing refunds it', async () => {
    kie.failNextTasks({ failMsg: kieContentPolicyMessages.photorealisticPeople, failCode: '400' });
    const jobId = await orderVideo(store, seller, photo, 'T-shirt on a model');
    const events = await finished(jobId);
    expect(types(events).slice(-2)).toEqual(['GenerationAttemptFailed', 'GenerationFailed']);
    expect(events.at(-1)?.data).toMatchObject({
      errorClass: 'USER_VIOLATION',
      code: 'photo_people',
      attempts: 1,
    });
    await waitFor('the refund', async () =>
      (await store.readStream(streamIds.credits(seller))).some(
        (e) => e.type === 'CreditRefunded' && e.data.jobId === jobId,
      ),
    );
  });

  it('refuses callbacks with a bad signature or token', async () => {
    const generator = processes.find((p) => p.name === 'generator');
    const { rows } = await db.pool.query('SELECT job_id, callback_token FROM generator.jobs LIMIT 1');
    const body = JSON.stringify({ code: 200, msg: 'ok', data: { taskId: 'task-x', state: 'success' } });
    const ts = String(Math.floor(Date.now() / 1000));
    const post = (path: string, headers: Record<string, string>) =>
      fetch(`${generator?.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
      });
    const good = `/kie/callback/${rows[0].job_id}/${rows[0].callback_token}`;
    expect((await post(good, { 'x-webhook-timestamp': ts, 'x-webhook-signature': 'forged' })).status).toBe(
      401,
    );
    const { createHmac } = await import('node:crypto');
    const signature = createHmac('sha256', hmacKey).update(`task-x.${ts}`).digest('base64');
    expect(
      (
        await post(`/kie/callback/${rows[0].job_id}/not-the-token-at-all`, {
          'x-webhook-timestamp': ts,
          'x-webhook-signature': signature,
        })
      ).status,
    ).toBe(404);
    // Malformed paths never reach the database: a job id of the right length but no uuid, a token with
    // characters no token has.
    const signed = { 'x-webhook-timestamp': ts, 'x-webhook-signature': signature };
    expect((await post(`/kie/callback/${'-'.repeat(36)}/${rows[0].callback_token}`, signed)).status).toBe(
      404,
    );
    expect((await post(`/kie/callback/${rows[0].job_id}/${"x'%3B--".repeat(4)}`, signed)).status).toBe(404);
    expect((await post(good, signed)).status).toBe(200);
  });
});
