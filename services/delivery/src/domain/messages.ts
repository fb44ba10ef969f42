import { readFileSync } from 'node:fs';
import { FluentBundle, FluentResource, type FluentVariable } from '@fluent/bundle';
import { callbackData, type Language, languageSchema } from '@neurocards/contracts';

/** The Fluent catalogs, one file per language: `services/delivery/locales/<language>.ftl`. */
export const localesDir = new URL('../../locales/', import.meta.url);

export type MessageArgs = Record<string, FluentVariable>;

export interface InlineKeyboard {
  inline_keyboard: Array<Array<{ text: string; callback_data: string }>>;
}

/** What delivery sends: a text and, for most messages, buttons under it. */
export interface OutgoingText {
  text: string;
  keyboard?: InlineKeyboard;
}

/** Product names are free text of up to 1000 characters; captions keep them short. */
const PRODUCT_IN_CAPTION_MAX = 80;

/**
 * Everything a seller reads from delivery, in Russian (the default) or English, from the Fluent catalogs.
 * A missing message or variable is a bug, so formatting throws instead of sending half a sentence.
 */
export class Messages {
  private constructor(private readonly bundles: ReadonlyMap<Language, FluentBundle>) {}

  /** Reads and checks every catalog; throws on a syntax error so that a broken file stops the start. */
  static load(dir: URL = localesDir): Messages {
    const bundles = new Map<Language, FluentBundle>();
    for (const language of languageSchema.options) {
      const source = readFileSync(new URL(`${language}.ftl`, dir), 'utf8');
      const bundle = new FluentBundle(language, { useIsolating: false });
      const junk = source.split('\n').filter((line) => /^[^\s#a-z-]/.test(line));
      const errors = bundle.addResource(new FluentResource(source));
      if (errors.length > 0 || junk.length > 0)
        throw new Error(`locales/${language}.ftl: ${[...errors.map(String), ...junk].join('; ')}`);
      bundles.set(language, bundle);
    }
    return new Messages(bundles);
  }

  /** The ids of every message in one language's catalog. */
  ids(language: Language): string[] {
    return [...this.bundle(language)._messages.keys()];
  }

  format(language: Language, id: string, args: MessageArgs = {}): string {
    const bundle = this.bundle(language);
    const message = bundle.getMessage(id);
    if (!message?.value) throw new Error(`locales/${language}.ftl has no message ${id}`);
    const errors: Error[] = [];
    const text = bundle.formatPattern(message.value, args, errors);
    if (errors.length > 0) throw new Error(`${language}/${id}: ${errors.map((e) => e.message).join('; ')}`);
    return text;
  }

  has(language: Language, id: string): boolean {
    return this.bundle(language).hasMessage(id);
  }

  // --- The finished video ------------------------------------------------------------------------------

  /** Caption of a delivered video, with the balance after it and, when it runs low, a hint and a Buy button. */
  videoCaption(language: Language, jobId: string, product: string, balance: number, lowBalance: boolean) {
    const lines = [this.format(language, 'video-caption', { product: shorten(product), count: balance })];
    if (lowBalance) lines.push(this.format(language, 'video-low-balance'));
    return { text: lines.join('\n\n'), keyboard: this.videoKeyboard(language, jobId, lowBalance) };
  }

  /** The last fallback: a link to the video when Telegram takes neither the video nor the document. */
  videoLink(language: Language, jobId: string, product: string, url: string, balance: number) {
    const text = this.format(language, 'video-link', { product: shorten(product), url, count: balance });
    return { text, keyboard: this.videoKeyboard(language, jobId, false) };
  }

  private videoKeyboard(language: Language, jobId: string, offerToBuy: boolean): InlineKeyboard {
    const rows = [[this.button(language, 'button-another', callbackData.anotherWithProduct(jobId))]];
    if (offerToBuy) rows.push([this.button(language, 'button-buy', callbackData.buyCredits)]);
    rows.push([this.button(language, 'button-menu', callbackData.menu)]);
    return { inline_keyboard: rows };
  }

  // --- News about jobs ---------------------------------------------------------------------------------

  notEnoughCredits(language: Language, needed: number, available: number): OutgoingText {
    return {
      text: this.format(language, 'not-enough-credits', { count: needed, available }),
      keyboard: this.keyboard(language, [
        ['button-buy', callbackData.buyCredits],
        ['button-menu', callbackData.menu],
      ]),
    };
  }

  stillWorking(language: Language): OutgoingText {
    return { text: this.format(language, 'still-working') };
  }

  /** The generation failed for a reason in the photo: what to change, the photo requirements, Retry and Menu. */
  refundUserViolation(language: Language, jobId: string, code: string): OutgoingText {
    const hintId = this.has(language, `hint-${code}`) ? `hint-${code}` : 'hint-other';
    const hint = this.format(language, hintId);
    return {
      text: this.format(language, 'refund-user-violation', { hint }),
      keyboard: this.tryAgainOrMenu(language, jobId),
    };
  }

  /** Any other ending without a video: `refund-temporary`, `refund-timeout` or `refund-cancelled`. */
  refund(
    language: Language,
    jobId: string,
    id: 'refund-temporary' | 'refund-timeout' | 'refund-cancelled',
  ): OutgoingText {
    return { text: this.format(language, id), keyboard: this.tryAgainOrMenu(language, jobId) };
  }

  /** The video was made but not sent: the credit is back, and the seller may ask to send it again. */
  refundDeliveryFailed(language: Language, jobId: string): OutgoingText {
    return {
      text: this.format(language, 'refund-delivery-failed'),
      keyboard: this.resendOrMenu(language, jobId),
    };
  }

  resendFailed(language: Language, jobId: string): OutgoingText {
    return {
      text: this.format(language, 'resend-failed'),
      keyboard: this.resendOrMenu(language, jobId),
    };
  }

  resendUnavailable(language: Language, jobId: string): OutgoingText {
    return {
      text: this.format(language, 'resend-unavailable'),
      keyboard: this.tryAgainOrMenu(language, jobId),
    };
  }

  private resendOrMenu(language: Language, jobId: string): InlineKeyboard {
    return this.keyboard(language, [
      ['button-resend', callbackData.retryDelivery(jobId)],
      ['button-menu', callbackData.menu],
    ]);
  }

  private tryAgainOrMenu(language: Language, jobId: string): InlineKeyboard {
    return this.keyboard(language, [
      ['button-try-again', callbackData.anotherWithProduct(jobId)],
      ['button-menu', callbackData.menu],
    ]);
  }

  private keyboard(language: Language, buttons: Array<[id: string, data: string]>): InlineKeyboard {
    return { inline_keyboard: buttons.map(([id, data]) => [this.button(language, id, data)]) };
  }

  private button(language: Language, id: string, data: string) {
    return { text: this.format(language, id), callback_data: data };
  }

  private bundle(language: Language): FluentBundle {
    const bundle = this.bundles.get(language);
    if (!bundle) throw new Error(`no catalog for language ${language}`);
    return bundle;
  }
}

function shorten(product: string): string {
  const oneLine = product.replace(/\s+/g, ' ').trim();
  return oneLine.length > PRODUCT_IN_CAPTION_MAX
    ? `${oneLine.slice(0, PRODUCT_IN_CAPTION_MAX - 1)}…`
    : oneLine;
}
