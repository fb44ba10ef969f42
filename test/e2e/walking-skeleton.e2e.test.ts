import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type DomainEvent, newEvent } from '@neurocards/contracts';
import { FakeKie, FakeTelegram, fixturePaths, telegramFaults } from '@neurocards/fake-providers';
import { EventStore } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonsOf, Chat } from '../support/chat.js';
import { type RunningProcess, serviceNames, startService, stopProcess } from '../support/system.js';

// One job through all five services, each a separate process, over real PostgreSQL and JetStream, against
// fake Telegram and KIE.AI servers speaking the real wire formats.

const seller = { id: 5_550_001, first_name: 'Anna', username: 'anna_shop', language_code: 'ru' };
let chat: Chat;

let db: TestDatabase;
let bus: TestBus;
let telegram: FakeTelegram;
let kie: FakeKie;
let store: EventStore;
const services: RunningProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('e2e_skeleton');
  bus = await createTestBus('e2e');
  telegram = await FakeTelegram.start();
  kie = await FakeKie.start({ apiKeys: ['kie-e2e-key'] });
  store = new EventStore(db.pool);
  const env = {
    DATABASE_URL: db.url,
    NATS_URL: testNatsUrl,
    BUS_PREFIX: bus.prefix,
    LOG_LEVEL: 'info',
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    KIE_API_KEYS: 'kie-e2e-key',
    KIE_BASE_URL: kie.url,
    KIE_UPLOAD_BASE_URL: kie.url,
    KIE_POLL_INTERVAL: '50ms',
    CONSUMER_RETRY_DELAYS_MS: '200,400,800',
  };
  // Started one after another: the first runs the migrations, the others find them applied.
  for (const name of serviceNames) services.push(await startService(name, env, `skeleton-${name}`));
});

afterAll(async () => {
  const codes = await Promise.all(services.map((service) => stopProcess(service)));
  await telegram?.close();
  await kie?.close();
  await bus?.destroy();
  await db?.drop();
  // Every service stops gracefully on SIGTERM.
  expect(codes).toEqual(services.map(() => 0));
});

async function jobEvents(jobId: string): Promise<DomainEvent[]> {
  return store.readStream(`job-${jobId}`);
}

async function creditEvents(): Promise<DomainEvent[]> {
  return store.readStream(`credits-${seller.id}`);
}

async function latestJobId(): Promise<string> {
  const { rows } = await db.pool.query<{ stream_id: string }>(
    `SELECT stream_id FROM es.events WHERE type = 'GenerationRequested' ORDER BY global_position DESC LIMIT 1`,
  );
  return String(rows[0]?.stream_id).replace(/^job-/, '');
}

async function readModel(jobId: string) {
  const user = await db.pool.query(
    'SELECT balance, reserved, jobs_total, jobs_delivered, jobs_failed FROM rm.users WHERE user_id = $1',
    [seller.id],
  );
  const job = await db.pool.query(
    'SELECT status, error_class, provider_task_id FROM rm.jobs WHERE job_id = $1',
    [jobId],
  );
  return { user: user.rows[0], job: job.rows[0] };
}

