import { join } from 'node:path';
import { languageSchema } from '@neurocards/contracts';
import { describe, expect, it } from 'vitest';
import { fluentCatalog } from '../../../../test/support/fluent-catalog.js';
import { createI18n, localesDir, referrerOf } from './create-bot.js';

const catalog = (language: string) => fluentCatalog(join(localesDir, `${language}.ftl`));

describe('the gateway’s catalogs', () => {
  it('Russian and English have the same messages with the same variables', () => {
    expect(Object.fromEntries(catalog('en'))).toEqual(Object.fromEntries(catalog('ru')));
  });

  it('every message of the files is loaded, and texts carry no isolation marks', () => {
    const i18n = createI18n();
    for (const language of languageSchema.options)
      for (const [id, variables] of catalog(language)) {
        // Messages that embed credits-count or videos-count take its $count as well.
        const text = i18n.t(language, id, {
          count: 1,
          ...Object.fromEntries(variables.map((name) => [name, 1])),
        });
        expect(text, `${language}/${id}`).not.toBe(id);
      }
    expect(i18n.t('en', 'credits-count', { count: 1 })).toBe('1 credit');
    expect(i18n.t('ru', 'credits-count', { count: 3 })).toBe('3 кредита');
    expect(i18n.t('ru', 'balance', { count: 5, reserved: 0 })).not.toMatch(/[\u2068\u2069]/);
  });
});

describe('referral payloads', () => {
  it('read /start ref_<id> and /start <id>, and nothing else', () => {
    expect(referrerOf('/start ref_12345')).toBe(12345);
    expect(referrerOf('/start 777')).toBe(777);
    expect(referrerOf('/start')).toBeNull();
    expect(referrerOf('/start ref_abc')).toBeNull();
    expect(referrerOf('/start 0')).toBeNull();
    expect(referrerOf('hello')).toBeNull();
  });
});
