import { Waiters } from '../shared/waiters.js';
import type { TelegramParams } from './telegramParams.js';
import type { TelegramState } from './telegramState.js';
import type { RecordedCall, TelegramAnswers, TgUpdate } from './telegramTypes.js';
import type { WebhookDelivery } from './telegramUpdateQueue.js';

/** Recorded API calls and answers of a FakeTelegram, for assertions. */
export class TelegramTelemetry {
  private readonly all: RecordedCall[] = [];
  private readonly byMethod = new Map<string, RecordedCall[]>();
  private readonly waiters = new Waiters<RecordedCall>();

  constructor(
    private readonly state: TelegramState,
    private readonly enabled: boolean,
  ) {}

  /** Records one finished call (no-op when recording is off). */
  record(
    method: string,
    params: TelegramParams,
    outcome: { ok: boolean; error_code?: number; description?: string },
  ): void {
    if (!this.enabled) return;
    const call: RecordedCall = {
      method,
      params: params.toRecord(),
      files: [...params.files],
      at: this.state.now(),
      ...outcome,
    };
    this.all.push(call);
    let list = this.byMethod.get(method);
    if (!list) {
      list = [];
      this.byMethod.set(method, list);
    }
    list.push(call);
    this.waiters.offer(call);
  }

  /** Recorded calls, all or of one method. */
  calls(method?: string): readonly RecordedCall[] {
    return method === undefined ? this.all : (this.byMethod.get(method) ?? []);
  }

  /** Resolves with the first call of `method` (already recorded or future) matching `predicate`. */
  waitForCall(
    method: string,
    predicate: (call: RecordedCall) => boolean,
    timeoutMs: number,
  ): Promise<RecordedCall> {
    const matches = (call: RecordedCall) => call.method === method && predicate(call);
    const existing = this.calls(method).find(matches);
    if (existing) return Promise.resolve(existing);
    return this.waiters.wait(matches, timeoutMs, () => {
      const seen = this.calls(method).length;
      return `waitForCall(${method}) timed out after ${timeoutMs} ms (${seen} non-matching call(s) of it)`;
    });
  }

  /** Answers to callback and pre-checkout queries, and refunds. */
  answers(): TelegramAnswers {
    return {
      callbackQueries: this.state.callbackAnswers,
      preCheckoutQueries: this.state.payments.preCheckoutAnswers,
      refunds: this.state.payments.refunds,
    };
  }

  /** Every webhook POST attempt with its status or error. */
  get webhookDeliveries(): readonly WebhookDelivery[] {
    return this.state.updates.deliveries;
  }

  /** Updates dropped because their type was not in allowed_updates. */
  get droppedUpdates(): readonly TgUpdate[] {
    return this.state.updates.dropped;
  }

  /** Forgets recorded calls (messages and answers stay). */
  clearCalls(): void {
    this.all.length = 0;
    this.byMethod.clear();
  }

  /** Rejects pending waits. */
  close(): void {
    this.waiters.rejectAll('FakeTelegram closed');
  }
}
