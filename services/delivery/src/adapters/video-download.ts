import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, type Dispatcher, interceptors, request } from 'undici';

/** Providers' file links may pass through a CDN redirect or two. */
const followRedirects = new Agent().compose(interceptors.redirect({ maxRedirections: 3 }));
/** No byte for this long ends the download, whatever the overall timeout. */
const IDLE_TIMEOUT_MS = 30_000;
/** A video is held in memory only when it is at most this share of the budget, so one cannot take it all. */
const MEMORY_SHARE = 4;

/** The video could not be fetched from the provider: gone, too large, not a video, or too slow. */
export class VideoDownloadError extends Error {
  override readonly name = 'VideoDownloadError';
  constructor(
    readonly code: 'HTTP' | 'TOO_LARGE' | 'NOT_A_VIDEO' | 'NETWORK',
    message: string,
    /** The HTTP status of an `HTTP` failure. */
    readonly status?: number,
  ) {
    super(message);
  }

  /** Worth another try: the network, a timeout, or a 5xx or 429 from the file's server. */
  get temporary(): boolean {
    return (
      this.code === 'NETWORK' || (this.status !== undefined && (this.status >= 500 || this.status === 429))
    );
  }
}

/**
 * Bytes of videos one process may hold in memory at once. A small video with a declared length fits and
 * skips the disk; a large one, one of unknown length, or any once the budget is spent, goes through a
 * temporary file. The budget is what bounds the process's memory, whatever the number of videos in flight.
 */
export class MemoryBudget {
  private used = 0;

  constructor(readonly totalBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Takes `bytes` if this video may be held in memory; the caller gives them back with the returned call. */
  take(bytes: number): (() => void) | undefined {
    if (bytes <= 0 || bytes > this.totalBytes / MEMORY_SHARE || this.used + bytes > this.totalBytes) return;
    this.used += bytes;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.used -= bytes;
    };
  }
}

export interface DownloadLimits {
  maxBytes: number;
  timeoutMs: number;
  /** Where the temporary folder is made (default: the system's temporary directory). */
  tmpDir?: string;
  /** Small videos are held here instead of on disk; without it every video goes through a file. */
  memory?: MemoryBudget;
}

export interface DownloadedVideo {
  /** The bytes themselves, or the path of the temporary file that holds them: either is a grammY InputFile. */
  source: Uint8Array | string;
  bytes: number;
  /** Removes the temporary file and its folder, or returns the memory; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Fetches a video with a size cap, a timeout and a content-type check: into memory when it is small and the
 * budget allows, else streamed to a temporary file (never a large video in memory).
 */
export async function downloadVideo(url: string, limits: DownloadLimits): Promise<DownloadedVideo> {
  const { maxBytes, timeoutMs } = limits;
  let body: Dispatcher.ResponseData['body'] | undefined;
  try {
    const idleMs = Math.min(timeoutMs, IDLE_TIMEOUT_MS);
    const response = await request(url, {
      dispatcher: followRedirects,
      headersTimeout: idleMs,
      bodyTimeout: idleMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = response.body;
    if (response.statusCode !== 200) {
      throw new VideoDownloadError(
        'HTTP',
        `video download answered HTTP ${response.statusCode}`,
        response.statusCode,
      );
    }
    const type = String(response.headers['content-type'] ?? '');
    if (type && !/^(video\/|application\/octet-stream|binary\/octet-stream)/.test(type)) {
      throw new VideoDownloadError('NOT_A_VIDEO', `video URL served ${type}`);
    }
    const declared = Number(response.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      throw new VideoDownloadError('TOO_LARGE', `video is ${declared} bytes, over ${maxBytes}`);
    }
    const giveBack = limits.memory?.take(declared);
    if (giveBack) return await intoMemory(response.body, declared, giveBack);
    return await intoFile(response.body, maxBytes, limits.tmpDir ?? tmpdir());
  } catch (error) {
    await body?.dump().catch(() => {});
    if (error instanceof VideoDownloadError) throw error;
    throw new VideoDownloadError('NETWORK', `video download failed: ${(error as Error).message}`);
  }
}

/** Reads a body of a declared length into one buffer; more or fewer bytes than declared is an error. */
async function intoMemory(body: Readable, declared: number, giveBack: () => void): Promise<DownloadedVideo> {
  try {
    const data = Buffer.allocUnsafe(declared);
    let bytes = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (bytes + chunk.length > declared) {
        throw new VideoDownloadError('NETWORK', `video is longer than its declared ${declared} bytes`);
      }
      chunk.copy(data, bytes);
      bytes += chunk.length;
    }
    if (bytes !== declared) {
      throw new VideoDownloadError('NETWORK', `video ended at ${bytes} of its declared ${declared} bytes`);
    }
    return { source: data, bytes, remove: async () => giveBack() };
  } catch (error) {
    giveBack();
    throw error;
  }
}

/** Streams a body to a temporary file under a size cap. */
async function intoFile(body: Readable, maxBytes: number, tmpDir: string): Promise<DownloadedVideo> {
  const dir = await mkdtemp(join(tmpDir, 'nc-video-'));
  const path = join(dir, 'video.mp4');
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    let bytes = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > maxBytes) done(new VideoDownloadError('TOO_LARGE', `video is over ${maxBytes} bytes`));
        else done(null, chunk);
      },
    });
    await pipeline(body, cap, createWriteStream(path));
    return { source: path, bytes, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
