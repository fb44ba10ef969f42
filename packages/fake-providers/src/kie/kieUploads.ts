import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { extensionOf, mimeTypeOf } from '../shared/mimeTypes.js';
import { readMultipart } from '../shared/multipartUpload.js';

/** A file stored by the upload API, served back at `downloadUrl`. */
export interface KieUploadedFile {
  fileName: string;
  filePath: string;
  downloadUrl: string;
  fileSize: number;
  mimeType: string;
  sha256: string;
  uploadedAt: string;
  via: 'stream' | 'base64' | 'url';
  diskPath: string;
}

/** An answer of the upload API: HTTP status and `{success, code, msg, data}` body. */
export interface KieUploadReply {
  httpStatus: number;
  body: { success: boolean; code: number; msg: string; data: unknown };
}

const fail = (code: number, msg: string): KieUploadReply => ({
  httpStatus: code === 500 ? 500 : 400,
  body: { success: false, code, msg, data: null },
});

/** The File Upload API (stream, base64, URL); files live in a temp directory removed on close. */
export class KieUploadStore {
  /** Every stored upload in arrival order. */
  readonly uploads: KieUploadedFile[] = [];
  private readonly byPath = new Map<string, KieUploadedFile>();
  private dir: Promise<string> | undefined;
  private counter = 0;

  constructor(
    private readonly baseUrl: () => string,
    private readonly maxBytes: number,
  ) {}

  /** POST /api/file-stream-upload (multipart: file, uploadPath, fileName?). */
  async streamUpload(req: IncomingMessage): Promise<KieUploadReply> {
    const dir = await this.directory();
    const body = await readMultipart(req, { maxBytes: this.maxBytes, saveDir: dir, headBytes: 0 });
    const file = body.files.find((part) => part.fieldName === 'file') ?? body.files[0];
    if (body.tooLarge) return fail(400, `File size exceeds the limit of ${this.maxBytes} bytes`);
    if (!file?.savedPath) return fail(400, 'file is required');
    const uploadPath = body.fields.uploadPath;
    if (!uploadPath) return fail(400, 'uploadPath is required');
    const fileName = body.fields.fileName || file.fileName;
    const mimeType = file.mimeType === 'application/octet-stream' ? mimeTypeOf(fileName) : file.mimeType;
    return this.store(
      { uploadPath, fileName, mimeType, size: file.size, sha256: file.sha256 },
      file.savedPath,
      'stream',
    );
  }

  /** POST /api/file-base64-upload (JSON: base64Data as raw base64 or data URL, uploadPath, fileName?). */
  async base64Upload(body: Record<string, unknown>): Promise<KieUploadReply> {
    const { base64Data, uploadPath } = body;
    if (typeof base64Data !== 'string' || base64Data === '') return fail(400, 'base64Data is required');
    if (typeof uploadPath !== 'string' || uploadPath === '') return fail(400, 'uploadPath is required');
    const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(base64Data);
    const bytes = Buffer.from(dataUrl ? (dataUrl[2] as string) : base64Data, 'base64');
    if (bytes.length === 0) return fail(400, 'base64Data is not valid base64');
    const mimeFromData = dataUrl?.[1];
    const fileName =
      typeof body.fileName === 'string' && body.fileName
        ? body.fileName
        : `${Date.now()}_${++this.counter}${extensionOf(mimeFromData ?? '')}`;
    const diskPath = join(await this.directory(), `b64-${++this.counter}`);
    await writeFile(diskPath, bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const mimeType = mimeFromData ?? mimeTypeOf(fileName);
    return this.store({ uploadPath, fileName, mimeType, size: bytes.length, sha256 }, diskPath, 'base64');
  }

  /** POST /api/file-url-upload (JSON: fileUrl, uploadPath, fileName?): downloads with a 30 s timeout. */
  async urlUpload(body: Record<string, unknown>): Promise<KieUploadReply> {
    const { fileUrl, uploadPath } = body;
    if (typeof fileUrl !== 'string' || !/^https?:\/\//.test(fileUrl)) return fail(400, 'fileUrl is required');
    if (typeof uploadPath !== 'string' || uploadPath === '') return fail(400, 'uploadPath is required');
    const diskPath = join(await this.directory(), `url-${++this.counter}`);
    let response: Response;
    try {
      response = await fetch(fileUrl, { signal: AbortSignal.timeout(30_000) });
    } catch {
      return fail(500, 'Failed to download file from URL');
    }
    if (!response.ok || !response.body)
      return fail(500, `Failed to download file from URL: HTTP ${response.status}`);
    const hash = createHash('sha256');
    let size = 0;
    const source = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      hash.update(chunk);
    });
    await pipeline(source, createWriteStream(diskPath));
    const urlName = new URL(fileUrl).pathname.split('/').pop() || `file_${this.counter}`;
    const fileName = typeof body.fileName === 'string' && body.fileName ? body.fileName : urlName;
    const mimeType = response.headers.get('content-type')?.split(';')[0] || mimeTypeOf(fileName);
    return this.store({ uploadPath, fileName, mimeType, size, sha256: hash.digest('hex') }, diskPath, 'url');
  }

  /** Streams a stored file for GET /uploads/<uploadPath>/<fileName>; false when unknown. */
  serve(filePath: string, res: ServerResponse): boolean {
    const file = this.byPath.get(filePath);
    if (!file) return false;
    res.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.fileSize });
    createReadStream(file.diskPath).pipe(res);
    return true;
  }

  /** Deletes the temp directory. */
  async close(): Promise<void> {
    const dir = this.dir;
    this.dir = undefined;
    if (dir) await rm(await dir, { recursive: true, force: true });
  }

  private directory(): Promise<string> {
    this.dir ??= mkdtemp(join(tmpdir(), 'fake-kie-uploads-'));
    return this.dir;
  }

  private async store(
    meta: { uploadPath: string; fileName: string; mimeType: string; size: number; sha256: string },
    tempPath: string,
    via: KieUploadedFile['via'],
  ): Promise<KieUploadReply> {
    const folder = meta.uploadPath.replace(/^\/+|\/+$/g, '');
    const filePath = `${folder}/${meta.fileName}`;
    const diskPath = join(await this.directory(), `stored-${++this.counter}`);
    await rename(tempPath, diskPath);
    const previous = this.byPath.get(filePath);
    // Same name overwrites the old file, as the real API does.
    if (previous) await rm(previous.diskPath, { force: true });
    const file: KieUploadedFile = {
      fileName: meta.fileName,
      filePath,
      downloadUrl: `${this.baseUrl()}/uploads/${filePath.split('/').map(encodeURIComponent).join('/')}`,
      fileSize: meta.size,
      mimeType: meta.mimeType,
      sha256: meta.sha256,
      uploadedAt: new Date().toISOString(),
      via,
      diskPath,
    };
    this.byPath.set(filePath, file);
    this.uploads.push(file);
    const { diskPath: _disk, via: _via, sha256: _sha, ...data } = file;
    return { httpStatus: 200, body: { success: true, code: 200, msg: 'File uploaded successfully', data } };
  }
}
