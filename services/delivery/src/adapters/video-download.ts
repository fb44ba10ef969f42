import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';

/** The video could not be fetched from the provider: gone, too large, not a video, or too slow. */
export class VideoDownloadError extends Error {
  override readonly name = 'VideoDownloadError';
  constructor(
    readonly code: 'HTTP' | 'TOO_LARGE' | 'NOT_A_VIDEO' | 'NETWORK',
    message: string,
  ) {
    super(message);
  }
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
  maxBytes: number,
  timeoutMs: number,
): Promise<DownloadedVideo> {
  const dir = await mkdtemp(join(tmpdir(), 'nc-video-'));
  const path = join(dir, 'video.mp4');
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const response = await request(url, {
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new VideoDownloadError('HTTP', `video download answered HTTP ${response.statusCode}`);
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
