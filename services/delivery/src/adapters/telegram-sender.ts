import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@neurocards/runtime/shell';
import { Api, GrammyError, HttpError, type Transformer } from 'grammy';
import { judgeSendFailure, type SendVerdict, type TelegramFailure } from '../domain/send-failures.js';
import type { SendPacer } from './send-pacer.js';

export interface TelegramSenderOptions {
  token: string;
  apiRoot: string;
  /** A call (an upload included) that has not been answered by then counts as a network error. */
  timeoutMs: number;
  pacer: SendPacer;
  /** Waits before the retries of a 5xx or network failure; their number is the number of retries. */
  retryDelaysMs: readonly number[];
  /** 429 answers honoured (waiting retry_after) before the call gives up. */
  maxRateLimitWaits: number;
  logger: Logger;
  onRetry?: (method: string, verdict: SendVerdict) => void;
}

/**
 * The Bot API client of delivery: grammY's `Api` with every call paced across replicas (`SendPacer`) and
 * retried in place as DESIGN §6 says: a 429 waits its retry_after (and holds the chat for every replica),
 * 5xx and network errors retry with backoff. What is left when the retries run out reaches the caller as
 * grammY's `GrammyError` or `HttpError`; `telegramFailureOf` reads them.
 */
export class TelegramSender {
  readonly api: Api;

  constructor(private readonly options: TelegramSenderOptions) {
    this.api = new Api(options.token, {
      apiRoot: options.apiRoot,
      timeoutSeconds: Math.ceil(options.timeoutMs / 1000),
    });
    this.api.config.use(this.pacedWithRetries);
  }

  private readonly pacedWithRetries: Transformer = async (prev, method, payload, signal) => {
    const { pacer, retryDelaysMs, maxRateLimitWaits, logger } = this.options;
    const chatId = (payload as { chat_id?: number | string } | undefined)?.chat_id;
    let temporaryRetries = 0;
    let rateLimitWaits = 0;
    for (;;) {
      if (chatId !== undefined) await pacer.waitForSlot(chatId);
      let failure: TelegramFailure;
      let answer: Awaited<ReturnType<typeof prev>> | undefined;
      let thrown: HttpError | undefined;
      try {
        answer = await prev(method, payload, signal);
        if (answer.ok) return answer;
        failure = {
          kind: 'answer',
          status: answer.error_code,
          description: answer.description,
          retryAfterSeconds: answer.parameters?.retry_after,
        };
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        thrown = error;
        failure = { kind: 'network', description: error.message };
      }
      const verdict = judgeSendFailure(failure);
      const giveUp = () => {
        if (thrown) throw thrown;
        return answer as NonNullable<typeof answer>;
      };
      if (verdict.action !== 'retry') return giveUp();
      let waitMs: number;
      if (verdict.errorClass === 'RATE_LIMIT') {
        if (++rateLimitWaits > maxRateLimitWaits) return giveUp();
        waitMs = verdict.afterMs ?? 1000;
        if (chatId !== undefined) await pacer.holdChat(chatId, waitMs);
        else await sleep(waitMs);
      } else {
        const delay = retryDelaysMs[temporaryRetries++];
        if (delay === undefined) return giveUp();
        waitMs = delay;
        await sleep(delay);
      }
      this.options.onRetry?.(method, verdict);
      logger.warn(
        { method, errorClass: verdict.errorClass, waitMs, reason: failure.description },
        'telegram call retried',
      );
    }
  };
}

/** A grammY error as delivery's failure policy reads it; undefined for anything that is not one. */
export function telegramFailureOf(error: unknown): TelegramFailure | undefined {
  if (error instanceof GrammyError)
    return {
      kind: 'answer',
      status: error.error_code,
      description: error.description,
      retryAfterSeconds: error.parameters.retry_after,
    };
  if (error instanceof HttpError) return { kind: 'network', description: error.message };
  return undefined;
}
