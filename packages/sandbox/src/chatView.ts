import type { SentMessage } from '@neurocards/fake-providers';

/** An inline button as the page draws it: a callback button (data) or a link (url). */
export interface ButtonView {
  text: string;
  data?: string;
  url?: string;
}

/** One bubble of the chat as the page draws it, from the bot or from the seller. */
export interface MessageView {
  id: number;
  from: 'bot' | 'seller';
  kind: 'text' | 'photo' | 'video' | 'document' | 'invoice' | 'payment';
  text?: string;
  /** Where the page fetches the picture, video or file (same origin). */
  mediaUrl?: string;
  fileName?: string;
  buttons?: ButtonView[][];
  invoice?: { title: string; description: string; stars: number; paid: boolean };
  edited: boolean;
  deleted: boolean;
  date: number;
}

/** The page's view of a message the bot sent; `paid` says whether this invoice was already paid. */
export function botMessageView(message: SentMessage, paid = false): MessageView {
  const view: MessageView = {
    id: message.message_id,
    from: 'bot',
    kind: message.kind,
    edited: message.editCount > 0,
    deleted: message.deleted,
    date: message.date,
  };
  const text = message.text ?? message.caption;
  if (text !== undefined) view.text = text;
  const buttons = buttonsOf(message.reply_markup);
  if (buttons.length > 0) view.buttons = buttons;
  if (message.kind === 'video' || message.kind === 'document' || message.kind === 'photo') {
    const media = message.media;
    if (media?.kind === 'upload') {
      view.mediaUrl = `/media/${message.message_id}`;
      view.fileName = media.upload.fileName;
    } else if (media?.kind === 'url') {
      view.mediaUrl = media.url;
    }
  }
  if (message.kind === 'invoice' && message.invoice) {
    const { title, description, total_amount } = message.invoice;
    view.invoice = { title, description, stars: total_amount, paid };
  }
  return view;
}

/** Rows of an inline keyboard, keeping only the button kinds the page can press (callback and URL). */
export function buttonsOf(markup: unknown): ButtonView[][] {
  const rows = (markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (!Array.isArray(rows)) return [];
  return rows
    .map((row) =>
      (Array.isArray(row) ? row : []).flatMap((button: unknown): ButtonView[] => {
        const { text, callback_data, url } = (button ?? {}) as Record<string, unknown>;
        if (typeof text !== 'string') return [];
        if (typeof callback_data === 'string') return [{ text, data: callback_data }];
        if (typeof url === 'string') return [{ text, url }];
        return [];
      }),
    )
    .filter((row) => row.length > 0);
}

/** True when the bot's message carries an inline button with exactly this callback data. */
export function hasButton(message: SentMessage, data: string): boolean {
  return buttonsOf(message.reply_markup).some((row) => row.some((button) => button.data === data));
}
