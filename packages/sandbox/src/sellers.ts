import { randomInt } from 'node:crypto';
import type { TelegramTestUser, TgUpdate } from '@neurocards/fake-providers';
import type { MessageView } from './chatView.js';
import type { SandboxLanguage } from './requests.js';

/** One simulated seller: a Telegram user of the fake, and what they sent (the fake keeps only the bot's side). */
export interface Seller {
  user: TelegramTestUser;
  /** The seller's own bubbles, by message id. */
  sent: Map<number, MessageView>;
  /** Invoices (message ids) this seller has paid. */
  paid: Set<number>;
}

/**
 * The sellers of this sandbox, one per browser (its session cookie holds the id). Ids are random in a range
 * of their own, so a new browser never continues another seller's conversation stored in the database.
 */
export class Sellers {
  private readonly byId = new Map<number, Seller>();

  get(id: number): Seller | undefined {
    return this.byId.get(id);
  }

  /** The seller with this id (from a cookie), or a new one; the language is the page's. */
  open(id: number | undefined, language: SandboxLanguage): Seller {
    const known = id === undefined ? undefined : this.byId.get(id);
    if (known) {
      known.user.language_code = language;
      return known;
    }
    const sellerId = id ?? this.freshId();
    const seller: Seller = {
      user: {
        id: sellerId,
        first_name: language === 'ru' ? 'Продавец' : 'Seller',
        username: `sandbox_${sellerId}`,
        language_code: language,
      },
      sent: new Map(),
      paid: new Set(),
    };
    this.byId.set(sellerId, seller);
    return seller;
  }

  private freshId(): number {
    let id: number;
    do id = randomInt(1_000_000_000, 2_000_000_000);
    while (this.byId.has(id));
    return id;
  }
}

/** Records what the seller sent as a bubble of their own, from the update the fake pushed to the bot. */
export function recordSellerMessage(
  seller: Seller,
  update: TgUpdate,
  content: Pick<MessageView, 'kind' | 'text' | 'mediaUrl' | 'fileName'>,
): MessageView {
  const message = update.message;
  if (!message) throw new Error('the update carries no message');
  const view: MessageView = {
    id: message.message_id,
    from: 'seller',
    ...content,
    edited: false,
    deleted: false,
    date: message.date,
  };
  seller.sent.set(view.id, view);
  return view;
}
