import { z } from 'zod';
import {
  creditAmountSchema,
  isoTimestampSchema,
  jobIdSchema,
  orderIdSchema,
  userIdSchema,
} from './common.js';

// Stream `credits-<userId>`: every credit movement of one user. Written by billing alone.

export const FreeCreditsGranted = z.object({
  userId: userIdSchema,
  amount: creditAmountSchema,
});

export const CreditReserved = z.object({
  userId: userIdSchema,
  jobId: jobIdSchema,
  orderId: orderIdSchema,
  amount: creditAmountSchema,
  expiresAt: isoTimestampSchema,
});

export const CreditReservationRejected = z.object({
  userId: userIdSchema,
  jobId: jobIdSchema,
  orderId: orderIdSchema,
  needed: creditAmountSchema,
  available: z.number().int().min(0),
});

export const CreditCaptured = z.object({
  userId: userIdSchema,
  jobId: jobIdSchema,
  amount: creditAmountSchema,
});

/** A late result after the reservation was released: delivered without charge, and recorded so. */
export const CreditCaptureWaived = z.object({
  userId: userIdSchema,
  jobId: jobIdSchema,
  reason: z.enum(['reservation_expired', 'reservation_missing']),
});

export const creditRefundReasonSchema = z.enum([
  'generation_failed',
  'delivery_failed',
  'timeout',
  'cancelled',
]);

export const CreditRefunded = z.object({
  userId: userIdSchema,
  jobId: jobIdSchema,
  amount: creditAmountSchema,
  reason: creditRefundReasonSchema,
});

export const CreditsPurchased = z.object({
  userId: userIdSchema,
  chargeId: z.string().min(1).max(256),
  packageId: z.string().min(1).max(64),
  stars: z.number().int().positive(),
  credits: creditAmountSchema,
});

export const CreditsGranted = z.object({
  userId: userIdSchema,
  adminId: userIdSchema,
  amount: creditAmountSchema,
  reason: z.string().min(1).max(500),
});

export const PaymentRefunded = z.object({
  userId: userIdSchema,
  chargeId: z.string().min(1).max(256),
  stars: z.number().int().positive(),
  credits: creditAmountSchema,
  adminId: userIdSchema,
});

/** An admin asked to refund a payment whose credits are already spent: nothing moved. */
export const PaymentRefundRefused = z.object({
  userId: userIdSchema,
  chargeId: z.string().min(1).max(256),
  adminId: userIdSchema,
  reason: z.enum(['credits_spent', 'unknown_payment', 'already_refunded']),
  available: z.number().int().min(0),
  needed: z.number().int().min(0),
});

export const ReferralBonusGranted = z.object({
  userId: userIdSchema,
  referredUserId: userIdSchema,
  amount: creditAmountSchema,
});
