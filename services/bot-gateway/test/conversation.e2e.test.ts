import { type DomainEvent, type EventType, newEvent, streamIds } from '@neurocards/contracts';
import { FakeTelegram, fixturePaths, type TelegramTestUser } from '@neurocards/fake-providers';
import { EventStore } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { Api, InlineKeyboard } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonsOf, Chat } from '../../../test/support/chat.js';
import { type RunningProcess, startService, stopProcess } from '../../../test/support/system.js';

// The gateway as a process, with billing and the projector, against the fake Telegram Bot API: scripted
// conversations through the real grammY client, and the events they leave in the store.

const ADMIN = 7_700_000;
let db: TestDatabase;
let bus: TestBus;
let store: EventStore;
let telegram: FakeTelegram;
let env: Record<string, string>;
let gateway: RunningProcess;
const processes: RunningProcess[] = [];
let nextUser = 7_700_001;

beforeAll(async () => {
  db = await createTestDatabase('gateway_e2e');
  bus = await createTestBus('gw');
  store = new EventStore(db.pool);
  telegram = await FakeTelegram.start();
  const common = { DATABASE_URL: db.url, NATS_URL: testNatsUrl, BUS_PREFIX: bus.prefix, LOG_LEVEL: 'info' };
  processes.push(await startService('billing', common, 'gw-billing'));
  processes.push(await startService('projector', common, 'gw-projector'));
  env = {
    ...common,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    ADMIN_TELEGRAM_IDS: String(ADMIN),
    MAX_ACTIVE_JOBS: '3',
    USER_FLOOD_LIMIT: '30/10s',
    PHOTO_MAX_BYTES: '1048576',
  };
  gateway = await startService('bot-gateway', env, 'gw-gateway');
});

afterAll(async () => {
  const codes = [await stopProcess(gateway)];
  for (const running of processes.reverse()) codes.push(await stopProcess(running));
  await telegram?.close();
  await bus?.destroy();
  await db?.drop();
  expect(codes).toEqual([0, 0, 0]);
});

function seller(language = 'en', name = 'Anna'): TelegramTestUser {
  return { id: nextUser++, first_name: name, username: `seller${nextUser}`, language_code: language };
}

const events = async (streamId: string) => store.readStream(streamId);
const ofType = <T extends EventType>(list: readonly DomainEvent[], type: T) =>
  list.filter((e): e is Extract<DomainEvent, { type: T }> => e.type === type);

async function requestsOf(userId: number) {
  const { rows } = await db.pool.query<{ data: { jobId: string; orderId: string; photo: unknown } }>(
    `SELECT data FROM es.events WHERE type = 'GenerationRequested' AND (data->>'userId')::bigint = $1
     ORDER BY global_position`,
    [userId],
  );
  return rows.map((row) => row.data);
}

describe('start and menu', () => {
  it('welcomes a newcomer with the free credits, records the referrer, and greets them back later', async () => {
    const user = seller('ru', 'Мария');
    const chat = new Chat(telegram, user);
    const welcome = await chat.command(`/start ref_${ADMIN}`);
    expect(welcome.text).toContain('Привет, Мария');
    expect(welcome.text).toContain('Дарим 2 кредита');
    expect(buttonsOf(welcome)).toEqual([
      'menu:create',
      'menu:balance',
      'menu:videos',
      'buy',
      'menu:help',
      'menu:language',
    ]);
    const [registered] = ofType(await events(streamIds.user(user.id)), 'UserRegistered');
    expect(registered?.data).toMatchObject({ userId: user.id, language: 'ru', referrerId: ADMIN });
    await waitFor('the free credits', async () =>
      (await events(streamIds.credits(user.id))).some((e) => e.type === 'FreeCreditsGranted'),
    );
    const again = await chat.command('/start');
    expect(again.text).toContain('С возвращением');
    expect(again.text).toContain('Баланс: 2 кредита');
    expect(ofType(await events(streamIds.user(user.id)), 'UserRegistered')).toHaveLength(1);
  });

  it('answers in the language of the seller’s Telegram, and /language changes it', async () => {
    const user = seller('en');
    const chat = new Chat(telegram, user);
    expect((await chat.command('/start')).text).toContain('Hi, Anna');
    const choice = await chat.command('/language');
    const menu = await chat.press(choice, 'lang:ru');
    expect(menu.text).toContain('Готово: теперь по-русски');
    expect((await chat.command('/help')).text).toContain('Как это работает');
    expect(ofType(await events(streamIds.user(user.id)), 'LanguageChanged')[0]?.data).toEqual({
      userId: user.id,
      language: 'ru',
    });
  });
});

