import { FakeKie } from '@neurocards/fake-providers';
import { afterEach, describe, expect, it } from 'vitest';
import { KieApiError, KieClient } from './kie-client.js';

const key = 'kie-client-test-key';
let kie: FakeKie | undefined;

afterEach(async () => {
  await kie?.close();
  kie = undefined;
});

async function client(options: ConstructorParameters<typeof FakeKie>[0] = {}) {
  kie = await FakeKie.start({ apiKeys: [key], ...options });
  return new KieClient({ baseUrl: kie.url, uploadBaseUrl: kie.url, timeoutMs: 5000 });
}

describe('KieClient', () => {
  it.each(['msg', 'message'] as const)(
    'reads answers that carry `%s`, and parses resultJson twice',
    async (messageField) => {
      const api = await client({ messageField });
      const taskId = await api.createTask(key, {
        model: 'kling-2.6/image-to-video',
        input: {
          prompt: 'A mug on a table, slowly orbiting.',
          image_urls: [`${kie?.url}/x.jpg`],
          sound: false,
          duration: '5',
        },
      });
      const task = await api.getTask(key, taskId);
      expect(task).toEqual({ state: 'success', videoUrl: kie?.resultUrlFor(taskId) });
    },
  );

  it.each(['msg', 'message'] as const)(
    'turns a refusal carrying `%s` into a KieApiError with the text',
    async (messageField) => {
      const api = await client({ messageField });
      const refused = api.createTask(key, { model: 'no-such/model', input: { prompt: 'x' } });
      await expect(refused).rejects.toBeInstanceOf(KieApiError);
      await expect(refused).rejects.toThrow(/not supported/);
    },
  );

  it('reports a failed task with its code and message', async () => {
    const api = await client();
    kie?.failNextTasks({ failCode: '500', failMsg: 'Internal server error' });
    const taskId = await api.createTask(key, {
      model: 'kling-2.6/image-to-video',
      input: {
        prompt: 'A lamp in a cosy room, gentle push-in.',
        image_urls: [`${kie?.url}/x.jpg`],
        sound: false,
        duration: '5',
      },
    });
    expect(await api.getTask(key, taskId)).toEqual({
      state: 'fail',
      failCode: '500',
      failMsg: 'Internal server error',
    });
  });
});
