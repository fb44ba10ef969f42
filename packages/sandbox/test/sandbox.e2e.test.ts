import { readFileSync } from 'node:fs';
import { fixturePaths } from '@neurocards/fake-providers';
import { EventStore } from '@neurocards/runtime/event-store';
import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
  waitFor,
} from '@neurocards/runtime/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotStats } from '../../../test/support/browser.js';
import {
  type RunningProcess,
  serviceNames,
  startService,
  stopProcess,
} from '../../../test/support/system.js';
import { type Sandbox, startSandbox } from '../src/index.js';

// The sandbox as a newcomer uses it: the five services as processes over real PostgreSQL and JetStream, the
// sandbox page in front of the fake Telegram, KIE.AI and OpenAI, and a seller clicking through the page in
// headless Chromium, from /start to a video that plays, a Stars payment, and a refused video refunded.

let db: TestDatabase;
let bus: TestBus;
let sandbox: Sandbox;
let store: EventStore;
let browser: Browser;
let page: Page;
let sellerId: number;
const services: RunningProcess[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('e2e_sandbox');
  bus = await createTestBus('sbx');
  sandbox = await startSandbox({
    port: 0,
    telegramPort: 0,
    kiePort: 0,
    openaiPort: 0,
    videoMs: 1500,
    databaseUrl: db.url,
  });
  store = new EventStore(db.pool);
  const env = {
    DATABASE_URL: db.url,
    NATS_URL: testNatsUrl,
    BUS_PREFIX: bus.prefix,
    ...sandbox.serviceEnv,
    KIE_POLL_INTERVAL: '200ms',
    CONSUMER_RETRY_DELAYS_MS: '200,400,800',
  };
  for (const name of serviceNames) services.push(await startService(name, env, `sandbox-${name}`));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 720, height: 1000 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  const codes = await Promise.all(services.map((service) => stopProcess(service)));
  await sandbox?.close();
  await bus?.destroy();
  await db?.drop();
  expect(codes).toEqual(services.map(() => 0));
});

/** The page's element fields the test reads (the project compiles without the DOM types). */
interface Bubble {
  dataset: { id?: string; from?: string };
  textContent: string | null;
}

// A failed step leaves the page as the seller saw it in test-results/, to look at.
afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page)
    await screenshotStats(await page.screenshot(), 'sandbox-failure');
});

