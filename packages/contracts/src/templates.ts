import type { Language } from './common.js';

/** A video style the seller picks; the gateway shows its name and line, the generator uses its direction. */
export interface StyleTemplate {
  id: string;
  name: Record<Language, string>;
  description: Record<Language, string>;
  /** Camera and mood direction for the video model, in English (the models follow English best). */
  direction: string;
}

export const styleTemplates: readonly StyleTemplate[] = [
  {
    id: 'studio',
    name: { ru: 'Студия', en: 'Studio' },
    description: {
      ru: 'Чистый фон, мягкий свет, медленный облёт',
      en: 'Clean backdrop, soft light, slow orbit',
    },
    direction:
      'Product on a seamless studio backdrop, soft diffused key light, slow 180-degree camera orbit, crisp focus.',
  },
  {
    id: 'lifestyle',
    name: { ru: 'В жизни', en: 'Lifestyle' },
    description: {
      ru: 'Товар в уютном интерьере, тёплый свет',
      en: 'The product in a cosy interior, warm light',
    },
    direction:
      'Product placed in a warm, cosy home interior, natural window light, gentle handheld push-in, shallow depth of field.',
  },
  {
    id: 'dynamic',
    name: { ru: 'Динамика', en: 'Dynamic' },
    description: { ru: 'Быстрые планы и энергичное движение', en: 'Quick cuts and energetic motion' },
    direction:
      'Energetic commercial: fast dolly moves, dramatic rim light, quick reveal of the product, bold contrast.',
  },
  {
    id: 'premium',
    name: { ru: 'Премиум', en: 'Premium' },
    description: {
      ru: 'Тёмный фон, блики, ощущение роскоши',
      en: 'Dark backdrop, highlights, a luxury feel',
    },
    direction:
      'Luxury advertisement: dark glossy backdrop, slow motion, specular highlights gliding over the product, elegant pace.',
  },
  {
    id: 'unboxing',
    name: { ru: 'Распаковка', en: 'Unboxing' },
    description: { ru: 'Как будто товар только что достали', en: 'As if just taken out of the box' },
    direction:
      'Unboxing moment: top-down view, the product revealed as packaging opens, bright even light, satisfying reveal.',
  },
  {
    id: 'nature',
    name: { ru: 'Природа', en: 'Nature' },
    description: { ru: 'Товар на фоне природы, солнечный свет', en: 'Outdoors, sunlight and greenery' },
    direction:
      'Product outdoors on a natural surface, golden-hour sunlight, leaves moving softly in the breeze.',
  },
];

export function findStyleTemplate(id: string): StyleTemplate | undefined {
  return styleTemplates.find((template) => template.id === id);
}
