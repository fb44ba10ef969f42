import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliveryErrorClass } from '@neurocards/contracts';
import type { Logger } from '@neurocards/runtime/shell';
import { InputFile } from 'grammy';
import { type TelegramSender, telegramFailureOf } from '../adapters/telegram-sender.js';
import {
  type DownloadedVideo,
  downloadVideo,
  MemoryBudget,
  VideoDownloadError,
} from '../adapters/video-download.js';
import type { DeliveryConfig } from '../config.js';
import type { OutgoingText } from '../domain/messages.js';
import { judgeSendFailure } from '../domain/send-failures.js';

/** The forms a video takes on its way to the seller, in the order they are tried. */
export type SentAs = 'video' | 'document' | 'link';

/** A form that did not go, and why. */
export interface FormRefused {
  form: SentAs;
  errorClass: DeliveryErrorClass;
  reason: string;
}

export type VideoOutcome =
  | { sent: { sentAs: SentAs; messageId: number; bytes: number }; refused: FormRefused[] }
  | { failed: FormRefused; refused: FormRefused[] };

export interface VideoTexts {
  /** Caption and buttons under the video or the document. */
  caption: OutgoingText;
  /** The last resort's message, given the video's URL. */
  link(url: string): OutgoingText;
}

/**
 * Gets one finished video to a chat: fetched from the provider into memory when it is small and the
 * replica's memory budget allows, else streamed to a temporary file (never a large video in memory), then sent as a video, else as a document, else as a link, as DESIGN §6 says. Retries of
 * 429, 5xx and network failures happen inside the Bot API client; a download that fails for the network
 * or a 5xx is retried here. The temporary file is gone on every path out.
 */
export class VideoSender {
  constructor(
    private readonly deps: {
      telegram: TelegramSender;
      config: Pick<
        DeliveryConfig,
        | 'VIDEO_MAX_BYTES'
        | 'VIDEO_DOWNLOAD_TIMEOUT'
        | 'DELIVERY_TMP_DIR'
        | 'DELIVERY_MEMORY_BUDGET'
        | 'DELIVERY_RETRY_DELAYS'
      >;
      logger: Logger;
    },
  ) {
    this.memory = new MemoryBudget(deps.config.DELIVERY_MEMORY_BUDGET);
  }

  private readonly memory: MemoryBudget;

  /**
   * Resolves with what happened; throws only what the failure policy does not understand (a 401, a bug),
   * for the bus to retry later.
   */
  async send(chatId: number, videoUrl: string, texts: VideoTexts): Promise<VideoOutcome> {
    const refused: FormRefused[] = [];
    let video: DownloadedVideo | undefined;
    try {
      video = await this.download(videoUrl);
    } catch (error) {
      if (!(error instanceof VideoDownloadError)) throw error;
      if (error.code !== 'TOO_LARGE')
        return { failed: { form: 'video', errorClass: 'DOWNLOAD', reason: error.message }, refused };
      // Too large to upload: only the link can carry it.
      refused.push({ form: 'video', errorClass: 'TOO_LARGE', reason: error.message });
    }
    try {
      const forms: SentAs[] = video ? ['video', 'document', 'link'] : ['link'];
      for (const form of forms) {
        try {
          const messageId = await this.sendAs(form, chatId, video, videoUrl, texts);
          return { sent: { sentAs: form, messageId, bytes: video?.bytes ?? 0 }, refused };
        } catch (error) {
          const failure = telegramFailureOf(error);
          if (!failure) throw error;
          const verdict = judgeSendFailure(failure);
          if (verdict.action === 'unknown') throw error;
          if (verdict.action === 'fallback' && form !== 'link') {
            refused.push({ form, errorClass: verdict.errorClass, reason: failure.description });
            continue;
          }
          // Blocked, retries spent, or not even the link would go.
          return { failed: { form, errorClass: verdict.errorClass, reason: failure.description }, refused };
        }
      }
      throw new Error('unreachable: the link is the last form');
    } finally {
      await video?.remove();
    }
  }

  private async sendAs(
    form: SentAs,
    chatId: number,
    video: DownloadedVideo | undefined,
    videoUrl: string,
    texts: VideoTexts,
  ): Promise<number> {
    const { api } = this.deps.telegram;
    const { text: caption, keyboard: reply_markup } = texts.caption;
    if (form === 'link' || !video) {
      const link = texts.link(videoUrl);
      const message = await api.sendMessage(chatId, link.text, {
        reply_markup: link.keyboard,
        link_preview_options: { is_disabled: true },
      });
      return message.message_id;
    }
    // Bytes or a path, never a stream: a retried upload reads the video again from the start.
    const file = new InputFile(video.source, 'video.mp4');
    const message =
      form === 'video'
        ? await api.sendVideo(chatId, file, { supports_streaming: true, caption, reply_markup })
        : await api.sendDocument(chatId, file, { caption, reply_markup });
    return message.message_id;
  }

  private async download(url: string): Promise<DownloadedVideo> {
    const { config, logger } = this.deps;
    const limits = {
      maxBytes: config.VIDEO_MAX_BYTES,
      timeoutMs: config.VIDEO_DOWNLOAD_TIMEOUT,
      tmpDir: config.DELIVERY_TMP_DIR,
      memory: this.memory,
    };
    for (let retry = 0; ; retry++) {
      try {
        return await downloadVideo(url, limits);
      } catch (error) {
        const delay = config.DELIVERY_RETRY_DELAYS[retry];
        if (!(error instanceof VideoDownloadError && error.temporary) || delay === undefined) throw error;
        logger.warn({ reason: error.message, retryInMs: delay }, 'video download failed; retrying');
        await sleep(delay);
      }
    }
  }
}
