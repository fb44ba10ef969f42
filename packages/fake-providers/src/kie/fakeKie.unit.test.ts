import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FormData, fetch, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixturePaths } from '../fixtures.js';
import { FakeKie } from './fakeKie.js';
import { kieCallbackSignature } from './kieCallbacks.js';
import { kieContentPolicyMessages, kieFaults, kieMalformedReplies } from './kieTypes.js';

const klingInput = {
  prompt: 'A product slowly rotating on a marble table',
  image_urls: ['https://example.com/product.jpg'],
  sound: false,
  duration: '5',
};

interface KieBody {
  code: number;
  msg?: string;
  message?: string;
  data: unknown;
}

async function call(fake: FakeKie, method: 'GET' | 'POST', path: string, body?: unknown, key = fake.apiKey) {
  const response = await request(`${fake.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.statusCode, body: (await response.body.json()) as KieBody };
}

async function createKling(fake: FakeKie, extra: Record<string, unknown> = {}) {
  const created = await call(fake, 'POST', '/api/v1/jobs/createTask', {
    model: 'kling-2.6/image-to-video',
    input: klingInput,
    ...extra,
  });
  expect(created.body).toMatchObject({ code: 200, msg: 'success' });
  return (created.body.data as { taskId: string }).taskId;
}

describe('FakeKie', () => {
  let fake: FakeKie;

  beforeEach(async () => {
    fake = await FakeKie.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  it('runs a task through its states to success and serves the fixture video', async () => {
    let clock = 1_700_000_000_000;
    const timed = await FakeKie.start({ taskDurationMs: 1000, now: () => clock });
    try {
      const taskId = await createKling(timed);
      const states: string[] = [];
      let data: Record<string, unknown> = {};
      for (const elapsed of [0, 200, 500, 999, 1000]) {
        clock = 1_700_000_000_000 + elapsed;
        data = (await call(timed, 'GET', `/api/v1/jobs/recordInfo?taskId=${taskId}`)).body
          .data as typeof data;
        states.push(data.state as string);
      }
      expect(states).toEqual(['waiting', 'queuing', 'generating', 'generating', 'success']);
      expect(timed.pollsFor(taskId)).toBe(5);
      expect(data).toMatchObject({
        costTime: 1000,
        createTime: 1_700_000_000_000,
        completeTime: 1_700_000_001_000,
      });
      expect(JSON.parse(data.param as string)).toMatchObject({
        model: 'kling-2.6/image-to-video',
        input: klingInput,
      });
      expect(typeof data.resultJson).toBe('string');
      const { resultUrls } = JSON.parse(data.resultJson as string) as { resultUrls: string[] };
      expect(resultUrls).toEqual([`${timed.url}/files/${taskId}.mp4`]);

      const video = await fetch(resultUrls[0] as string);
      expect(video.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await video.arrayBuffer())).toEqual(await readFile(fixturePaths.sampleVideo));
    } finally {
      await timed.close();
    }
  });

  it('serves no video before the task succeeded', async () => {
    fake.settings.taskDuration = 'manual';
    const taskId = await createKling(fake);
    expect((await fetch(fake.resultUrlFor(taskId))).status).toBe(404);
    fake.setTaskState(taskId, 'generating');
    const polled = await call(fake, 'GET', `/api/v1/jobs/recordInfo?taskId=${taskId}`);
    expect(polled.body.data).toMatchObject({ state: 'generating', resultJson: '', completeTime: null });
    fake.completeTask(taskId);
    expect((await fetch(fake.resultUrlFor(taskId))).status).toBe(200);
  });

  it('succeeds on the first poll when taskDurationMs is 0', async () => {
    fake.settings.taskDuration = 0;
    const taskId = await createKling(fake);
    const polled = await call(fake, 'GET', `/api/v1/jobs/recordInfo?taskId=${taskId}`);
    expect(polled.body.data).toMatchObject({ state: 'success', failCode: '', failMsg: '' });
  });

  it('checks keys, models and model inputs like the real API', async () => {
    const badKey = await call(fake, 'POST', '/api/v1/jobs/createTask', { model: 'x', input: {} }, 'wrong');
    expect(badKey.status).toBe(401);
    expect(badKey.body.code).toBe(401);

    const unknown = await call(fake, 'POST', '/api/v1/jobs/createTask', {
      model: 'no/such-model',
      input: {},
    });
    expect(unknown.body.msg).toBe('The model name you specified is not supported');

    const missing = await call(fake, 'POST', '/api/v1/jobs/createTask', {
      model: 'wan/2-6-image-to-video',
      input: {},
    });
    expect(missing.body).toMatchObject({ code: 500, msg: 'prompt is required' });

    const paused = await call(fake, 'POST', '/api/v1/jobs/createTask', {
      model: 'sora-2-image-to-video',
      input: klingInput,
    });
    expect(paused.body).toMatchObject({ code: 500, msg: 'This interface is temporarily paused' });

    const badDuration = await call(fake, 'POST', '/api/v1/jobs/createTask', {
      model: 'kling-2.6/image-to-video',
      input: { ...klingInput, duration: 5 },
    });
    expect(badDuration.body.code).toBe(422);

    const seedance = await call(fake, 'POST', '/api/v1/jobs/createTask', {
      model: 'bytedance/seedance-1.5-pro',
      input: { prompt: 'rotating bottle', aspect_ratio: '9:16', input_urls: ['https://example.com/a.jpg'] },
    });
    expect(seedance.body.code).toBe(200);
    expect(fake.createdTasks.map((task) => task.model)).toEqual(['bytedance/seedance-1.5-pro']);
  });

  it('rejects creations over the account rate limit with HTTP 429', async () => {
    const limited = await FakeKie.start({
      apiKeys: ['k1', 'k2'],
      rateLimit: { maxCreates: 3, windowMs: 60_000 },
    });
    try {
      const statuses: number[] = [];
      for (const key of ['k1', 'k2', 'k1', 'k2']) {
        const body = { model: 'kling-2.6/image-to-video', input: klingInput };
        statuses.push((await call(limited, 'POST', '/api/v1/jobs/createTask', body, key)).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      const last = limited.calls('/api/v1/jobs/createTask').at(-1);
      expect(last).toMatchObject({ httpStatus: 429, code: 429, apiKey: 'k2' });
      expect(limited.createdTasks).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  it('answers programmed createTask faults and fails scripted tasks at poll time', async () => {
    fake.failNextCreate(kieFaults.insufficientCredits());
    expect(fake.pendingFaults).toEqual({ create: 1, task: 0 });
    const poor = await call(fake, 'POST', '/api/v1/jobs/createTask', {
      model: 'kling-2.6/image-to-video',
      input: klingInput,
    });
    expect(poor).toMatchObject({ status: 200, body: { code: 402 } });

    fake.failNextTasks({ failCode: '400', failMsg: kieContentPolicyMessages.photorealisticPeople });
    expect(fake.pendingFaults).toEqual({ create: 0, task: 1 });
    fake.settings.taskDuration = 0;
    const taskId = await createKling(fake);
    expect(fake.pendingFaults).toEqual({ create: 0, task: 0 });
    const polled = await call(fake, 'GET', `/api/v1/jobs/recordInfo?taskId=${taskId}`);
    expect(polled.body.data).toMatchObject({
      state: 'fail',
      failCode: '400',
      failMsg: 'We currently do not support uploads of images containing photorealistic people.',
      resultJson: null,
    });
    expect((await fetch(fake.resultUrlFor(taskId))).status).toBe(404);
  });

  it('charges credits per task and refunds failed tasks', async () => {
    fake.settings.taskCost = 55;
    fake.settings.taskDuration = 'manual';
    const first = await createKling(fake);
    const second = await createKling(fake);
    expect((await call(fake, 'GET', '/api/v1/chat/credit')).body.data).toBe(100_000 - 110);
    fake.failTask(first, { failMsg: 'Internal server error' });
    fake.completeTask(second);
    expect((await call(fake, 'GET', '/api/v1/chat/credit')).body.data).toBe(100_000 - 55);
  });

  it('draws random failures from a seeded generator reproducibly', async () => {
    const outcomes = async () => {
      const random = await FakeKie.start({
        randomFailures: { seed: 42, taskFailureRate: 0.5 },
        rateLimit: false,
      });
      try {
        for (let i = 0; i < 12; i++) await createKling(random);
        return random.createdTasks.map((task) => task.outcome.kind);
      } finally {
        await random.close();
      }
    };
    const first = await outcomes();
    expect(first).toContain('fail');
    expect(first).toContain('success');
    expect(await outcomes()).toEqual(first);
  });

  it('posts a signed callback that verifies with the HMAC key', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      fake.settings.hmacKey = 'whsec-test';
      fake.settings.taskDuration = 20;
      const port = (hook.address() as AddressInfo).port;
      const taskId = await createKling(fake, { callBackUrl: `http://127.0.0.1:${port}/kie` });
      const delivery = await fake.waitForCallback(taskId);
      expect(delivery.status).toBe(200);

      const [callback] = received;
      const body = JSON.parse(callback?.body ?? '{}') as {
        code: number;
        msg: string;
        data: { taskId: string };
      };
      expect(body).toMatchObject({ code: 200, msg: 'Playground task completed successfully.' });
      expect(body.data).toMatchObject({ taskId, state: 'success' });
      const timestamp = callback?.headers['x-webhook-timestamp'] as string;
      const signature = Buffer.from(callback?.headers['x-webhook-signature'] as string, 'base64');
      const expected = Buffer.from(kieCallbackSignature(body.data.taskId, timestamp, 'whsec-test'), 'base64');
      expect(signature.length).toBe(32);
      expect(timingSafeEqual(signature, expected)).toBe(true);
      const forged = Buffer.from(kieCallbackSignature(body.data.taskId, timestamp, 'other-key'), 'base64');
      expect(timingSafeEqual(signature, forged)).toBe(false);
    } finally {
      hook.closeAllConnections();
      await new Promise((resolve) => hook.close(resolve));
    }
  });

  it('stores a multipart upload and serves it back at downloadUrl', async () => {
    const photo = await readFile(fixturePaths.productPhoto);
    const form = new FormData();
    form.append('file', new Blob([photo], { type: 'image/jpeg' }), 'product.jpg');
    form.append('uploadPath', 'neurocards/photos');
    form.append('fileName', 'user-42.jpg');
    const response = await fetch(`${fake.url}/api/file-stream-upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.apiKey}` },
      body: form,
    });
    const body = (await response.json()) as { success: boolean; code: number; data: Record<string, unknown> };
    expect(body).toMatchObject({ success: true, code: 200 });
    expect(body.data).toMatchObject({
      fileName: 'user-42.jpg',
      fileSize: photo.length,
      mimeType: 'image/jpeg',
    });

    const download = await fetch(body.data.downloadUrl as string);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(photo);
  });

  it('accepts base64 uploads and can answer with `message` instead of `msg`', async () => {
    fake.settings.messageField = 'message';
    const photo = await readFile(fixturePaths.productPhoto);
    const uploaded = await call(fake, 'POST', '/api/file-base64-upload', {
      base64Data: `data:image/jpeg;base64,${photo.toString('base64')}`,
      uploadPath: 'photos',
    });
    expect(uploaded.body.message).toBe('File uploaded successfully');
    expect(uploaded.body.msg).toBeUndefined();
    const { downloadUrl } = uploaded.body.data as { downloadUrl: string };
    expect(Buffer.from(await (await fetch(downloadUrl)).arrayBuffer())).toEqual(photo);
  });

  it('answers with malformed replies when told, only to matching calls, and creates no task for them', async () => {
    fake.replyMalformed({
      ...kieMalformedReplies.missingTaskId(),
      matches: (c) => JSON.stringify(c.body).includes('marked'),
      times: Number.POSITIVE_INFINITY,
    });
    const missing = await call(fake, 'POST', '/api/v1/jobs/createTask', {
      model: 'kling-2.6/image-to-video',
      input: { ...klingInput, prompt: 'a marked product' },
    });
    expect(missing).toEqual({ status: 200, body: { code: 200, msg: 'success', data: {} } });
    expect(fake.createdTasks).toHaveLength(0);
    const taskId = await createKling(fake); // not marked: the real answer

    fake.replyMalformed(kieMalformedReplies.htmlErrorPage('createTask'));
    const page = await request(`${fake.url}/api/v1/jobs/createTask`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'kling-2.6/image-to-video', input: klingInput }),
    });
    expect(page.statusCode).toBe(502);
    expect(page.headers['content-type']).toContain('text/html');
    expect(await page.body.text()).toContain('<h1>502 Bad Gateway</h1>');

    fake.replyMalformed(kieMalformedReplies.successWithoutVideoUrl());
    const info = await call(fake, 'GET', `/api/v1/jobs/recordInfo?taskId=${taskId}`);
    expect(info.body.data).toEqual({ taskId, state: 'success', resultJson: '{"resultUrls":[]}' });
    expect(fake.pollsFor(taskId)).toBe(1);
    const real = await call(fake, 'GET', `/api/v1/jobs/recordInfo?taskId=${taskId}`);
    expect(real.body.data).toMatchObject({ taskId, state: 'success' });
  });

  it('streams a big generated result video without holding it in memory', async () => {
    const size = 8 * 1024 * 1024 + 123;
    const big = await FakeKie.start({ resultVideo: { sizeBytes: size } });
    try {
      const taskId = await createKling(big);
      await big.waitForTask(taskId);
      const response = await fetch(big.resultUrlFor(taskId));
      expect(response.headers.get('content-length')).toBe(String(size));
      let received = 0;
      for await (const chunk of response.body ?? []) received += (chunk as Uint8Array).byteLength;
      expect(received).toBe(size);

      const link = await call(big, 'POST', '/api/v1/common/download-url', { url: big.resultUrlFor(taskId) });
      expect(link.body.code).toBe(200);
      const foreign = await call(big, 'POST', '/api/v1/common/download-url', {
        url: 'https://example.com/x.mp4',
      });
      expect(foreign.body.code).toBe(422);
    } finally {
      await big.close();
    }
  });
});
