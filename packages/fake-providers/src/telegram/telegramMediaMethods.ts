import { imageDimensions } from '../shared/imageDimensions.js';
import { badRequest, telegramDescriptions } from './telegramErrors.js';
import type { StoredFile, TelegramFileKind } from './telegramFiles.js';
import type { TelegramParams } from './telegramParams.js';
import { checkText, type MethodHandler, recordSent, type TelegramState } from './telegramState.js';
import type { MediaSource, SentMessageKind } from './telegramTypes.js';
import { photoSizeLadder } from './telegramUpdateBuilders.js';

/** Options of the media methods that tests may change. */
export interface MediaOptions {
  /** GET URLs given as media (like Telegram does) and fail with 400 when they are unreachable. */
  fetchUrlMedia: boolean;
  /** Largest file Telegram fetches from a URL (20 MB). */
  maxUrlBytes: number;
}

interface ResolvedMedia {
  source: MediaSource;
  file: StoredFile;
}

async function resolveMedia(
  state: TelegramState,
  options: MediaOptions,
  params: TelegramParams,
  field: string,
  kind: TelegramFileKind,
): Promise<ResolvedMedia> {
  const upload = params.upload(field);
  if (upload) return { source: { kind: 'upload', upload }, file: state.files.registerUpload(upload, kind) };
  const value = params.string(field);
  if (!value) throw badRequest(`Bad Request: there is no ${field} in the request`);
  if (/^https?:\/\//i.test(value)) {
    const size = options.fetchUrlMedia ? await fetchSize(value, options.maxUrlBytes) : 0;
    return { source: { kind: 'url', url: value }, file: state.files.registerRemote(value, kind, size) };
  }
  const known = state.files.get(value);
  if (!known) throw badRequest(telegramDescriptions.wrongFileIdentifier);
  return { source: { kind: 'file_id', fileId: value }, file: known };
}

/** Downloads a URL the way Telegram does, only counting bytes; 400 when unreachable or too big. */
async function fetchSize(url: string, maxBytes: number): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch {
    throw badRequest(telegramDescriptions.failedToGetUrlContent);
  }
  if (!response.ok || !response.body) throw badRequest(telegramDescriptions.failedToGetUrlContent);
  const contentType = response.headers.get('content-type') ?? '';
  if (contentType.startsWith('text/html')) {
    await response.body.cancel();
    throw badRequest(telegramDescriptions.wrongWebPageContent);
  }
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw badRequest(telegramDescriptions.failedToGetUrlContent);
  }
  return size;
}

function fileFields(file: StoredFile, withName: boolean): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    file_id: file.file_id,
    file_unique_id: file.file_unique_id,
    file_size: file.file_size,
  };
  if (withName) {
    fields.file_name = file.fileName;
    fields.mime_type = file.mimeType;
  }
  return fields;
}

function captionContent(params: TelegramParams): Record<string, unknown> {
  const caption = params.string('caption');
  if (caption === undefined) return {};
  checkText(caption, params.string('parse_mode'), 1024, telegramDescriptions.captionTooLong);
  return { caption };
}

function sendMedia(options: MediaOptions, kind: Exclude<SentMessageKind, 'text' | 'invoice'>): MethodHandler {
  const fileKind: TelegramFileKind = kind === 'photo' ? 'photos' : kind === 'video' ? 'videos' : 'documents';
  return async (state, { params }) => {
    const chatId = params.chatId();
    const content = captionContent(params);
    const { source, file } = await resolveMedia(state, options, params, kind, fileKind);
    if (kind === 'video') {
      content.video = {
        duration: params.integer('duration') ?? 5,
        width: params.integer('width') ?? 720,
        height: params.integer('height') ?? 1280,
        ...fileFields(file, true),
      };
    } else if (kind === 'document') {
      content.document = fileFields(file, true);
    } else {
      const head = source.kind === 'upload' ? source.upload.head : undefined;
      const size = (head && imageDimensions(head)) ?? { width: 1280, height: 960 };
      content.photo = photoSizeLadder(size.width, size.height).map((dims) => ({
        ...fileFields(file, false),
        ...dims,
      }));
    }
    const message = recordSent(state, { chatId, kind, params, content, media: source });
    if (kind === 'video') {
      const sent = state.chats.find(chatId, message.message_id);
      const streaming = params.boolean('supports_streaming');
      if (sent && streaming !== undefined) sent.supports_streaming = streaming;
    }
    return message;
  };
}

/** sendVideo, sendDocument, sendPhoto and getFile. */
export function mediaMethods(options: MediaOptions): Record<string, MethodHandler> {
  return {
    sendVideo: sendMedia(options, 'video'),
    sendDocument: sendMedia(options, 'document'),
    sendPhoto: sendMedia(options, 'photo'),
    getFile: (state, { params }) => {
      const file = state.files.get(params.string('file_id') ?? '');
      if (!file) throw badRequest(telegramDescriptions.wrongFileIdentifier);
      if (file.file_size > state.maxDownloadBytes) throw badRequest(telegramDescriptions.fileTooBig);
      return {
        file_id: file.file_id,
        file_unique_id: file.file_unique_id,
        file_size: file.file_size,
        file_path: file.file_path,
      };
    },
  };
}