describe('ordering videos', () => {
  it('goes photo → description → style → wishes → count → confirmation → started, and appends the order', async () => {
    const user = seller();
    const chat = new Chat(telegram, user);
    const menu = await chat.command('/start');
    const askPhoto = await chat.press(menu, 'menu:create');
    expect(askPhoto.text).toContain('What the photo needs');
    const askDescription = await chat.photo();
    expect(askDescription.text).toContain('Describe the product');
    const styles = await chat.send('Steel thermos, 500 ml, keeps tea hot for 12 hours');
    const styleButtons = buttonsOf(styles).filter((data) => data.startsWith('style:'));
    expect(styleButtons.length).toBeGreaterThanOrEqual(5);
    expect(styles.text).toContain('Studio: Clean backdrop, soft light, slow orbit');
    const wishes = await chat.press(styles, /:lifestyle$/);
    expect(wishes.text).toContain('Any wishes');
    expect(buttonsOf(wishes).some((data) => data.startsWith('skip:'))).toBe(true);
    const counts = await chat.send('Warm morning light');
    expect(
      buttonsOf(counts)
        .filter((data) => data.startsWith('count:'))
        .map((d) => d.split(':')[2]),
    ).toEqual(['1', '2', '3', '5']);
    const confirmation = await chat.press(counts, /:2$/);
    expect(confirmation.text).toContain('Product: Steel thermos, 500 ml');
    expect(confirmation.text).toContain('Style: Lifestyle');
    expect(confirmation.text).toContain('Wishes: Warm morning light');
    expect(confirmation.text).toContain('Number: 2 videos');
    expect(confirmation.text).toContain('Cost: 2 credits');
    expect(confirmation.text).toContain('Balance after: 0 credits');
    const started = await chat.press(confirmation, /^confirm:/);
    expect(started.text).toContain('Started 2 videos');
    expect(started.text).toContain('5-10 minutes');

    const requests = await requestsOf(user.id);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      product: 'Steel thermos, 500 ml, keeps tea hot for 12 hours',
      templateId: 'lifestyle',
      wishes: 'Warm morning light',
      language: 'en',
      cost: 1,
      photo: { fileId: expect.any(String) },
    });
    expect(new Set(requests.map((r) => r.orderId)).size).toBe(1);
    await waitFor(
      'billing to reserve both',
      async () => ofType(await events(streamIds.credits(user.id)), 'CreditReserved').length === 2,
    );
  });

  it('a double tap on Confirm places one order', async () => {
    const user = seller();
    const chat = new Chat(telegram, user);
    await chat.command('/start');
    const styles = await chat.photo('Ceramic mug, 350 ml');
    const wishes = await chat.press(styles, /:studio$/);
    const counts = await chat.press(wishes, /^skip:/);
    const confirmation = await chat.press(counts, /:1$/);
    chat.click(confirmation, /^confirm:/);
    chat.click(confirmation, /^confirm:/);
    await chat.reply((m) => /Started/.test(m.text ?? ''));
    await waitFor(
      'both taps answered',
      () => telegram.answers.callbackQueries.filter((a) => a.at >= 0).length > 0,
    );
    await chat.silence(1000).catch(() => undefined); // a second "already started" reply is fine
    expect(await requestsOf(user.id)).toHaveLength(1);
  });

  it('a captioned photo skips the description, and "Another one" goes straight to the style', async () => {
    const user = seller();
    const chat = new Chat(telegram, user);
    await chat.command('/start');
    const { started } = await chat.order({ product: 'Linen tote bag' });
    expect(started.text).toContain('Started 1 video');
    const [request] = await requestsOf(user.id);
    // Delivery's message under the video carries "Another one with this product".
    const api = new Api(telegram.token, { apiRoot: telegram.url });
    await api.sendMessage(user.id, 'Done: “Linen tote bag”', {
      reply_markup: new InlineKeyboard().text('Another one', `again:${request?.jobId}`),
    });
    const delivered = await chat.reply((m) => m.text?.startsWith('Done') ?? false);
    const styles = await chat.press(delivered, `again:${request?.jobId}`);
    expect(buttonsOf(styles).some((data) => data.startsWith('style:'))).toBe(true);
    const wishes = await chat.press(styles, /:premium$/);
    const counts = await chat.press(wishes, /^skip:/);
    const confirmation = await chat.press(counts, /:1$/);
    expect(confirmation.text).toContain('Product: Linen tote bag');
    await chat.press(confirmation, /^confirm:/);
    const requests = await requestsOf(user.id);
    expect(requests).toHaveLength(2);
    expect(requests[1]).toMatchObject({
      product: 'Linen tote bag',
      templateId: 'premium',
      photo: request?.photo,
    });
  });

  it('caps the jobs a seller has running at once', async () => {
    const user = seller();
    const chat = new Chat(telegram, user);
    await chat.command('/start');
    await store.append(
      streamIds.user(user.id),
      [
        newEvent(
          'CreditsGrantRequested',
          { userId: user.id, adminId: ADMIN, amount: 10, reason: 'test' },
          { correlationId: 't' },
        ),
      ],
      { expectedVersion: 'any' },
    );
    await waitFor('the grant', async () =>
      (await events(streamIds.credits(user.id))).some((e) => e.type === 'CreditsGranted'),
    );
    await chat.order({ product: 'Desk lamp', count: 3 });
    await waitFor('the projector to see them', async () => {
      const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM rm.jobs WHERE user_id = $1', [
        user.id,
      ]);
      return rows[0].n === 3;
    });
    const { started } = await chat.order({ product: 'Desk lamp', count: 1 });
    expect(started.text).toContain('You already have 3 videos in the works');
    expect(await requestsOf(user.id)).toHaveLength(3);
  });

  it('survives a restart in the middle of the conversation', async () => {
    const user = seller();
    const chat = new Chat(telegram, user);
    await chat.command('/start');
    const styles = await chat.photo('Wooden cutting board');
    expect(await stopProcess(gateway)).toBe(0);
    gateway = await startService('bot-gateway', env, 'gw-gateway-restarted');
    const wishes = await chat.press(styles, /:nature$/);
    const counts = await chat.press(wishes, /^skip:/);
    const confirmation = await chat.press(counts, /:1$/);
    expect(confirmation.text).toContain('Wooden cutting board');
    await chat.press(confirmation, /^confirm:/);
    expect(await requestsOf(user.id)).toHaveLength(1);
  });
});

