import type { Language } from '@neurocards/contracts';

/** Russian by default; English for users whose Telegram speaks English. */
export function languageOf(languageCode: string | undefined): Language {
  return languageCode?.toLowerCase().startsWith('en') ? 'en' : 'ru';
}
