import { z } from 'zod';

/** The largest photo the page may upload (the gateway's own limit is checked again by the bot). */
export const maxPhotoBytes = 10 * 1024 * 1024;

/** Languages the page and the simulated seller speak; the bot follows the seller's Telegram language. */
export const sandboxLanguage = z.enum(['ru', 'en']);
export type SandboxLanguage = z.infer<typeof sandboxLanguage>;

const messageId = z
  .number()
  .int()
  .positive()
  .max(2 ** 31);

/** What the page may ask for, one schema per endpoint; anything else is answered 400. */
export const pageRequests = {
  session: z.strictObject({ language: sandboxLanguage }),
  text: z.strictObject({ text: z.string().trim().min(1).max(4096) }),
  press: z.strictObject({ messageId, data: z.string().min(1).max(64) }),
  pay: z.strictObject({ messageId }),
  simulate: z.strictObject({ next: z.enum(['content-policy']) }),
} as const;

/** A seller id as the session cookie carries it. */
export const sellerIdSchema = z.coerce.number().int().min(1_000_000_000).max(1_999_999_999);

/** Image types a seller may upload, recognised by their first bytes (the declared type must agree). */
export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp';

/** The image type of a file by its magic bytes, or undefined when it is not a JPEG, PNG or WebP. */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'image/png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}