describe('my videos, balance and resends', () => {
  it('lists recent jobs with their state, the balance with the last movements, and asks delivery to resend', async () => {
    const user = seller();
    const chat = new Chat(telegram, user);
    await chat.command('/start');
    await chat.order({ product: 'Silk scarf, 90 cm' });
    const [request] = await requestsOf(user.id);
    const jobId = request?.jobId ?? '';
    // The screens read three projections, each at its own pace.
    await waitFor('the projector', async () => {
      const job = await db.pool.query('SELECT status FROM rm.jobs WHERE job_id = $1', [jobId]);
      const { rows } = await db.pool.query<{ reserved: number; movements: number }>(
        `SELECT reserved, (SELECT count(*)::int FROM rm.credit_ledger l WHERE l.user_id = u.user_id) AS movements
         FROM rm.users u WHERE user_id = $1`,
        [user.id],
      );
      return job.rows[0]?.status === 'reserved' && rows[0]?.reserved === 1 && rows[0]?.movements === 2;
    });
    const videos = await chat.command('/videos');
    expect(videos.text).toMatch(/“Silk scarf, 90 cm”: queued/);
    const balance = await chat.command('/balance');
    expect(balance.text).toContain('💰 Balance: 1 credit (1 more in the works)');
    expect(balance.text).toMatch(/\+2: welcome gift/);
    expect(balance.text).toMatch(/−1: video ordered/);

    // The video was made but could not be sent; delivery's message offers "Send it again".
    await store.append(
      streamIds.job(jobId),
      [
        newEvent(
          'VideoReady',
          { jobId, userId: user.id, videoUrl: 'https://files.example/v.mp4', model: 'm', taskId: 't' },
          { correlationId: jobId },
        ),
        newEvent(
          'DeliveryFailed',
          { jobId, userId: user.id, errorClass: 'TEMPORARY', reason: '502', attempts: 4 },
          { correlationId: jobId },
        ),
      ],
      { expectedVersion: 'any' },
    );
    const api = new Api(telegram.token, { apiRoot: telegram.url });
    await api.sendMessage(user.id, 'The video was made, but we could not send it.', {
      reply_markup: new InlineKeyboard().text('Send it again', `resend:${jobId}`),
    });
    const notice = await chat.reply((m) => m.text?.startsWith('The video was made') ?? false);
    chat.click(notice, `resend:${jobId}`);
    await waitFor('the resend request', async () =>
      (await events(streamIds.job(jobId))).some((e) => e.type === 'DeliveryRetryRequested'),
    );
    await waitFor('the notice', () =>
      telegram.answers.callbackQueries.some((a) => a.text === '📩 Sending the video again…'),
    );
  });
});

