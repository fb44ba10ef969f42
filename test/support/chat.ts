import type { FakeTelegram, SentMessage, TelegramTestUser } from '@neurocards/fake-providers';
import { waitFor } from '@neurocards/runtime/testing';

/** The callback data of a message's buttons. */
export function buttonsOf(message: SentMessage): string[] {
  const rows = (message.reply_markup as { inline_keyboard?: Array<Array<{ callback_data?: string }>> })
    ?.inline_keyboard;
  return (rows ?? []).flat().flatMap((button) => (button.callback_data ? [button.callback_data] : []));
}

/**
 * One seller's side of a chat with the bot, over the fake Telegram Bot API: each step does what the seller
 * does and waits for the bot's next message, so a script reads like the conversation it checks.
 */
export class Chat {
  private seen = 0;

  constructor(
    readonly telegram: FakeTelegram,
    readonly user: TelegramTestUser,
    /** How long a reply may take (a load test gives more). */
    readonly replyTimeoutMs = 10_000,
  ) {}

  /** Every message the bot has sent to this chat. */
  get messages(): readonly SentMessage[] {
    return this.telegram.messagesTo(this.user.id);
  }

  /** Waits for the first message after the last one read that matches; it becomes the last one read. */
  async reply(
    match: (message: SentMessage) => boolean = () => true,
    timeoutMs = this.replyTimeoutMs,
  ): Promise<SentMessage> {
    const from = this.seen;
    const found = await waitFor(
      `a reply to ${this.user.id} after message #${from}`,
      async () => {
        const index = this.messages.findIndex((message, i) => i >= from && match(message));
        return index >= 0 ? { message: this.messages[index] as SentMessage, index } : undefined;
      },
      { timeoutMs, intervalMs: 20 },
    );
    this.seen = found.index + 1;
    return found.message;
  }

  /** Nothing more arrives within `ms`. */
  async silence(ms = 800): Promise<void> {
    const before = this.messages.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.messages.length !== before)
      throw new Error(
        `expected silence, got: ${this.messages
          .slice(before)
          .map((m) => m.text ?? m.kind)
          .join(' | ')}`,
      );
  }

  /** Marks everything so far as read. */
  skipAll(): void {
    this.seen = this.messages.length;
  }

  send(text: string): Promise<SentMessage> {
    this.telegram.sendText(this.user, text);
    return this.reply();
  }

  command(command: string): Promise<SentMessage> {
    this.telegram.sendCommand(this.user, command);
    return this.reply();
  }

  photo(caption?: string, path?: string): Promise<SentMessage> {
    this.telegram.sendPhoto(this.user, { caption, path });
    return this.reply();
  }

  /** Presses the button whose callback data matches under `message`, and waits for the next message. */
  async press(message: SentMessage, data: string | RegExp): Promise<SentMessage> {
    this.click(message, data);
    return this.reply();
  }

  /** Presses a button without waiting for a message (some answer with a callback notice only). */
  click(message: SentMessage, data: string | RegExp): string {
    const found = buttonsOf(message).find((button) =>
      typeof data === 'string' ? button === data : data.test(button),
    );
    if (!found)
      throw new Error(`no button ${data} under "${message.text}" (has ${buttonsOf(message).join(', ')})`);
    this.telegram.clickButton(this.user, message, found);
    return found;
  }

  /**
   * The whole order: photo with its description, style, wishes (skipped unless given), count, confirm.
   * Returns the confirmation screen and the bot's answer to Confirm.
   */
  async order(options: { product: string; style?: string; count?: number; wishes?: string }) {
    const styles = await this.photo(options.product);
    const wishes = await this.press(styles, new RegExp(`^style:.+:${options.style ?? 'studio'}$`));
    const counts = options.wishes ? await this.send(options.wishes) : await this.press(wishes, /^skip:/);
    const confirmation = await this.press(counts, new RegExp(`^count:.+:${options.count ?? 1}$`));
    const started = await this.press(confirmation, /^confirm:/);
    return { confirmation, started };
  }
}
