import { callbackData, languageSchema } from '@neurocards/contracts';
import { describe, expect, it } from 'vitest';
import { fluentCatalog } from '../../../../test/support/fluent-catalog.js';
import { localesDir, Messages } from './messages.js';

const messages = Messages.load();
const catalog = (language: string) => fluentCatalog(new URL(`${language}.ftl`, localesDir));

describe('message catalogs', () => {
  it('every message of the file is loaded (none lost to a syntax error)', () => {
    for (const language of languageSchema.options)
      expect(messages.ids(language).sort()).toEqual([...catalog(language).keys()].sort());
  });

  it('Russian and English have the same messages with the same variables', () => {
    expect(Object.fromEntries(catalog('en'))).toEqual(Object.fromEntries(catalog('ru')));
  });

  it('Russian plurals follow the number', () => {
    const balance = (count: number) =>
      messages.videoCaption('ru', 'job', 'Термос', count, false).text.split('\n')[1];
    expect([1, 2, 5, 21, 22, 11, 0].map(balance)).toEqual([
      'Баланс: 1 кредит',
      'Баланс: 2 кредита',
      'Баланс: 5 кредитов',
      'Баланс: 21 кредит',
      'Баланс: 22 кредита',
      'Баланс: 11 кредитов',
      'Баланс: 0 кредитов',
    ]);
    expect(messages.videoCaption('en', 'job', 'Thermos', 1, false).text).toContain('Balance: 1 credit');
    expect(messages.videoCaption('en', 'job', 'Thermos', 3, false).text).toContain('Balance: 3 credits');
  });

  it('a missing variable is an error, not a half-sent sentence', () => {
    expect(() => messages.format('ru', 'video-caption', { product: 'Термос' })).toThrow(/count/);
    expect(() => messages.format('en', 'no-such-message')).toThrow(/no message no-such-message/);
  });

  it('texts carry no Unicode isolation marks around values', () => {
    expect(messages.videoCaption('en', 'j', 'Mug', 2, false).text).not.toMatch(/[\u2068\u2069]/);
  });
});

describe('video caption', () => {
  it('names the product, shortened to one line, and offers another one and the menu', () => {
    const caption = messages.videoCaption('en', 'job-1', `Thermos\n${'steel '.repeat(40)}`, 5, false);
    expect(caption.text.split('\n')[0]).toMatch(/^✅ Done: “Thermos steel .*…”$/);
    expect(caption.text.split('\n')[0]?.length).toBeLessThan(100);
    expect(caption.keyboard.inline_keyboard.flat().map((b) => b.callback_data)).toEqual([
      callbackData.anotherWithProduct('job-1'),
      callbackData.menu,
    ]);
  });

  it('adds a low-balance hint and a Buy button when the balance runs low', () => {
    const caption = messages.videoCaption('ru', 'job-1', 'Термос', 1, true);
    expect(caption.text).toContain('Кредиты заканчиваются');
    expect(caption.keyboard.inline_keyboard.flat().map((b) => b.callback_data)).toContain(
      callbackData.buyCredits,
    );
  });
});

describe('refund messages', () => {
  it('tell what to change in the photo for each known user-violation code, with the requirements', () => {
    const codes = [
      'photo_people',
      'photo_too_small',
      'photo_too_dark',
      'no_product',
      'third_party_content',
      // The generator's own photo checks: the file is not an image, too large, or gone from Telegram.
      'photo_not_an_image',
      'photo_too_large',
      'photo_not_found',
    ];
    const texts = codes.map((code) => messages.refundUserViolation('ru', 'job', code).text);
    expect(new Set(texts).size).toBe(codes.length);
    for (const text of texts) expect(text).toContain('Что нужно от фото');
    expect(messages.refundUserViolation('en', 'job', 'photo_people').text).toContain('people');
    expect(messages.refundUserViolation('en', 'job', 'some_new_code').text).toContain('turned it down');
  });

  it('offer to try again with the same product, or to send a made video again', () => {
    const data = (text: { keyboard?: { inline_keyboard: Array<Array<{ callback_data: string }>> } }) =>
      text.keyboard?.inline_keyboard.flat().map((b) => b.callback_data);
    expect(data(messages.refund('en', 'job-2', 'refund-temporary'))).toEqual([
      callbackData.anotherWithProduct('job-2'),
      callbackData.menu,
    ]);
    expect(data(messages.refundDeliveryFailed('en', 'job-2'))).toEqual([
      callbackData.retryDelivery('job-2'),
      callbackData.menu,
    ]);
  });
});