describe('bad input gets a helpful reply', () => {
  it('documents, stickers, voice, long and short texts, and buttons of old messages', async () => {
    const user = seller();
    const chat = new Chat(telegram, user);
    const menu = await chat.command('/start');
    const askPhoto = await chat.press(menu, 'menu:create');

    telegram.sendDocument(user, {
      fileName: 'specs.pdf',
      mimeType: 'application/pdf',
      bytes: new Uint8Array(2048),
    });
    expect((await chat.reply()).text).toContain('That is not a photo');
    telegram.sendDocument(user, {
      fileName: 'huge.png',
      mimeType: 'image/png',
      bytes: new Uint8Array(2 * 1024 * 1024),
    });
    expect((await chat.reply()).text).toContain('too large: up to 1 MB');
    telegram.pushUpdate({
      message: {
        ...messageBase(user),
        sticker: {
          file_id: 'st',
          file_unique_id: 'stu',
          type: 'regular',
          width: 512,
          height: 512,
          is_animated: false,
          is_video: false,
        },
      },
    });
    expect((await chat.reply()).text).toContain('I understand photos, text and buttons only');
    telegram.pushUpdate({
      message: { ...messageBase(user), voice: { file_id: 'v', file_unique_id: 'vu', duration: 3 } },
    });
    expect((await chat.reply()).text).toContain('Please send a photo of the product');

    // A photo sent as a file is accepted.
    telegram.sendDocument(user, {
      path: fixturePaths.productPhoto,
      fileName: 'product.jpg',
      mimeType: 'image/jpeg',
    });
    expect((await chat.reply()).text).toContain('Describe the product');
    expect((await chat.send('x'.repeat(1001))).text).toContain('That is too long: 1,001 characters of 1,000');
    expect((await chat.send('ab')).text).toContain('in a few words at least');

    const styles = await chat.send('Glass teapot, 1 l');
    expect(styles.text).toContain('Pick a style');

    // A new draft from the menu; the style buttons above belong to the old one now.
    const askAgain = await chat.press(menu, 'menu:create');
    expect(askAgain.text).toContain('What the photo needs');
    expect(buttonsOf(askAgain)).not.toEqual(buttonsOf(askPhoto));
    chat.click(styles, /:studio$/);
    await waitFor('the old-button notice', () =>
      telegram.answers.callbackQueries.some((a) => a.text === 'This button is from an old message.'),
    );
    await chat.silence(500);
    expect((await chat.photo()).text).toContain('Describe the product'); // the new draft goes on
  });

  it('a flood is told once, then dropped', async () => {
    const user = seller();
    const chat = new Chat(telegram, user);
    await chat.command('/start');
    chat.skipAll();
    for (let i = 0; i < 40; i++) telegram.sendText(user, `hello ${i}`);
    await chat.reply((m) => m.text === 'Too many messages. Please wait a moment.');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const floods = chat.messages.filter((m) => m.text === 'Too many messages. Please wait a moment.');
    expect(floods).toHaveLength(1);
    expect(chat.messages.length).toBeLessThanOrEqual(31); // the welcome, ≤ 29 menus, one notice
  });
});

describe('payments', () => {
  it('sells a pack in Stars: invoice, pre-checkout checked, PaymentReceived before the thanks, once', async () => {
    const user = seller();
    const chat = new Chat(telegram, user);
    await chat.command('/start');
    const packs = await chat.command('/buy');
    expect(buttonsOf(packs)).toEqual(['pkg:p5', 'pkg:p15', 'pkg:p50', 'menu']);
    const invoice = await chat.press(packs, 'pkg:p5');
    expect(invoice.kind).toBe('invoice');
    expect(invoice.invoice).toMatchObject({ currency: 'XTR', payload: `pkg:p5:5:250:u${user.id}` });

    const answers = () => telegram.answers.preCheckoutQueries;
    telegram.preCheckout(user, { payload: `pkg:p5:5:250:u${user.id}`, total_amount: 250 });
    await waitFor('an answer', () => answers().length === 1);
    expect(answers()[0]).toMatchObject({ ok: true });
    telegram.preCheckout(user, { payload: `pkg:p5:5:250:u${user.id}`, total_amount: 200 });
    telegram.preCheckout(user, { payload: `pkg:p5:5:250:u${ADMIN}`, total_amount: 250 });
    telegram.preCheckout(user, { payload: 'pkg:gone:9:99', total_amount: 99 });
    await waitFor('three more answers', () => answers().length === 4);
    expect(
      answers()
        .slice(1)
        .map((a) => a.ok),
    ).toEqual([false, false, false]);

    const charge = 'stxGATEWAYTEST0001';
    for (let i = 0; i < 2; i++)
      telegram.successfulPayment(user, {
        payload: `pkg:p5:5:250:u${user.id}`,
        total_amount: 250,
        telegram_payment_charge_id: charge,
      });
    const thanks = await chat.reply((m) => /Payment received/.test(m.text ?? ''));
    expect(thanks.text).toContain('5 credits');
    const payment = await events(streamIds.payment(charge));
    expect(payment.map((e) => e.type)).toEqual(['PaymentReceived']);
    expect(payment[0]?.data).toMatchObject({ userId: user.id, stars: 250, chargeId: charge });
    await waitFor('the purchase', async () =>
      (await events(streamIds.credits(user.id))).some((e) => e.type === 'CreditsPurchased'),
    );
    await chat.silence(800).catch(() => undefined);
    expect(chat.messages.filter((m) => /Payment received/.test(m.text ?? ''))).toHaveLength(1);
    expect((await chat.command('/paysupport')).text).toContain('Payment questions');
  });
});

