import { availableCredits, type DomainEvent, foldCredits, streamIds } from '@neurocards/contracts';
import type { ServiceContext } from '@neurocards/runtime/shell';
import { Counter } from 'prom-client';
import { SendPacer } from '../adapters/send-pacer.js';
import { TelegramSender } from '../adapters/telegram-sender.js';
import { VideoClaims } from '../adapters/video-claims.js';
import type { DeliveryConfig } from '../config.js';
import { Messages } from '../domain/messages.js';
import { VideoSender } from './video-sender.js';

/** What delivery's handlers and workers share in one process: one paced Bot API client, one catalog. */
export interface DeliveryKit {
  messages: Messages;
  telegram: TelegramSender;
  pacer: SendPacer;
  videos: VideoSender;
  /** Who is sending which job's video right now, across replicas. */
  claims: VideoClaims;
  /** What the seller can spend now, from their credit stream (the reservation of a running job excluded). */
  balanceOf(userId: number): Promise<number>;
}

const kits = new WeakMap<ServiceContext<DeliveryConfig>, DeliveryKit>();

/** The process's kit, made on first use: Nest's handlers and the workers get the same one. */
export function deliveryKit(service: ServiceContext<DeliveryConfig>): DeliveryKit {
  const existing = kits.get(service);
  if (existing) return existing;
  const { config, pool, statements, store, logger, metrics } = service;
  const retries = new Counter({
    name: 'nc_delivery_telegram_retries_total',
    help: 'Bot API calls retried in place, by method and error class (RATE_LIMIT waits retry_after)',
    labelNames: ['method', 'errorClass'],
    registers: [metrics.registry],
  });
  const pacer = new SendPacer(pool, {
    perChat: config.TELEGRAM_CHAT_RATE,
    global: config.TELEGRAM_GLOBAL_RATE,
  });
  const telegram = new TelegramSender({
    token: config.TELEGRAM_BOT_TOKEN,
    apiRoot: config.TELEGRAM_API_ROOT,
    timeoutMs: config.TELEGRAM_TIMEOUT,
    pacer,
    retryDelaysMs: config.DELIVERY_RETRY_DELAYS,
    maxRateLimitWaits: config.TELEGRAM_MAX_RATE_LIMIT_WAITS,
    logger,
    onRetry: (method, verdict) => retries.inc({ method, errorClass: verdict.errorClass }),
  });
  const messages = Messages.load();
  const kit: DeliveryKit = {
    messages,
    telegram,
    pacer,
    videos: new VideoSender({ telegram, config, logger }),
    claims: new VideoClaims(pool, statements),
    async balanceOf(userId) {
      return balanceOf(await store.readStream(streamIds.credits(userId)));
    },
  };
  kits.set(service, kit);
  return kit;
}

/** What a seller can spend, from their credit stream (the reservation of a running job excluded). */
export function balanceOf(credits: readonly DomainEvent[]): number {
  return availableCredits(foldCredits(credits));
}
