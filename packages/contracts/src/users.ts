import { z } from 'zod';
import { chatIdSchema, languageSchema, userIdSchema } from './common.js';

// Stream `user-<userId>`: who the seller is. Written by the gateway.

export const UserRegistered = z.object({
  userId: userIdSchema,
  chatId: chatIdSchema,
  username: z.string().max(64).nullable(),
  firstName: z.string().max(256),
  language: languageSchema,
  referrerId: userIdSchema.nullable(),
});

export const UserBanned = z.object({
  userId: userIdSchema,
  adminId: userIdSchema,
  reason: z.string().max(500),
});

export const UserUnbanned = z.object({
  userId: userIdSchema,
  adminId: userIdSchema,
});

export const LanguageChanged = z.object({
  userId: userIdSchema,
  language: languageSchema,
});

// Stream `payment-<chargeId>`: a successful Telegram Stars payment, made durable before the bot replies.

export const PaymentReceived = z.object({
  userId: userIdSchema,
  chargeId: z.string().min(1).max(256),
  stars: z.number().int().positive(),
  payload: z.string().min(1).max(128),
});

/** An admin's refund order for a payment (stream `payment-<chargeId>`); billing decides. */
export const PaymentRefundRequested = z.object({
  userId: userIdSchema,
  chargeId: z.string().min(1).max(256),
  adminId: userIdSchema,
});

/** An admin's grant of credits (stream `user-<userId>`); billing turns it into CreditsGranted. */
export const CreditsGrantRequested = z.object({
  userId: userIdSchema,
  adminId: userIdSchema,
  amount: z.number().int().positive().max(100_000),
  reason: z.string().min(1).max(500),
});
