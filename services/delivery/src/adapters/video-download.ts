import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, interceptors, request } from 'undici';

/** Providers' file links may pass through a CDN redirect or two. */
const followRedirects = new Agent().compose(interceptors.redirect({ maxRedirections: 3 }));
/** No byte for this long ends the download, whatever the overall timeout. */
const IDLE_TIMEOUT_MS = 30_000;

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

export interface DownloadLimits {
  maxBytes: number;
  timeoutMs: number;
  /** Where the temporary folder is made (default: the system's temporary directory). */
  tmpDir?: string;
}

export interface DownloadedVideo {
  path: string;
  bytes: number;
  /** Removes the temporary file and its folder; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Streams a video to a temporary file (never the whole file in memory), enforcing a size cap and a timeout
 * and checking the content type.
 */
export async function downloadVideo(
  url: string,
  { maxBytes, timeoutMs, tmpDir = tmpdir() }: DownloadLimits,
): Promise<DownloadedVideo> {
  const dir = await mkdtemp(join(tmpDir, 'nc-video-'));
  const path = join(dir, 'video.mp4');
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const idleMs = Math.min(timeoutMs, IDLE_TIMEOUT_MS);
    const response = await request(url, {
      dispatcher: followRedirects,
      headersTimeout: idleMs,
      bodyTimeout: idleMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new VideoDownloadError(
        'HTTP',
        `video download answered HTTP ${response.statusCode}`,
        response.statusCode,
      );
    }
    const type = String(response.headers['content-type'] ?? '');
    if (type && !/^(video\/|application\/octet-stream|binary\/octet-stream)/.test(type)) {
      await response.body.dump();
      throw new VideoDownloadError('NOT_A_VIDEO', `video URL served ${type}`);
    }
    const declared = Number(response.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      await response.body.dump();
      throw new VideoDownloadError('TOO_LARGE', `video is ${declared} bytes, over ${maxBytes}`);
    }
    let bytes = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > maxBytes) done(new VideoDownloadError('TOO_LARGE', `video is over ${maxBytes} bytes`));
        else done(null, chunk);
      },
    });
    await pipeline(response.body, cap, createWriteStream(path));
    return { path, bytes, remove };
  } catch (error) {
    await remove();
    if (error instanceof VideoDownloadError) throw error;
    throw new VideoDownloadError('NETWORK', `video download failed: ${(error as Error).message}`);
  }
}
