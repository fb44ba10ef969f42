import { request } from 'undici';
import { z } from 'zod';

const getFileAnswer = z.object({
  ok: z.literal(true),
  result: z.object({
    file_id: z.string(),
    file_path: z.string().min(1),
    file_size: z.number().int().optional(),
  }),
});

export interface DownloadedPhoto {
  bytes: Buffer;
  mimeType: 'image/jpeg' | 'image/png' | 'image/webp';
  extension: 'jpg' | 'png' | 'webp';
}

/** The photo is not usable: wrong type, too large, or Telegram would not give it. */
export class PhotoError extends Error {
  override readonly name = 'PhotoError';
  constructor(
    readonly code: 'NOT_FOUND' | 'TOO_LARGE' | 'NOT_AN_IMAGE' | 'TOO_SMALL',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Downloads a Telegram file by id into memory (photos only, bounded). The download URL holds the bot token,
 * so it is built here, used once, and never logged or passed on.
 */
export async function downloadTelegramPhoto(
  apiRoot: string,
  token: string,
  fileId: string,
  maxBytes: number,
): Promise<DownloadedPhoto> {
  const answer = await request(`${apiRoot}/bot${token}/getFile?file_id=${encodeURIComponent(fileId)}`, {
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const parsed = getFileAnswer.safeParse(await answer.body.json().catch(() => null));
  if (!parsed.success) throw new PhotoError('NOT_FOUND', `getFile failed with HTTP ${answer.statusCode}`);
  if ((parsed.data.result.file_size ?? 0) > maxBytes) throw new PhotoError('TOO_LARGE', 'photo is too large');

  const file = await request(`${apiRoot}/file/bot${token}/${parsed.data.result.file_path}`, {
    headersTimeout: 15_000,
    bodyTimeout: 30_000,
  });
  if (file.statusCode !== 200) {
    await file.body.dump();
    throw new PhotoError('NOT_FOUND', `file download failed with HTTP ${file.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of file.body) {
    size += chunk.length;
    if (size > maxBytes) {
      file.body.destroy();
      throw new PhotoError('TOO_LARGE', 'photo is too large');
    }
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  const kind = sniffImage(bytes);
  if (!kind) throw new PhotoError('NOT_AN_IMAGE', 'the file is not a JPEG, PNG or WebP image');
  return { bytes, ...kind };
}

function sniffImage(bytes: Buffer): Omit<DownloadedPhoto, 'bytes'> | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return { mimeType: 'image/jpeg', extension: 'jpg' };
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return { mimeType: 'image/png', extension: 'png' };
  }
  if (
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  ) {
    return { mimeType: 'image/webp', extension: 'webp' };
  }
  return undefined;
}
