import { Waiters } from '../shared/waiters.js';
import type { SentMessage } from './telegramTypes.js';

interface ChatState {
  lastMessageId: number;
  messages: SentMessage[];
  byId: Map<number, SentMessage>;
  blocked: boolean;
  waiters: Waiters<SentMessage> | undefined;
}

/**
 * Per-chat message history of the bot. In private chats Telegram numbers messages per chat, shared by the
 * user's and the bot's messages, so both draw from `nextMessageId`.
 */
export class TelegramChats {
  private readonly chats = new Map<number, ChatState>();
  private readonly listeners = new Set<(message: SentMessage) => void>();

  /** Calls `listener` after every message the bot sends, edits or deletes; returns the unsubscribe. */
  onMessage(listener: (message: SentMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The next message_id in a chat. */
  nextMessageId(chatId: number): number {
    const chat = this.chat(chatId);
    chat.lastMessageId += 1;
    return chat.lastMessageId;
  }

  /** Records a message the bot sent and wakes waiters of that chat. */
  add(message: SentMessage): void {
    const chat = this.chat(message.chat_id);
    chat.messages.push(message);
    chat.byId.set(message.message_id, message);
    chat.waiters?.offer(message);
    this.notify(message);
  }

  /** Wakes waiters after a recorded message changed (edit or deletion). */
  changed(message: SentMessage): void {
    if (!message.deleted) this.chats.get(message.chat_id)?.waiters?.offer(message);
    this.notify(message);
  }

  /** A message the bot sent, by chat and id. */
  find(chatId: number, messageId: number): SentMessage | undefined {
    return this.chats.get(chatId)?.byId.get(messageId);
  }

  /** Messages the bot sent to a chat, oldest first, deleted ones included (see `deleted`). */
  messagesTo(chatId: number): readonly SentMessage[] {
    return this.chats.get(chatId)?.messages ?? [];
  }

  /** Resolves with the first message (already sent or future, edits included) that matches. */
  waitForMessage(
    chatId: number,
    predicate: (message: SentMessage) => boolean,
    timeoutMs: number,
  ): Promise<SentMessage> {
    const chat = this.chat(chatId);
    const existing = chat.messages.find((message) => !message.deleted && predicate(message));
    if (existing) return Promise.resolve(existing);
    chat.waiters ??= new Waiters<SentMessage>();
    return chat.waiters.wait(predicate, timeoutMs, () => describeTimeout(chatId, timeoutMs, chat.messages));
  }

  /** Marks a chat as having blocked the bot (sends answer 403) or unblocks it. */
  setBlocked(chatId: number, blocked: boolean): void {
    this.chat(chatId).blocked = blocked;
  }

  /** True when the user of this private chat blocked the bot. */
  isBlocked(chatId: number): boolean {
    return this.chats.get(chatId)?.blocked ?? false;
  }

  /** Rejects every pending wait (on close). */
  rejectWaiters(reason: string): void {
    for (const chat of this.chats.values()) chat.waiters?.rejectAll(reason);
  }

  private notify(message: SentMessage): void {
    for (const listener of this.listeners) listener(message);
  }

  private chat(chatId: number): ChatState {
    let chat = this.chats.get(chatId);
    if (!chat) {
      chat = { lastMessageId: 0, messages: [], byId: new Map(), blocked: false, waiters: undefined };
      this.chats.set(chatId, chat);
    }
    return chat;
  }
}

function describeTimeout(chatId: number, timeoutMs: number, messages: readonly SentMessage[]): string {
  const summary = messages
    .slice(-5)
    .map(
      (m) =>
        `#${m.message_id} ${m.kind}${m.deleted ? ' (deleted)' : ''}: ${(m.text ?? m.caption ?? '').slice(0, 60)}`,
    )
    .join('; ');
  return `waitForMessage(${chatId}) timed out after ${timeoutMs} ms; the bot sent ${messages.length} message(s) there${summary ? `, last: ${summary}` : ''}`;
}
