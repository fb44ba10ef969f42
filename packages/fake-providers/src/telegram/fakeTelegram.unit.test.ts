import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bot, GrammyError, HttpError, InputFile } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixturePaths } from '../fixtures.js';
import { FakeKie } from '../kie/fakeKie.js';
import { FakeTelegram } from './fakeTelegram.js';
import { telegramFaults } from './telegramErrors.js';

const alice = { id: 424242, first_name: 'Alice', username: 'alice', language_code: 'ru' };

describe('FakeTelegram', () => {
  let fake: FakeTelegram;
  let bot: Bot;

  beforeEach(async () => {
    fake = await FakeTelegram.start();
    bot = new Bot(fake.token, { client: { apiRoot: fake.url } });
  });

  afterEach(async () => {
    if (bot.isRunning()) await bot.stop();
    await fake.close();
  });

  it('answers getMe for its token, 401 for another token and 404 for unknown methods', async () => {
    const me = await bot.api.getMe();
    expect(me).toMatchObject({ id: 7000000001, is_bot: true, username: 'neurocards_test_bot' });

    const wrong = await fetch(`${fake.url}/bot123:nope/getMe`);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });

    const unknown = await fetch(`${fake.url}/bot${fake.token}/sendHologram`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      ok: false,
      error_code: 404,
      description: 'Not Found: method not found',
    });
  });

  it('streams a multipart sendVideo and records size, hash, name and supports_streaming', async () => {
    const fixture = await readFile(fixturePaths.sampleVideo);
    const message = await bot.api.sendVideo(alice.id, new InputFile(fixturePaths.sampleVideo), {
      caption: 'Your video',
      supports_streaming: true,
      reply_markup: { inline_keyboard: [[{ text: 'Again', callback_data: 'again' }]] },
    });

    expect(message.video?.file_size).toBe(fixture.length);
    expect(message.video?.mime_type).toBe('video/mp4');
    const [sent] = fake.messagesTo(alice.id);
    expect(sent).toMatchObject({ kind: 'video', caption: 'Your video', supports_streaming: true });
    expect(sent?.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Again', callback_data: 'again' }]] });
    if (sent?.media?.kind !== 'upload') throw new Error('expected an upload');
    expect(sent.media.upload.fileName).toBe('sample-vertical.mp4');
    expect(sent.media.upload.size).toBe(fixture.length);
    expect(sent.media.upload.sha256).toBe(createHash('sha256').update(fixture).digest('hex'));
    expect(sent.media.upload.head.equals(fixture.subarray(0, 4096))).toBe(true);
  });

  it('keeps uploads whose grammY filename has spaces or non-ASCII letters', async () => {
    await bot.api.sendDocument(alice.id, new InputFile(Buffer.from('%PDF-1.4'), 'Отчёт (final).pdf'));
    const [sent] = fake.messagesTo(alice.id);
    if (sent?.media?.kind !== 'upload') throw new Error('expected an upload');
    expect(sent.media.upload).toMatchObject({ fileName: 'Отчёт (final).pdf', size: 8 });
    expect(sent.message.document).toMatchObject({
      file_name: 'Отчёт (final).pdf',
      mime_type: 'application/pdf',
    });
  });

  it('saves whole uploads to uploadDir when asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-tg-'));
    try {
      fake.uploadDir = dir;
      await bot.api.sendDocument(alice.id, new InputFile(fixturePaths.productPhoto, 'product.jpg'));
      const [sent] = fake.messagesTo(alice.id);
      if (sent?.media?.kind !== 'upload' || !sent.media.upload.savedPath)
        throw new Error('expected a saved upload');
      expect(await readFile(sent.media.upload.savedPath)).toEqual(await readFile(fixturePaths.productPhoto));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves an injected photo through getFile and the file download route', async () => {
    const update = fake.sendPhoto(alice, { caption: 'my product' });
    const sizes = update.message?.photo as { file_id: string; width: number; height: number }[];
    expect(sizes.map((size) => size.width)).toEqual([90, 320, 800, 1024]);
    const largest = sizes.at(-1);
    expect(largest).toMatchObject({ width: 1024, height: 768 });

    const file = await bot.api.getFile(largest?.file_id ?? '');
    expect(file.file_size).toBe(25631);
    const download = await fetch(`${fake.url}/file/bot${fake.token}/${file.file_path}`);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(await readFile(fixturePaths.productPhoto));

    await expect(bot.api.getFile('no-such-file')).rejects.toMatchObject({
      error_code: 400,
      description: 'Bad Request: wrong file identifier/HTTP URL specified',
    });
  });

  it('delivers injected updates by long polling and records the reply', async () => {
    bot.command('start', (ctx) => ctx.reply(`Hello ${ctx.from?.first_name}, payload=${ctx.match}`));
    bot.on('message:text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
    void bot.start();

    fake.sendCommand(alice, '/start ref_42');
    const greeting = await fake.waitForMessage(alice.id, (m) => m.text?.startsWith('Hello') ?? false);
    expect(greeting.text).toBe('Hello Alice, payload=ref_42');

    fake.sendText(alice, 'ping');
    const echo = await fake.waitForMessage(alice.id, (m) => m.text === 'echo: ping');
    // Message ids in a private chat are shared by the user's and the bot's messages.
    expect(echo.message_id).toBe(4);
    await bot.stop();
    expect(fake.pendingUpdateCount).toBe(0);
  });

  it('surfaces an injected 429 as GrammyError with retry_after, then recovers', async () => {
    fake.failNext('sendMessage', telegramFaults.tooManyRequests(7));
    expect([
      fake.pendingFaults('sendMessage'),
      fake.pendingFaults('sendVideo'),
      fake.pendingFaults(),
    ]).toEqual([1, 0, 1]);
    const error = await bot.api.sendMessage(alice.id, 'hi').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({
      error_code: 429,
      description: 'Too Many Requests: retry after 7',
      parameters: { retry_after: 7 },
    });
    expect(fake.pendingFaults('sendMessage')).toBe(0);
    await expect(bot.api.sendMessage(alice.id, 'hi')).resolves.toMatchObject({ text: 'hi' });
    expect(fake.calls('sendMessage').map((call) => call.ok)).toEqual([false, true]);
  });

  it('cuts the connection on a network fault (grammY HttpError)', async () => {
    fake.failNext('sendVideo', telegramFaults.connectionReset());
    const error = await bot.api
      .sendVideo(alice.id, new InputFile(fixturePaths.sampleVideo))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
  });

  it('answers 413 when an upload exceeds maxUploadBytes', async () => {
    const small = await FakeTelegram.start({ maxUploadBytes: 10_000 });
    try {
      const smallBot = new Bot(small.token, { client: { apiRoot: small.url } });
      await expect(smallBot.api.sendVideo(1, new InputFile(fixturePaths.sampleVideo))).rejects.toMatchObject({
        error_code: 413,
        description: 'Request Entity Too Large',
      });
      expect(small.messagesTo(1)).toHaveLength(0);
    } finally {
      await small.close();
    }
  });

  it('answers 403 for a user who blocked the bot', async () => {
    fake.blockUser(alice.id);
    await expect(bot.api.sendMessage(alice.id, 'hi')).rejects.toMatchObject({
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    });
  });

  it('pushes updates to a webhook with the secret header and refuses getUpdates meanwhile', async () => {
    const received: { secret: string | undefined; body: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined, body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      const port = (hook.address() as AddressInfo).port;
      await bot.api.setWebhook(`http://127.0.0.1:${port}/hook`, { secret_token: 'S3cret_token' });
      await expect(bot.api.getUpdates()).rejects.toMatchObject({ error_code: 409 });

      const update = fake.sendText(alice, 'via webhook');
      await expect.poll(() => received.length).toBe(1);
      expect(received[0]?.secret).toBe('S3cret_token');
      expect(JSON.parse(received[0]?.body ?? '{}')).toEqual(update);
      const info = await bot.api.getWebhookInfo();
      expect(info).toMatchObject({ url: `http://127.0.0.1:${port}/hook`, pending_update_count: 0 });
    } finally {
      hook.closeAllConnections();
      await new Promise((resolve) => hook.close(resolve));
    }
  });

  it('fetches media given by URL when fetchUrlMedia is on, like Telegram', async () => {
    const kie = await FakeKie.start();
    const fetching = await FakeTelegram.start({ fetchUrlMedia: true });
    try {
      const created = await fetch(`${kie.url}/api/v1/jobs/createTask`, {
        method: 'POST',
        headers: { authorization: `Bearer ${kie.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'kling-2.6/image-to-video',
          input: { prompt: 'p', image_urls: ['https://example.com/a.jpg'], sound: false, duration: '5' },
        }),
      });
      const { data } = (await created.json()) as { data: { taskId: string } };
      await kie.waitForTask(data.taskId);
      const fetchingBot = new Bot(fetching.token, { client: { apiRoot: fetching.url } });
      const message = await fetchingBot.api.sendVideo(alice.id, kie.resultUrlFor(data.taskId));
      expect(message.video?.file_size).toBe(28468);
      await expect(fetchingBot.api.sendVideo(alice.id, `${kie.url}/files/missing.mp4`)).rejects.toMatchObject(
        {
          description: 'Bad Request: failed to get HTTP URL content',
        },
      );
    } finally {
      await Promise.all([kie.close(), fetching.close()]);
    }
  });

  it('confirms updates by offset across thousands of updates without loss or duplicates', async () => {
    for (let i = 0; i < 3000; i++) fake.sendText({ id: 1000 + (i % 7) }, `m${i}`);
    const seen: string[] = [];
    let offset = 0;
    for (;;) {
      const batch = await bot.api.getUpdates({ offset, limit: 100 });
      if (batch.length === 0) break;
      for (const update of batch) seen.push(update.message?.text ?? '');
      offset = (batch.at(-1)?.update_id ?? 0) + 1;
    }
    expect(seen).toHaveLength(3000);
    expect(seen[0]).toBe('m0');
    expect(seen[2999]).toBe('m2999');
    expect(new Set(seen).size).toBe(3000);
    expect(fake.pendingUpdateCount).toBe(0);
  });
});
