import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callbackData, type DomainEvent, type EventType, newEvent, streamIds } from '@neurocards/contracts';
import {
  FakeFileHost,
  FakeTelegram,
  fixturePaths,
  type SentMessage,
  telegramFaults,
} from '@neurocards/fake-providers';
import { EventStore } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  orderRequests,
  registerSeller,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProcess, startService, stopProcess } from '../../../test/support/system.js';

// Delivery and billing as processes, against a fake Telegram Bot API (multipart uploads, programmed
// faults) and a fake provider file host. The tests play the generator: they append VideoReady or
// GenerationFailed to job streams, then check what the seller saw and which events were appended.

let db: TestDatabase;
let bus: TestBus;
let store: EventStore;
let telegram: FakeTelegram;
let files: FakeFileHost;
let tmp: string;
const processes: RunningProcess[] = [];
let nextSeller = 5_100_000;
const MAX_BYTES = 2 * 1024 * 1024;

beforeAll(async () => {
  db = await createTestDatabase('delivery_e2e');
  bus = await createTestBus('dlv');
  store = new EventStore(db.pool);
  telegram = await FakeTelegram.start();
  files = await FakeFileHost.start();
  tmp = await mkdtemp(join(tmpdir(), 'nc-delivery-test-'));
  const common = { DATABASE_URL: db.url, NATS_URL: testNatsUrl, BUS_PREFIX: bus.prefix, LOG_LEVEL: 'info' };
  processes.push(await startService('billing', common, 'dlv-billing'));
  processes.push(
    await startService(
      'delivery',
      {
        ...common,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.url,
        DELIVERY_TMP_DIR: tmp,
        VIDEO_MAX_BYTES: String(MAX_BYTES),
        DELIVERY_RETRY_DELAYS: '50ms,100ms,150ms',
        SLOW_JOB_NOTICE_AFTER: '4s',
        SLOW_JOB_SCAN_INTERVAL: '200ms',
        OUTBOX_POLL_INTERVAL: '100ms',
        CONSUMER_RETRY_DELAYS_MS: '100,200',
      },
      'dlv-delivery',
    ),
  );
});

afterAll(async () => {
  const codes = [];
  for (const running of processes.reverse()) codes.push(await stopProcess(running));
  await Promise.all([telegram?.close(), files?.close()]);
  await bus?.destroy();
  await db?.drop();
  await rm(tmp, { recursive: true, force: true });
  expect(codes).toEqual([0, 0]);
});

afterEach(async () => {
  telegram.clearFaults();
  // Temporary files are removed on every path.
  expect(await readdir(tmp)).toEqual([]);
});

interface Seller {
  userId: number;
  language: 'ru' | 'en';
}

async function seller(options: { credits?: number; language?: 'ru' | 'en' } = {}): Promise<Seller> {
  const userId = nextSeller++;
  await registerSeller(store, userId, options);
  return { userId, language: options.language ?? 'en' };
}

/** Orders `size` videos and waits until billing has reserved (or rejected) them; returns the job ids. */
async function order(who: Seller, size = 1, product = 'Steel thermos, 500 ml'): Promise<string[]> {
  const requests = orderRequests({ userId: who.userId, size, product, language: who.language });
  for (const request of requests)
    await store.append(streamIds.job(request.data.jobId), [request], { expectedVersion: 'no_stream' });
  const jobIds = requests.map((r) => r.data.jobId);
  await waitFor('billing to decide the order', async () => {
    const types = (await store.readStream(streamIds.credits(who.userId))).map((e) => e.type);
    return types.includes('CreditReserved') || types.includes('CreditReservationRejected');
  });
  return jobIds;
}

async function videoReady(jobId: string, userId: number, videoUrl: string) {
  await store.append(
    streamIds.job(jobId),
    [
      newEvent(
        'VideoReady',
        { jobId, userId, videoUrl, model: 'kling-2.6/image-to-video', taskId: `task-${jobId}` },
        { correlationId: jobId },
      ),
    ],
    { expectedVersion: 'any' },
  );
}

