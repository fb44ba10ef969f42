import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  availableCredits,
  type DomainEvent,
  type EventType,
  foldCredits,
  newEvent,
  reservedCredits,
  streamIds,
} from '@neurocards/contracts';
import {
  FakeKie,
  FakeOpenAI,
  FakeTelegram,
  type KieReplyCall,
  kieMalformedReplies,
  type SentMessage,
  type TelegramTestUser,
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
import { type DeadLetter, listDeadLetters } from '../../packages/ops/src/dead-letters.js';
import { checkCreditInvariants } from '../../services/billing/test/invariants.js';
import { Chat } from '../support/chat.js';
import { freePort, type RunningProcess, serviceNames, startService, stopProcess } from '../support/system.js';

// Bad input of every kind against the whole system (five services as processes over real PostgreSQL and
// JetStream, fake Telegram, KIE.AI and OpenAI servers): malformed events on the bus, forged and repeated
// payments, admin commands from strangers, photos the bot cannot use, provider replies that break their
// contract, webhook calls without the secret. Each gets a clear answer, and at the end nothing is lost: every
// job has one outcome, every credit stream keeps its invariants, the read models agree with the ledger,
// every payment is recorded once, and every dead letter says why it is there.

const ADMIN = 9_100_000;
const KIE_KEY = 'kie-bad-input-key';
const WEBHOOK_SECRET = 'bad-input-webhook-secret-0123456789';
const NOT_A_COMMAND = 'I do not know that command. The menu: /start';
const REFUND_TEMPORARY = 'The video service is overloaded right now';

let db: TestDatabase;
let bus: TestBus;
let store: EventStore;
let telegram: FakeTelegram;
let kie: FakeKie;
let openai: FakeOpenAI;
const services: RunningProcess[] = [];
let images: string;
let nextUser = 9_100_001;

// The webhook-mode gateway runs beside the others, on a database, bus and fake Telegram of its own.
let hookDb: TestDatabase;
let hookBus: TestBus;
let hookTelegram: FakeTelegram;
let hookGateway: RunningProcess;

beforeAll(async () => {
  images = mkdtempSync(join(tmpdir(), 'bad-input-'));
  db = await createTestDatabase('bad_input');
  bus = await createTestBus('bad');
  store = new EventStore(db.pool);
  telegram = await FakeTelegram.start();
  kie = await FakeKie.start({ apiKeys: [KIE_KEY] });
  // The prompt names the product, so a malformed KIE reply can be aimed at one seller's job.
  openai = await FakeOpenAI.start({ responder: promptResponder });
  const env = {
    DATABASE_URL: db.url,
    NATS_URL: testNatsUrl,
    BUS_PREFIX: bus.prefix,
    LOG_LEVEL: 'info',
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    ADMIN_TELEGRAM_IDS: String(ADMIN),
    PHOTO_MAX_BYTES: '1048576',
    KIE_API_KEYS: KIE_KEY,
    KIE_BASE_URL: kie.url,
    KIE_UPLOAD_BASE_URL: kie.url,
    KIE_POLL_INTERVAL: '50ms',
    OPENAI_API_KEY: 'sk-bad-input-openai-key',
    OPENAI_BASE_URL: openai.baseURL,
    CONSUMER_RETRY_DELAYS_MS: '200,400,800',
  };
  for (const name of serviceNames) services.push(await startService(name, env, `bad-input-${name}`));

  hookDb = await createTestDatabase('bad_input_webhook');
  hookBus = await createTestBus('badhook');
  hookTelegram = await FakeTelegram.start();
  const hookPort = await freePort();
  hookGateway = await startService(
    'bot-gateway',
    {
      DATABASE_URL: hookDb.url,
      NATS_URL: testNatsUrl,
      BUS_PREFIX: hookBus.prefix,
      LOG_LEVEL: 'info',
      TELEGRAM_BOT_TOKEN: hookTelegram.token,
      TELEGRAM_API_ROOT: hookTelegram.url,
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/telegram/webhook`,
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    'bad-input-webhook-gateway',
    { port: hookPort },
  );
});

afterAll(async () => {
  const codes = await Promise.all([...services, hookGateway].filter(Boolean).map((s) => stopProcess(s)));
  await Promise.all([telegram?.close(), kie?.close(), openai?.close(), hookTelegram?.close()]);
  await bus?.destroy();
  await hookBus?.destroy();
  await db?.drop();
  await hookDb?.drop();
  if (images) rmSync(images, { recursive: true, force: true });
  expect(codes.every((code) => code === 0)).toBe(true);
});

function promptResponder(request: { lastUserText: string }): object | string {
  let product = '';
  try {
    product = String((JSON.parse(request.lastUserText) as { product?: unknown }).product ?? '');
  } catch {}
  if (product.includes('OPENAI-CUT')) return '{"prompt": "Vertical video of a half-writ';
  if (product.includes('OPENAI-TYPES')) return { prompt: 42, camera: ['not', 'a', 'prompt'] };
  return { prompt: `Vertical 9:16 product video of ${product}, slow turntable, soft studio light.` };
}

function seller(name = 'Seller'): TelegramTestUser {
  const id = nextUser++;
  return { id, first_name: name, username: `bad_${id}`, language_code: 'en' };
}

async function newChat(name?: string): Promise<Chat> {
  const chat = new Chat(telegram, seller(name), 15_000);
  await chat.command('/start');
  await waitFor('the free credits', async () =>
    (await store.readStream(streamIds.credits(chat.user.id))).some((e) => e.type === 'FreeCreditsGranted'),
  );
  return chat;
}

async function eventsOfUser(userId: number, types: EventType[]): Promise<DomainEvent[]> {
  const { rows } = await db.pool.query<{ stream_id: string; version: number }>(
    `SELECT stream_id FROM es.events WHERE type = ANY($1) AND (data->>'userId')::bigint = $2`,
    [types, userId],
  );
  const streams = [...new Set(rows.map((row) => row.stream_id))];
  const events = (await Promise.all(streams.map((id) => store.readStream(id)))).flat();
  return events.filter((e) => types.includes(e.type));
}

async function jobIdsOf(userId: number): Promise<string[]> {
  const { rows } = await db.pool.query<{ job_id: string }>(
    `SELECT data->>'jobId' AS job_id FROM es.events
     WHERE type = 'GenerationRequested' AND (data->>'userId')::bigint = $1 ORDER BY global_position`,
    [userId],
  );
  return rows.map((row) => row.job_id);
}

const TERMINAL = ['VideoDelivered', 'DeliveryFailed', 'GenerationFailed'] as const;

async function outcomeOf(jobId: string, timeoutMs = 30_000): Promise<DomainEvent[]> {
  return waitFor(
    `job ${jobId} to end`,
    async () => {
      const events = await store.readStream(streamIds.job(jobId));
      return events.some((e) => (TERMINAL as readonly string[]).includes(e.type)) ? events : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

async function deadLetters(): Promise<DeadLetter[]> {
  return listDeadLetters(bus, { limit: 1000 });
}

async function image(name: string, width: number, height: number, noise = false): Promise<string> {
  const path = join(images, name);
  const picture = noise
    ? sharp(Buffer.from(Array.from({ length: width * height * 3 }, () => Math.floor(Math.random() * 256))), {
        raw: { width, height, channels: 3 },
      })
    : sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } });
  writeFileSync(path, await picture.jpeg({ quality: 100 }).toBuffer());
  return path;
}

function message(user: TelegramTestUser, content: Record<string, unknown>) {
  return {
    message: {
      message_id: Math.floor(Math.random() * 1e6),
      date: Math.floor(Date.now() / 1000),
      chat: { id: user.id, type: 'private' },
      from: { id: user.id, is_bot: false, first_name: user.first_name ?? 'Seller', language_code: 'en' },
      ...content,
    },
  };
}

/** Waits a moment and checks the seller has no job and no credit movement beyond the free credits. */
async function expectNothingStarted(userId: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await jobIdsOf(userId)).toEqual([]);
  expect((await store.readStream(streamIds.credits(userId))).map((e) => e.type)).toEqual([
    'FreeCreditsGranted',
  ]);
}

// Jobs whose provider replies break the contract take the retry schedule of their error class (UNKNOWN: two
// retries, 10 and 30 s apart): they are started first and checked at the end, while the other cases run.
const providerCases: { chat: Chat; product: string; marker: string }[] = [];

describe('provider replies with missing or wrong fields', () => {
  it('starts one order per malformed reply', async () => {
    const aim =
      (marker: string) =>
      (call: KieReplyCall): boolean => {
        const input = (call.body?.input ?? call.task?.input) as { prompt?: unknown } | undefined;
        return String(input?.prompt ?? '').includes(marker);
      };
    const forever = Number.POSITIVE_INFINITY;
    kie.replyMalformed({
      ...kieMalformedReplies.missingTaskId(),
      matches: aim('KIE-NO-TASK'),
      times: forever,
    });
    kie.replyMalformed({
      ...kieMalformedReplies.taskIdNotAString(),
      matches: aim('KIE-NUMERIC-TASK'),
      times: forever,
    });
    kie.replyMalformed({
      ...kieMalformedReplies.successWithoutVideoUrl(),
      matches: aim('KIE-NO-VIDEO'),
      times: forever,
    });
    kie.replyMalformed({
      ...kieMalformedReplies.wrongFieldTypes(),
      matches: aim('KIE-WRONG-TYPES'),
      times: forever,
    });
    // A proxy's error page twice, then KIE itself: a passing fault is retried and the video arrives.
    kie.replyMalformed({ ...kieMalformedReplies.htmlErrorPage(), matches: aim('KIE-HTML'), times: 2 });
    for (const marker of ['KIE-NO-TASK', 'KIE-NUMERIC-TASK', 'KIE-NO-VIDEO', 'KIE-WRONG-TYPES', 'KIE-HTML']) {
      const chat = await newChat();
      const product = `Ceramic mug ${marker}`;
      const { started } = await chat.order({ product });
      expect(started.text).toContain('Started');
      providerCases.push({ chat, product, marker });
    }
  });

  it('an OpenAI reply that is not JSON, or JSON of the wrong shape: the template prompt, and the video', async () => {
    for (const marker of ['OPENAI-CUT', 'OPENAI-TYPES']) {
      const chat = await newChat();
      await chat.order({ product: `Glass teapot ${marker}` });
      const video = await chat.reply((m) => m.kind === 'video', 30_000);
      expect(video.caption).toContain(marker);
      const [jobId] = await jobIdsOf(chat.user.id);
      const events = await outcomeOf(String(jobId));
      const prompt = events.find((e) => e.type === 'PromptPrepared');
      expect(prompt?.type === 'PromptPrepared' && prompt.data.source).toBe('fallback');
      expect(events.at(-1)?.type).toBe('VideoDelivered');
    }
  });
});

describe('malformed events on the bus', () => {
  const subject = () => bus.names.eventSubject('GenerationRequested');
  const consumers = ['billing--GenerationRequested', 'delivery--GenerationRequested'];

  async function parked(fragment: string): Promise<DeadLetter[]> {
    return waitFor(
      `dead letters with "${fragment}"`,
      async () => {
        const found = (await deadLetters()).filter((letter) => Buffer.from(letter.data).includes(fragment));
        return found.length >= consumers.length ? found : undefined;
      },
      { timeoutMs: 15_000 },
    );
  }

  function validRequest(overrides: Record<string, unknown> = {}) {
    const jobId = crypto.randomUUID();
    const event = newEvent(
      'GenerationRequested',
      {
        jobId,
        orderId: crypto.randomUUID(),
        orderJobIds: [jobId],
        userId: 1,
        chatId: 1,
        language: 'en',
        photo: { fileId: 'f', fileUniqueId: 'u' },
        product: 'A mug',
        templateId: 'studio',
        wishes: null,
        model: 'kling-2.6/image-to-video',
        cost: 1,
      },
      { correlationId: jobId },
    );
    return { ...event, streamId: streamIds.job(jobId), streamVersion: 1, ...overrides };
  }

  it('parks each with its reason on every consumer of the subject, and the consumers go on', async () => {
    const cases: { body: string; code: string; reason: RegExp; mark: string }[] = [];
    const add = (mark: string, body: string, code: string, reason: RegExp) =>
      cases.push({ body, code, reason, mark });
    add('BAD-JSON-1', '{"eventId": "BAD-JSON-1", "type": "GenerationRe', 'MALFORMED', /not JSON/);
    add('NOT-AN-EVENT', JSON.stringify({ hello: 'NOT-AN-EVENT' }), 'MALFORMED', /malformed envelope/);
    const unknown = validRequest({ type: 'GenerationExploded' });
    add(unknown.eventId, JSON.stringify(unknown), 'UNKNOWN_TYPE', /unknown event type "GenerationExploded"/);
    const future = validRequest({ schemaVersion: 9 });
    add(future.eventId, JSON.stringify(future), 'UNSUPPORTED_SCHEMA_VERSION', /newer than this reader/);
    const wrongTypes = validRequest();
    const mistyped = { ...wrongTypes, data: { ...wrongTypes.data, userId: 'one', cost: '1' } };
    add(
      wrongTypes.eventId,
      JSON.stringify(mistyped),
      'MALFORMED',
      /invalid GenerationRequested data: userId/,
    );
    const big = validRequest();
    const huge = { ...big, data: { ...big.data, product: 'x'.repeat(900_000) } };
    add(big.eventId, JSON.stringify(huge), 'MALFORMED', /invalid GenerationRequested data: product/);

    for (const { body } of cases) await bus.js.publish(subject(), body);
    for (const { mark, code, reason } of cases) {
      const letters = await parked(mark);
      expect(letters.map((l) => l.consumer).sort()).toEqual(consumers);
      for (const letter of letters) {
        expect(letter.reasonCode).toBe(code);
        expect(letter.reason).toMatch(reason);
        expect(letter.deliveries).toBe(1);
        expect(letter.originalSubject).toBe(subject());
      }
    }

    // Over the server's payload limit, a message never reaches the stream: the publisher hears of it.
    await expect(bus.js.publish(subject(), new Uint8Array(2 * 1024 * 1024))).rejects.toThrow(/payload/i);

    // The consumers went on: an order after all this is reserved and delivered.
    const chat = await newChat();
    await chat.order({ product: 'Linen napkins after the bad events' });
    await chat.reply((m) => m.kind === 'video', 30_000);
  });

  it('parks an event whose type is not the one its subject names, instead of handling it', async () => {
    const jobId = crypto.randomUUID();
    const misrouted = {
      ...newEvent(
        'DeliveryFailed',
        { jobId, userId: 1, errorClass: 'BLOCKED', reason: 'MISROUTED-EVENT', attempts: 1 },
        { correlationId: jobId },
      ),
      streamId: streamIds.job(jobId),
      streamVersion: 9,
    };
    await bus.js.publish(subject(), JSON.stringify(misrouted));
    const letters = await parked('MISROUTED-EVENT');
    for (const letter of letters) {
      expect(letter.reasonCode).toBe('MALFORMED');
      expect(letter.reason).toMatch(/DeliveryFailed event on the GenerationRequested subject/);
    }
  });
});

describe('forged or replayed payment updates', () => {
  it('refuses a pre-checkout for another seller, an unknown pack, a wrong price or currency, with a message', async () => {
    const chat = await newChat();
    const other = ADMIN + 77;
    const answers = () => telegram.answers.preCheckoutQueries;
    const before = answers().length;
    const user = chat.user;
    telegram.preCheckout(user, { payload: `pkg:p5:5:250:u${user.id}`, total_amount: 250 });
    telegram.preCheckout(user, { payload: `pkg:p5:5:250:u${other}`, total_amount: 250 });
    telegram.preCheckout(user, { payload: 'pkg:gone:9:99', total_amount: 99 });
    telegram.preCheckout(user, { payload: 'not a payload at all', total_amount: 250 });
    telegram.preCheckout(user, { payload: `pkg:p5:5:250:u${user.id}`, total_amount: 1 });
    telegram.preCheckout(user, { payload: `pkg:p5:5:1:u${user.id}`, total_amount: 1 });
    telegram.preCheckout(user, { payload: `pkg:p5:5:250:u${user.id}`, total_amount: 250, currency: 'USD' });
    await waitFor('seven answers', () => answers().length - before === 7);
    expect(
      answers()
        .slice(before)
        .map((a) => [a.ok, a.error_message]),
    ).toEqual([
      [true, undefined],
      [false, 'This pack is no longer sold. Please open /buy again.'],
      [false, 'This pack is no longer sold. Please open /buy again.'],
      [false, 'This pack is no longer sold. Please open /buy again.'],
      [false, 'The price has changed. Please open /buy again.'],
      [false, 'The price has changed. Please open /buy again.'],
      [false, 'The price has changed. Please open /buy again.'],
    ]);
  });

  it('credits a payment once however often its update comes, and to the seller who paid', async () => {
    const chat = await newChat();
    const other = await newChat();
    const charge = 'stxBADINPUTREPLAY0001';
    // The payload names another seller; the Stars came from this one, so this one is credited.
    for (let i = 0; i < 3; i++)
      telegram.successfulPayment(chat.user, {
        payload: `pkg:p5:5:250:u${other.user.id}`,
        total_amount: 250,
        telegram_payment_charge_id: charge,
      });
    const thanks = await chat.reply((m) => /Payment received/.test(m.text ?? ''));
    expect(thanks.text).toContain('5 credits');
    await waitFor('the purchase', async () =>
      (await store.readStream(streamIds.credits(chat.user.id))).some((e) => e.type === 'CreditsPurchased'),
    );
    await chat.silence(800);
    expect(chat.messages.filter((m) => /Payment received/.test(m.text ?? ''))).toHaveLength(1);
    expect((await store.readStream(streamIds.payment(charge))).map((e) => e.type)).toEqual([
      'PaymentReceived',
    ]);
    const purchases = await eventsOfUser(chat.user.id, ['CreditsPurchased']);
    expect(purchases.map((e) => e.data)).toEqual([expect.objectContaining({ chargeId: charge, credits: 5 })]);
    expect(await eventsOfUser(other.user.id, ['CreditsPurchased', 'PaymentReceived'])).toEqual([]);
  });

  it('a payload from elsewhere buys the pack of its price', async () => {
    const chat = await newChat();
    telegram.successfulPayment(chat.user, {
      payload: 'pkg:gone:9:99',
      total_amount: 690,
      telegram_payment_charge_id: 'stxBADINPUTFOREIGN01',
    });
    expect((await chat.reply((m) => /Payment received/.test(m.text ?? ''))).text).toContain('15 credits');
    await waitFor('the purchase', async () =>
      (await eventsOfUser(chat.user.id, ['CreditsPurchased'])).some(
        (e) => e.type === 'CreditsPurchased' && e.data.packageId === 'p15',
      ),
    );
  });

  it('a payment that matches no pack is recorded, the seller is sent to support, and billing parks it with the reason', async () => {
    const chat = await newChat();
    const charge = 'stxBADINPUTNOPACK001';
    telegram.successfulPayment(chat.user, {
      payload: 'something else entirely',
      total_amount: 123,
      telegram_payment_charge_id: charge,
    });
    const reply = await chat.reply((m) => /Payment received/.test(m.text ?? ''));
    expect(reply.text).toContain('/paysupport');
    expect(reply.text).not.toMatch(/0 credits/);
    expect((await store.readStream(streamIds.payment(charge))).map((e) => e.type)).toEqual([
      'PaymentReceived',
    ]);
    const letter = await waitFor(
      'the parked payment',
      async () => (await deadLetters()).find((l) => l.consumer === 'billing--PaymentReceived'),
      { timeoutMs: 20_000 },
    );
    expect(letter.reasonCode).toBe('HANDLER_FAILED');
    expect(letter.reason).toContain(
      'payment of 123 Stars with payload "something else entirely" matches no package',
    );
    expect(await eventsOfUser(chat.user.id, ['CreditsPurchased'])).toEqual([]);
  });
});

describe('admin commands', () => {
  it('from a seller who is not an admin: the unknown-command answer, and no event', async () => {
    const stranger = await newChat();
    const victim = await newChat();
    const count = async () =>
      Number(
        (
          await db.pool.query(
            `SELECT count(*) FROM es.events WHERE type IN
             ('CreditsGrantRequested', 'UserBanned', 'UserUnbanned', 'PaymentRefundRequested')`,
          )
        ).rows[0].count,
      );
    const before = await count();
    const id = victim.user.id;
    for (const command of [
      `/grant ${id} 100`,
      `/grant ${stranger.user.id} 100000 for me`,
      `/ban ${id} spam`,
      `/unban ${id}`,
      '/refund stxBADINPUTREPLAY0001',
      `/user ${id}`,
      '/stats',
      '/admin',
    ])
      expect((await stranger.command(command)).text).toBe(NOT_A_COMMAND);
    expect(await count()).toBe(before);
    expect((await victim.command('/start')).text).toContain('Welcome back');
  });

  it('from an admin with malformed arguments: the usage, and no event', async () => {
    const admin = new Chat(telegram, { id: ADMIN, first_name: 'Admin', language_code: 'en' });
    await admin.command('/start');
    const before = (await db.pool.query('SELECT max(global_position) AS p FROM es.events')).rows[0].p;
    const usages: [string, string][] = [
      ['/grant', 'Usage: /grant <id> <1..100000> [reason]'],
      ['/grant nobody 5', 'Usage: /grant <id> <1..100000> [reason]'],
      ['/grant 9100001 0', 'Usage: /grant <id> <1..100000> [reason]'],
      ['/grant 9100001 100001', 'Usage: /grant <id> <1..100000> [reason]'],
      ['/grant 9100001 2.5', 'Usage: /grant <id> <1..100000> [reason]'],
      ['/grant -5 5', 'Usage: /grant <id> <1..100000> [reason]'],
      ['/ban', 'Usage: /ban <id> [reason]'],
      ['/ban @someone', 'Usage: /ban <id> [reason]'],
      ['/unban 12x', 'Usage: /unban <id>'],
      ['/user', 'Usage: /user <id>'],
      ['/user 99999999999999999999', 'Usage: /user <id>'],
      ['/refund', 'Usage: /refund <charge_id>'],
      ['/refund stx;DROP TABLE', 'Usage: /refund <charge_id>'],
    ];
    for (const [command, usage] of usages) expect((await admin.command(command)).text).toBe(usage);
    expect((await admin.command('/grant 1234567 5')).text).toBe('User 1234567 not found.');
    expect((await admin.command('/ban 1234567')).text).toBe('User 1234567 not found.');
    expect((await admin.command('/refund stxNOSUCHCHARGE')).text).toBe('Payment stxNOSUCHCHARGE not found.');
    const after = (await db.pool.query('SELECT max(global_position) AS p FROM es.events')).rows[0].p;
    const { rows } = await db.pool.query(
      `SELECT type FROM es.events WHERE global_position > $1 AND type IN
       ('CreditsGrantRequested', 'UserBanned', 'UserUnbanned', 'PaymentRefundRequested')`,
      [before],
    );
    expect(rows).toEqual([]);
    expect(after).toBeDefined();
  });
});

describe('photos the bot cannot use', () => {
  it('too large, too small, not an image, a sticker, a voice message: a helpful reply, no job, no credit moved', async () => {
    const chat = await newChat();
    const user = chat.user;
    const replies: [() => unknown, string][] = [
      [
        async () => telegram.sendPhoto(user, { path: await image('big.jpg', 1600, 1600, true) }),
        'This file is too large: up to 1 MB. Please send a smaller photo.',
      ],
      [
        async () => telegram.sendPhoto(user, { path: await image('tiny.jpg', 300, 200) }),
        'The photo is too small: it needs at least 512 pixels on the short side.',
      ],
      [
        () =>
          telegram.sendDocument(user, {
            fileName: 'specs.pdf',
            mimeType: 'application/pdf',
            bytes: Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'),
          }),
        'That is not a photo. Please send a photo of the product (a JPG or PNG file works too).',
      ],
      [
        () =>
          telegram.sendDocument(user, {
            fileName: 'photos.zip',
            mimeType: 'application/zip',
            bytes: Buffer.from('PK\u0003\u0004 not really a zip'),
          }),
        'That is not a photo. Please send a photo of the product (a JPG or PNG file works too).',
      ],
      [
        () =>
          telegram.sendDocument(user, {
            fileName: 'huge.png',
            mimeType: 'image/png',
            bytes: new Uint8Array(2 * 1024 * 1024),
          }),
        'This file is too large: up to 1 MB. Please send a smaller photo.',
      ],
      [
        () =>
          telegram.pushUpdate(
            message(user, {
              sticker: {
                file_id: 'sticker',
                file_unique_id: 'sticker-u',
                type: 'regular',
                width: 512,
                height: 512,
                is_animated: false,
                is_video: false,
              },
            }),
          ),
        'I understand photos, text and buttons only. Please send a photo of the product.',
      ],
      [
        () =>
          telegram.pushUpdate(message(user, { voice: { file_id: 'v', file_unique_id: 'vu', duration: 3 } })),
        'I understand photos, text and buttons only. Please send a photo of the product.',
      ],
    ];
    for (const [send, expected] of replies) {
      await send();
      expect((await chat.reply()).text).toBe(expected);
    }
    await expectNothingStarted(user.id);
    // A good photo still starts the conversation.
    expect((await chat.photo()).text).toContain('Describe the product');
  });

  it('a file that says it is an image but is not, or is too small: refunded, with what to change', async () => {
    for (const [bytes, hint] of [
      [Buffer.from('%PDF-1.7 pretending to be a photo'), /not a JPEG, PNG or WebP photo/],
      [
        await sharp({ create: { width: 120, height: 90, channels: 3, background: '#888' } })
          .png()
          .toBuffer(),
        /too small/,
      ],
    ] as const) {
      const chat = await newChat();
      telegram.sendDocument(chat.user, { fileName: 'product.jpg', mimeType: 'image/jpeg', bytes });
      const styles = await chat.reply();
      expect(styles.text).toContain('Describe the product');
      const pick = await chat.send('Leather wallet, brown');
      const wishes = await chat.press(pick, /^style:.+:studio$/);
      const counts = await chat.press(wishes, /^skip:/);
      const confirmation = await chat.press(counts, /^count:.+:1$/);
      await chat.press(confirmation, /^confirm:/);
      const refund = await chat.reply(
        (m) => /could not make a video from this photo/.test(m.text ?? ''),
        30_000,
      );
      expect(refund.text).toMatch(hint);
      const [jobId] = await jobIdsOf(chat.user.id);
      const events = await outcomeOf(String(jobId));
      const failed = events.at(-1);
      expect(failed?.type === 'GenerationFailed' && failed.data.errorClass).toBe('USER_VIOLATION');
    }
  });
});

describe('webhook calls', () => {
  const update = (id: number, text: string) => ({
    update_id: id,
    message: {
      message_id: id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: 9_200_001, type: 'private' },
      from: { id: 9_200_001, is_bot: false, first_name: 'Hook', language_code: 'en' },
      text,
      entities: text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.length }] : [],
    },
  });
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${hookGateway.url}/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const secret = { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET };

  it('without the secret or with a wrong one: 401; a body that is not an update: 400; nothing processed', async () => {
    const events = async () =>
      Number((await hookDb.pool.query('SELECT count(*) FROM es.events')).rows[0].count);
    expect((await post(JSON.stringify(update(1, '/start')), {})).status).toBe(401);
    const wrong = { 'x-telegram-bot-api-secret-token': 'not-the-secret-0123456789' };
    expect((await post(JSON.stringify(update(2, '/start')), wrong)).status).toBe(401);
    expect((await post('{"update_id": 3, "message": {', secret)).status).toBe(400);
    expect((await post('[1, 2, 3]', secret)).status).toBe(400);
    expect((await post(JSON.stringify({ hello: 'world' }), secret)).status).toBe(400);
    expect((await post(JSON.stringify({ update_id: 'four' }), secret)).status).toBe(400);
    const padded = JSON.stringify({ ...update(4, '/start'), padding: 'x'.repeat(1_500_000) });
    expect((await post(padded, secret)).status).toBe(413);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hookTelegram.messagesTo(9_200_001)).toHaveLength(0);
    expect(await events()).toBe(0);

    const good = await post(JSON.stringify(update(5, '/start')), secret);
    expect(good.status).toBe(200);
    const welcome = await waitFor('the welcome', () => hookTelegram.messagesTo(9_200_001)[0]);
    expect(welcome.text).toContain('Hi, Hook');
  });
});

describe('at the end', () => {
  it('the malformed provider replies ended their jobs refunded, with the error class, and told the seller', async () => {
    for (const { chat, marker } of providerCases) {
      const [jobId] = await jobIdsOf(chat.user.id);
      const events = await outcomeOf(String(jobId), 90_000);
      const last = events.at(-1);
      if (marker === 'KIE-HTML') {
        expect(last?.type).toBe('VideoDelivered');
        const failures = events.filter((e) => e.type === 'GenerationAttemptFailed');
        expect(failures.map((e) => e.type === 'GenerationAttemptFailed' && e.data.code)).toEqual([
          'server_error',
          'server_error',
        ]);
        await chat.reply((m: SentMessage) => m.kind === 'video', 30_000);
        continue;
      }
      expect(last?.type, marker).toBe('GenerationFailed');
      if (last?.type !== 'GenerationFailed') continue;
      expect(last.data.errorClass).toBe('UNKNOWN');
      expect(last.data.message, marker).toMatch(/unexpected data|without result URLs/);
      const refund = await chat.reply((m) => (m.text ?? '').includes(REFUND_TEMPORARY), 30_000);
      expect(refund.text).toContain('Your credit is back on your balance');
      await waitFor('the refund', async () =>
        (await store.readStream(streamIds.credits(chat.user.id))).some((e) => e.type === 'CreditRefunded'),
      );
    }
  }, 150_000);

  it('nothing is lost: one outcome per job, credit invariants, read models equal to the ledger, payments once, dead letters with reasons', async () => {
    const { rows: jobs } = await db.pool.query<{ job_id: string }>(
      `SELECT data->>'jobId' AS job_id FROM es.events WHERE type = 'GenerationRequested'`,
    );
    expect(jobs.length).toBeGreaterThan(5);
    for (const { job_id: jobId } of jobs) {
      const events = await outcomeOf(jobId);
      const ends = events.filter((e) => (TERMINAL as readonly string[]).includes(e.type));
      expect(ends, `job ${jobId}`).toHaveLength(1);
      const settled = await waitFor(`job ${jobId} settled`, async () => {
        const { rows: now } = await db.pool.query(
          `SELECT type FROM es.events WHERE data->>'jobId' = $1 AND type IN
           ('CreditCaptured', 'CreditRefunded', 'CreditReservationRejected')`,
          [jobId],
        );
        return now.length > 0 ? now : undefined;
      });
      expect(settled, `job ${jobId}`).toHaveLength(1);
    }

    const { rows: streams } = await db.pool.query<{ stream_id: string }>(
      `SELECT DISTINCT stream_id FROM es.events WHERE stream_id LIKE 'credits-%'`,
    );
    const expected = new Map<number, { balance: number; reserved: number }>();
    for (const { stream_id: streamId } of streams) {
      const events = await store.readStream(streamId);
      checkCreditInvariants(events);
      const state = foldCredits(events);
      expected.set(Number(streamId.slice('credits-'.length)), {
        balance: availableCredits(state),
        reserved: reservedCredits(state),
      });
    }
    await waitFor(
      'the read models to agree with the ledger',
      async () => {
        const { rows } = await db.pool.query<{ user_id: string; balance: number; reserved: number }>(
          'SELECT user_id, balance, reserved FROM rm.users',
        );
        const actual = new Map(
          rows.map((r) => [Number(r.user_id), { balance: r.balance, reserved: r.reserved }]),
        );
        return [...expected].every(([userId, want]) => {
          const got = actual.get(userId);
          return got?.balance === want.balance && got.reserved === want.reserved;
        });
      },
      { timeoutMs: 15_000 },
    );

    const { rows: payments } = await db.pool.query<{ stream_id: string; received: number; charge: string }>(
      `SELECT stream_id, count(*) FILTER (WHERE type = 'PaymentReceived')::int AS received,
              min(data->>'chargeId') AS charge
       FROM es.events WHERE stream_id LIKE 'payment-%' GROUP BY stream_id`,
    );
    expect(payments.length).toBeGreaterThanOrEqual(3);
    const letters = await deadLetters();
    const parkedCharges = new Set(
      letters.filter((l) => l.consumer === 'billing--PaymentReceived').map((l) => peekCharge(l.data)),
    );
    for (const { received, charge } of payments) {
      expect(received, charge).toBe(1);
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM es.events WHERE type = 'CreditsPurchased' AND data->>'chargeId' = $1`,
        [charge],
      );
      expect(rows[0].n, charge).toBe(parkedCharges.has(charge) ? 0 : 1);
    }
    await waitFor('the payments read model', async () => {
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM rm.payments');
      return rows[0]?.n === payments.length;
    });

    expect(letters.length).toBeGreaterThan(0);
    for (const letter of letters) {
      expect(letter.reasonCode, `dead letter ${letter.sequence}`).not.toBe('UNKNOWN');
      expect(letter.reason.length, `dead letter ${letter.sequence}`).toBeGreaterThan(10);
    }
    // Only what this suite sent on purpose is parked.
    expect([...new Set(letters.map((l) => l.consumer))].sort()).toEqual([
      'billing--GenerationRequested',
      'billing--PaymentReceived',
      'delivery--GenerationRequested',
    ]);
  });
});

function peekCharge(data: Uint8Array): string {
  try {
    return String(
      (JSON.parse(Buffer.from(data).toString('utf8')) as { data?: { chargeId?: unknown } }).data?.chargeId,
    );
  } catch {
    return '';
  }
}