describe('walking skeleton', () => {
  it('takes a job from GenerationRequested to a delivered video and a captured credit', async () => {
    chat = new Chat(telegram, seller);
    const welcome = await chat.command('/start');
    expect(welcome.text).toMatch(/бесплатно/);

    const { started } = await chat.order({ product: 'Керамическая кружка, 350 мл' });
    expect(started.text).toContain('Запустили');
    const video = await chat.reply((m) => m.kind === 'video', 30_000);
    expect(video.supports_streaming).toBe(true);
    expect(video.caption).toContain('Керамическая кружка');
    // The very bytes KIE served, uploaded as a file (multipart), not passed on as a URL.
    const sample = readFileSync(fixturePaths.sampleVideo);
    expect(video.media).toMatchObject({
      kind: 'upload',
      upload: { size: sample.length, sha256: createHash('sha256').update(sample).digest('hex') },
    });

    const jobId = await latestJobId();
    await waitFor('the capture', async () => (await creditEvents()).some((e) => e.type === 'CreditCaptured'));
    expect((await jobEvents(jobId)).map((e) => e.type)).toEqual([
      'GenerationRequested',
      'PromptPrepared',
      'GenerationSubmitted',
      'VideoReady',
      'VideoDelivered',
    ]);
    expect((await creditEvents()).map((e) => e.type)).toEqual([
      'FreeCreditsGranted',
      'CreditReserved',
      'CreditCaptured',
    ]);

    // The photo went through our process to KIE's upload API; the model got that URL, never a Telegram one.
    const [task] = kie.createdTasks;
    expect(JSON.stringify(task)).not.toContain(telegram.token);
    expect(kie.uploads).toHaveLength(1);

    const model = await waitFor('the read model', async () => {
      const current = await readModel(jobId);
      return current.job?.status === 'delivered' && current.user?.reserved === 0 ? current : undefined;
    });
    expect(model.user).toMatchObject({
      balance: 1,
      reserved: 0,
      jobs_total: 1,
      jobs_delivered: 1,
      jobs_failed: 0,
    });
    expect(model.job.provider_task_id).toBe(task?.taskId);
  });

  it('refunds the credit when the video cannot be delivered', async () => {
    telegram.failNext('sendVideo', telegramFaults.blockedByUser());
    await chat.order({ product: 'Термос 500 мл' });

    await waitFor('the refund', async () => (await creditEvents()).some((e) => e.type === 'CreditRefunded'));
    const jobId = await latestJobId();
    const events = await jobEvents(jobId);
    expect(events.map((e) => e.type)).toEqual([
      'GenerationRequested',
      'PromptPrepared',
      'GenerationSubmitted',
      'VideoReady',
      'DeliveryFailed',
    ]);
    const failed = events.at(-1);
    expect(failed?.type === 'DeliveryFailed' && failed.data.errorClass).toBe('BLOCKED');
    const refund = (await creditEvents()).at(-1);
    expect(refund).toMatchObject({
      type: 'CreditRefunded',
      data: { jobId, amount: 1, reason: 'delivery_failed' },
    });

    const model = await waitFor('the read model', async () => {
      const current = await readModel(jobId);
      return current.job?.status === 'failed' && current.user?.reserved === 0 ? current : undefined;
    });
    expect(model.user).toMatchObject({ balance: 1, jobs_total: 2, jobs_delivered: 1, jobs_failed: 1 });
    expect(model.job.error_class).toBe('BLOCKED');
  });

  it('credits a Stars payment once and, on an admin refund, debits the credits and refunds the Stars', async () => {
    const chargeId = 'stars-charge-e2e-1';
    // The gateway records the payment (PaymentReceived) before it thanks the seller.
    telegram.successfulPayment(seller, {
      payload: 'pkg:p5:5:250',
      total_amount: 250,
      telegram_payment_charge_id: chargeId,
    });
    const thanks = await chat.reply((m) => /Оплата получена/.test(m.text ?? ''));
    expect(thanks.text).toContain('5 кредитов');
    await waitFor('the purchase', async () =>
      (await creditEvents()).some((e) => e.type === 'CreditsPurchased'),
    );
    await waitFor('the balance', async () => (await readModel(await latestJobId())).user?.balance === 6);

    for (let i = 0; i < 2; i++) {
      const request = newEvent(
        'PaymentRefundRequested',
        { userId: seller.id, chargeId, adminId: 1 },
        { correlationId: `payment-${chargeId}` },
      );
      await store.append(`payment-${chargeId}`, [request], { expectedVersion: 'any' });
    }
    await waitFor('the Stars refund', () => telegram.answers.refunds.length === 1);
    await waitFor('both decisions', async () =>
      (await creditEvents()).some((e) => e.type === 'PaymentRefundRefused'),
    );
    const credits = await creditEvents();
    expect(credits.filter((e) => e.type === 'PaymentRefunded')).toHaveLength(1);
    expect(credits.find((e) => e.type === 'PaymentRefundRefused')?.data).toMatchObject({
      reason: 'already_refunded',
    });
    expect(telegram.answers.refunds).toEqual([
      expect.objectContaining({ user_id: seller.id, telegram_payment_charge_id: chargeId }),
    ]);
    await waitFor('the balance back', async () => (await readModel(await latestJobId())).user?.balance === 1);
  });

  it('offers Buy instead of Start when the balance does not cover an order', async () => {
    await chat.order({ product: 'Кружка, последняя за кредит' });
    await waitFor(
      'the last credit spent',
      async () => (await readModel(await latestJobId())).user?.balance === 0,
    );
    const styles = await chat.photo('Кружка без кредитов');
    const wishes = await chat.press(styles, /^style:.+:studio$/);
    const counts = await chat.press(wishes, /^skip:/);
    const confirmation = await chat.press(counts, /^count:.+:1$/);
    expect(confirmation.text).toContain('Не хватает кредитов: нужно 1 кредит, на балансе 0 кредитов');
    expect(buttonsOf(confirmation)).toContain('buy');
    expect(buttonsOf(confirmation).some((data) => data.startsWith('confirm:'))).toBe(false);
  });
});
