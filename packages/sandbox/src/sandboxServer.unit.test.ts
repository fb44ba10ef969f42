import { readFileSync } from 'node:fs';
import { FakeTelegram, fixturePaths } from '@neurocards/fake-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/system.js';
import { sniffImageType } from './requests.js';
import { type Sandbox, startSandbox } from './sandbox.js';

// The page's API against the fakes alone (no services): what the bot sends comes back to the page, and what
// the page sends is checked before it reaches the fake Telegram.

let sandbox: Sandbox;
let cookie: string;
let sellerId: number;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, telegramPort: 0, kiePort: 0, openaiPort: 0 });
  const opened = await fetch(`${sandbox.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'en' }),
  });
  cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  sellerId = ((await opened.json()) as { sellerId: number }).sellerId;
});

afterAll(async () => {
  await sandbox?.close();
});

function post(path: string, body: string | Buffer, type = 'application/json', as = cookie) {
  return fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': type, cookie: as },
    body,
  });
}

/** The bot's side: a Bot API call to the fake, as the services make it. */
async function bot(method: string, body: FormData | Record<string, unknown>) {
  const init =
    body instanceof FormData
      ? { method: 'POST', body }
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(`${sandbox.telegram.url}/bot${sandbox.telegram.token}/${method}`, init);
  return ((await response.json()) as { result: { message_id: number } }).result;
}

describe('sandbox server', () => {
  it('serves the page with a strict content security policy, and the session cookie names a seller', async () => {
    const page = await fetch(`${sandbox.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('/assets/sandbox.js');
    expect(cookie).toBe(`nc_sandbox_seller=${sellerId}`);
    expect((await post('/api/text', JSON.stringify({ text: 'hi' }), 'application/json', '')).status).toBe(
      401,
    );
    expect((await fetch(`${sandbox.url}/etc/passwd`, { headers: { cookie } })).status).toBe(404);
  });

  it('streams the chat: the seller’s messages and the bot’s, new and edited', async () => {
    const stream = await fetch(`${sandbox.url}/api/stream`, { headers: { cookie } });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let received = '';
    const until = async (text: string) => {
      while (!received.includes(text)) received += new TextDecoder().decode((await reader.read()).value);
    };
    await until('event: chat');
    expect((await post('/api/text', JSON.stringify({ text: '/start' }))).status).toBe(200);
    const sent = await bot('sendMessage', {
      chat_id: sellerId,
      text: 'Welcome',
      reply_markup: { inline_keyboard: [[{ text: 'Create', callback_data: 'menu:create' }]] },
    });
    await bot('editMessageText', { chat_id: sellerId, message_id: sent.message_id, text: 'Welcome back' });
    await until('Welcome back');
    await reader.cancel();
    expect(received).toContain('"text":"/start"');
    expect(received).toContain('"buttons":[[{"text":"Create","data":"menu:create"}]]');
    expect(received).toMatch(/"edited":true[^}]*"text":"Welcome back"/);
  });

  it('presses only buttons the bot sent to this seller', async () => {
    const sent = await bot('sendMessage', {
      chat_id: sellerId,
      text: 'Pick',
      reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'style:d1:studio' }]] },
    });
    const pending = sandbox.telegram.pendingUpdateCount;
    const forged = await post(
      '/api/press',
      JSON.stringify({ messageId: sent.message_id, data: 'confirm:d1' }),
    );
    expect(forged.status).toBe(400);
    expect(sandbox.telegram.pendingUpdateCount).toBe(pending);
    expect((await post('/api/press', JSON.stringify({ messageId: 999_999, data: 'x' }))).status).toBe(404);
    const extra = JSON.stringify({ messageId: sent.message_id, data: 'style:d1:studio', admin: true });
    expect((await post('/api/press', extra)).status).toBe(400);
    // Nobody answers the callback query here; the press still reaches the bot.
    const pressed = await post(
      '/api/press',
      JSON.stringify({ messageId: sent.message_id, data: 'style:d1:studio' }),
    );
    expect(pressed.status).toBe(200);
    expect(sandbox.telegram.pendingUpdateCount).toBe(pending + 1);
  });

  it('takes a photo up to 10 MB that is an image by its bytes, and shows it back to its seller only', async () => {
    const jpeg = readFileSync(fixturePaths.productPhoto);
    const accepted = await post('/api/photo', jpeg, 'image/jpeg');
    expect(accepted.status).toBe(200);
    const view = (await accepted.json()) as { kind: string; mediaUrl: string };
    expect(view).toMatchObject({ kind: 'photo', mediaUrl: expect.stringMatching(/^\/photos\/.+\.jpg$/) });
    const shown = await fetch(`${sandbox.url}${view.mediaUrl}`, { headers: { cookie } });
    expect(Buffer.from(await shown.arrayBuffer()).equals(jpeg)).toBe(true);
    const other = await fetch(`${sandbox.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'ru' }),
    });
    const otherCookie = (other.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect((await fetch(`${sandbox.url}${view.mediaUrl}`, { headers: { cookie: otherCookie } })).status).toBe(
      404,
    );

    expect((await post('/api/photo', Buffer.from('GIF89a......'), 'image/gif')).status).toBe(415);
    expect((await post('/api/photo', jpeg, 'image/png')).status).toBe(415);
    expect((await post('/api/photo', jpeg, 'text/plain')).status).toBe(415);
    const huge = Buffer.concat([jpeg, Buffer.alloc(10 * 1024 * 1024)]);
    expect((await post('/api/photo', huge, 'image/jpeg')).status).toBe(413);
  });

  it('serves a video the bot uploaded, with byte ranges for the player', async () => {
    const bytes = readFileSync(fixturePaths.sampleVideo);
    const form = new FormData();
    form.set('chat_id', String(sellerId));
    form.set('caption', 'Done');
    form.set('video', new Blob([bytes], { type: 'video/mp4' }), 'video.mp4');
    const sent = await bot('sendVideo', form);
    const url = `${sandbox.url}/media/${sent.message_id}`;
    const whole = await fetch(url, { headers: { cookie } });
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await fetch(url, { headers: { cookie, range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    expect((await fetch(`${url}`, { headers: { cookie: '' } })).status).toBe(401);
  });

  it('knows JPEG, PNG and WebP by their first bytes', () => {
    expect(sniffImageType(readFileSync(fixturePaths.productPhoto))).toBe('image/jpeg');
    expect(sniffImageType(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))).toBe('image/png');
    expect(sniffImageType(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('image/webp');
    expect(sniffImageType(Buffer.from('GIF89a'))).toBeUndefined();
    expect(sniffImageType(Buffer.alloc(0))).toBeUndefined();
  });

  it('pays an invoice only when the bot approves the pre-checkout query, and only once', async () => {
    const invoice = await bot('sendInvoice', {
      chat_id: sellerId,
      title: '5 credits',
      description: '5 credits for videos',
      payload: `pkg:p5:5:250:u${sellerId}`,
      currency: 'XTR',
      prices: [{ label: '5 credits', amount: 250 }],
    });
    const pay = () => post('/api/pay', JSON.stringify({ messageId: invoice.message_id }));
    /** The bot's side of the checkout: the next pre_checkout_query, answered as told. */
    let offset = 0;
    const answerNextCheckout = async (answer: { ok: boolean; error_message?: string }) => {
      for (;;) {
        const updates = (await bot('getUpdates', { offset, timeout: 1 })) as unknown as Array<{
          update_id: number;
          pre_checkout_query?: { id: string };
        }>;
        offset = (updates.at(-1)?.update_id ?? offset - 1) + 1;
        const query = updates.find((update) => update.pre_checkout_query)?.pre_checkout_query;
        if (query) return bot('answerPreCheckoutQuery', { pre_checkout_query_id: query.id, ...answer });
      }
    };

    const [refused] = await Promise.all([
      pay(),
      answerNextCheckout({ ok: false, error_message: 'Sold out' }),
    ]);
    expect(await refused.json()).toEqual({ ok: false, reason: 'Sold out' });
    const [paid] = await Promise.all([pay(), answerNextCheckout({ ok: true })]);
    expect(await paid.json()).toMatchObject({ ok: true, payment: { kind: 'payment', text: '250 ⭐' } });
    expect((await pay()).status).toBe(409);
    const notInvoice = await bot('sendMessage', { chat_id: sellerId, text: 'not an invoice' });
    expect((await post('/api/pay', JSON.stringify({ messageId: notInvoice.message_id }))).status).toBe(400);
  });

  it('fails to start on a busy port and leaves no fake behind', async () => {
    const busyPort = Number(new URL(sandbox.url).port);
    const telegramPort = await freePort();
    await expect(
      startSandbox({ port: busyPort, telegramPort, kiePort: 0, openaiPort: 0 }),
    ).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    // The fake Telegram of the failed start let its port go again.
    const again = new FakeTelegram({ port: telegramPort });
    await again.start();
    await again.close();
  });

  it('refuses a request from another site', async () => {
    const response = await fetch(`${sandbox.url}/api/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: 'http://evil.example' },
      body: JSON.stringify({ text: 'hi' }),
    });
    expect(response.status).toBe(403);
  });
});
