import type { ServerResponse } from 'node:http';
import type { FakeTelegram, SentMessage } from '@neurocards/fake-providers';
import { botMessageView, type MessageView } from './chatView.js';
import { securityHeaders } from './http.js';
import type { Seller, Sellers } from './sellers.js';

/** A seller's credits as the read model shows them. */
export interface Balance {
  balance: number;
  reserved: number;
}

/** Reads a seller's balance; undefined while the seller is not yet known to the read model. */
export type BalanceReader = (sellerId: number) => Promise<Balance | undefined>;

interface Listener {
  res: ServerResponse;
  lastBalance: string;
}

/**
 * Server-sent events to each open page: the whole chat on connect (`chat`), then every new, edited or
 * deleted message (`message`) and every change of the balance (`balance`).
 */
export class ChatStream {
  private readonly listeners = new Map<number, Set<Listener>>();
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly telegram: FakeTelegram,
    private readonly sellers: Sellers,
    private readonly balanceOf: BalanceReader | undefined,
    balanceIntervalMs = 1000,
  ) {
    this.unsubscribe = telegram.onMessage((message) => this.onBotMessage(message));
    this.timer = setInterval(() => void this.pollBalances(), balanceIntervalMs);
    this.timer.unref();
  }

  /** Opens the event stream of one page and sends it the chat so far. */
  open(seller: Seller, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      ...securityHeaders,
    });
    const listener: Listener = { res, lastBalance: '' };
    let set = this.listeners.get(seller.user.id);
    if (!set) {
      set = new Set();
      this.listeners.set(seller.user.id, set);
    }
    set.add(listener);
    res.once('close', () => set.delete(listener));
    write(res, 'chat', this.transcript(seller));
    void this.sendBalance(seller.user.id, listener);
  }

  /** Sends a bubble of the seller's own to every page of that seller. */
  sellerMessage(seller: Seller, view: MessageView): void {
    for (const listener of this.listeners.get(seller.user.id) ?? []) write(listener.res, 'message', view);
  }

  /** Every bubble of the chat, oldest first. */
  transcript(seller: Seller): MessageView[] {
    const bot = this.telegram
      .messagesTo(seller.user.id)
      .map((message) => botMessageView(message, seller.paid.has(message.message_id)));
    return [...bot, ...seller.sent.values()].sort((a, b) => a.id - b.id);
  }

  /** Ends every stream (on close). */
  close(): void {
    this.unsubscribe();
    clearInterval(this.timer);
    for (const set of this.listeners.values()) for (const listener of set) listener.res.end();
    this.listeners.clear();
  }

  private onBotMessage(message: SentMessage): void {
    const seller = this.sellers.get(message.chat_id);
    const set = this.listeners.get(message.chat_id);
    if (!seller || !set) return;
    const view = botMessageView(message, seller.paid.has(message.message_id));
    for (const listener of set) write(listener.res, 'message', view);
  }

  private async pollBalances(): Promise<void> {
    if (this.polling || !this.balanceOf) return;
    this.polling = true;
    try {
      for (const [sellerId, set] of this.listeners) {
        for (const listener of set) await this.sendBalance(sellerId, listener);
      }
    } finally {
      this.polling = false;
    }
  }

  private async sendBalance(sellerId: number, listener: Listener): Promise<void> {
    if (!this.balanceOf) return;
    const balance = await this.balanceOf(sellerId).catch(() => undefined);
    const text = JSON.stringify(balance ?? null);
    if (text === listener.lastBalance) return;
    listener.lastBalance = text;
    write(listener.res, 'balance', balance ?? null);
  }
}

function write(res: ServerResponse, event: string, data: unknown): void {
  if (!res.destroyed && !res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
