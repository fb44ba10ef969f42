import { callbackData, type Language } from '@neurocards/contracts';

// What the seller reads. Russian by default, English for English-speaking users (full Fluent catalog comes
// with the delivery issue).
const texts = {
  videoCaption: {
    ru: (product: string) => `Готово! Видео для «${product}».`,
    en: (product: string) => `Done! Your video for “${product}”.`,
  },
  notEnoughCredits: {
    ru: (needed: number, available: number) =>
      `Не хватает кредитов: нужно ${needed}, на балансе ${available}. Пополните баланс, чтобы продолжить.`,
    en: (needed: number, available: number) =>
      `Not enough credits: ${needed} needed, ${available} available. Top up to continue.`,
  },
  generationFailed: {
    ru: () => 'Не получилось сделать видео. Кредит вернулся на баланс — попробуйте ещё раз.',
    en: () => 'We could not make the video. Your credit is back — please try again.',
  },
  buyButton: { ru: 'Купить кредиты', en: 'Buy credits' },
  menuButton: { ru: 'Меню', en: 'Menu' },
  deliveryFailed: {
    ru: () => 'Видео готово, но отправить его не удалось. Кредит вернулся на баланс.',
    en: () => 'The video was made but could not be sent. Your credit is back.',
  },
} as const;

export function videoCaption(language: Language, product: string): string {
  const short = product.length > 80 ? `${product.slice(0, 79)}…` : product;
  return texts.videoCaption[language](short);
}

export const notEnoughCredits = (language: Language, needed: number, available: number) =>
  texts.notEnoughCredits[language](needed, available);
export const generationFailedText = (language: Language) => texts.generationFailed[language]();
export const deliveryFailedText = (language: Language) => texts.deliveryFailed[language]();

type InlineKeyboard = { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };

/** Buy and Menu: under the "not enough credits" message. */
export function buyOrMenuKeyboard(language: Language): InlineKeyboard {
  return {
    inline_keyboard: [
      [{ text: texts.buyButton[language], callback_data: callbackData.buyCredits }],
      [{ text: texts.menuButton[language], callback_data: callbackData.menu }],
    ],
  };
}