/** Presses the first button matching `selector` under the newest bot bubble after #`after` that has one. */
async function press(selector: string, after = 0): Promise<void> {
  const id = await waitFor(
    `a bot message after #${after} with ${selector}`,
    async () => {
      const ids = await page.$$eval(
        '.row[data-from="bot"]',
        (rows, wanted) =>
          rows
            .filter((row) => row.querySelector(wanted) !== null)
            .map((row) => Number((row as unknown as Bubble).dataset.id)),
        selector,
      );
      return ids.filter((candidate) => candidate > after).at(-1);
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  await page.click(`.row[data-id="${id}"] ${selector}`);
}

/** A button by the start of its callback data. */
const data = (prefix: string) => `button[data-data^="${prefix}"]`;

/** Waits for a bot bubble whose text matches, among the bubbles after message `after`; returns its text. */
async function botSays(pattern: RegExp, after: number): Promise<string> {
  return waitFor(
    `a bot message matching ${pattern} after #${after}`,
    async () => {
      const rows = await page.$$eval('.row[data-from="bot"]', (nodes) =>
        nodes.map((node) => {
          const bubble = node as unknown as Bubble;
          return { id: Number(bubble.dataset.id), text: bubble.textContent ?? '' };
        }),
      );
      return rows.find((row) => row.id > after && pattern.test(row.text))?.text;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

/** The id of the newest bubble on the page. */
function lastId(): Promise<number> {
  return page.$$eval('[data-id]', (rows) =>
    Math.max(0, ...rows.map((row) => Number((row as unknown as Bubble).dataset.id))),
  );
}

async function balanceShown(balance: number): Promise<void> {
  await page.waitForSelector(`#balance[data-balance="${balance}"][data-reserved="0"]`, { timeout: 30_000 });
}

async function creditEvents(): Promise<string[]> {
  return (await store.readStream(`credits-${sellerId}`)).map((event) => event.type);
}

async function lastJobEvents(): Promise<string[]> {
  const { rows } = await db.pool.query<{ stream_id: string }>(
    `SELECT stream_id FROM es.events WHERE type = 'GenerationRequested' ORDER BY global_position DESC LIMIT 1`,
  );
  return (await store.readStream(String(rows[0]?.stream_id))).map((event) => event.type);
}

/** Style, no wishes, one video, Start: the steps after the description, each on the bot's newest prompt. */
async function orderOneVideo(after: number): Promise<void> {
  let mark = after;
  for (const selector of [
    data('style:'),
    data('skip:'),
    `${data('count:')}[data-data$=":1"]`,
    data('confirm:'),
  ]) {
    const next = await lastId();
    await press(selector, mark);
    mark = next;
  }
  await botSays(/Started 1 video/, mark);
}

describe('sandbox page', () => {
  it('takes a seller from /start to a video that plays, and the credit is captured', async () => {
    await page.goto(`${sandbox.url}/?lang=en`);
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.textContent('#sandbox-note')).toContain('about 2 s');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'nc_sandbox_seller');
    sellerId = Number(cookie?.value);
    expect(sellerId).toBeGreaterThan(0);

    await page.click('#start');
    await botSays(/free/i, 0);
    await balanceShown(2);
    await press(data('menu:create'));

    // The seller's own file, picked with the file chooser, is the product photo.
    let before = await lastId();
    await page.setInputFiles('#file', fixturePaths.productPhoto);
    await page.waitForSelector('.row[data-from="seller"][data-kind="photo"] img');
    await botSays(/Describe the product/, before);
    before = await lastId();
    await page.fill('#text', 'Ceramic mug, 350 ml, matte white');
    await page.press('#text', 'Enter');
    await orderOneVideo(before);

    const video = page.locator('.row[data-kind="video"] video').last();
    await video.waitFor({ timeout: 30_000 });
    const playable = await waitFor(
      'the video to load',
      async () => {
        const state = await video.evaluate((node) => {
          const element = node as unknown as { readyState: number; duration: number };
          return { readyState: element.readyState, duration: element.duration };
        });
        return state.readyState >= 1 && state.duration > 0 ? state : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(playable.duration).toBeGreaterThan(0);
    // The player plays the very bytes delivery uploaded: the KIE sample video, through Telegram.
    const played = await video.evaluate(async (node) => {
      const source = (node as unknown as { currentSrc: string }).currentSrc;
      const bytes = new Uint8Array(await (await fetch(source)).arrayBuffer());
      return Array.from(bytes.subarray(0, 64)).concat(bytes.length);
    });
    const sample = readFileSync(fixturePaths.sampleVideo);
    expect(played).toEqual([...sample.subarray(0, 64), sample.length]);
    const caption = await page.locator('.row[data-kind="video"]').last().textContent();
    expect(caption).toContain('Ceramic mug');
    await balanceShown(1);
    await waitFor('the capture', async () => (await creditEvents()).includes('CreditCaptured'));
    expect(await lastJobEvents()).toEqual([
      'GenerationRequested',
      'PromptPrepared',
      'GenerationSubmitted',
      'VideoReady',
      'VideoDelivered',
    ]);
    // The language model (the fake OpenAI) wrote the prompt.
    expect(sandbox.openai.requests.length).toBeGreaterThan(0);

    const videoShot = await screenshotStats(await video.screenshot(), 'sandbox-video');
    expect(videoShot.colours).toBeGreaterThan(20);
    const shot = await screenshotStats(await page.screenshot(), 'sandbox-delivered');
    expect(shot.colours).toBeGreaterThan(100);
    expect(shot.inkShare).toBeGreaterThan(0.5);
  });

  it('sells credits for test Stars through the invoice Pay button', async () => {
    const before = await lastId();
    await page.fill('#text', '/buy');
    await page.press('#text', 'Enter');
    await press(data('pkg:'), before);
    const pay = page.locator('.row[data-kind="invoice"] .pay').last();
    await pay.waitFor();
    await pay.click();
    await botSays(/Payment received/, before);
    await page.waitForSelector('[data-kind="payment"]');
    expect(await pay.textContent()).toBe('Paid');
    expect(await pay.isDisabled()).toBe(true);
    await waitFor('the purchase', async () => (await creditEvents()).includes('CreditsPurchased'));
    const bought = (await store.readStream(`credits-${sellerId}`)).find((e) => e.type === 'CreditsPurchased');
    const credits = bought?.type === 'CreditsPurchased' ? bought.data.credits : 0;
    expect(credits).toBeGreaterThan(0);
    await balanceShown(1 + credits);
  });

  it('tells the seller when the content filter refuses the photo, and gives the credit back', async () => {
    const { balance } = await currentBalance();
    await page.click('#attach');
    await page.click('#simulate');
    await page.waitForSelector('#toast:not([hidden])');

    // Another one with this product: same photo and description, straight to the style.
    const before = await lastId();
    await press(data('again:'));
    await orderOneVideo(before);
    const notice = await botSays(/credit is back/, before);
    expect(notice).toMatch(/photo/i);
    await waitFor('the refund', async () => (await creditEvents()).includes('CreditRefunded'));
    expect(await lastJobEvents()).toEqual([
      'GenerationRequested',
      'PromptPrepared',
      'GenerationSubmitted',
      'GenerationAttemptFailed',
      'GenerationFailed',
    ]);
    const credits = await creditEvents();
    expect(credits.at(-1)).toBe('CreditRefunded');
    await balanceShown(balance);
    const shot = await screenshotStats(await page.screenshot(), 'sandbox-refunded');
    expect(shot.colours).toBeGreaterThan(100);
    expect(pageErrors).toEqual([]);
  });
});

async function currentBalance(): Promise<{ balance: number }> {
  const balance = await page.$eval('#balance', (node) =>
    Number((node as unknown as { dataset: { balance: string } }).dataset.balance),
  );
  return { balance };
}
