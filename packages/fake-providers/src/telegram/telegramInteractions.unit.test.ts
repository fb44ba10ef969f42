import { Bot, InlineKeyboard } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegram } from './fakeTelegram.js';

const bob = { id: 777001, first_name: 'Bob' };
const stars = (amount: number) => [{ label: 'Credits', amount }];

describe('FakeTelegram interactions', () => {
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

  it('runs a Stars purchase: invoice, pre-checkout, payment, one refund', async () => {
    bot.command('buy', (ctx) =>
      ctx.replyWithInvoice('10 credits', '10 video credits', 'order-1', 'XTR', stars(50)),
    );
    bot.on('pre_checkout_query', (ctx) => ctx.answerPreCheckoutQuery(true));
    bot.on('message:successful_payment', async (ctx) => {
      const payment = ctx.message.successful_payment;
      await ctx.reply(`paid ${payment.total_amount}`);
      await ctx.api.refundStarPayment(ctx.from.id, payment.telegram_payment_charge_id);
    });
    bot.on('message:refunded_payment', (ctx) =>
      ctx.reply(`refunded ${ctx.message.refunded_payment.total_amount}`),
    );
    void bot.start();

    fake.sendCommand(bob, '/buy');
    const invoice = await fake.waitForMessage(bob.id, (m) => m.kind === 'invoice');
    expect(invoice.invoice).toMatchObject({ currency: 'XTR', total_amount: 50, payload: 'order-1' });

    const query = fake.preCheckout(bob, { payload: 'order-1', total_amount: 50 });
    const queryId = query.pre_checkout_query?.id;
    await fake.waitForCall('answerPreCheckoutQuery');
    expect(fake.answers.preCheckoutQueries).toEqual([
      expect.objectContaining({ pre_checkout_query_id: queryId, ok: true }),
    ]);

    const paid = fake.successfulPayment(bob, { payload: 'order-1', total_amount: 50 });
    const payment = paid.message?.successful_payment as { telegram_payment_charge_id: string } | undefined;
    const chargeId = payment?.telegram_payment_charge_id ?? '';
    expect(chargeId).toMatch(/^stx/);
    await fake.waitForMessage(bob.id, (m) => m.text === 'paid 50');
    await fake.waitForCall('refundStarPayment');
    expect(fake.answers.refunds).toEqual([
      expect.objectContaining({ user_id: bob.id, telegram_payment_charge_id: chargeId }),
    ]);
    // Telegram follows a refund with a refunded_payment service message.
    await fake.waitForMessage(bob.id, (m) => m.text === 'refunded 50');
    await expect(bot.api.refundStarPayment(bob.id, chargeId)).rejects.toMatchObject({
      description: 'Bad Request: CHARGE_ALREADY_REFUNDED',
    });
  });

  it('tells a listener of every message sent, edited and deleted, until it unsubscribes', async () => {
    const seen: string[] = [];
    const invoices: unknown[] = [];
    fake.onMessage((m) => {
      if (m.kind === 'invoice') invoices.push(m.invoice);
    });
    const unsubscribe = fake.onMessage((m) =>
      seen.push(`${m.chat_id}:${m.message_id}:${m.text}:${m.editCount}:${m.deleted}`),
    );
    const sent = await bot.api.sendMessage(bob.id, 'one');
    await bot.api.editMessageText(bob.id, sent.message_id, 'two');
    await bot.api.deleteMessage(bob.id, sent.message_id);
    unsubscribe();
    await bot.api.sendMessage(bob.id, 'unheard');
    // An invoice is heard with its terms already recorded.
    await bot.api.sendInvoice(bob.id, 'Credits', 'Video credits', 'p1', 'XTR', stars(10));
    expect(invoices).toEqual([expect.objectContaining({ payload: 'p1', total_amount: 10 })]);
    expect(seen).toEqual([
      `${bob.id}:${sent.message_id}:one:0:false`,
      `${bob.id}:${sent.message_id}:two:1:false`,
      `${bob.id}:${sent.message_id}:two:1:true`,
    ]);
  });

  it('rejects invoices that break the Stars rules', async () => {
    const send = (overrides: Record<string, unknown>) =>
      bot.api.raw.sendInvoice({
        chat_id: bob.id,
        title: 'Credits',
        description: 'Video credits',
        payload: 'p',
        currency: 'XTR',
        prices: stars(10),
        ...overrides,
      } as Parameters<typeof bot.api.raw.sendInvoice>[0]);
    await expect(send({})).resolves.toMatchObject({ invoice: { total_amount: 10 } });
    for (const overrides of [
      { currency: 'USD' },
      { prices: [...stars(10), ...stars(5)] },
      { prices: stars(2.5) },
      { title: 'x'.repeat(33) },
      { description: '' },
      { payload: 'é'.repeat(65) },
    ]) {
      await expect(send(overrides), JSON.stringify(overrides)).rejects.toMatchObject({ error_code: 400 });
    }
    expect(fake.messagesTo(bob.id)).toHaveLength(1);
  });

  it('refuses a pre-checkout answer after the deadline', async () => {
    let clock = 1_000_000;
    const timed = await FakeTelegram.start({ now: () => clock });
    try {
      const timedBot = new Bot(timed.token, { client: { apiRoot: timed.url } });
      const query = timed.preCheckout(bob, { payload: 'late', total_amount: 5 });
      clock += 10_001;
      await expect(
        timedBot.api.answerPreCheckoutQuery(query.pre_checkout_query?.id ?? '', true),
      ).rejects.toMatchObject({ error_code: 400, description: expect.stringContaining('query is too old') });
    } finally {
      await timed.close();
    }
  });

  it('delivers button presses and models edits like the real API', async () => {
    const sent = await bot.api.sendMessage(bob.id, 'Pick a style', {
      reply_markup: new InlineKeyboard().text('Calm', 'style:calm').text('Bold', 'style:bold'),
    });
    bot.on('callback_query:data', async (ctx) => {
      await ctx.answerCallbackQuery({ text: 'Saved' });
      await ctx.editMessageText(`Style: ${ctx.callbackQuery.data}`);
    });
    void bot.start();

    expect(() => fake.clickButton(bob, sent.message_id, 'style:none')).toThrow(/no button/);
    const click = fake.clickButton(bob, fake.messagesTo(bob.id)[0] ?? sent.message_id, 'style:bold');
    expect(click.callback_query?.message?.message_id).toBe(sent.message_id);

    const edited = await fake.waitForMessage(bob.id, (m) => m.text === 'Style: style:bold');
    expect(edited).toMatchObject({ message_id: sent.message_id, editCount: 1 });
    // An edit without reply_markup drops the inline keyboard.
    expect(edited.reply_markup).toBeUndefined();
    expect(fake.answers.callbackQueries).toEqual([expect.objectContaining({ text: 'Saved' })]);

    await expect(bot.api.editMessageText(bob.id, sent.message_id, 'Style: style:bold')).rejects.toMatchObject(
      {
        description: expect.stringContaining('message is not modified'),
      },
    );
    await expect(bot.api.deleteMessage(bob.id, 9999)).rejects.toMatchObject({
      description: 'Bad Request: message to delete not found',
    });
  });

  it('checks MarkdownV2 escaping and HTML tags', async () => {
    await expect(
      bot.api.sendMessage(bob.id, 'Done. Price: 5', { parse_mode: 'MarkdownV2' }),
    ).rejects.toMatchObject({
      description: expect.stringContaining("Character '.' is reserved"),
    });
    await expect(
      bot.api.sendMessage(bob.id, '*Done\\.* `a.b`', { parse_mode: 'MarkdownV2' }),
    ).resolves.toBeDefined();
    await expect(bot.api.sendMessage(bob.id, '<b>bold</i>', { parse_mode: 'HTML' })).rejects.toMatchObject({
      error_code: 400,
    });
    await expect(
      bot.api.sendMessage(bob.id, '<b>ok</b> &amp;', { parse_mode: 'HTML' }),
    ).resolves.toBeDefined();
  });

  it('accepts urlencoded and query-string parameters', async () => {
    const form = await fetch(`${fake.url}/bot${fake.token}/sendMessage`, {
      method: 'POST',
      body: new URLSearchParams({ chat_id: String(bob.id), text: 'form body' }),
    });
    expect(form.status).toBe(200);
    const query = await fetch(`${fake.url}/bot${fake.token}/sendMessage?chat_id=${bob.id}&text=query`);
    expect(await query.json()).toMatchObject({ ok: true, result: { text: 'query' } });
    expect(fake.messagesTo(bob.id).map((m) => m.text)).toEqual(['form body', 'query']);
  });

  it('drops update types outside allowed_updates and terminates a concurrent getUpdates', async () => {
    fake.preCheckout(bob, { payload: 'x', total_amount: 1 });
    fake.sendText(bob, 'hello');
    const updates = await bot.api.getUpdates({ allowed_updates: ['message'] });
    expect(updates.map((u) => Object.keys(u).find((k) => k !== 'update_id'))).toEqual(['message']);
    expect(fake.recorded.droppedUpdates).toHaveLength(1);

    const offset = (updates[0]?.update_id ?? 0) + 1;
    const first = bot.api.getUpdates({ offset, timeout: 5 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = bot.api.getUpdates({ offset, timeout: 5 });
    await expect(first).rejects.toMatchObject({ error_code: 409 });
    fake.sendText(bob, 'wake up');
    expect((await second).map((u) => u.message?.text)).toEqual(['wake up']);
  });

  it('serves a document the user sent', async () => {
    const update = fake.sendDocument(bob, { bytes: Buffer.from('hello world'), fileName: 'note.txt' });
    const document = update.message?.document as { file_id: string; mime_type: string };
    expect(document.mime_type).toBe('text/plain');
    const file = await bot.api.getFile(document.file_id);
    const body = await fetch(`${fake.url}/file/bot${fake.token}/${file.file_path}`);
    expect(await body.text()).toBe('hello world');
    expect((await fetch(`${fake.url}/file/bot${fake.token}/documents/missing.txt`)).status).toBe(404);
  });
});