const jobEvents = (jobId: string) => store.readStream(streamIds.job(jobId));
const creditEvents = (userId: number) => store.readStream(streamIds.credits(userId));
const typesOf = (events: readonly DomainEvent[]) => events.map((e) => e.type);

async function until(jobId: string, type: EventType, stream: 'job' | 'credits' = 'job', userId = 0) {
  return waitFor(
    `${type} for job ${jobId}`,
    async () => {
      const events = stream === 'job' ? await jobEvents(jobId) : await creditEvents(userId);
      return events.find((e) => e.type === type && (e.data as { jobId?: string }).jobId === jobId);
    },
    { timeoutMs: 20_000 },
  );
}

const buttons = (message: SentMessage) =>
  (
    (message.reply_markup as { inline_keyboard?: Array<Array<{ callback_data: string }>> })
      ?.inline_keyboard ?? []
  )
    .flat()
    .map((b) => b.callback_data);

async function fixtureSha256(): Promise<string> {
  return createHash('sha256')
    .update(await readFile(fixturePaths.sampleVideo))
    .digest('hex');
}

describe('a finished video', () => {
  it('is streamed to Telegram as a video with the product, the balance and the buttons, then captured', async () => {
    const who = await seller({ credits: 5, language: 'ru' });
    const [jobId] = await order(who, 1, 'Термос стальной, 500 мл');
    await videoReady(jobId!, who.userId, files.add(`ok-${jobId}`));

    const delivered = await until(jobId!, 'VideoDelivered');
    expect(delivered.type === 'VideoDelivered' && delivered.data).toMatchObject({
      sentAs: 'video',
      bytes: 28468,
    });
    await until(jobId!, 'CreditCaptured', 'credits', who.userId);

    const [video] = telegram.messagesTo(who.userId);
    expect(video?.kind).toBe('video');
    expect(video?.supports_streaming).toBe(true);
    expect(video?.media).toMatchObject({ upload: { sha256: await fixtureSha256(), fileName: 'video.mp4' } });
    // 2 free + 5 granted − 1 reserved for this video.
    expect(video?.caption).toBe('✅ Готово: «Термос стальной, 500 мл»\nБаланс: 6 кредитов');
    expect(buttons(video!)).toEqual([callbackData.anotherWithProduct(jobId!), callbackData.menu]);
    expect(delivered.data).toMatchObject({ messageId: video?.message_id });
  });

  it('carries a low-balance hint and a Buy button when the balance runs low', async () => {
    const who = await seller({ credits: 0 }); // the 2 free credits only
    const [jobId] = await order(who);
    await videoReady(jobId!, who.userId, files.add(`low-${jobId}`));
    await until(jobId!, 'VideoDelivered');
    const [video] = telegram.messagesTo(who.userId);
    expect(video?.caption).toContain('Balance: 1 credit\n\nYou are running low on credits');
    expect(buttons(video!)).toEqual([
      callbackData.anotherWithProduct(jobId!),
      callbackData.buyCredits,
      callbackData.menu,
    ]);
  });

  it('goes as a document when Telegram refuses it as a video (400 bad media)', async () => {
    const who = await seller();
    const [jobId] = await order(who);
    telegram.failNext('sendVideo', telegramFaults.wrongFileIdentifier());
    await videoReady(jobId!, who.userId, files.add(`doc-${jobId}`));
    await until(jobId!, 'VideoDelivered');
    const events = await jobEvents(jobId!);
    expect(typesOf(events).slice(-2)).toEqual(['DeliveryAttemptFailed', 'VideoDelivered']);
    expect(events.at(-2)?.data).toMatchObject({ errorClass: 'BAD_MEDIA', attempt: 1 });
    expect(events.at(-1)?.data).toMatchObject({ sentAs: 'document' });
    const [document] = telegram.messagesTo(who.userId);
    expect(document?.kind).toBe('document');
    expect(document?.media).toMatchObject({ upload: { sha256: await fixtureSha256() } });
    await until(jobId!, 'CreditCaptured', 'credits', who.userId);
  });

  it('goes as a link when neither the video nor the document is taken (413)', async () => {
    const who = await seller();
    const [jobId] = await order(who);
    telegram.failNext('sendVideo', telegramFaults.requestEntityTooLarge());
    telegram.failNext('sendDocument', telegramFaults.requestEntityTooLarge());
    const url = files.add(`link-${jobId}`);
    await videoReady(jobId!, who.userId, url);
    const delivered = await until(jobId!, 'VideoDelivered');
    expect(delivered.data).toMatchObject({ sentAs: 'link' });
    const [message] = telegram.messagesTo(who.userId);
    expect(message?.kind).toBe('text');
    expect(message?.text).toContain(url);
    expect(buttons(message!)).toEqual([callbackData.anotherWithProduct(jobId!), callbackData.menu]);
    const failures = (await jobEvents(jobId!)).filter((e) => e.type === 'DeliveryAttemptFailed');
    expect(failures.map((e) => e.data)).toMatchObject([
      { errorClass: 'TOO_LARGE' },
      { errorClass: 'TOO_LARGE' },
    ]);
  });

  it('over the upload limit is not uploaded at all: it goes as a link', async () => {
    const who = await seller();
    const [jobId] = await order(who);
    const url = files.add(`big-${jobId}`, { video: { sizeBytes: MAX_BYTES + 1 } });
    await videoReady(jobId!, who.userId, url);
    const delivered = await until(jobId!, 'VideoDelivered');
    expect(delivered.data).toMatchObject({ sentAs: 'link', bytes: 0 });
    expect(telegram.calls('sendVideo').filter((c) => c.params.chat_id === who.userId)).toHaveLength(0);
    expect(telegram.messagesTo(who.userId)[0]?.text).toContain(url);
  });

  it('waits out a 429 for its retry_after, then sends once', async () => {
    const who = await seller();
    const [jobId] = await order(who);
    telegram.failNext('sendVideo', telegramFaults.tooManyRequests(2));
    await videoReady(jobId!, who.userId, files.add(`429-${jobId}`));
    await until(jobId!, 'VideoDelivered');
    const calls = telegram.calls('sendVideo').filter((c) => Number(c.params.chat_id) === who.userId);
    expect(calls.map((c) => c.ok)).toEqual([false, true]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(telegram.messagesTo(who.userId)).toHaveLength(1);
  });

  it('retries 5xx answers and cut connections, then delivers', async () => {
    const who = await seller();
    const [jobId] = await order(who);
    telegram.failNext('sendVideo', telegramFaults.internalServerError(2));
    telegram.failNext('sendVideo', telegramFaults.connectionReset(1));
    await videoReady(jobId!, who.userId, files.add(`5xx-${jobId}`));
    const delivered = await until(jobId!, 'VideoDelivered');
    expect(delivered.data).toMatchObject({ sentAs: 'video' });
    expect(telegram.messagesTo(who.userId)).toHaveLength(1);
  });

  it('sent once when a copy of its VideoReady arrives while the first is being sent', async () => {
    const who = await seller();
    const [jobId] = await order(who);
    // The first send waits out a 429, so the copy arrives while it is in flight.
    telegram.failNext('sendVideo', telegramFaults.tooManyRequests(2));
    await videoReady(jobId!, who.userId, files.add(`copy-${jobId}`));
    await waitFor('the first send', () =>
      telegram.calls('sendVideo').some((c) => Number(c.params.chat_id) === who.userId),
    );
    // The same event again on the bus, under another message id (a re-publish after the duplicate window).
    const ready = (await jobEvents(jobId!)).find((e) => e.type === 'VideoReady')!;
    await bus.js.publish(bus.names.eventSubject('VideoReady'), JSON.stringify(ready), {
      msgID: `copy-${ready.eventId}`,
    });
    await until(jobId!, 'VideoDelivered');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const sent = telegram.calls('sendVideo').filter((c) => Number(c.params.chat_id) === who.userId && c.ok);
    expect(sent).toHaveLength(1);
    expect(typesOf(await jobEvents(jobId!)).filter((type) => type === 'VideoDelivered')).toHaveLength(1);
  });

  it('retries a flaky download', async () => {
    const who = await seller();
    const [jobId] = await order(who);
    const name = `flaky-${jobId}`;
    await videoReady(jobId!, who.userId, files.add(name, { failFirst: 1, cutFirst: 1 }));
    await until(jobId!, 'VideoDelivered');
    expect(files.requests(name)).toBe(3);
  });
});

describe('a video that cannot be delivered', () => {
  it('after 3 retries of a 5xx: DeliveryFailed, a refund, and "your credit is back" with a resend button', async () => {
    const who = await seller({ language: 'ru' });
    const [jobId] = await order(who);
    telegram.failNext('sendVideo', telegramFaults.internalServerError(4));
    const url = files.add(`down-${jobId}`);
    await videoReady(jobId!, who.userId, url);
    const failed = await until(jobId!, 'DeliveryFailed');
    expect(failed.data).toMatchObject({ errorClass: 'TEMPORARY' });
    const refund = await until(jobId!, 'CreditRefunded', 'credits', who.userId);
    expect(refund.data).toMatchObject({ reason: 'delivery_failed' });
    const notice = await telegram.waitForMessage(who.userId, (m) => m.kind === 'text', 10_000);
    expect(notice.text).toContain('Видео готово, но отправить его в Telegram не удалось');
    expect(notice.text).toContain('Кредит вернулся на баланс');
    expect(buttons(notice)).toEqual([callbackData.retryDelivery(jobId!), callbackData.menu]);
    expect(telegram.calls('sendVideo').filter((c) => Number(c.params.chat_id) === who.userId)).toHaveLength(
      4,
    );

    // "Send it again": the video goes, free of charge; the refund stands.
    await store.append(
      streamIds.job(jobId!),
      [newEvent('DeliveryRetryRequested', { jobId: jobId!, userId: who.userId }, { correlationId: jobId! })],
      { expectedVersion: 'any' },
    );
    const redelivered = await until(jobId!, 'VideoRedelivered');
    expect(redelivered.data).toMatchObject({ sentAs: 'video' });
    expect(telegram.messagesTo(who.userId).filter((m) => m.kind === 'video')).toHaveLength(1);
    const credits = typesOf(await creditEvents(who.userId));
    expect(credits.filter((t) => t === 'CreditCaptured')).toHaveLength(0);
    expect(credits.filter((t) => t === 'CreditRefunded')).toHaveLength(1);
  });

  it('to a seller who blocked the bot: DeliveryFailed at once, a refund, and no more messages', async () => {
    const who = await seller();
    const [jobId] = await order(who);
    telegram.blockUser(who.userId);
    await videoReady(jobId!, who.userId, files.add(`blocked-${jobId}`));
    const failed = await until(jobId!, 'DeliveryFailed');
    expect(failed.data).toMatchObject({ errorClass: 'BLOCKED', attempts: 1 });
    await until(jobId!, 'CreditRefunded', 'credits', who.userId);
    const calls = telegram.calls().filter((c) => Number(c.params.chat_id) === who.userId);
    expect(calls.map((c) => c.method)).toEqual(['sendVideo']);
  });

  it('whose file is gone (404): DeliveryFailed DOWNLOAD and a refund, without touching Telegram', async () => {
    const who = await seller();
    const [jobId] = await order(who);
    await videoReady(jobId!, who.userId, files.add(`gone-${jobId}`, { status: 404 }));
    const failed = await until(jobId!, 'DeliveryFailed');
    expect(failed.data).toMatchObject({ errorClass: 'DOWNLOAD' });
    await until(jobId!, 'CreditRefunded', 'credits', who.userId);
    expect(telegram.calls('sendVideo').filter((c) => Number(c.params.chat_id) === who.userId)).toHaveLength(
      0,
    );
  });

  it('that is not a video (an HTML page): DeliveryFailed DOWNLOAD', async () => {
    const who = await seller();
    const [jobId] = await order(who);
    await videoReady(jobId!, who.userId, files.add(`html-${jobId}`, { contentType: 'text/html' }));
    const failed = await until(jobId!, 'DeliveryFailed');
    expect(failed.data).toMatchObject({ errorClass: 'DOWNLOAD' });
  });
});

describe('news about jobs', () => {
  it('an order over the balance: one "not enough credits" message with Buy and Menu', async () => {
    const who = await seller({ credits: 0 }); // 2 free credits
    const jobIds = await order(who, 3);
    const notice = await telegram.waitForMessage(who.userId, () => true, 10_000);
    expect(notice.text).toBe('Not enough credits: 3 credits needed, 2 available.\nTop up to continue.');
    expect(buttons(notice)).toEqual([callbackData.buyCredits, callbackData.menu]);
    expect(jobIds).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(telegram.messagesTo(who.userId)).toHaveLength(1);
  });

  it('a photo the model refuses: one message for the order, with what to change and the requirements', async () => {
    const who = await seller({ language: 'en' });
    const jobIds = await order(who, 2);
    for (const jobId of jobIds)
      await store.append(
        streamIds.job(jobId),
        [
          newEvent(
            'GenerationFailed',
            {
              jobId,
              userId: who.userId,
              errorClass: 'USER_VIOLATION',
              code: 'photo_people',
              message: 'We currently do not support uploads of images containing photorealistic people.',
              attempts: 1,
            },
            { correlationId: jobId },
          ),
        ],
        { expectedVersion: 'any' },
      );
    for (const jobId of jobIds) await until(jobId, 'CreditRefunded', 'credits', who.userId);
    const notice = await telegram.waitForMessage(who.userId, () => true, 10_000);
    expect(notice.text).toContain('there are people in it');
    expect(notice.text).toContain('What the photo needs');
    expect(notice.text).toContain('Your credit is back');
    // "Try again" names whichever job's refund came first: both have the same photo and description.
    const [tryAgain, menu] = buttons(notice);
    expect(jobIds.map((jobId) => callbackData.anotherWithProduct(jobId))).toContain(tryAgain);
    expect(menu).toBe(callbackData.menu);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(telegram.messagesTo(who.userId)).toHaveLength(1);
  });

  it('a temporary failure: "try again later"', async () => {
    const who = await seller({ language: 'ru' });
    const [jobId] = await order(who);
    await store.append(
      streamIds.job(jobId!),
      [
        newEvent(
          'GenerationFailed',
          {
            jobId: jobId!,
            userId: who.userId,
            errorClass: 'TEMPORARY',
            code: 'http_503',
            message: 'busy',
            attempts: 5,
          },
          { correlationId: jobId! },
        ),
      ],
      { expectedVersion: 'any' },
    );
    const notice = await telegram.waitForMessage(who.userId, () => true, 10_000);
    expect(notice.text).toContain('Сервис генерации сейчас перегружен');
  });

  it('a job past the notice time: one "still working" message; a job done in time: none', async () => {
    const slow = await seller();
    const quick = await seller();
    const [slowJob] = await order(slow, 1);
    const [quickJob] = await order(quick, 1);
    await videoReady(quickJob!, quick.userId, files.add(`quick-${quickJob}`));
    const notice = await telegram.waitForMessage(slow.userId, () => true, 10_000);
    expect(notice.text).toContain('still in the works');
    await videoReady(slowJob!, slow.userId, files.add(`slow-${slowJob}`));
    await until(slowJob!, 'VideoDelivered');
    expect(telegram.messagesTo(slow.userId).map((m) => m.kind)).toEqual(['text', 'video']);
    expect(telegram.messagesTo(quick.userId).map((m) => m.kind)).toEqual(['video']);
  });
});

describe('pacing', () => {
  it('sends at most one message a second to a chat', async () => {
    const who = await seller();
    const jobIds = await order(who, 3);
    for (const jobId of jobIds) await videoReady(jobId, who.userId, files.add(`paced-${jobId}`));
    for (const jobId of jobIds) await until(jobId, 'VideoDelivered');
    const times = telegram
      .calls('sendVideo')
      .filter((c) => Number(c.params.chat_id) === who.userId)
      .map((c) => c.at)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(3);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(950);
  });
});
