import {
  type CreditPackage,
  type Language,
  PRODUCT_DESCRIPTION_MAX,
  styleTemplates,
} from '@neurocards/contracts';
import { InlineKeyboard } from 'grammy';
import type { LedgerEntry, RecentJob } from '../adapters/read-models.js';
import { callbacks } from '../domain/callbacks.js';
import { type Draft, ORDER_SIZES } from '../domain/conversation.js';
import type { Screen } from './context.js';

/** A translator bound to the seller's language (ctx.t of the i18n plugin). */
export type Translate = (key: string, variables?: Record<string, string | number>) => string;

// Every screen of the conversation: text from the Fluent catalogs, buttons with the callback data of
// domain/callbacks.ts. Pure apart from the translator.

export function mainMenu(t: Translate, intro?: string): Screen {
  const keyboard = new InlineKeyboard()
    .text(t('menu-create'), callbacks.menu('create'))
    .row()
    .text(t('menu-balance'), callbacks.menu('balance'))
    .text(t('menu-videos'), callbacks.menu('videos'))
    .row()
    .text(t('menu-buy'), 'buy')
    .row()
    .text(t('menu-help'), callbacks.menu('help'))
    .text(t('menu-language'), callbacks.menu('language'));
  return { text: intro ? `${intro}\n\n${t('menu-title')}` : t('menu-title'), keyboard };
}

const backToMenu = (t: Translate) => new InlineKeyboard().text(t('button-menu'), callbacks.menu());

export function askPhoto(t: Translate, draft: Draft): Screen {
  return { text: t('ask-photo'), keyboard: cancelOnly(t, draft) };
}

export function askDescription(t: Translate, draft: Draft): Screen {
  return { text: t('ask-description', { max: PRODUCT_DESCRIPTION_MAX }), keyboard: cancelOnly(t, draft) };
}

export function chooseStyle(t: Translate, draft: Draft, language: Language): Screen {
  const keyboard = new InlineKeyboard();
  const lines = [t('choose-style'), ''];
  for (const template of styleTemplates) {
    lines.push(`• ${template.name[language]}: ${template.description[language]}`);
    keyboard.text(template.name[language], callbacks.style(draft.id, template.id)).row();
  }
  keyboard.text(t('button-cancel'), callbacks.cancel(draft.id));
  return { text: lines.join('\n'), keyboard };
}

export function askWishes(t: Translate, draft: Draft): Screen {
  const keyboard = new InlineKeyboard()
    .text(t('button-skip'), callbacks.skip(draft.id))
    .row()
    .text(t('button-cancel'), callbacks.cancel(draft.id));
  return { text: t('ask-wishes'), keyboard };
}

export function chooseCount(t: Translate, draft: Draft, costPerVideo: number): Screen {
  const keyboard = new InlineKeyboard();
  for (const count of ORDER_SIZES) keyboard.text(String(count), callbacks.count(draft.id, count));
  keyboard.row().text(t('button-cancel'), callbacks.cancel(draft.id));
  return { text: t('choose-count', { count: costPerVideo }), keyboard };
}

export interface ConfirmationFacts {
  styleName: string;
  cost: number;
  balance: number;
}

export function confirmOrder(t: Translate, draft: Required<Draft>, facts: ConfirmationFacts): Screen {
  const credits = (count: number) => t('credits-count', { count });
  const enough = facts.balance >= facts.cost;
  const lines = [
    t('confirm-order', {
      product: draft.product,
      style: facts.styleName,
      wishes: draft.wishes ?? t('confirm-no-wishes'),
      count: draft.count,
      cost: credits(facts.cost),
      after: credits(Math.max(0, facts.balance - facts.cost)),
    }),
  ];
  const keyboard = new InlineKeyboard();
  if (enough) keyboard.text(t('button-confirm'), callbacks.confirm(draft.id)).row();
  else {
    lines.push('', t('confirm-not-enough', { cost: credits(facts.cost), balance: credits(facts.balance) }));
    keyboard.text(t('menu-buy'), 'buy').row();
    for (const count of ORDER_SIZES) keyboard.text(String(count), callbacks.count(draft.id, count));
    keyboard.row();
  }
  keyboard.text(t('button-cancel'), callbacks.cancel(draft.id));
  return { text: lines.join('\n'), keyboard };
}

export function balanceScreen(
  t: Translate,
  balance: { balance: number; reserved: number },
  history: readonly LedgerEntry[],
): Screen {
  const lines = [t('balance', { count: balance.balance, reserved: balance.reserved }), ''];
  if (history.length === 0) lines.push(t('history-empty'));
  else {
    lines.push(t('history-title'));
    for (const entry of history)
      lines.push(
        t('history-entry', {
          date: shortDate(entry.occurredAt),
          sign: entry.amount > 0 ? '+' : '−',
          amount: Math.abs(entry.amount),
          kind: t(`kind-${entry.kind}`),
        }),
      );
  }
  return {
    text: lines.join('\n'),
    keyboard: new InlineKeyboard().text(t('menu-buy'), 'buy').row().text(t('button-menu'), callbacks.menu()),
  };
}

export function videosScreen(t: Translate, jobs: readonly RecentJob[]): Screen {
  const lines = jobs.length === 0 ? [t('videos-empty')] : [t('videos-title'), ''];
  for (const job of jobs)
    lines.push(
      t('video-entry', {
        date: shortDate(job.requestedAt),
        product: job.product.length > 40 ? `${job.product.slice(0, 39)}…` : job.product,
        status: t(`status-${job.status}`),
      }),
    );
  const keyboard = new InlineKeyboard()
    .text(t('menu-create'), callbacks.menu('create'))
    .row()
    .text(t('button-menu'), callbacks.menu());
  return { text: lines.join('\n'), keyboard };
}

export function buyScreen(t: Translate, packages: readonly CreditPackage[]): Screen {
  const keyboard = new InlineKeyboard();
  for (const pack of packages)
    keyboard
      .text(t('buy-package', { count: pack.credits, stars: pack.stars }), callbacks.package(pack.id))
      .row();
  keyboard.text(t('button-menu'), callbacks.menu());
  return { text: t('buy-title'), keyboard };
}

export function languageScreen(t: Translate): Screen {
  const keyboard = new InlineKeyboard()
    .text('🇷🇺 Русский', callbacks.language('ru'))
    .text('🇬🇧 English', callbacks.language('en'));
  return { text: t('choose-language'), keyboard };
}

export function helpScreen(t: Translate, costPerVideo: number): Screen {
  return { text: t('help', { count: costPerVideo }), keyboard: backToMenu(t) };
}

function cancelOnly(t: Translate, draft: Draft): InlineKeyboard {
  return new InlineKeyboard().text(t('button-cancel'), callbacks.cancel(draft.id));
}

/** `21.11 14:05` in UTC: short enough for a list line. */
function shortDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}.${pad(date.getUTCMonth() + 1)} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}
