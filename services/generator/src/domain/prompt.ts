import { findStyleTemplate } from '@neurocards/contracts';

const PROMPT_MAX = 1500;

/**
 * The template-only prompt: our direction, with the seller's words quoted as data. Used when the language
 * model is not configured or fails, so a job never waits on it.
 */
export function templatePrompt(input: {
  product: string;
  templateId: string;
  wishes: string | null;
}): string {
  const template = findStyleTemplate(input.templateId) ?? findStyleTemplate('studio');
  const quote = (text: string) => JSON.stringify(text.replace(/\s+/g, ' ').trim());
  const parts = [
    'Vertical 9:16 commercial product video for a marketplace listing.',
    template?.direction ?? '',
    `The product, as the seller describes it: ${quote(input.product)}.`,
    input.wishes ? `Seller's wishes: ${quote(input.wishes)}.` : '',
    'Keep the product exactly as in the photo: same shape, colours, labels. No people, no text overlays.',
  ];
  return parts.filter(Boolean).join(' ').slice(0, PROMPT_MAX);
}
