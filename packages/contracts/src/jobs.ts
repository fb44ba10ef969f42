import { z } from 'zod';
import {
  chatIdSchema,
  creditAmountSchema,
  deliveryErrorClassSchema,
  generationErrorClassSchema,
  isoTimestampSchema,
  jobIdSchema,
  languageSchema,
  orderIdSchema,
  userIdSchema,
} from './common.js';

// Stream `job-<jobId>`: the whole life of one video. The gateway opens it, then the generator
// and delivery append their own events with an expected version.

const jobRef = { jobId: jobIdSchema, userId: userIdSchema };

export const PRODUCT_DESCRIPTION_MAX = 1000;
export const WISHES_MAX = 500;

export const ORDER_SIZE_MAX = 5;

export const GenerationRequested = z
  .object({
    ...jobRef,
    orderId: orderIdSchema,
    /** Every job of the order, this one included: billing reserves the whole order at once or none of it. */
    orderJobIds: z.array(jobIdSchema).min(1).max(ORDER_SIZE_MAX),
    chatId: chatIdSchema,
    language: languageSchema,
    photo: z.object({
      fileId: z.string().min(1).max(512),
      fileUniqueId: z.string().min(1).max(128),
    }),
    product: z.string().min(1).max(PRODUCT_DESCRIPTION_MAX),
    templateId: z.string().min(1).max(64),
    wishes: z.string().max(WISHES_MAX).nullable(),
    model: z.string().min(1).max(128),
    /** Credits for this one job. */
    cost: creditAmountSchema,
  })
  .refine((data) => data.orderJobIds.includes(data.jobId), {
    message: 'orderJobIds must include jobId',
    path: ['orderJobIds'],
  });

export const PromptPrepared = z.object({
  ...jobRef,
  prompt: z.string().min(1).max(10_000),
  source: z.enum(['model', 'fallback']),
});

export const GenerationSubmitted = z.object({
  ...jobRef,
  attempt: z.number().int().positive(),
  model: z.string().min(1),
  taskId: z.string().min(1),
  keyId: z.string().min(1),
});

export const GenerationAttemptFailed = z.object({
  ...jobRef,
  attempt: z.number().int().positive(),
  /** The model this attempt used: the next attempt may fall back to another. */
  model: z.string().min(1),
  errorClass: generationErrorClassSchema,
  code: z.string(),
  message: z.string().max(2000),
  /** When the next attempt may start; null when this failure ends the job. */
  retryAt: isoTimestampSchema.nullable(),
});

export const VideoReady = z.object({
  ...jobRef,
  videoUrl: z.url(),
  model: z.string().min(1),
  taskId: z.string().min(1),
});

export const GenerationFailed = z.object({
  ...jobRef,
  errorClass: generationErrorClassSchema,
  code: z.string(),
  message: z.string().max(2000),
  attempts: z.number().int().min(0),
});

export const DeliveryAttemptFailed = z.object({
  ...jobRef,
  attempt: z.number().int().positive(),
  errorClass: deliveryErrorClassSchema,
  reason: z.string().max(2000),
  retryAt: isoTimestampSchema.nullable(),
});

export const VideoDelivered = z.object({
  ...jobRef,
  messageId: z.number().int().positive(),
  bytes: z.number().int().min(0),
  sentAs: z.enum(['video', 'document', 'link']),
});

export const DeliveryFailed = z.object({
  ...jobRef,
  errorClass: deliveryErrorClassSchema,
  reason: z.string().max(2000),
  attempts: z.number().int().min(0),
});

/** The seller pressed "Send it again" under a failed delivery; the gateway appends it. */
export const DeliveryRetryRequested = z.object({
  ...jobRef,
});

/**
 * A video sent again after its delivery had failed and its credit had come back. It is free: the job's
 * money story ended with the refund, and this event moves no credit.
 */
export const VideoRedelivered = z.object({
  ...jobRef,
  messageId: z.number().int().positive(),
  bytes: z.number().int().min(0),
  sentAs: z.enum(['video', 'document', 'link']),
});
