import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { boundaryOf, MultipartFilenameShim } from './multipartFilenameShim.js';
import { MalformedBodyError } from './requestBody.js';

/** What a fake remembers of an uploaded file: never the whole content unless `savedPath` is set. */
export interface UploadedFile {
  /** Multipart part name (grammY uses a random id referenced as `attach://<id>`). */
  fieldName: string;
  fileName: string;
  /** Content type sent in the part header. */
  mimeType: string;
  size: number;
  /** Hex sha256 of the whole content. */
  sha256: string;
  /** The first `headBytes` bytes of the content. */
  head: Buffer;
  /** Full copy on disk, only when a save directory was given. */
  savedPath?: string;
}

/** Result of streaming a multipart/form-data request. */
export interface MultipartBody {
  fields: Record<string, string>;
  files: UploadedFile[];
  totalBytes: number;
  /** True when the body exceeded `maxBytes`; files are then counted but not saved. */
  tooLarge: boolean;
}

/** Limits and storage for `readMultipart`. */
export interface MultipartOptions {
  maxBytes: number;
  headBytes?: number;
  /** Directory to stream each file into; omitted means only size, hash and head are kept. */
  saveDir?: string;
}

let savedFileCounter = 0;

/** Streams a multipart body through busboy, hashing and counting files without buffering them. */
export async function readMultipart(req: IncomingMessage, options: MultipartOptions): Promise<MultipartBody> {
  const headBytes = options.headBytes ?? 4096;
  const fields: Record<string, string> = {};
  const pending: Promise<UploadedFile>[] = [];
  let totalBytes = 0;
  const state = { tooLarge: false };
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: { fieldSize: 16 * 1024 * 1024 },
    });
  } catch (error) {
    throw new MalformedBodyError(error instanceof Error ? error.message : 'bad multipart body');
  }
  parser.on('field', (name: string, value: string) => {
    fields[name] = value;
  });
  parser.on('file', (name: string, stream: Readable, info: busboy.FileInfo) => {
    pending.push(consumeFile(name, stream, info, headBytes, options.saveDir, state));
  });
  req.on('data', (chunk: Buffer) => {
    totalBytes += chunk.length;
    if (totalBytes > options.maxBytes) state.tooLarge = true;
  });
  try {
    const boundary = boundaryOf(req.headers['content-type']);
    if (boundary) await pipeline(req, new MultipartFilenameShim(boundary), parser);
    else await pipeline(req, parser);
  } catch (error) {
    await Promise.allSettled(pending);
    throw new MalformedBodyError(error instanceof Error ? error.message : 'bad multipart body');
  }
  const files = await Promise.all(pending);
  if (state.tooLarge) await Promise.all(files.map((file) => removeSaved(file)));
  return { fields, files, totalBytes, tooLarge: state.tooLarge };
}

async function consumeFile(
  fieldName: string,
  stream: Readable,
  info: busboy.FileInfo,
  headBytes: number,
  saveDir: string | undefined,
  state: { tooLarge: boolean },
): Promise<UploadedFile> {
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let headSize = 0;
  let size = 0;
  const fileName = info.filename ?? fieldName;
  const savedPath = saveDir
    ? join(saveDir, `${++savedFileCounter}-${fileName.replace(/[^\w.-]/g, '_')}`)
    : undefined;
  const sink = savedPath ? createWriteStream(savedPath) : undefined;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    hash.update(chunk);
    if (headSize < headBytes) {
      const part = chunk.subarray(0, headBytes - headSize);
      head.push(Buffer.from(part));
      headSize += part.length;
    }
    if (sink && !state.tooLarge && !sink.write(chunk)) {
      stream.pause();
      sink.once('drain', () => stream.resume());
    }
  });
  await new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  if (sink)
    await new Promise<void>((resolve, reject) =>
      sink.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  const file: UploadedFile = {
    fieldName,
    fileName,
    mimeType: info.mimeType,
    size,
    sha256: hash.digest('hex'),
    head: Buffer.concat(head, headSize),
  };
  if (savedPath) file.savedPath = savedPath;
  return file;
}

async function removeSaved(file: UploadedFile): Promise<void> {
  if (file.savedPath) await rm(file.savedPath, { force: true });
  delete file.savedPath;
}
