import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { basename, extname } from 'node:path';
import { mimeTypeOf } from '../shared/mimeTypes.js';
import type { UploadedFile } from '../shared/multipartUpload.js';

/** Folder-like prefix of a file_path, by what the file is. */
export type TelegramFileKind = 'photos' | 'videos' | 'documents';

/** Input of `FakeTelegram.registerFile`: the content as bytes or as a path on disk. */
export type RegisterFileInput = ({ bytes: Uint8Array } | { path: string }) & {
  fileUniqueId?: string;
  mimeType?: string;
  fileName?: string;
  kind?: TelegramFileKind;
};

/** What getFile answers, plus how to serve the content. */
export interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_size: number;
  file_path: string;
  mimeType: string;
  fileName: string;
  content: { bytes: Uint8Array } | { path: string } | undefined;
}

const fileIdPrefix: Record<TelegramFileKind, string> = {
  photos: 'AgACAgIAAxkBAAI',
  videos: 'BAACAgIAAxkBAAI',
  documents: 'BQACAgIAAxkBAAI',
};

/** File ids known to the fake: registered by tests or created from the bot's uploads. */
export class TelegramFiles {
  private readonly byId = new Map<string, StoredFile>();
  private readonly byPath = new Map<string, StoredFile>();
  private counter = 0;

  /** Registers content so that getFile and the download route serve it. */
  register(input: RegisterFileInput): StoredFile {
    const fileName = input.fileName ?? ('path' in input ? basename(input.path) : 'file.bin');
    const size = 'path' in input ? statSync(input.path).size : input.bytes.byteLength;
    const uniqueId =
      input.fileUniqueId ??
      ('bytes' in input ? uniqueIdOf(createHash('sha256').update(input.bytes).digest('hex')) : undefined);
    return this.add({
      kind: input.kind ?? kindOf(input.mimeType ?? mimeTypeOf(fileName)),
      fileName,
      mimeType: input.mimeType ?? mimeTypeOf(fileName),
      size,
      uniqueId,
      content: 'path' in input ? { path: input.path } : { bytes: input.bytes },
    });
  }

  /** Registers a file the bot uploaded; its content is served only if the upload was saved to disk. */
  registerUpload(upload: UploadedFile, kind: TelegramFileKind): StoredFile {
    const mimeType =
      upload.mimeType === 'application/octet-stream' ? mimeTypeOf(upload.fileName) : upload.mimeType;
    return this.add({
      kind,
      fileName: upload.fileName,
      mimeType,
      size: upload.size,
      uniqueId: uniqueIdOf(upload.sha256),
      content: upload.savedPath ? { path: upload.savedPath } : undefined,
    });
  }

  /** Registers a file Telegram fetched from a URL (metadata only; `size` is 0 when it was not fetched). */
  registerRemote(url: string, kind: TelegramFileKind, size: number): StoredFile {
    const fileName = new URL(url).pathname.split('/').pop() || 'file.bin';
    return this.add({
      kind,
      fileName,
      mimeType: mimeTypeOf(fileName),
      size,
      uniqueId: uniqueIdOf(createHash('sha256').update(url).digest('hex')),
      content: undefined,
    });
  }

  /** Looks a file up by file_id. */
  get(fileId: string): StoredFile | undefined {
    return this.byId.get(fileId);
  }

  /** Streams a file by its file_path; false when unknown or when only its metadata is kept. */
  serve(filePath: string, res: ServerResponse): boolean {
    const file = this.byPath.get(filePath);
    if (!file?.content) return false;
    res.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.file_size });
    if ('bytes' in file.content) res.end(file.content.bytes);
    else createReadStream(file.content.path).pipe(res);
    return true;
  }

  private add(spec: {
    kind: TelegramFileKind;
    fileName: string;
    mimeType: string;
    size: number;
    uniqueId: string | undefined;
    content: StoredFile['content'];
  }): StoredFile {
    const n = ++this.counter;
    const ext = extname(spec.fileName) || '.bin';
    const file: StoredFile = {
      file_id: `${fileIdPrefix[spec.kind]}${String(n).padStart(6, '0')}${createHash('md5').update(`${n}`).digest('hex').slice(0, 24)}`,
      file_unique_id: spec.uniqueId ?? `AgAD${String(n).padStart(8, '0')}`,
      file_size: spec.size,
      file_path: `${spec.kind}/file_${n}${ext}`,
      mimeType: spec.mimeType,
      fileName: spec.fileName,
      content: spec.content,
    };
    this.byId.set(file.file_id, file);
    this.byPath.set(file.file_path, file);
    return file;
  }
}

function uniqueIdOf(sha256: string): string {
  return `AgAD${sha256.slice(0, 12)}`;
}

function kindOf(mimeType: string): TelegramFileKind {
  if (mimeType.startsWith('image/')) return 'photos';
  if (mimeType.startsWith('video/')) return 'videos';
  return 'documents';
}
