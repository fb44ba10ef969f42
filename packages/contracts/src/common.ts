import { z } from 'zod';

/** Telegram user ids fit in 52 bits: a safe JSON integer. */
export const userIdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** Telegram chat ids; negative for groups, which the bot does not serve but must not crash on. */
export const chatIdSchema = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
export const jobIdSchema = z.uuid();
export const orderIdSchema = z.uuid();
export const languageSchema = z.enum(['ru', 'en']);
export const isoTimestampSchema = z.iso.datetime({ offset: true });
export const creditAmountSchema = z.number().int().positive().max(1_000_000);

/** How a generation attempt failed; drives the retry policy (DESIGN §6). */
export const generationErrorClassSchema = z.enum([
  'TEMPORARY',
  'RATE_LIMIT',
  'USER_VIOLATION',
  'BILLING',
  'UNKNOWN',
]);

/** How a delivery attempt failed; delivery never re-generates, it only retries the send or falls back. */
export const deliveryErrorClassSchema = z.enum([
  'TEMPORARY',
  'RATE_LIMIT',
  'BLOCKED',
  'TOO_LARGE',
  'BAD_MEDIA',
  'DOWNLOAD',
  'UNKNOWN',
]);

export type UserId = z.infer<typeof userIdSchema>;
export type Language = z.infer<typeof languageSchema>;
export type GenerationErrorClass = z.infer<typeof generationErrorClassSchema>;
export type DeliveryErrorClass = z.infer<typeof deliveryErrorClassSchema>;