describe('admin', () => {
  it('grants, looks up, bans and unbans, refunds and counts, each an event with the admin’s id', async () => {
    const user = seller();
    const userChat = new Chat(telegram, user);
    await userChat.command('/start');
    const stranger = new Chat(telegram, seller());
    await stranger.command('/start');
    expect((await stranger.command(`/grant ${user.id} 5`)).text).toBe(
      'I do not know that command. The menu: /start',
    );

    const admin = new Chat(telegram, { id: ADMIN, first_name: 'Admin', language_code: 'en' });
    expect((await admin.command('/admin')).text).toContain('Admin commands');
    expect((await admin.command(`/grant ${user.id} 5 goodwill`)).text).toContain('A grant of 5 credits');
    expect((await admin.command('/grant nobody 5')).text).toContain('Usage: /grant');
    const [grant] = ofType(await events(streamIds.user(user.id)), 'CreditsGrantRequested');
    expect(grant?.data).toEqual({ userId: user.id, adminId: ADMIN, amount: 5, reason: 'goodwill' });
    await waitFor('the projector', async () => {
      const { rows } = await db.pool.query('SELECT balance FROM rm.users WHERE user_id = $1', [user.id]);
      return rows[0]?.balance === 7;
    });
    expect((await admin.command(`/user ${user.id}`)).text).toContain('Balance: 7');

    expect((await admin.command(`/ban ${user.id} spam`)).text).toContain('is banned');
    expect((await userChat.command('/start')).text).toContain('Access to the bot is closed');
    telegram.sendText(user, 'hello?');
    await userChat.silence(800);
    expect((await admin.command(`/unban ${user.id}`)).text).toContain('is unbanned');
    expect((await userChat.command('/start')).text).toContain('Welcome back');
    const bans = (await events(streamIds.user(user.id))).filter(
      (e) => e.type === 'UserBanned' || e.type === 'UserUnbanned',
    );
    expect(bans.map((e) => [e.type, (e.data as { adminId: number }).adminId])).toEqual([
      ['UserBanned', ADMIN],
      ['UserUnbanned', ADMIN],
    ]);

    const charge = 'stxADMINREFUND0001';
    telegram.successfulPayment(user, {
      payload: `pkg:p5:5:250:u${user.id}`,
      total_amount: 250,
      telegram_payment_charge_id: charge,
    });
    await userChat.reply((m) => /Payment received/.test(m.text ?? ''));
    // Billing reads payments and refund orders on separate consumers: refund what it has credited.
    await waitFor('the purchase', async () =>
      (await events(streamIds.credits(user.id))).some((e) => e.type === 'CreditsPurchased'),
    );
    expect((await admin.command(`/refund ${charge}`)).text).toContain('Refund of payment');
    expect((await admin.command('/refund stxUNKNOWN')).text).toContain('not found');
    await waitFor('the Stars back', () =>
      telegram.answers.refunds.some((r) => r.telegram_payment_charge_id === charge),
    );
    const refund = ofType(await events(streamIds.payment(charge)), 'PaymentRefundRequested');
    expect(refund[0]?.data).toEqual({ userId: user.id, chargeId: charge, adminId: ADMIN });
    expect((await admin.command('/stats')).text).toMatch(/New users: \d+, active: \d+/);
  });
});

function messageBase(user: TelegramTestUser) {
  return {
    message_id: Math.floor(Math.random() * 1e6),
    date: Math.floor(Date.now() / 1000),
    chat: { id: user.id, type: 'private' },
    from: {
      id: user.id,
      is_bot: false,
      first_name: user.first_name ?? 'Seller',
      language_code: user.language_code,
    },
  };
}
